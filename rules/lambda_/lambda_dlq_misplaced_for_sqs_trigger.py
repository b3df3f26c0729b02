"""LAM006 lambda-dlq-misplaced-for-sqs-trigger."""
from linter.model import ESM, FUNCTION_TYPES, QUEUE, event_invoke_configs, kinds, rule, written


@rule("LAM006", "lambda-dlq-misplaced-for-sqs-trigger", severity="warning",
      tags=("reliability", "lambda", "sqs"), catalogue="R21")
def dlq_misplaced_for_sqs_trigger(graph, ctx):
    """A function fed only by SQS needs the dead-letter queue on the queue, not on the function.

    **What it checks.** A function that has a `DeadLetterConfig` (SAM `DeadLetterQueue`) or an
    `EventInvokeConfig` with `DestinationConfig.OnFailure`, whose only invokers in the template are SQS
    event source mappings (plain `AWS::Lambda::EventSourceMapping` or SAM `SQS` events), while a source
    queue has no `RedrivePolicy`: *warning*. It is judged per scenario of the DLQ, the destination and
    the redrive policy. Invokers the tool cannot follow (a mapping or a rule target whose reference does
    not resolve) make the check not evaluated: they may be asynchronous. Callers outside the template
    (an SDK `InvokeAsync`) are not visible.

    **Why it matters.** A function's dead-letter queue and on-failure destination receive only failed
    **asynchronous** invocations. An SQS event source mapping invokes synchronously: a failed message
    returns to the queue and is retried until it expires, and the configured DLQ never receives
    anything. Failed messages are captured only by the queue's own redrive policy (see SQS rule R20).

    **Example (fails).**

        Worker:
          Type: AWS::Serverless::Function
          Properties:
            DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt WorkerDlq.Arn}
            Events:
              Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
        Jobs:
          Type: AWS::SQS::Queue            # no RedrivePolicy

    **Fix.** Move the dead-letter queue to the source queue:

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt WorkerDlq.Arn
              maxReceiveCount: 5
    """
    loose = [d for kind in (kinds.INVOKES, kinds.CONSUMES) for d in graph.dangling_links(kind) if not d.external]
    for function in graph.of_type(*FUNCTION_TYPES):
        invokers = graph.invokers(function)
        polls = [e for e in invokers if e.kind == kinds.CONSUMES and e.source.type == QUEUE]
        if not polls or len(polls) != len(invokers):
            continue
        configs, unsure = event_invoke_configs(function)
        failures = [written(function.get("DeadLetterConfig.TargetArn", default=False))]
        failures += [written(c.get("DestinationConfig.OnFailure.Destination", default=False)) for c in configs]
        if not any(v.any(lambda x: x is True, unknown=False) for v in failures):
            continue
        suspects = [d for d in loose if _may_invoke(graph, d, function)] + unsure
        if suspects:
            ctx.not_evaluated(function, f"whether {function.describe()} has other invokers is not known: "
                                        f"{_reason(suspects[0])}")
            continue
        for link in polls:
            queue = link.source
            redrive = written(queue.get("RedrivePolicy", default=False))
            for r, *f in ctx.cases(link, redrive, *failures):
                configured = [c for c in f if c.value is True]
                if r.value is True or not configured:
                    continue
                at = "DeadLetterConfig" if function.has("DeadLetterConfig") else None
                yield ctx.finding(
                    function,
                    f"function {function.describe()} has a dead-letter queue or OnFailure destination, but its only "
                    f"invokers are SQS event source mappings, which never send failures there; its source queue "
                    f"{queue.describe()} has no RedrivePolicy, so failed messages are retried until they expire "
                    "and then lost: set RedrivePolicy on the queue instead",
                    at=at, related=[queue], cases=(r, *configured, link))


def _may_invoke(graph, loose, function) -> bool:
    """Whether a link that could not be followed may invoke this function."""
    holder = loose.holder
    if holder is function:
        return True
    if holder.type == ESM:
        return any(graph.follow(c)[0] is function for c in holder.get("FunctionName"))
    return holder.type not in FUNCTION_TYPES


def _reason(thing) -> str:
    if hasattr(thing, "reason"):
        return f"{thing.holder.describe()} {thing.at}: {thing.reason}"
    return f"invoke config {thing.logical_id} may belong to it: its FunctionName is known only at deploy time"
