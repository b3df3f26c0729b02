"""SQS002 sqs-dlq-depth-alarm."""
from linter.model import (ALARM, QUEUE, TOPIC, Case, Value, as_bool, as_list, as_number, as_text, is_ref, kinds,
                          rule, scenario_of)

DEPTH_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
AGE_METRIC = "ApproximateAgeOfOldestMessage"
SENT_METRIC = "NumberOfMessagesSent"
REDRIVEN = (kinds.REDRIVE, kinds.SNS_SUBSCRIPTION_REDRIVE)
SQS_METRIC_INTERVAL = 60   # SQS publishes its queue metrics once a minute


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
    `MessageRetentionPeriod`, or the messages expire before it fires. Whether one message crosses the
    threshold depends on `Statistic` and `Period` too: SQS publishes the metric every minute, so one
    message reads 1 as `Maximum` or `Average` but about 5 as `Sum` over 300 s. An alarm on
    `NumberOfMessagesSent` is reported too: messages moved by a redrive policy are not counted in that
    metric, so it never fires for them; so is an alarm whose `QueueName` dimension is `!Ref Queue`, which
    is the queue's URL, not its name. An alarm that exists only under a condition is reported with the
    scenario it is missing in (and, when the parameters' defaults switch it off, with that default). An
    SNS topic used as a Lambda DLQ has no depth metric at all, and a DLQ that a Lambda function consumes
    (an automatic redrive) does not fill up unnoticed: both are reported as info.

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
    for edge in graph.edges(kinds.DLQ_OF):
        uses.setdefault(edge.source.logical_id, []).append(edge)
    unresolved = [d for d in graph.dangling_links(kinds.ALARMS_ON) if not d.external and may_name_a_queue(d)]

    for edges in uses.values():
        dlq = edges[0].source
        use = edges[0].use_text()
        related = [e.via or e.target for e in edges]
        if dlq.type == TOPIC:
            yield ctx.finding(dlq, f"SNS topic {dlq.describe()} is the {use}; a topic has no backlog to alarm on, "
                                   "so failed events pass unnoticed unless a queue subscribed to it is alarmed",
                              severity="info", related=related, check="topic")
        elif dlq.type == QUEUE:
            yield from judge_queue(graph, ctx, dlq, edges, use, related, depth_metrics, unresolved)


def judge_queue(graph, ctx, dlq, uses, use, related, depth_metrics, unresolved):
    """The finding for one dead-letter queue: its alarms must cover every scenario it is used in."""
    good_metrics = depth_metrics if any(e.role in REDRIVEN for e in uses) else depth_metrics + (SENT_METRIC,)
    problems = []       # (alarm, check, text, scenario) of alarms that exist but do not do the job
    providers = []
    alarm_of = {}       # id of a provider → the alarm it stands for
    for link in graph.edges(kinds.ALARMS_ON, target=dlq):
        alarm = link.source
        if link.role not in good_metrics:
            if link.role == SENT_METRIC:
                problems.append((alarm, "sent-metric", f"alarm {alarm.logical_id} watches NumberOfMessagesSent, which "
                                 "does not count messages moved by a redrive policy, so it never fires for them", link.assumptions))
            continue
        if names_queue_by_url(alarm, link):
            problems.append((alarm, "dimension-url", f"alarm {alarm.logical_id} sets its QueueName dimension with "
                             "Ref, which gives the queue URL rather than its name, so the alarm watches a metric "
                             "that does not exist (use !GetAtt <Queue>.QueueName)", link.assumptions))
            continue
        verdicts = judge_alarm(ctx, alarm, link)
        for text, scenario in verdicts:
            if text:
                problems.append((alarm, "alarm-shape", text, scenario))
        if verdicts:
            fires = Value(Case(not text, "", scenario) for text, scenario in verdicts)
            alarm_of[id(fires)] = alarm
            providers.append((fires, lambda c: c.value))
        if not ctx.all_judged(link):
            providers.append((link, lambda _link: "its alarms could not all be judged"))

    coverage = ctx.coverage(uses, providers)
    if coverage.everywhere:
        return
    if coverage.unknown:
        ctx.not_evaluated(dlq, f"an alarm may watch this queue: {coverage.unknown}")
        return
    consumers = [e.target for e in graph.edges(kinds.CONSUMES, source=dlq)]
    consumed = bool(consumers) and ctx.coverage(uses, graph.edges(kinds.CONSUMES, source=dlq)).everywhere
    severity = "info" if consumed else None
    after = (f"; function {consumers[0].describe()} consumes it (an automatic redrive), so failed messages do "
             "not pile up unnoticed") if consumed else ""

    gap = coverage.uncovered or ()
    problem = next((p for p in problems if scenario_of(Case(None, "", gap), Case(None, "", p[3])) is not None), None)
    if problem is not None:
        alarm, check, text, scenario = problem
        yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use}, but {text}{after}", related=[alarm] + related,
                          check=check, severity=severity, cases=(Case(None, "", scenario),))
        return
    if coverage.covering:
        alarm = alarm_of[id(coverage.covering[0])]
        yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use}, but its alarm {alarm.logical_id} exists only "
                               f"under a condition{after}", related=[alarm] + related, check="conditional",
                          severity=severity, cases=coverage.cases)
        return
    if unresolved:
        ctx.not_evaluated(dlq, f"an alarm may watch this queue: {unresolved[0].reason}")
        return
    if getattr(graph, "unseen", None):
        ctx.not_evaluated(dlq, f"an alarm may watch this queue: {graph.unseen}")
        return
    switched_off = [a for a in graph.switched_off(ALARM) if watches(graph, a, dlq)]
    if switched_off:
        alarm = switched_off[0]
        yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use}, but no CloudWatch alarm watches its depth: "
                               f"alarm {alarm.logical_id} exists only when condition "
                               f"{alarm.condition} is true, and {graph.why_off(alarm.condition)}{after}",
                          related=[alarm] + related, check="switched-off", severity=severity)
        return
    yield ctx.finding(dlq, f"queue {dlq.describe()} is the {use} but no CloudWatch alarm watches its depth "
                           "(ApproximateNumberOfMessagesVisible)" + (after or "; failed messages pile up unnoticed "
                                                                      "until they expire"),
                      related=related, check="missing", severity=severity)


def metric_path(link, name: str) -> str:
    """Where an alarm sets a metric field: on the alarm, or in the ``Metrics`` entry the link came from."""
    if not link.at.startswith("Metrics."):
        return {"Stat": "Statistic"}.get(name, name)
    inside = {"Namespace": "Metric.Namespace", "Dimensions": "Metric.Dimensions"}.get(name, name)
    return f"{link.at}.MetricStat.{inside}"


def names_queue_by_url(alarm, link) -> bool:
    """Whether the alarm's QueueName dimension is ``Ref`` of the queue (its URL) instead of its name."""
    return any(dim.get("Name").any(lambda name: name == "QueueName", unknown=False)
               and any(is_ref(c, link.target.logical_id) for c in dim.get("Value"))
               for dim in alarm.entries(metric_path(link, "Dimensions")))


def watches(graph, alarm, queue) -> bool:
    """Whether an alarm (one the parameters switched off) has a QueueName dimension naming ``queue``."""
    paths = ["Dimensions"] + [f"{m.path}.MetricStat.Metric.Dimensions" for m in alarm.entries("Metrics")]
    return any(graph.refers_to(dim.get("Value"), queue) for path in paths for dim in alarm.entries(path))


def may_name_a_queue(link) -> bool:
    """Whether an alarm dimension that could not be followed may be the QueueName of a queue here.

    Only a ``QueueName`` dimension can name a queue; an unresolved ``FunctionName`` or ``TopicName``
    dimension says nothing about whether a dead-letter queue is alarmed.
    """
    if link.at != "Dimensions" and not link.at.startswith("Metrics."):
        return True
    path = "Dimensions" if link.at == "Dimensions" else f"{link.at}.MetricStat.Metric.Dimensions"
    if not link.holder.get(path, default=False).is_known:
        return True
    return any(dim.get("Name").any(lambda name: name in ("QueueName", None), unknown=True)
               for dim in link.holder.entries(path))


def judge_alarm(ctx, alarm, link):
    """(problem text, scenario) per judged scenario of the alarm; the text is '' where it does its job."""
    metric = link.role
    values = (alarm.get(metric_path(link, "Namespace")), alarm.get("ComparisonOperator"), alarm.get("Threshold"),
              alarm.get(metric_path(link, "Stat")), alarm.get(metric_path(link, "Period")),
              alarm.get("EvaluationPeriods"), alarm.get("DatapointsToAlarm"), alarm.get("AlarmActions"),
              alarm.get("ActionsEnabled"), link.target.get("MessageRetentionPeriod"))
    convert = (None, as_text, as_number, as_text, as_number, as_number, as_number, as_list, as_bool, as_number)
    verdicts = []
    for combo in ctx.cases(link, *values, convert=convert):
        verdicts.append((alarm_problem(alarm, metric, *combo), scenario_of(*combo, link)))
    return verdicts


def alarm_problem(alarm, metric, namespace, operator, threshold, stat, period, evaluations, datapoints, actions,
                  enabled, retention) -> str:
    """What keeps the alarm from telling someone about the first message in this scenario ('' if nothing)."""
    name = alarm.logical_id
    if namespace.value not in (None, "AWS/SQS"):
        return f"alarm {name} uses namespace {namespace.show()} instead of AWS/SQS"
    seconds = period.value or SQS_METRIC_INTERVAL
    needed = datapoints.value or evaluations.value or 1
    shape = (f"{operator.cite('ComparisonOperator')}; {threshold.cite('Threshold')}; "
             f"{stat.cite('Statistic') if stat.value else 'an extended statistic'}; {period.cite('Period', 's')}")
    if metric == AGE_METRIC:
        if operator.value not in ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold"):
            return f"alarm {name} ({shape}) does not fire on the first message"
        if threshold.value is not None and threshold.value >= retention.value:
            return (f"alarm {name} fires only on messages older than its threshold ({threshold.cite('Threshold', 's')}),"
                    f" but the queue keeps messages only {retention.cite('MessageRetentionPeriod', 's')}: they "
                    "expire first")
    else:
        if threshold.value is None:
            return f"alarm {name} has no static Threshold to judge"
        reading = one_message_reading(stat.value, seconds)
        fires = ((operator.value == "GreaterThanThreshold" and reading > threshold.value)
                 or (operator.value == "GreaterThanOrEqualToThreshold" and reading >= threshold.value))
        if not fires:
            return (f"alarm {name} ({shape}) does not fire on the first message: one message reads "
                    f"{reading:g} as {stat.value or 'that statistic'} over {seconds:g} s")
    if seconds * needed >= retention.value:
        return (f"alarm {name} needs {needed:g} breaching periods of {seconds:g} s ({evaluations.cite('EvaluationPeriods')}"
                f"; {datapoints.cite('DatapointsToAlarm') if datapoints.value else 'every period'}), longer than the "
                f"queue keeps a message ({retention.cite('MessageRetentionPeriod', 's')}): it never fires")
    if enabled.value is False:
        return f"alarm {name} has ActionsEnabled {enabled.show()}"
    if not actions.value:
        return f"alarm {name} has no AlarmActions, so nobody is told"
    return ""


def one_message_reading(statistic, period) -> float:
    """The metric value one message in the queue gives under a statistic: a sample of 1 every minute."""
    if statistic in ("Sum", "SampleCount"):
        return max(1, period // SQS_METRIC_INTERVAL)
    return 1
