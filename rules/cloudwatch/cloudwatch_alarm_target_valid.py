"""CWA002 cloudwatch-alarm-target-valid."""
import difflib

from linter.model import ALARM, QUEUE, TOPIC, as_bool, as_number, as_text, display, reference_of, rule

INSTANCE = "AWS::EC2::Instance"
GROUP = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
METRIC_FILTER = "AWS::Logs::MetricFilter"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
# Per dimension name: the resource types it names and how a template writes the value CloudWatch
# expects (None: ``!Ref``; otherwise the ``!GetAtt`` attribute).
DIMENSION_FORMS = {
    "QueueName": {QUEUE: ("QueueName",)},
    "TopicName": {TOPIC: ("TopicName",)},
    "FunctionName": {"AWS::Lambda::Function": (None,), "AWS::Serverless::Function": (None,)},
    "TableName": {"AWS::DynamoDB::Table": (None,), "AWS::Serverless::SimpleTable": (None,)},
    "StreamName": {"AWS::Kinesis::Stream": (None,)},
    "DeliveryStreamName": {"AWS::KinesisFirehose::DeliveryStream": (None,)},
    "BucketName": {"AWS::S3::Bucket": (None,)},
    "DBInstanceIdentifier": {"AWS::RDS::DBInstance": (None,), "AWS::Neptune::DBInstance": (None,),
                             "AWS::DocDB::DBInstance": (None,)},
    "DBClusterIdentifier": {"AWS::RDS::DBCluster": (None,), "AWS::Neptune::DBCluster": (None,),
                            "AWS::DocDB::DBCluster": (None,)},
    "InstanceId": {INSTANCE: (None,)},
    "AutoScalingGroupName": {GROUP: (None,)},
    "LoadBalancer": {LOAD_BALANCER: ("LoadBalancerFullName",)},
    "TargetGroup": {TARGET_GROUP: ("TargetGroupFullName",)},
    "LoadBalancerName": {"AWS::ElasticLoadBalancing::LoadBalancer": (None,)},
    "StateMachineArn": {"AWS::StepFunctions::StateMachine": (None, "Arn"), "AWS::Serverless::StateMachine": (None, "Arn")},
    "CacheClusterId": {"AWS::ElastiCache::CacheCluster": (None,)},
}
# Resource types some dimension above names: a dimension given one of these for another dimension is a mix-up.
DIMENSION_TYPES = {t for forms in DIMENSION_FORMS.values() for t in forms}
# What a wrong reference gives instead of the name, where it is worth saying.
GIVES = {(QUEUE, None): "the queue URL", (TOPIC, None): "the topic ARN", (LOAD_BALANCER, None): "the load balancer ARN",
         (TARGET_GROUP, None): "the target group ARN"}
BASIC_MONITORING_PERIOD = 300
# EC2 metrics published every minute even with basic monitoring.
MINUTE_METRICS = ("StatusCheckFailed",)
# How the CloudWatch agent shows up in user data, cfn-init metadata or SSM documents (lower case, no dashes).
AGENT_WORDS = ("amazoncloudwatchagent", "cloudwatchagent")
SSM_ASSOCIATION = "AWS::SSM::Association"
AGENT_NAMESPACE = "CWAgent"
# How alike two metric names must be (difflib ratio) to call one a misspelling of the other.
NEAR_MISS = 0.85
# Metrics the CloudWatch agent publishes; AWS/EC2 has none of them.
AGENT_METRICS = ("MemoryUtilization", "mem_used_percent", "mem_used", "mem_available_percent", "disk_used_percent",
                 "swap_used_percent", "DiskSpaceUtilization")


@rule("CWA002", "cloudwatch-alarm-target-valid", severity="warning", tags=("correctness", "observability", "cloudwatch"),
      catalogue="R91")
def cloudwatch_alarm_target_valid(graph, ctx):
    """A CloudWatch alarm must watch a metric that exists: the right resource, a published metric, data often enough.

    **What it checks.** Every `AWS::CloudWatch::Alarm`, its own metric and each metric of `Metrics[]`,
    all *warnings*:

    - `dimension-reference`: a dimension whose value refers to a resource of the template of the wrong
      type (`QueueName` given a topic) or in the wrong form: `QueueName: !Ref Queue` is the queue URL
      and `TopicName: !Ref Topic` the topic ARN (use `!GetAtt …QueueName` / `…TopicName`),
      `FunctionName: !GetAtt Fn.Arn` an ARN, `LoadBalancer`/`TargetGroup` need `LoadBalancerFullName` /
      `TargetGroupFullName`. Literal names of resources outside the template are not judged.
    - `custom-metric`: a metric name in a custom namespace that misspells the name an
      `AWS::Logs::MetricFilter` of the template publishes there (same name in another case, or very
      similar); and agent metrics (`MemoryUtilization`, `mem_used_percent`, disk and swap) alarmed on in
      `AWS/EC2`, which EC2 never publishes. Other custom metrics are not evaluated: the application or
      an agent may publish them (embedded metric format, `PutMetricData`), which the template does not
      show.
    - `basic-monitoring`: an `AWS/EC2` metric for an instance (`InstanceId`) or Auto Scaling group
      (`AutoScalingGroupName`) of the template with a `Period` below 300 s while the instances have basic
      monitoring (`Monitoring` false on an instance and `LaunchTemplateData.Monitoring.Enabled` false in a
      launch template, both the EC2 default; launch configurations default to detailed monitoring).
      Status-check metrics (`StatusCheckFailed*`) come every minute anyway and are not concerned.

    - **info** (`agent`): an agent metric in a custom namespace (`CWAgent`) for an instance or group of
      the template whose user data and `AWS::CloudFormation::Init` metadata never mention the CloudWatch
      agent (and no `AWS::SSM::Association` of the template installs it): unless the image already runs
      the agent, nothing publishes the metric.

    Values known only at deploy time make the check not evaluated. Whether the image runs the
    CloudWatch agent cannot be told from the template.

    **Why it matters.** CloudWatch does not check that a metric exists: an alarm on a name nothing
    publishes stays in `INSUFFICIENT_DATA` (or `OK`) forever and never fires, which looks exactly like a
    healthy system. With basic monitoring EC2 sends data points every 5 minutes, so a 1-minute alarm
    sees gaps, flaps or reacts late.

    **Example (fails).**

        DlqAlarm:
          Type: AWS::CloudWatch::Alarm
          Properties:
            Namespace: AWS/SQS
            MetricName: ApproximateNumberOfMessagesVisible
            Dimensions:
              - Name: QueueName
                Value: !Ref DeadLetterQueue     # the queue URL, not its name

    **Fix.** `Value: !GetAtt DeadLetterQueue.QueueName`; publish custom metrics before alarming on
    them; enable detailed monitoring (`Monitoring: true`) or use a `Period` of 300 for EC2 metrics.
    """
    publishers = _metric_filter_names(graph)
    for alarm in graph.of_type(ALARM):
        metrics = [(alarm, "", alarm.get("Namespace", default=False), alarm.get("MetricName", default=False),
                    alarm.get("Period", default=False), "Dimensions")]
        for entry in alarm.entries("Metrics"):
            if entry.has("MetricStat"):
                metrics.append((entry, "MetricStat.Metric.", entry.get("MetricStat.Metric.Namespace", default=False),
                                entry.get("MetricStat.Metric.MetricName", default=False),
                                entry.get("MetricStat.Period", default=False),
                                f"{entry.at}.MetricStat.Metric.Dimensions"))
        for holder, prefix, namespace, name, period, dimensions_path in metrics:
            dimensions = alarm.entries(dimensions_path)
            yield from _dimensions(graph, ctx, alarm, dimensions)
            yield from _published(ctx, alarm, holder, prefix, namespace, name, publishers)
            yield from _monitoring(graph, ctx, alarm, holder, namespace, name, period, dimensions)
            yield from _agent(graph, ctx, alarm, holder, prefix, namespace, name, dimensions)


def _metric_filter_names(graph):
    """{namespace: {metric name: filter}} that the template's metric filters publish (every scenario's
    names at once); None when one of them cannot be read (then nothing is concluded from absence)."""
    published = {}
    for metric_filter in graph.of_type(METRIC_FILTER):
        entries = metric_filter.entries("MetricTransformations")
        if not entries and metric_filter.has("MetricTransformations"):
            return None
        for entry in entries:
            namespaces = [as_text(c) for c in entry.get("MetricNamespace", default=False)]
            names = [as_text(c) for c in entry.get("MetricName", default=False)]
            if None in namespaces or None in names:
                return None
            for namespace in namespaces:
                for name in names:
                    published.setdefault(namespace, {})[name] = metric_filter
    return published


def _dimensions(graph, ctx, alarm, dimensions):
    for dimension in dimensions:
        for dim_name, value in ctx.cases(dimension, dimension.get("Name", default=False),
                                         dimension.get("Value", default=False), convert=(as_text, None)):
            forms = DIMENSION_FORMS.get(dim_name.value) if dim_name.value is not None else None
            written = reference_of(value) if forms else None
            if written is None:
                continue
            target = graph.resources.get(written[0])
            if target is None or target.type.startswith("Custom::") or target.type == "AWS::CloudFormation::CustomResource":
                continue
            shown = f"!Ref {written[0]}" if written[1] is None else f"!GetAtt {written[0]}.{written[1]}"
            if target.type not in forms and target.type in DIMENSION_TYPES:
                yield ctx.finding(dimension, f"alarm {alarm.describe()} watches {dim_name.value} {shown}, but "
                                             f"{target.describe()} has type {target.type}, not {_kinds(forms)}: no "
                                             "metric has that dimension value and the alarm never fires",
                                  check="dimension-reference", at="Value", related=[target], cases=(dim_name, value))
                continue
            if target.type not in forms:
                continue  # a type no dimension here knows: another service's dimension of the same name
            expected = forms[target.type][0]
            if written[1] not in forms[target.type]:
                gives = GIVES.get((target.type, written[1])) or ("an ARN" if written[1] == "Arn" else f"not the "
                                                                  f"{dim_name.value} CloudWatch uses")
                fix = f"!Ref {written[0]}" if expected is None else f"!GetAtt {written[0]}.{expected}"
                yield ctx.finding(dimension, f"alarm {alarm.describe()} watches {dim_name.value} {shown}, which is "
                                             f"{gives}: no metric has that dimension value and the alarm never "
                                             f"fires; use {fix}",
                                  check="dimension-reference", at="Value", related=[target], cases=(dim_name, value))


def _kinds(forms) -> str:
    return " or ".join(t for t in forms)


def _published(ctx, alarm, holder, prefix, namespace, name, publishers):
    for ns, metric in ctx.cases(holder, namespace, name, convert=as_text):
        if ns.value is None or metric.value is None:
            continue  # a metric-math alarm, or a missing property CloudFormation rejects (CWA001's domain)
        if ns.value == "AWS/EC2" and metric.value in AGENT_METRICS:
            yield ctx.finding(holder, f"alarm {alarm.describe()} watches {metric.value} in AWS/EC2: EC2 does not "
                                      "publish memory, disk or swap metrics; the CloudWatch agent publishes them in "
                                      "its own namespace (CWAgent by default), so this alarm never fires",
                              check="custom-metric", at=f"{prefix}MetricName", cases=(ns, metric))
            continue
        if ns.value.startswith("AWS/") or ns.value == AGENT_NAMESPACE:
            continue  # AWS services and the CloudWatch agent publish these (the agent check looks further)
        if publishers is None:
            ctx.not_evaluated(holder, "a metric filter of the template cannot be read: whether it publishes "
                                      f"{ns.value}/{metric.value} is unknown")
        elif ns.value in publishers and metric.value not in publishers[ns.value]:
            near = _near_miss(metric.value, publishers[ns.value])
            if near is None:
                # The application may publish more metrics into the same namespace (embedded metric format).
                ctx.not_evaluated(holder, f"no metric filter of this template publishes {ns.value}/{metric.value}: "
                                          "the application may, which the template does not show")
                continue
            yield ctx.finding(holder, f"alarm {alarm.describe()} watches {metric.show()} in namespace {ns.show()}, "
                                      f"but the metric filter {publishers[ns.value][near].describe()} publishes "
                                      f"{near!r} there, a near miss: the alarm never fires; match the metric "
                                      "filter's MetricName",
                              check="custom-metric", at=f"{prefix}MetricName",
                              related=[publishers[ns.value][near]], cases=(ns, metric))
        elif ns.value not in publishers:
            ctx.not_evaluated(holder, f"no metric filter of this template publishes namespace {ns.value}: the "
                                      "application or an agent may, which the template does not show")


def _near_miss(name: str, published) -> str | None:
    """The published metric name the alarm's name most likely misspells (differs in case, or very similar)."""
    for candidate in published:
        if candidate.lower() == name.lower():
            return candidate
    close = difflib.get_close_matches(name, list(published), n=1, cutoff=NEAR_MISS)
    return close[0] if close else None


def _monitoring(graph, ctx, alarm, holder, namespace, name, period, dimensions):
    for dimension in dimensions:
        for ns, metric, seconds, dim_name, value in ctx.cases(holder, namespace, name, period,
                                                              dimension.get("Name", default=False),
                                                              dimension.get("Value", default=False),
                                                              convert=(as_text, as_text, as_number, as_text, None)):
            if ns.value != "AWS/EC2" or seconds.value is None or seconds.value >= BASIC_MONITORING_PERIOD:
                continue
            if metric.value is None or metric.value.startswith(MINUTE_METRICS):
                continue  # status checks come every minute whatever the monitoring
            if dim_name.value not in ("InstanceId", "AutoScalingGroupName"):
                continue
            target, _why = graph.follow(value)
            if target is None or target.type not in (INSTANCE, GROUP):
                continue
            for detailed, source in _detailed_monitoring(graph, ctx, holder, target):
                if not detailed.value:
                    yield ctx.finding(holder, f"alarm {alarm.describe()} evaluates AWS/EC2 data every "
                                              f"{seconds.show('s')} for {target.describe()}, whose instances have basic "
                                              f"monitoring ({detailed.cite(source)}): EC2 sends a data point only every "
                                              "5 minutes, so the alarm sees gaps and reacts late or flaps; enable "
                                              "detailed monitoring or use a Period of 300",
                                      check="basic-monitoring", at="Period" if holder is alarm else None,
                                      related=[target], cases=(seconds, detailed, value))


def _detailed_monitoring(graph, ctx, holder, target):
    """(case of "detailed monitoring on", the property it comes from) for an instance or an Auto Scaling group's
    launch template or launch configuration; not evaluated when the launch setup is not in the template."""
    for launch in _launch_setups(graph, ctx, holder, target):
        prop = {INSTANCE: "Monitoring", LAUNCH_TEMPLATE: "LaunchTemplateData.Monitoring.Enabled",
                LAUNCH_CONFIGURATION: "InstanceMonitoring"}[launch.type]
        for (on,) in ctx.cases(holder, launch.get(prop), convert=as_bool):
            yield on, f"{prop} of {launch.logical_id}"


def _launch_setups(graph, ctx, holder, target):
    """The resources that say how the instances behind an alarm dimension start: the instance itself, or an
    Auto Scaling group's launch template or launch configuration (not evaluated when not in the template)."""
    if target.type == INSTANCE:
        yield target
        return
    paths = [("LaunchTemplate.LaunchTemplateId", LAUNCH_TEMPLATE), ("LaunchTemplate.LaunchTemplateName", LAUNCH_TEMPLATE),
             ("MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId", LAUNCH_TEMPLATE),
             ("MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName", LAUNCH_TEMPLATE),
             ("LaunchConfigurationName", LAUNCH_CONFIGURATION)]
    for path, kind in paths:
        if not target.has(path):
            continue
        for (reference,) in ctx.cases(holder, target.get(path)):
            launch, why = graph.follow(reference)
            if launch is None or launch.type != kind:
                ctx.not_evaluated(holder, f"the launch setup of {target.describe()} is not in this template: "
                                          f"{why or reference.show()}")
                continue
            yield launch
        return


def _agent(graph, ctx, alarm, holder, prefix, namespace, name, dimensions):
    """Info: agent metrics for instances of the template whose user data and metadata never mention the agent."""
    installers = [r for r in graph.of_type(SSM_ASSOCIATION)
                  if r.get("Name", default=False).any(lambda v: "cloudwatch" in str(v).lower(), unknown=True)]
    for dimension in dimensions:
        for ns, metric, dim_name, value in ctx.cases(holder, namespace, name, dimension.get("Name", default=False),
                                                     dimension.get("Value", default=False),
                                                     convert=(as_text, as_text, as_text, None)):
            if ns.value is None or ns.value.startswith("AWS/") or metric.value not in AGENT_METRICS or installers:
                continue
            if dim_name.value not in ("InstanceId", "AutoScalingGroupName"):
                continue
            target, _why = graph.follow(value)
            if target is None or target.type not in (INSTANCE, GROUP):
                continue
            for launch in _launch_setups(graph, ctx, holder, target):
                user_data = "LaunchTemplateData.UserData" if launch.type == LAUNCH_TEMPLATE else "UserData"
                for data, metadata in ctx.cases(holder, launch.get(user_data, default=False),
                                                launch.attribute("Metadata")):
                    text = f"{display(data.value)} {display(metadata.value)}".lower().replace("-", "")
                    if not any(word in text for word in AGENT_WORDS):
                        yield ctx.finding(holder, f"alarm {alarm.describe()} watches {metric.value}, which only the "
                                                  f"CloudWatch agent publishes, but neither the user data nor the "
                                                  f"metadata of {launch.describe()} installs the agent: unless the "
                                                  "image already runs it, the alarm never gets data",
                                          severity="info", check="agent", at=f"{prefix}MetricName", related=[launch], cases=(metric, value))
