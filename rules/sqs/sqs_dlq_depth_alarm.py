"""SQS002 sqs-dlq-depth-alarm."""
from linter.model import (QUEUE, TOPIC, Case, ResourceRef, as_bool, as_number, combinations, rule, scenario_text,
                          uncovered_scenario)

DEPTH_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
SENT_METRIC = "NumberOfMessagesSent"

ROLE_TEXT = {
    "redrive": "redrive target of queue {}",
    "lambda-dlq": "dead-letter queue of function {}",
    "on-failure": "on-failure destination of function {}",
    "esm-on-failure": "on-failure destination of the event source mapping of {}",
    "eventbridge-target-dlq": "dead-letter queue of the targets of rule {}",
    "scheduler-target-dlq": "dead-letter queue of schedule {}",
    "event-bus-dlq": "dead-letter queue of event bus {}",
    "sns-subscription-redrive": "redrive target of a subscription to topic {}",
}


def describe_use(edge) -> str:
    return ROLE_TEXT.get(edge.role, "dead-letter target of {}").format(edge.target.describe())


@rule("SQS002", "sqs-dlq-depth-alarm", severity="warning", tags=("reliability", "observability", "sqs"),
      options={"metrics": list(DEPTH_METRICS)}, catalogue="R2")
def dlq_depth_alarm(graph, ctx):
    """Every dead-letter queue needs an alarm on its depth that fires on the first message.

    **What it checks.** Every SQS queue used as a dead-letter target — a redrive policy's
    `deadLetterTargetArn`, a Lambda `DeadLetterConfig` or SAM `DeadLetterQueue`, an async or event source
    mapping `OnFailure` destination, an EventBridge or Scheduler target's `DeadLetterConfig`, an event
    bus DLQ, an SNS subscription's redrive policy, including the queues SAM creates — must have an
    `AWS::CloudWatch::Alarm` on `AWS/SQS` `ApproximateNumberOfMessagesVisible` (or
    `ApproximateAgeOfOldestMessage`) whose `QueueName` dimension is that queue, whose threshold fires on
    the first message (`GreaterThanThreshold 0` or `GreaterThanOrEqualToThreshold 1`) and which has
    `AlarmActions`. An `ApproximateAgeOfOldestMessage` alarm must use a threshold below the queue's
    `MessageRetentionPeriod`, or the messages expire before it fires. An alarm on `NumberOfMessagesSent` is reported too: messages moved by a redrive policy
    are not counted in that metric, so it never fires for them; so is an alarm whose `QueueName` dimension
    is `!Ref Queue`, which is the queue's URL, not its name. An SNS topic used as a Lambda DLQ has no
    depth metric at all; that is reported as info.

    **Why it matters.** A dead-letter queue is where failed work goes quietly. Without an alarm nobody
    learns that messages are piling up until they expire (4 days by default) and are lost for good.

    **Example (fails).**

        OrdersDLQ:
          Type: AWS::SQS::Queue
        Orders:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
              maxReceiveCount: 5

    **Fix.** Alarm on the DLQ's visible messages and notify someone:

        OrdersDLQAlarm:
          Type: AWS::CloudWatch::Alarm
          Properties:
            Namespace: AWS/SQS
            MetricName: ApproximateNumberOfMessagesVisible
            Dimensions:
              - Name: QueueName
                Value: !GetAtt OrdersDLQ.QueueName
            Statistic: Maximum
            Period: 60
            EvaluationPeriods: 1
            Threshold: 0
            ComparisonOperator: GreaterThanThreshold
            AlarmActions: [!Ref OpsTopic]
    """
    depth_metrics = tuple(ctx.options["metrics"])
    uses: dict = {}
    for edge in graph.edges("dlq-of"):
        uses.setdefault(edge.source.logical_id, []).append(edge)
    unresolved_alarms = [d for d in graph.dangling_links("alarms-on") if not d.external and _may_name_queue(d)]

    for edges in uses.values():
        dlq = edges[0].source
        use = describe_use(edges[0])
        related = [e.via or e.target for e in edges]
        if dlq.type == TOPIC:
            yield ctx.finding(dlq, f"SNS topic {dlq.describe()} is the {use}; a topic has no backlog to alarm on, "
                                   "so failed events pass unnoticed unless a queue subscribed to it is alarmed",
                              severity="info", related=related, check="topic")
            continue
        if dlq.type != QUEUE:
            continue
        alarms = graph.edges("alarms-on", target=dlq)
        redriven = any(e.role in ("redrive", "sns-subscription-redrive") for e in edges)
        good_metrics = depth_metrics if redriven else depth_metrics + (SENT_METRIC,)
        problems = []
        fine = []   # the scenarios (assumptions) under which a good alarm exists
        for alarm_edge in alarms:
            metric = alarm_edge.role
            alarm = alarm_edge.source
            if metric not in good_metrics:
                if metric == SENT_METRIC:
                    problems.append((alarm, "sent-metric",
                                     f"alarm {alarm.logical_id} watches NumberOfMessagesSent, which does not count "
                                     "messages moved by a redrive policy, so it never fires for them"))
                continue
            if _names_queue_by_url(alarm, alarm_edge):
                problems.append((alarm, "dimension-url",
                                 f"alarm {alarm.logical_id} sets its QueueName dimension with Ref, which gives the "
                                 "queue URL rather than its name, so the alarm watches a metric that does not "
                                 "exist (use !GetAtt <Queue>.QueueName)"))
                continue
            verdict = _alarm_problem(ctx, alarm, alarm_edge, metric)
            if verdict is None:
                continue  # not evaluated; recorded
            if verdict == "":
                fine.append(alarm_edge.assumptions)
                continue
            problems.append((alarm, "alarm-shape", verdict))
        gap = _uncovered_scenario(edges, fine) if fine else None
        if fine and gap is None:
            continue
        if gap is not None:
            alarm = next(e.source for e in alarms if e.assumptions in fine)
            yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use}, but its alarm {alarm.logical_id} exists "
                                   "only under a condition", related=[alarm] + related, check="conditional",
                              cases=(Case(None, "", gap),))
            continue
        if problems:
            alarm, check, text = problems[0]
            yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use}, but {text}", related=[alarm] + related,
                              check=check)
            continue
        if alarms or unresolved_alarms:
            reason = (unresolved_alarms[0].reason if unresolved_alarms else "its alarms could not be judged")
            ctx.not_evaluated(dlq, f"an alarm may watch this queue: {reason}")
            continue
        yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use} but no CloudWatch alarm watches its depth "
                               "(ApproximateNumberOfMessagesVisible); failed messages pile up unnoticed until "
                               "they expire", related=related, check="missing")


def _uncovered_scenario(uses, covered: list) -> tuple | None:
    """A scenario in which the queue is used as a DLQ but none of the good alarms exists, or None.

    ``covered`` holds the assumptions of each good alarm (its Condition and the conditions of what it
    names). An alarm without assumptions covers every scenario.
    """
    return uncovered_scenario([use.assumptions for use in uses], covered)


def _dimension_path(at: str) -> str:
    return "Dimensions" if at == "Dimensions" else f"{at}.MetricStat.Metric.Dimensions"


def _names_queue_by_url(alarm, edge) -> bool:
    """Whether the alarm's QueueName dimension is ``Ref`` of the queue (its URL) instead of its name."""
    for case in alarm.get(_dimension_path(edge.at), default=False):
        for dim in case.value if case.known and isinstance(case.value, list) else []:
            value = dim.get("Value") if isinstance(dim, dict) else None
            if (isinstance(dim, dict) and dim.get("Name") == "QueueName" and isinstance(value, ResourceRef)
                    and value.logical_id == edge.target.logical_id and value.attribute is None):
                return True
    return False


def _may_name_queue(link) -> bool:
    """Whether an alarm dimension that could not be followed may be the QueueName of a queue here.

    Only a ``QueueName`` dimension can name a queue; an unresolved ``FunctionName`` or ``TopicName``
    dimension says nothing about whether a dead-letter queue is alarmed.
    """
    alarm = link.holder
    if link.at != "Dimensions" and not link.at.startswith("Metrics."):
        return True
    path = _dimension_path(link.at)
    for case in alarm.get(path, default=False):
        if not case.known or not isinstance(case.value, list):
            return True
        for dim in case.value:
            if not isinstance(dim, dict) or not isinstance(dim.get("Name"), str) or dim["Name"] == "QueueName":
                return True
    return False


def _alarm_problem(ctx, alarm, edge, metric):
    """'' when the alarm fires on the first message and notifies; a problem text; None when unknown."""
    prefix = f"{edge.at}.MetricStat." if edge.at.startswith("Metrics.") else ""
    namespace = alarm.get(f"{prefix}Metric.Namespace" if prefix else "Namespace")
    operator = alarm.get("ComparisonOperator")
    threshold = alarm.get("Threshold")
    actions = alarm.get("AlarmActions")
    enabled = alarm.get("ActionsEnabled")
    retention = edge.target.get("MessageRetentionPeriod")
    verdicts = []
    total = len(list(combinations(namespace, operator, threshold, actions, enabled, retention)))
    combos = list(ctx.cases(alarm, namespace, operator, threshold, actions, enabled, retention))
    if not combos:
        return None
    for ns, op, th, acts, on, kept in combos:
        if ns.value not in (None, "AWS/SQS"):
            verdicts.append((f"alarm {alarm.logical_id} uses namespace {ns.show()} instead of AWS/SQS", (ns,)))
            continue
        limit = as_number(th)
        if limit is None and metric != "ApproximateAgeOfOldestMessage":
            ctx.not_evaluated(alarm, f"threshold {th.show()} is not a number")
            return None
        fires = _fires_on_first(op.value, limit, metric)
        if not fires:
            verdicts.append((f"alarm {alarm.logical_id} ({op.cite('ComparisonOperator')}; {th.cite('Threshold')}) "
                             "does not fire on the first message", (op, th)))
            continue
        kept_seconds = as_number(kept)
        if metric == "ApproximateAgeOfOldestMessage" and limit is not None and kept_seconds is not None \
                and limit >= kept_seconds:
            verdicts.append((f"alarm {alarm.logical_id} fires only on messages older than its threshold "
                             f"({th.cite('Threshold', 's')}), but the queue keeps messages only "
                             f"{kept.cite('MessageRetentionPeriod', 's')}: they expire first", (th, kept)))
            continue
        if as_bool(on) is False:
            verdicts.append((f"alarm {alarm.logical_id} has ActionsEnabled {on.show()}", (on,)))
            continue
        if not isinstance(acts.value, list) or not acts.value:
            verdicts.append((f"alarm {alarm.logical_id} has no AlarmActions, so nobody is told", (acts,)))
            continue
    if not verdicts:
        # Fine in every scenario we could judge; a scenario we could not judge leaves it open.
        return "" if len(combos) == total else None
    text, cases = verdicts[0]
    when = scenario_text(cases)
    return f"{text} ({when})" if when else text


def _fires_on_first(operator, threshold, metric) -> bool:
    if metric == "ApproximateAgeOfOldestMessage":
        return operator in ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold")
    if operator == "GreaterThanThreshold":
        return threshold < 1
    if operator == "GreaterThanOrEqualToThreshold":
        return threshold <= 1
    return False
