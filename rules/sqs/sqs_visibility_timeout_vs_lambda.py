"""SQS001 sqs-visibility-timeout-vs-lambda."""
from linter.model import QUEUE, as_number, kinds, rule


@rule("SQS001", "sqs-visibility-timeout-vs-lambda", severity="warning", options={"multiplier": 6},
      tags=("reliability", "sqs", "lambda"), catalogue="R1")
def visibility_timeout_vs_consumer(graph, ctx):
    """An SQS queue's visibility timeout must outlast the Lambda function that consumes it, with margin.

    **What it checks.** For every queue polled by a Lambda function — through an
    `AWS::Lambda::EventSourceMapping`, a SAM `SQS` event, or the queue SAM creates for an SNS event with
    `SqsSubscription: true` — it compares the queue's `VisibilityTimeout` (30 s when absent) with the
    function's `Timeout` (the resource's value, else `Globals.Function.Timeout`, else 3 s) and the
    mapping's `MaximumBatchingWindowInSeconds` (0 when absent). Below 1x the timeout is an error;
    below `multiplier` x timeout + batching window (6x by default) is a warning. Values from parameters
    with `AllowedValues`, mapping rows and `Fn::If` branches are checked in their worst case.

    **Why it matters.** When the visibility timeout is shorter than the function's timeout, Lambda
    refuses to create the mapping and the deployment fails. Between 1x and the recommended 6x, a batch
    that is retried or slow becomes visible again while it is still being processed: the message is
    handled twice and can land in the dead-letter queue although it succeeded.

    **Example (fails).**

        Globals:
          Function:
            Timeout: 60
        Resources:
          Jobs:
            Type: AWS::SQS::Queue          # VisibilityTimeout absent: 30 s
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}

    **Fix.** Set the queue's visibility timeout to at least six times the function timeout plus the
    batching window:

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            VisibilityTimeout: 360
    """
    multiplier = ctx.options["multiplier"]
    for link in graph.edges(kinds.CONSUMES, source_type=QUEUE):
        queue, function = link.source, link.target
        visibility = queue.get("VisibilityTimeout")
        timeout = function.get("Timeout")
        window = link.get("MaximumBatchingWindowInSeconds")
        for v, t, w in ctx.cases(link, visibility, timeout, window, convert=as_number, worst=(min, max, max)):
            at = "VisibilityTimeout" if queue.has("VisibilityTimeout") else None
            related = [function, link.via] if link.via is not function else [function]
            if v.value < t.value:
                yield ctx.finding(
                    queue,
                    f"visibility timeout of queue {queue.describe()} is {v.show('s')}, less than the timeout "
                    f"of its consumer {function.describe()}, {t.show('s')}: Lambda rejects the event source "
                    "mapping at deploy time",
                    severity="error", at=at, related=related, cases=(v, t, w, link))
            else:
                needed = multiplier * t.value + w.value
                if v.value < needed:
                    window_text = f" + batching window {w.show('s')}" if w.value else ""
                    yield ctx.finding(
                        queue,
                        f"visibility timeout of queue {queue.describe()} is {v.show('s')}, less than "
                        f"{multiplier} x the timeout of its consumer {function.describe()}, {t.show('s')}"
                        f"{window_text} = {needed:g} s: a slow or retried batch becomes visible again while "
                        "still in flight and is processed twice",
                        at=at, related=related, cases=(v, t, w, link))
    for loose in graph.dangling_links(kinds.CONSUMES):
        ctx.not_evaluated(loose.holder, f"the event source mapping's {loose.at} cannot be followed: {loose.reason}")
