"""SQS003 sqs-dlq-type-matches-source."""
from linter.model import QUEUE, TOPIC, as_bool, display, kinds, rule

# Ways of naming a failure target that accept only standard queues and topics.
STANDARD_ONLY = {
    kinds.LAMBDA_DLQ: "a Lambda dead-letter queue",
    kinds.ON_FAILURE: "a Lambda async on-failure destination",
    kinds.ON_SUCCESS: "a Lambda async on-success destination",
    kinds.ESM_ON_FAILURE: "an event source mapping on-failure destination",
    kinds.EVENTBRIDGE_TARGET_DLQ: "an EventBridge target dead-letter queue",
    kinds.SCHEDULER_TARGET_DLQ: "an EventBridge Scheduler dead-letter queue",
    kinds.EVENT_BUS_DLQ: "an event bus dead-letter queue",
    kinds.S3_NOTIFICATION: "an S3 event notification target",
}
# For links to resources outside the template: the holder's type tells how the target is used.
HOLDER_ROLE = {
    "AWS::Lambda::Function": kinds.LAMBDA_DLQ, "AWS::Serverless::Function": kinds.LAMBDA_DLQ,
    "AWS::Lambda::EventInvokeConfig": kinds.ON_FAILURE, "AWS::Lambda::EventSourceMapping": kinds.ESM_ON_FAILURE,
    "AWS::Events::Rule": kinds.EVENTBRIDGE_TARGET_DLQ, "AWS::Scheduler::Schedule": kinds.SCHEDULER_TARGET_DLQ,
    "AWS::Events::EventBus": kinds.EVENT_BUS_DLQ, "AWS::S3::Bucket": kinds.S3_NOTIFICATION,
}


def fifo(resource):
    """FifoQueue / FifoTopic with its default (false)."""
    return resource.get("FifoQueue" if resource.type == QUEUE else "FifoTopic")


def kind(flag: bool) -> str:
    return "FIFO" if flag else "standard"


@rule("SQS003", "sqs-dlq-type-matches-source", severity="error", tags=("reliability", "sqs", "fifo"),
      catalogue="R3")
def dlq_type_matches_source(graph, ctx):
    """A dead-letter queue must be of the type its source accepts: FIFO for FIFO, standard for standard.

    **What it checks.** A queue's `RedrivePolicy.deadLetterTargetArn` must point at a queue of the same
    type (`FifoQueue`, false when absent): FIFO to FIFO, standard to standard. It must not point at the
    queue itself, nor (when the region and account are known, as in an audit) at a queue in another
    region or account. An SNS subscription's redrive queue must match the topic's type. Everywhere else
    a failure target is named, a FIFO queue or topic is rejected: a Lambda `DeadLetterConfig` (SAM
    `DeadLetterQueue`), Lambda async destinations, event source mapping `OnFailure`, EventBridge rule and
    Scheduler target `DeadLetterConfig`, event bus DLQs and S3 event notifications. Literal ARNs of
    queues outside the template are judged by their name (FIFO queue names end in `.fifo`).

    **Why it matters.** AWS refuses these combinations: the stack fails to create or update, or (for
    EventBridge) the target is rejected with "SQS FIFO is not supported by Dead Letter Queues".

    **Example (fails).**

        Orders:
          Type: AWS::SQS::Queue
          Properties:
            FifoQueue: true
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
              maxReceiveCount: 3
        OrdersDLQ:
          Type: AWS::SQS::Queue        # standard

    **Fix.** Make the DLQ of a FIFO queue FIFO too (and of a standard queue standard); give Lambda,
    EventBridge and S3 a standard queue:

        OrdersDLQ:
          Type: AWS::SQS::Queue
          Properties:
            FifoQueue: true
    """
    for edge in graph.edges(kinds.DLQ_OF) + graph.edges(kinds.DESTINATION_OF) + graph.edges(kinds.NOTIFIES):
        target, user = edge.source, edge.target
        if edge.kind == kinds.NOTIFIES:
            target, user = edge.target, edge.source
        if target.type not in (QUEUE, TOPIC):
            continue
        if edge.role == kinds.REDRIVE:
            yield from _redrive(ctx, edge, target, user)
        elif edge.role == kinds.SNS_SUBSCRIPTION_REDRIVE:
            for t, q in ctx.cases(edge, fifo(user), fifo(target), convert=as_bool):
                if t.value != q.value:
                    yield ctx.finding(edge, f"subscription to {kind(t.value)} topic {user.describe()} ({t.cite('FifoTopic')}) "
                                            f"redrives to {kind(q.value)} queue {target.describe()} ({q.cite('FifoQueue')}); "
                                            "the dead-letter queue must be of the topic's type",
                                      related=[target, user], cases=(t, q))
        elif edge.role in STANDARD_ONLY:
            for f, in ctx.cases(edge, fifo(target), convert=as_bool):
                if f.value:
                    yield ctx.finding(edge, f"FIFO {'queue' if target.type == QUEUE else 'topic'} "
                                            f"{target.describe()} ({f.cite('FifoQueue' if target.type == QUEUE else 'FifoTopic')}) is used as "
                                            f"{STANDARD_ONLY[edge.role]} of {user.describe()}, which accepts only "
                                            "standard queues and topics", related=[target], cases=(f,),
                                      check=edge.role)
    yield from _external(graph, ctx)


def _redrive(ctx, edge, dlq, source):
    if dlq is source:
        yield ctx.finding(source, f"queue {source.describe()} names itself as its dead-letter queue",
                          at="RedrivePolicy", check="self")
        return
    for s, d in ctx.cases(edge, fifo(source), fifo(dlq), convert=as_bool):
        if s.value != d.value:
            yield ctx.finding(source, f"{kind(s.value)} queue {source.describe()} ({s.cite('FifoQueue')}) redrives to "
                                      f"{kind(d.value)} queue {dlq.describe()} ({d.cite('FifoQueue')}); a dead-letter queue "
                                      "must be of the same type as its source queue",
                              at="RedrivePolicy", related=[dlq], cases=(s, d))


def _external(graph, ctx):
    """Literal ARNs of queues outside the template: judge what the ARN itself says."""
    for loose in graph.dangling_links(kinds.DLQ_OF) + graph.dangling_links(kinds.NOTIFIES) + graph.dangling_links(
            kinds.DESTINATION_OF):
        value = loose.value
        if not loose.external:
            ctx.not_evaluated(loose.holder, f"the target named at {loose.at} cannot be followed: {loose.reason}")
            continue
        arn = loose.arn
        if arn is None or arn.service not in ("sqs", "sns"):
            continue
        holder = loose.holder
        named_fifo = arn.name.endswith(".fifo")
        if holder.type == QUEUE and loose.at.startswith("RedrivePolicy"):
            for here, there in (("AWS::Region", arn.region), ("AWS::AccountId", arn.account)):
                known = graph.pseudo_value(here)
                if known and there and known != there:
                    what = "region" if here == "AWS::Region" else "account"
                    yield ctx.finding(holder, f"queue {holder.describe()} redrives to {display(value)}, a queue in "
                                              f"another {what} ({there}, the stack is in {known}); a dead-letter "
                                              f"queue must be in the same account and region",
                                      at="RedrivePolicy", check=f"other-{what}")
            for s, in ctx.cases(holder, fifo(holder), convert=as_bool):
                if s.value != named_fifo:
                    yield ctx.finding(holder, f"{kind(s.value)} queue {holder.describe()} ({s.cite('FifoQueue')}) redrives to "
                                              f"{display(value)}, a {kind(named_fifo)} queue by its name; a "
                                              "dead-letter queue must be of the same type as its source queue",
                                      at="RedrivePolicy", cases=(s,), check="external")
            continue
        role = kinds.ON_SUCCESS if loose.kind == kinds.DESTINATION_OF else HOLDER_ROLE.get(holder.type)
        if role in STANDARD_ONLY and named_fifo:
            yield ctx.finding(holder, f"{display(value)} is a FIFO {'queue' if arn.service == 'sqs' else 'topic'} "
                                      f"by its name and is used as {STANDARD_ONLY[role]} of {holder.describe()}, "
                                      "which accepts only standard queues and topics", at=loose.at or None,
                              check=f"external-{role}")
