"""EVB001 eventbridge-target-dlq."""
from linter.model import QUEUE, delivery_providers, kinds, presence, rule

EVENTS = "events.amazonaws.com"


@rule("EVB001", "eventbridge-target-dlq", severity="warning", tags=("reliability", "eventbridge", "dlq"),
      catalogue="R9")
def target_dlq(graph, ctx):
    """Every EventBridge rule target and schedule should have a dead-letter queue that EventBridge may write to.

    **What it checks.**

    - A target of an `AWS::Events::Rule` (also SAM `Schedule`, `EventBridgeRule` and `CloudWatchEvent`
      events) or an `AWS::Scheduler::Schedule` (also SAM `ScheduleV2`) without
      `DeadLetterConfig.Arn` is a **warning**. The message cites the retry policy in force
      (`RetryPolicy`, 185 attempts and 86400 s when absent). A dead-letter ARN known only at deploy time
      counts as set.
    - A rule target's dead-letter queue whose `AWS::SQS::QueuePolicy` does not let `events.amazonaws.com`
      `sqs:SendMessage` (from this rule, when the statement has an `aws:SourceArn` condition) in every
      scenario is an **error**. SAM `DeadLetterConfig: {Type: SQS}` writes that policy itself. Schedules
      send to their dead-letter queue with their execution role, so no queue policy is needed there.
    - A FIFO dead-letter queue is rejected by EventBridge: SQS003 reports it.

    **Why it matters.** When a target keeps failing (throttled, deleted, missing permissions),
    EventBridge retries for up to 24 hours and then drops the event. Without a dead-letter queue
    nothing records the loss; with one EventBridge may not write to, the event is dropped as well.

    **Example (fails).**

        Nightly:
          Type: AWS::Events::Rule
          Properties:
            ScheduleExpression: cron(0 2 * * ? *)
            Targets:
              - Id: report
                Arn: !GetAtt ReportFunction.Arn

    **Fix.**

            Targets:
              - Id: report
                Arn: !GetAtt ReportFunction.Arn
                DeadLetterConfig:
                  Arn: !GetAtt NightlyDLQ.Arn
                RetryPolicy:
                  MaximumRetryAttempts: 4
                  MaximumEventAgeInSeconds: 3600

    and an `AWS::SQS::QueuePolicy` on `NightlyDLQ` allowing `events.amazonaws.com` `sqs:SendMessage`.
    """
    for events_rule in graph.of_type("AWS::Events::Rule"):
        for target in events_rule.entries("Targets"):
            dlq = presence(target.get("DeadLetterConfig.Arn", default=False))
            attempts = target.get("RetryPolicy.MaximumRetryAttempts")
            age = target.get("RetryPolicy.MaximumEventAgeInSeconds")
            for d, n, a in ctx.cases(target, dlq, attempts, age):
                if not d.value:
                    yield ctx.finding(target, f"target {target.index + 1} of rule {events_rule.describe()} has no "
                                              f"DeadLetterConfig: after {n.show('attempts')} or {a.show('s')} the "
                                              "event is dropped without a trace; add DeadLetterConfig.Arn pointing at "
                                              "a standard SQS queue", at=target.at, check="no-dlq", cases=(d, n, a))
    for schedule in graph.of_type("AWS::Scheduler::Schedule"):
        dlq = presence(schedule.get("Target.DeadLetterConfig.Arn", default=False))
        for d, in ctx.cases(schedule, dlq):
            if not d.value:
                yield ctx.finding(schedule, f"schedule {schedule.describe()} has no Target.DeadLetterConfig: an "
                                            "invocation that keeps failing is dropped without a trace; add "
                                            "Target.DeadLetterConfig.Arn pointing at a standard SQS queue",
                                  at="Target", check="no-dlq", cases=(d,))
    for edge in graph.edges(kinds.DLQ_OF, source_type=QUEUE):
        if edge.role != kinds.EVENTBRIDGE_TARGET_DLQ:
            continue
        queue, events_rule = edge.source, edge.target
        coverage = ctx.coverage(edge, delivery_providers(graph, queue, principal=EVENTS, action="sqs:SendMessage",
                                                         source=events_rule))
        if coverage.unknown:
            ctx.not_evaluated(edge, f"whether the policy of queue {queue.describe()} lets rule "
                                    f"{events_rule.describe()} send to it: {coverage.unknown}")
        elif not coverage.everywhere:
            yield ctx.finding(edge, f"queue {queue.describe()} is the {edge.use_text()}, but no queue policy lets "
                                    f"{EVENTS} sqs:SendMessage to it: failed events cannot be moved there and are "
                                    f"lost; add an AWS::SQS::QueuePolicy allowing {EVENTS} with aws:SourceArn set "
                                    "to the rule", severity="error", related=[queue], check="dlq-policy",
                              cases=coverage.cases)
    for loose in graph.dangling_links(kinds.DLQ_OF):
        if loose.holder.type == "AWS::Events::Rule":
            ctx.not_evaluated(loose.holder, f"the dead-letter queue at {loose.at} cannot be followed, so its policy "
                                            f"cannot be checked: {loose.reason}")
