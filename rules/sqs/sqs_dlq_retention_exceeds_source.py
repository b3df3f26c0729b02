"""SQS004 sqs-dlq-retention-exceeds-source."""
from linter.model import QUEUE, as_bool, as_number, kinds, rule


@rule("SQS004", "sqs-dlq-retention-exceeds-source", severity="warning", options={"suggested_retention": 1209600},
      tags=("reliability", "sqs", "dlq"), catalogue="R4")
def dlq_retention_exceeds_source(graph, ctx):
    """A standard queue's dead-letter queue must keep messages longer than the queue they come from.

    **What it checks.** For every queue whose `RedrivePolicy.deadLetterTargetArn` names a queue of the
    template, it compares the dead-letter queue's `MessageRetentionPeriod` with the source queue's
    (both 345600 s, 4 days, when absent). For a standard source queue a dead-letter retention that is
    not longer than the source's is a **warning**; for a FIFO source queue it is **info** only. Values
    from parameters with `AllowedValues`, mapping rows and `Fn::If` branches are checked in their worst
    case. A dead-letter queue outside the template (an imported or literal ARN) is not evaluated. The
    option `suggested_retention` (1209600 s, 14 days, the SQS maximum) is the value the message
    suggests.

    **Why it matters.** When a standard queue moves a message to its dead-letter queue, the message
    keeps its original enqueue time, and the retention clock keeps running from it. With equal
    retention periods, a message that spent most of its life being retried expires in the dead-letter
    queue shortly after it lands, before anyone can inspect or redrive it. FIFO queues reset the
    timestamp on the move, so there the equal retention only shortens the time to react.

    **Example (fails).**

        Orders:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
              maxReceiveCount: 5
        OrdersDLQ:
          Type: AWS::SQS::Queue      # MessageRetentionPeriod absent: 4 days, like Orders

    **Fix.** Keep dead-lettered messages for the maximum, 14 days (when the source queue already keeps
    messages 14 days, shorten the source's retention instead):

        OrdersDLQ:
          Type: AWS::SQS::Queue
          Properties:
            MessageRetentionPeriod: 1209600
    """
    suggested = ctx.options["suggested_retention"]
    for edge in graph.edges(kinds.DLQ_OF, source_type=QUEUE, target_type=QUEUE):
        if edge.role != kinds.REDRIVE or edge.source is edge.target:
            continue
        dlq, source = edge.source, edge.target
        for fifo, src, dead in ctx.cases(edge, source.get("FifoQueue"), source.get("MessageRetentionPeriod"),
                                         dlq.get("MessageRetentionPeriod"), convert=(as_bool, as_number, as_number)):
            if dead.value > src.value:
                continue
            at = "MessageRetentionPeriod" if dlq.has("MessageRetentionPeriod") else None
            # At the SQS maximum already, the only fix left is a shorter retention on the source.
            fix = (f"shorten the source queue's MessageRetentionPeriod below {dead.value:g} s" if dead.value >= suggested
                   else f"set MessageRetentionPeriod to {suggested} s (14 days) on the dead-letter queue")
            if fifo.value:
                yield ctx.finding(
                    dlq, f"dead-letter queue {dlq.describe()} keeps messages {dead.show('s')}, no longer than its "
                         f"FIFO source queue {source.describe()}, {src.show('s')}: a message has only that long to "
                         f"be inspected or redriven after it lands; {fix}",
                    severity="info", check="fifo", at=at, related=[source], cases=(fifo, src, dead, edge))
            else:
                yield ctx.finding(
                    dlq, f"dead-letter queue {dlq.describe()} keeps messages {dead.show('s')}, no longer than its "
                         f"source queue {source.describe()}, {src.show('s')}: a moved message keeps its original "
                         f"enqueue time, so it can expire soon after it lands; {fix}",
                    at=at, related=[source], cases=(fifo, src, dead, edge))
    for loose in graph.dangling_links(kinds.DLQ_OF):
        if loose.holder.type == QUEUE and loose.at.startswith("RedrivePolicy"):
            ctx.not_evaluated(loose.holder, f"the retention of the dead-letter queue at {loose.at} cannot be "
                                            f"read: {loose.reason}")
