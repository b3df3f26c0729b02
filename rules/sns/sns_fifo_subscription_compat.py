"""SNS002 sns-fifo-subscription-compat."""
from linter.model import QUEUE, as_bool, as_text, rule, subscriptions

# Protocols a FIFO topic delivers to (the AWS SNS FIFO documentation).
FIFO_PROTOCOLS = ("sqs",)


def _kind(flag: bool) -> str:
    return "FIFO" if flag else "standard"


@rule("SNS002", "sns-fifo-subscription-compat", severity="error", tags=("reliability", "sns", "sqs", "fifo"),
      catalogue="R16")
def fifo_subscription_compat(graph, ctx):
    """An SNS subscription must fit the topic's type: FIFO topics deliver only to SQS, standard topics not to FIFO queues.

    **What it checks.** For every subscription to a topic of the template (`AWS::SNS::Subscription`,
    an item of `AWS::SNS::Topic.Subscription`, a SAM `Type: SNS` event, with or without
    `SqsSubscription`), with `FifoTopic` and `FifoQueue` false when absent:

    - a **standard** topic subscribing a **FIFO** queue is an **error**: SNS refuses the subscription;
    - a **FIFO** topic with any protocol other than `sqs` (`lambda`, `http`, `https`, `email`,
      `email-json`, `sms`, `application`, `firehose`) is an **error**: a FIFO topic delivers only to SQS
      queues, so a SAM `Type: SNS` event on a FIFO topic fails too;
    - a **FIFO** topic subscribing a **standard** queue is **info**: it works, but ordering and
      deduplication end at the queue.

    Topics or protocols known only at deploy time are not evaluated. S3 notifications to FIFO queues
    and topics are reported by SQS003.

    **Why it matters.** An incompatible subscription fails at deploy time (the subscription resource
    cannot be created) and rolls the stack back. Older guides say that SNS cannot deliver to FIFO
    queues, or that FIFO topics deliver only to FIFO queues; both are outdated.

    **Example (fails).**

        Events:
          Type: AWS::SNS::Topic          # standard
        OrdersQueue:
          Type: AWS::SQS::Queue
          Properties:
            FifoQueue: true
        OrdersSubscription:
          Type: AWS::SNS::Subscription
          Properties:
            TopicArn: !Ref Events
            Protocol: sqs
            Endpoint: !GetAtt OrdersQueue.Arn

    **Fix.** Make the topic FIFO (`FifoTopic: true`, a name ending in `.fifo`) to feed a FIFO queue;
    put an SQS queue between a FIFO topic and a Lambda function.
    """
    subs, loose = subscriptions(graph)
    for sub in subs:
        topic = sub.topic
        for fifo, protocol in ctx.cases(sub.subject, topic.get("FifoTopic"), sub.get("Protocol"),
                                        convert=(as_bool, as_text)):
            if fifo.value and protocol.value is not None and protocol.value.lower() not in FIFO_PROTOCOLS:
                yield ctx.finding(sub.subject, f"FIFO topic {topic.describe()} ({fifo.cite('FifoTopic')}) has a "
                                               f"{protocol.show()} subscription: FIFO topics deliver only to SQS "
                                               "queues, so SNS rejects it; put an SQS queue between the topic and "
                                               "the endpoint", at=sub.at("Protocol"), related=[topic],
                                  check="fifo-protocol", cases=(fifo, protocol))
        for edge in sub.targets:
            queue = edge.target
            if queue.type != QUEUE:
                continue
            for t, q in ctx.cases(edge, topic.get("FifoTopic"), queue.get("FifoQueue"), convert=as_bool):
                if t.value == q.value:
                    continue
                if q.value:
                    yield ctx.finding(sub.subject, f"standard topic {topic.describe()} ({t.cite('FifoTopic')}) "
                                                   f"subscribes FIFO queue {queue.describe()} ({q.cite('FifoQueue')}): "
                                                   "only FIFO topics deliver to FIFO queues, so SNS rejects the "
                                                   "subscription; make the topic FIFO or the queue standard",
                                      at=sub.at("Endpoint"), related=[topic, queue], check="standard-to-fifo",
                                      cases=(t, q, edge))
                else:
                    yield ctx.finding(sub.subject, f"FIFO topic {topic.describe()} ({t.cite('FifoTopic')}) delivers to "
                                                   f"standard queue {queue.describe()} ({q.cite('FifoQueue')}): "
                                                   "message ordering and deduplication end at the queue",
                                      severity="info", at=sub.at("Endpoint"), related=[topic, queue],
                                      check="fifo-to-standard", cases=(t, q, edge))
    for holder, reason in loose:
        ctx.not_evaluated(holder, f"the topic of subscription {holder.describe()} cannot be followed: {reason}")
