"""SQS005 sqs-lambda-throttle-redrive."""
from linter.model import QUEUE, as_number, kinds, rule


@rule("SQS005", "sqs-lambda-throttle-redrive", severity="warning",
      options={"min_receive_count": 5, "small_reserved_concurrency": 5},
      tags=("reliability", "sqs", "lambda", "concurrency"), catalogue="R19")
def throttle_redrive(graph, ctx):
    """A queue that a Lambda function consumes should allow enough receives before it dead-letters a message.

    **What it checks.** For every queue with a `RedrivePolicy` that a Lambda function polls (an event
    source mapping, a SAM `SQS` event, a SAM `SqsSubscription` queue), a `maxReceiveCount` below
    `min_receive_count` (5 by default, the AWS recommendation) is a **warning**. The message says more
    when the function also has a small `ReservedConcurrentExecutions` (below
    `small_reserved_concurrency`, 5 by default; 0 means the function never runs), because then the
    poller is throttled often, and suggests the mapping's `ScalingConfig.MaximumConcurrency` when it is
    not set. Values known only at deploy time are not evaluated; a queue without a redrive policy is left
    to SQS006.

    **Why it matters.** The Lambda poller receives messages before it knows whether it can invoke the
    function. When the function is throttled, the received messages are not processed but their receive
    count still grows, and after `maxReceiveCount` receives they move to the dead-letter queue although
    nothing failed. Reserved concurrency makes throttling more likely; the mapping's maximum concurrency
    caps the poller instead, without throttling.

    **Example (fails).**

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt JobsDLQ.Arn
              maxReceiveCount: 1
        Worker:
          Type: AWS::Serverless::Function
          Properties:
            ReservedConcurrentExecutions: 2
            Events:
              Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}

    **Fix.** Allow at least five receives, and cap the consumer on the mapping instead of with reserved
    concurrency:

        RedrivePolicy:
          deadLetterTargetArn: !GetAtt JobsDLQ.Arn
          maxReceiveCount: 5
        ...
        Events:
          Jobs:
            Type: SQS
            Properties:
              Queue: !GetAtt Jobs.Arn
              ScalingConfig:
                MaximumConcurrency: 2
    """
    minimum = ctx.options["min_receive_count"]
    small = ctx.options["small_reserved_concurrency"]
    for link in graph.edges(kinds.CONSUMES, source_type=QUEUE):
        queue, function = link.source, link.target
        receives = queue.get("RedrivePolicy.maxReceiveCount", default=False)
        reserved = function.get("ReservedConcurrentExecutions", default=False)
        cap = link.get("ScalingConfig.MaximumConcurrency")
        for r, c, m in ctx.cases(link, receives, reserved, cap, convert=as_number):
            if r.value is None or r.value >= minimum:
                continue
            details = ""
            if c.value is not None and c.value < small:
                details = (f"; function {function.describe()} has {c.cite('ReservedConcurrentExecutions')}, "
                           + ("so it never runs and every message goes to the dead-letter queue"
                              if c.value == 0 else "so the poller is throttled often"))
            advice = ("" if m.value is not None else
                      "; cap the consumer with the mapping's ScalingConfig.MaximumConcurrency rather than reserved "
                      "concurrency")
            related = [function, link.via] if link.via is not function else [function]
            yield ctx.finding(
                queue, f"queue {queue.describe()} moves a message to its dead-letter queue after "
                       f"{r.cite('maxReceiveCount')}, below {minimum}, and is consumed by {function.describe()}: "
                       f"messages received while the function is throttled count as receives and reach the "
                       f"dead-letter queue unprocessed{details}; set maxReceiveCount to at least {minimum}{advice}",
                at="RedrivePolicy.maxReceiveCount", related=related, cases=(r, c, m, link))
