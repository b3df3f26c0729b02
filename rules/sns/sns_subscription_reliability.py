"""SNS004 sns-subscription-reliability."""
from linter.model import QUEUE, as_text, delivery_providers, filter_policy_problem, kinds, presence, rule, subscriptions

SNS = "sns.amazonaws.com"
NEEDS_DLQ = ("lambda", "http", "https", "sqs")
HTTP = ("http", "https")
EMAIL = ("email", "email-json")


@rule("SNS004", "sns-subscription-reliability", severity="warning",
      options={"filter_max_keys": 5, "filter_max_combinations": 150},
      tags=("reliability", "sns"), catalogue="R82")
def subscription_reliability(graph, ctx):
    """An SNS subscription should keep the messages it cannot deliver, and be configured the way SNS accepts.

    **What it checks.** For every subscription to a topic of the template (`AWS::SNS::Subscription`,
    `AWS::SNS::Topic.Subscription` items, SAM `Type: SNS` events):

    - a `lambda`, `http`, `https` or `sqs` subscription without `RedrivePolicy.deadLetterTargetArn` is a
      **warning** (inline `Topic.Subscription` items cannot have one: use a subscription resource);
    - a subscription dead-letter queue that is not an SQS queue, or whose queue policy does not let
      `sns.amazonaws.com` send from this topic (as SNS001 judges it), is a **warning**; its FIFO or
      standard type is SQS003's;
    - a `DeliveryPolicy` on a subscription that is not `http`/`https` is a **warning**: SNS retry
      policies apply only to HTTP/S endpoints;
    - a `FilterPolicy` that is not valid JSON, has more than `filter_max_keys` (5) attribute keys or
      more than `filter_max_combinations` (150) value combinations is **info** (nested `MessageBody`
      policies are counted at the top level only);
    - an `email`/`email-json` subscription is **info**: it stays pending until someone confirms it.

    Protocols or policies known only at deploy time are not evaluated.

    **Why it matters.** SNS retries a failing delivery and then discards the message: without a
    dead-letter queue the loss leaves no trace. A dead-letter queue SNS may not write to loses the
    message as well. Settings SNS rejects fail the deployment; an unconfirmed e-mail subscription
    never receives anything.

    **Example (fails).**

        Subscription:
          Type: AWS::SNS::Subscription
          Properties:
            TopicArn: !Ref Orders
            Protocol: lambda
            Endpoint: !GetAtt Handler.Arn

    **Fix.**

        Subscription:
          Type: AWS::SNS::Subscription
          Properties:
            TopicArn: !Ref Orders
            Protocol: lambda
            Endpoint: !GetAtt Handler.Arn
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt OrdersSubscriptionDLQ.Arn
    """
    max_keys, max_combinations = ctx.options["filter_max_keys"], ctx.options["filter_max_combinations"]
    subs, loose = subscriptions(graph, external=True)
    for sub in subs:
        subject, topic = sub.subject, sub.topic
        redrive = presence(sub.get("RedrivePolicy.deadLetterTargetArn", default=False))
        delivery = presence(sub.get("DeliveryPolicy", default=False))
        filters = sub.get("FilterPolicy", default=False)
        for p, r, d in ctx.cases(subject, sub.get("Protocol"), redrive, delivery, convert=(as_text, None, None)):
            if p.value is None:
                continue
            protocol = p.value.lower()
            if protocol in NEEDS_DLQ and not r.value:
                inline = " (an inline Topic.Subscription item cannot have one: use an AWS::SNS::Subscription)" \
                    if sub.prefix else ""
                yield ctx.finding(subject, f"{sub.describe()} ({p.show()}) has no RedrivePolicy: messages SNS "
                                           "cannot deliver after its retries are discarded without a trace; add "
                                           f"RedrivePolicy.deadLetterTargetArn pointing at an SQS queue{inline}",
                                  at=sub.at("Protocol"), related=[topic] if topic else [], check="no-dlq", cases=(p, r))
            if d.value and protocol not in HTTP:
                yield ctx.finding(subject, f"{sub.describe()} ({p.show()}) sets a DeliveryPolicy: SNS delivery "
                                           "retry policies apply only to http and https subscriptions",
                                  at=sub.at("DeliveryPolicy"), related=[topic] if topic else [], check="delivery-policy",
                                  cases=(p, d))
            if protocol in EMAIL:
                yield ctx.finding(subject, f"{sub.describe()} ({p.show()}) stays pending until the recipient "
                                           "confirms it; nothing is delivered before", severity="info",
                                  at=sub.at("Protocol"), related=[topic] if topic else [], check="email-confirmation", cases=(p,))
        for f, in ctx.cases(subject, filters):
            problem = filter_policy_problem(f.value, max_keys, max_combinations)
            if problem:
                yield ctx.finding(subject, f"the FilterPolicy of {sub.describe()} {problem}", severity="info",
                                  at=sub.at("FilterPolicy"), related=[topic] if topic else [], check="filter-policy",
                                  cases=(f,))
    for edge in graph.edges(kinds.DLQ_OF):
        if edge.role != kinds.SNS_SUBSCRIPTION_REDRIVE:
            continue
        dlq, topic, holder = edge.source, edge.target, edge.via
        if dlq.type != QUEUE:
            yield ctx.finding(holder, f"the dead-letter target of subscription {holder.describe()} is "
                                      f"{dlq.describe()}, a {dlq.type}: SNS subscription dead-letter queues must be "
                                      "SQS queues", at="RedrivePolicy", related=[dlq], check="dlq-type",
                              cases=(edge,))
            continue
        coverage = ctx.coverage(edge, delivery_providers(graph, dlq, principal=SNS, action="sqs:SendMessage",
                                                         source=topic))
        if coverage.unknown:
            ctx.not_evaluated(holder, f"whether the policy of dead-letter queue {dlq.describe()} lets topic "
                                      f"{topic.describe()} send to it: {coverage.unknown}")
        elif not coverage.everywhere:
            yield ctx.finding(holder, f"the dead-letter queue {dlq.describe()} of subscription {holder.describe()} "
                                      f"has no queue policy letting {SNS} send from topic {topic.describe()}: "
                                      "undeliverable messages cannot be moved there and are lost; add an "
                                      "AWS::SQS::QueuePolicy for it", at="RedrivePolicy", related=[dlq, topic],
                              check="dlq-policy", cases=coverage.cases)
