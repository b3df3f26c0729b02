"""SNS001 sns-sqs-subscription-queue-policy."""
from linter.model import QUEUE, delivery_policies, delivery_providers, rule, subscriptions

SNS = "sns.amazonaws.com"


@rule("SNS001", "sns-sqs-subscription-queue-policy", severity="error", tags=("reliability", "sns", "sqs", "iam"),
      catalogue="R5")
def subscription_queue_policy(graph, ctx):
    """A queue subscribed to an SNS topic needs a queue policy that lets the topic send to it.

    **What it checks.** For every `sqs` subscription of a topic of the template to a queue of the
    template (`AWS::SNS::Subscription`, an item of `AWS::SNS::Topic.Subscription`, SAM `SqsSubscription`
    with a queue of your own), the queue's `AWS::SQS::QueuePolicy` documents must allow
    `sns.amazonaws.com` (or `*`) `sqs:SendMessage` on the queue, in every scenario in which the
    subscription exists (**error**). A statement conditioned on `aws:SourceArn` counts when the
    condition names this topic (`!Ref Topic`, a `!Sub` ARN, `*`) and not when it names another topic;
    `aws:SourceAccount` with the stack's own account counts. An explicit `Deny` wins. Conditions on
    other keys, and values known only at deploy time, are not evaluated. SAM's `SqsSubscription: true`
    writes its own policy, which the rule sees.

    **Why it matters.** The subscription deploys and confirms without error, but every delivery is
    refused by SQS and the messages are dropped silently (they reach the subscription's dead-letter
    queue at best).

    **Example (fails).**

        Topic:
          Type: AWS::SNS::Topic
        Queue:
          Type: AWS::SQS::Queue
        Subscription:
          Type: AWS::SNS::Subscription
          Properties:
            TopicArn: !Ref Topic
            Protocol: sqs
            Endpoint: !GetAtt Queue.Arn

    **Fix.** Add a queue policy for the topic:

        QueuePolicy:
          Type: AWS::SQS::QueuePolicy
          Properties:
            Queues: [!Ref Queue]
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Principal: {Service: sns.amazonaws.com}
                  Action: sqs:SendMessage
                  Resource: !GetAtt Queue.Arn
                  Condition:
                    ArnEquals: {aws:SourceArn: !Ref Topic}
    """
    subs, loose = subscriptions(graph)
    for sub in subs:
        for edge in sub.targets:
            queue = edge.target
            if queue.type != QUEUE:
                continue
            coverage = ctx.coverage(edge, delivery_providers(graph, queue, principal=SNS, action="sqs:SendMessage",
                                                             source=sub.topic))
            if coverage.unknown:
                ctx.not_evaluated(sub.subject, f"whether the policy of queue {queue.describe()} lets topic "
                                               f"{sub.topic.describe()} send to it: {coverage.unknown}")
                continue
            if coverage.everywhere:
                continue
            policies = delivery_policies(graph, queue)
            if coverage.nowhere and not policies:
                why = "it has no queue policy"
            elif coverage.nowhere:
                why = (f"its queue polic{'ies' if len(policies) > 1 else 'y'} "
                       f"{', '.join(p.describe() for p in policies)} do{'' if len(policies) > 1 else 'es'} not allow "
                       f"{SNS} sqs:SendMessage from this topic")
            else:
                why = f"no queue policy allows {SNS} sqs:SendMessage from this topic in that scenario"
            yield ctx.finding(sub.subject, f"{sub.describe()} delivers to queue {queue.describe()}, but {why}: SQS "
                                           "refuses every message and SNS drops them silently; add an "
                                           f"AWS::SQS::QueuePolicy allowing {SNS} sqs:SendMessage with aws:SourceArn "
                                           "set to the topic",
                              at=sub.at("Endpoint"), related=[queue, sub.topic] + policies, cases=coverage.cases)
    for holder, reason in loose:
        ctx.not_evaluated(holder, f"the topic of subscription {holder.describe()} cannot be followed: {reason}")
