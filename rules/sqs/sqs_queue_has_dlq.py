"""SQS006 sqs-queue-has-dlq."""
from linter.model import QUEUE, kinds, presence, rule


@rule("SQS006", "sqs-queue-has-dlq", severity="warning", tags=("reliability", "sqs", "dlq"), catalogue="R20")
def queue_has_dlq(graph, ctx):
    """A queue that a Lambda function consumes should send messages that keep failing to a dead-letter queue.

    **What it checks.** Every queue polled by a Lambda function (an `AWS::Lambda::EventSourceMapping`,
    a SAM `SQS` event, or the queue SAM creates for an SNS event with `SqsSubscription: true`) must have
    `RedrivePolicy.deadLetterTargetArn` in every scenario in which it is consumed (**warning**). A
    dead-letter target outside the template (an imported or literal ARN) counts as set. Queues that
    are themselves dead-letter queues or failure destinations of something in the template (a redrive
    target, a Lambda or EventBridge DLQ, an SNS subscription's redrive queue, an on-failure destination)
    are not flagged: a dead-letter queue of a dead-letter queue is rarely wanted. A condition that
    leaves the redrive policy out names the scenario. Consumers the template does not show (instances
    or containers that poll with the SDK) cannot be seen, so their queues are not checked.

    **Why it matters.** Without a redrive policy, a message the consumer cannot process (a poison
    message) is received and fails again and again until its retention period expires, and is then
    deleted without a trace. Meanwhile it costs invocations and, on a FIFO queue, blocks its message
    group.

    **Example (fails).**

        Jobs:
          Type: AWS::SQS::Queue
        Worker:
          Type: AWS::Serverless::Function
          Properties:
            Events:
              Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}

    **Fix.** Give the queue a dead-letter queue and a receive limit:

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt JobsDLQ.Arn
              maxReceiveCount: 5
        JobsDLQ:
          Type: AWS::SQS::Queue
          Properties:
            MessageRetentionPeriod: 1209600
    """
    consumed = {}
    for link in graph.edges(kinds.CONSUMES, source_type=QUEUE):
        consumed.setdefault(link.source.logical_id, []).append(link)
    for links in consumed.values():
        queue = links[0].source
        redrive = presence(queue.get("RedrivePolicy.deadLetterTargetArn", default=False))
        # Where the queue is itself a failure target, it needs no dead-letter queue of its own.
        as_dlq = graph.edges(kinds.DLQ_OF, source=queue) + graph.edges(kinds.DESTINATION_OF, source=queue)
        coverage = ctx.coverage(links, [(redrive, lambda case: case.value)] + as_dlq)
        if coverage.unknown:
            ctx.not_evaluated(queue, coverage.unknown)
        elif not coverage.everywhere:
            consumers = ", ".join(dict.fromkeys(link.target.describe() for link in links))
            at = "RedrivePolicy" if queue.has("RedrivePolicy") else None
            yield ctx.finding(queue, f"queue {queue.describe()} is consumed by {consumers} but has no dead-letter "
                                     "queue (RedrivePolicy.deadLetterTargetArn not set): a message that keeps failing "
                                     "is retried until its retention period ends and is then lost; add a RedrivePolicy "
                                     "with a deadLetterTargetArn and maxReceiveCount",
                              at=at, related=[link.target for link in links], cases=coverage.cases)
