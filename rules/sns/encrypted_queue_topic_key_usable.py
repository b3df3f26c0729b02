"""SNS003 encrypted-queue-topic-key-usable."""
from linter.model import (ALARM, QUEUE, TOPIC, alarm_action_targets, kinds, key_allows, kms_key_of, rule,
                          subscriptions)

SNS, S3, EVENTS, CLOUDWATCH = "sns.amazonaws.com", "s3.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"
EVENTBRIDGE_DLQ_ROLES = (kinds.EVENTBRIDGE_TARGET_DLQ, kinds.EVENT_BUS_DLQ)


def _producers(graph):
    """(target queue or topic, service principal, producing resource, link or None, how it delivers)."""
    subs, _loose = subscriptions(graph)
    for sub in subs:
        for edge in sub.targets:
            if edge.target.type == QUEUE:
                yield edge.target, SNS, sub.topic, edge, f"subscribed to topic {sub.topic.describe()}"
    for edge in graph.edges(kinds.NOTIFIES):
        if edge.target.type in (QUEUE, TOPIC):
            yield edge.target, S3, edge.source, edge, f"notified by bucket {edge.source.describe()}"
    for edge in graph.edges(kinds.INVOKES, source_type="AWS::Events::Rule"):
        if edge.target.type in (QUEUE, TOPIC):
            yield edge.target, EVENTS, edge.source, edge, f"a target of rule {edge.source.describe()}"
    for edge in graph.edges(kinds.DLQ_OF):
        if edge.source.type not in (QUEUE, TOPIC):
            continue
        if edge.role in EVENTBRIDGE_DLQ_ROLES:
            yield edge.source, EVENTS, edge.target, edge, f"the {edge.use_text()}"
        elif edge.role == kinds.SNS_SUBSCRIPTION_REDRIVE:
            yield edge.source, SNS, edge.target, edge, f"the {edge.use_text()}"
    for alarm in graph.of_type(ALARM):
        for target, prop in alarm_action_targets(graph, alarm):
            if target.type == TOPIC:
                yield target, CLOUDWATCH, alarm, None, f"in the {prop} of alarm {alarm.describe()}"


@rule("SNS003", "encrypted-queue-topic-key-usable", severity="error", tags=("reliability", "security", "sqs", "sns", "kms"),
      catalogue="R17")
def key_usable(graph, ctx):
    """An encrypted queue or topic that an AWS service delivers to must use a KMS key that service may use.

    **What it checks.** For every queue or topic of the template that an AWS service writes to — SNS
    (a subscribed queue, a subscription's redrive queue), S3 (event notifications), EventBridge (rule
    targets, target and event bus dead-letter queues) and CloudWatch (alarm actions to a topic) — it
    reads `KmsMasterKeyId`:

    - the AWS managed key (`alias/aws/sqs`, `alias/aws/sns`) is an **error**: its key policy cannot be
      changed and does not let other services use it;
    - a customer managed `AWS::KMS::Key` of the template (directly or through an `AWS::KMS::Alias`)
      whose `KeyPolicy` does not allow the service principal `kms:GenerateDataKey*` and `kms:Decrypt` is
      an **error**; statements conditioned on `aws:SourceArn`/`aws:SourceAccount` are decided for the
      producer, other conditions make it not evaluated;
    - a key outside the template (an imported or literal key ARN) is not evaluated;
    - no `KmsMasterKeyId`: queues use SSE-SQS, which works; a topic without one is **info** (SNS does not
      encrypt at rest by default).

    Producers that write with a role of yours (Lambda dead-letter queues and destinations, Scheduler)
    need `kms:GenerateDataKey` in that role instead, which this rule does not check.

    **Why it matters.** The service cannot encrypt the message, so the delivery fails, silently: the
    alarm notification, the S3 event or the SNS message is lost and nothing in the stack reports it.

    **Example (fails).**

        Alerts:
          Type: AWS::SNS::Topic
          Properties:
            KmsMasterKeyId: alias/aws/sns
        HighErrors:
          Type: AWS::CloudWatch::Alarm
          Properties:
            AlarmActions: [!Ref Alerts]

    **Fix.** Use a customer managed key whose policy lets the service use it:

        AlertsKey:
          Type: AWS::KMS::Key
          Properties:
            KeyPolicy:
              Statement:
                - Effect: Allow
                  Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
                  Action: kms:*
                  Resource: "*"
                - Effect: Allow
                  Principal: {Service: cloudwatch.amazonaws.com}
                  Action: [kms:GenerateDataKey*, kms:Decrypt]
                  Resource: "*"
    """
    for target, principal, producer, link, how in _producers(graph):
        kind_of = "queue" if target.type == QUEUE else "topic"
        subject = link if link is not None else target
        at = "KmsMasterKeyId" if target.has("KmsMasterKeyId") else None
        for key_case, in ctx.cases(subject, target.get("KmsMasterKeyId", default=False)):
            kind, key, info = kms_key_of(graph, key_case)
            if kind == "aws-managed":
                yield ctx.finding(target, f"{kind_of} {target.describe()} is encrypted with the AWS managed key "
                                          f"{key_case.show()} and is {how}: {principal} cannot use an AWS managed key, "
                                          "so every delivery fails silently; use a customer managed key whose policy "
                                          f"allows {principal}", at=at, related=[producer], check=principal,
                                  cases=(key_case,) + ((link,) if link is not None else ()))
            elif kind == "customer":
                verdict = key_allows(graph, key, principal, source=producer)
                if verdict.unknown:
                    ctx.not_evaluated(subject, f"whether key {key.describe()} lets {principal} use it: {verdict.reason}")
                elif verdict.no:
                    yield ctx.finding(target, f"{kind_of} {target.describe()} is encrypted with key {key.describe()} "
                                              f"and is {how}, but the key policy does not let {principal} use it "
                                              f"({verdict.reason}): every delivery fails silently; allow {principal} "
                                              "kms:GenerateDataKey* and kms:Decrypt in the key policy",
                                      at=at, related=[producer, key], check=principal,
                                      cases=(key_case,) + ((link,) if link is not None else ()))
            elif kind == "unknown":
                ctx.not_evaluated(subject, f"the KMS key of {kind_of} {target.describe()} ({key_case.show()}): {info}")
    for topic in graph.of_type(TOPIC):
        for key_case, in ctx.cases(topic, topic.get("KmsMasterKeyId", default=False)):
            if key_case.value is None:
                yield ctx.finding(topic, f"topic {topic.describe()} has no KmsMasterKeyId: SNS does not encrypt "
                                         "messages at rest unless a key is set", severity="info",
                                  check="topic-unencrypted", cases=(key_case,))
