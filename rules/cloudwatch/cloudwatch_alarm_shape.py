"""CWA001 cloudwatch-alarm-shape."""
from linter.model import ALARM, as_items, as_number, as_text, kinds, referrers, rule

HIGH_RESOLUTION_PERIODS = (10, 20, 30)
MAX_DIMENSIONS = 30
ONE_HOUR, ONE_DAY, SEVEN_DAYS = 3600, 86400, 604800
# Metrics that count failures: no data means nothing failed.
ERROR_METRICS = ("Errors", "5XXError", "4XXError", "ExecutionsFailed", "ExecutionsTimedOut", "Throttles",
                 "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "DeadLetterErrors", "FailedInvocations",
                 "NumberOfNotificationsFailed")


@rule("CWA001", "cloudwatch-alarm-shape", severity="error", tags=("correctness", "observability", "cloudwatch"),
      catalogue="R90")
def cloudwatch_alarm_shape(graph, ctx):
    """CloudWatch alarms whose period, evaluation window or dimensions CloudWatch rejects, and alarms that help nobody.

    **What it checks.** Every `AWS::CloudWatch::Alarm`, each scenario of parameters, mappings and
    conditions on its own (the period of a metric-math alarm is read from each `Metrics[].MetricStat`):

    - **error** (`period`): a `Period` other than 10, 20 or 30 seconds or a multiple of 60.
    - **error** (`evaluation-range`): `Period` × `EvaluationPeriods` above one day (86400 s) for periods
      under an hour, or above seven days (604800 s) for longer periods.
    - **error** (`datapoints`): `DatapointsToAlarm` greater than `EvaluationPeriods`.
    - **error** (`dimensions`): more than 30 `Dimensions` on one metric.
    - **info** (`no-actions`): no `AlarmActions` and nothing in the template that uses the alarm (a
      deployment preference, a composite alarm, a health check): it changes state and notifies nobody.
    - **info** (`high-resolution`): a period under 60 s on an `AWS/` namespace metric, which AWS publishes
      at one-minute (or five-minute) resolution: the alarm lacks data points and sits in
      INSUFFICIENT_DATA.
    - **info** (`missing-data`): `TreatMissingData` left at `missing` (the CloudWatch default) on an alarm
      that counts failures (`Errors`, `5XXError`, `ExecutionsFailed` …) or watches a dead-letter queue:
      no data there means nothing failed, so `notBreaching` says it better.

    A value that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*. Whether a custom metric is published at high resolution cannot be seen in the template.

    **Why it matters.** CloudWatch rejects an alarm with an invalid period or window, and the stack
    fails. An alarm with no action or that never has enough data gives a false sense of monitoring.

    **Example (fails).**

        QueueDepthAlarm:
          Type: AWS::CloudWatch::Alarm
          Properties:
            Namespace: AWS/SQS
            MetricName: ApproximateNumberOfMessagesVisible
            Statistic: Maximum
            Period: 90
            EvaluationPeriods: 2
            DatapointsToAlarm: 3
            Threshold: 100
            ComparisonOperator: GreaterThanThreshold

    **Fix.** Use a period of 60 s or a multiple, at most `EvaluationPeriods` data points, and an action:

            Period: 60
            EvaluationPeriods: 3
            DatapointsToAlarm: 3
            AlarmActions: [!Ref OpsTopic]

    See https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html.
    """
    dead_letter_queues = {e.source.logical_id for e in graph.edges(kinds.DLQ_OF)}
    for alarm in graph.of_type(ALARM):
        periods = _periods(alarm, ctx)
        evaluation = alarm.get("EvaluationPeriods")
        for at, period in periods:
            for (p,) in ctx.cases(alarm, period, convert=as_number):
                if p.value is not None and not (p.value in HIGH_RESOLUTION_PERIODS or (p.value > 0 and p.value % 60 == 0)):
                    yield ctx.finding(alarm, f"alarm {alarm.describe()} has {p.cite('Period', 's')}: CloudWatch "
                                             "accepts only 10, 20, 30 or a multiple of 60 seconds",
                                      check="period", at=at, cases=(p,))
            for p, e in ctx.cases(alarm, period, evaluation, convert=as_number):
                if p.value is None or e.value is None:
                    continue
                limit = ONE_DAY if p.value < ONE_HOUR else SEVEN_DAYS
                if p.value * e.value > limit:
                    yield ctx.finding(alarm, f"alarm {alarm.describe()} evaluates {e.cite('EvaluationPeriods')} x "
                                             f"{p.cite('Period', 's')} = {p.value * e.value:g} s, more than the "
                                             f"{limit} s CloudWatch allows for this period", check="evaluation-range",
                                      at="EvaluationPeriods" if alarm.has("EvaluationPeriods") else at, cases=(p, e))
        if alarm.has("DatapointsToAlarm"):
            for d, e in ctx.cases(alarm, alarm.get("DatapointsToAlarm"), evaluation, convert=as_number):
                if d.value is not None and e.value is not None and d.value > e.value:
                    yield ctx.finding(alarm, f"alarm {alarm.describe()} needs {d.cite('DatapointsToAlarm')} out of "
                                             f"{e.cite('EvaluationPeriods')}: DatapointsToAlarm cannot exceed "
                                             "EvaluationPeriods, and CloudWatch rejects the alarm",
                                      check="datapoints", at="DatapointsToAlarm", cases=(d, e))
        yield from _dimensions(alarm, ctx)
        yield from _advice(alarm, periods, dead_letter_queues, ctx)


def _periods(alarm, ctx):
    """(where, Period value) of the alarm, or of each metric of a metric-math alarm."""
    if not alarm.has("Metrics"):
        return [("Period" if alarm.has("Period") else None, alarm.get("Period", default=False))]
    out = []
    for (metrics,) in ctx.cases(alarm, alarm.get("Metrics", default=False), convert=as_items):
        for i in range(len(metrics.value or ())):
            path = f"Metrics.{i}.MetricStat.Period"
            if alarm.has(path):
                out.append((path, alarm.get(path, default=False)))
        break
    return out


def _dimensions(alarm, ctx):
    paths = ["Dimensions"] if alarm.has("Dimensions") else []
    if alarm.has("Metrics"):
        for (metrics,) in ctx.cases(alarm, alarm.get("Metrics", default=False), convert=as_items):
            paths += [f"Metrics.{i}.MetricStat.Metric.Dimensions" for i in range(len(metrics.value or ()))
                      if alarm.has(f"Metrics.{i}.MetricStat.Metric.Dimensions")]
            break
    for path in paths:
        for (dims,) in ctx.cases(alarm, alarm.get(path, default=False), convert=as_items):
            if len(dims.value or ()) > MAX_DIMENSIONS:
                yield ctx.finding(alarm, f"alarm {alarm.describe()} names {len(dims.value)} dimensions in {path}: "
                                         f"a metric has at most {MAX_DIMENSIONS}, and CloudWatch rejects the alarm",
                                  check="dimensions", at=path, cases=(dims,))


def _advice(alarm, periods, dead_letter_queues, ctx):
    if not alarm.has("AlarmActions") and not referrers(alarm.graph, alarm):
        yield ctx.finding(alarm, f"alarm {alarm.describe()} has no AlarmActions: it changes state and notifies "
                                 "nobody; add an SNS topic or another action", severity="info", check="no-actions")
    namespace = alarm.get("Namespace", default=False)
    if alarm.has("Namespace") and not alarm.has("Metrics"):
        for at, period in periods:
            for ns, p in ctx.cases(alarm, namespace, period, convert=_scalar):
                if str(ns.value).startswith("AWS/") and p.value in HIGH_RESOLUTION_PERIODS:
                    yield ctx.finding(alarm, f"alarm {alarm.describe()} uses {p.cite('Period', 's')} on the AWS "
                                             f"metric namespace {ns.value}, published once a minute or less often: the "
                                             "alarm lacks data points and sits in INSUFFICIENT_DATA; use 60 s or more",
                                      severity="info", check="high-resolution", at=at, cases=(ns, p))
    metric = alarm.get("MetricName", default=False).single
    watched_dlq = [e.target for e in alarm.graph.edges(kinds.ALARMS_ON, source=alarm)
                   if e.target.logical_id in dead_letter_queues]
    if metric in ERROR_METRICS or watched_dlq:
        what = f"the failure count {metric}" if metric in ERROR_METRICS else \
            f"the dead-letter queue {watched_dlq[0].describe()}"
        for (treat,) in ctx.cases(alarm, alarm.get("TreatMissingData"), convert=as_text):
            if treat.value == "missing":
                yield ctx.finding(alarm, f"alarm {alarm.describe()} watches {what} with {treat.cite('TreatMissingData')}: "
                                         "no data there means nothing failed, yet the alarm goes to "
                                         "INSUFFICIENT_DATA; set TreatMissingData: notBreaching",
                                  severity="info", check="missing-data",
                                  at="TreatMissingData" if alarm.has("TreatMissingData") else None, cases=(treat,))


def _scalar(case):
    number = as_number(case)
    return number if number is not None else as_text(case)
