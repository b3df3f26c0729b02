"""The API rules are written against: defaults, attributes, list entries, ctx.cases, coverage, edges."""
from __future__ import annotations

import pytest

from linter.build import build_graph
from linter.engine import Result, Rule, RuleContext
from linter.findings import Severity
from linter.load import parse
from linter.model import Case, Value, as_bool, as_number, kinds


def graph_of(text: str, parameters=None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def context(graph):
    result = Result()
    probe = Rule("TST001", "probe", Severity.WARNING, None, {}, "", "")
    return RuleContext(probe, graph, {}, result), result


def shown(value: Value) -> list[str]:
    return sorted(c.show() for c in value)


# ---------------------------------------------------------------- defaults

DEFAULTS_TEMPLATE = """
Parameters:
  UseStream: {Type: String, AllowedValues: ["yes", "no"]}
Conditions:
  StreamMode: !Equals [!Ref UseStream, "yes"]
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Feed: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::123456789012:role/r, Code: {ZipFile: x}}
  FromJobs:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref Fn}
  FromEither:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !If [StreamMode, !GetAtt Feed.Arn, !GetAtt Jobs.Arn], FunctionName: !Ref Fn,
                 StartingPosition: LATEST}
  Standalone:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, DBInstanceClass: db.t3.micro}
  Member:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: aurora-postgresql, DBInstanceClass: db.r6g.large, DBClusterIdentifier: !Ref Cluster}
  Cluster: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-postgresql}}
  Kept:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
  Plain: {Type: AWS::S3::Bucket}
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Port: 80
      Protocol: HTTP
      TargetGroupAttributes:
        - {Key: stickiness.enabled, Value: "true"}
  FastGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetGroupAttributes:
        - {Key: deregistration_delay.timeout_seconds, Value: "30"}
  Nlb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Type: network}}
  Alb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
  Empty: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: null}}
"""


def test_static_defaults_are_cited():
    g = graph_of(DEFAULTS_TEMPLATE)
    assert shown(g.resources["Jobs"].get("VisibilityTimeout")) == ["30 (the SQS default)"]
    assert shown(g.resources["Fn"].get("EphemeralStorage.Size")) == ["512 (the Lambda default)"]
    assert shown(g.resources["Standalone"].get("BackupRetentionPeriod")) == ["1 (the RDS default for CloudFormation)"]


def test_batch_size_default_follows_the_event_source_type_per_scenario():
    g = graph_of(DEFAULTS_TEMPLATE)
    assert shown(g.resources["FromJobs"].get("BatchSize")) == ["10 (the event source mapping default for SQS)"]
    either = g.resources["FromEither"].get("BatchSize")
    # StreamMode is decided by the parameter, so each case names the parameter's value.
    by_scenario = {dict(c.assumptions)[("parameter", "UseStream")]: c.value for c in either}
    assert by_scenario == {"yes": 100, "no": 10}


def test_deletion_policy_default_depends_on_the_resource():
    g = graph_of(DEFAULTS_TEMPLATE)
    assert shown(g.resources["Standalone"].attribute("DeletionPolicy")) == [
        "Snapshot (the CloudFormation default for DB instances)"]
    assert g.resources["Member"].attribute("DeletionPolicy").single == "Delete"
    assert g.resources["Cluster"].attribute("DeletionPolicy").single == "Snapshot"
    assert shown(g.resources["Plain"].attribute("UpdateReplacePolicy")) == ["Delete (the CloudFormation default)"]
    kept = g.resources["Kept"].attribute("DeletionPolicy")
    assert kept.single == "Retain" and "line" in kept.cases[0].origin


def test_key_value_settings_and_their_defaults():
    g = graph_of(DEFAULTS_TEMPLATE)
    delay = "deregistration_delay.timeout_seconds"
    assert shown(g.resources["Group"].setting("TargetGroupAttributes", delay)) == ["300 (the ELB default)"]
    assert g.resources["FastGroup"].setting("TargetGroupAttributes", delay).single == "30"
    cross_zone = "load_balancing.cross_zone.enabled"
    assert g.resources["Nlb"].setting("LoadBalancerAttributes", cross_zone).single is False
    assert g.resources["Alb"].setting("LoadBalancerAttributes", cross_zone).single is True


def test_null_property_is_unknown_for_its_own_resource_only():
    g = graph_of(DEFAULTS_TEMPLATE)
    empty = g.resources["Empty"].get("VisibilityTimeout")
    assert not empty.is_known and "empty (null)" in empty.cases[0].describe()
    assert g.resources["Jobs"].get("VisibilityTimeout").single == 30


# ---------------------------------------------------------------- list entries

ENTRIES_TEMPLATE = """
Conditions:
  HasAudit: !Equals [!Ref "AWS::Region", eu-west-1]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::123456789012:role/r, Code: {ZipFile: x}}
  Audit:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::123456789012:role/r, Code: {ZipFile: x}}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: main
          Arn: !GetAtt Fn.Arn
          RetryPolicy: {MaximumRetryAttempts: 4}
        - !If
          - HasAudit
          - {Id: audit, Arn: !GetAtt Audit.Arn}
          - !Ref AWS::NoValue
"""


def test_entries_are_positioned_with_defaults_and_scenarios():
    g = graph_of(ENTRIES_TEMPLATE)
    rule_ = g.resources["Nightly"]
    main, audit = rule_.entries("Targets")
    assert main.get("Id").single == "main" and main.assumptions == ()
    assert main.get("RetryPolicy.MaximumRetryAttempts").single == 4
    assert shown(audit.get("RetryPolicy.MaximumRetryAttempts")) == ["185 (the EventBridge default)"]
    assert audit.assumptions == ((("condition", "HasAudit"), True),)
    assert main.line == 16 and audit.line == 19  # the Fn::If item
    ctx, _ = context(g)
    found = ctx.finding(audit, "audit target retries the default number of times", at="Arn")
    assert found.location.line == 19 and "when condition HasAudit is true" in found.message


# ---------------------------------------------------------------- ctx.cases and all_judged

def test_cases_converts_per_value_and_records_what_was_not_judged():
    g = graph_of(DEFAULTS_TEMPLATE)
    ctx, result = context(g)
    jobs, empty = g.resources["Jobs"], g.resources["Empty"]
    flag = Value.known("true", "set on line 1")
    (visibility, fifo, raw), = ctx.cases(jobs, jobs.get("VisibilityTimeout"), flag, flag,
                                         convert=(as_number, as_bool, None))
    assert (visibility.value, fifo.value, raw.value) == (30, True, "true")
    assert ctx.all_judged(jobs)
    assert list(ctx.cases(empty, empty.get("VisibilityTimeout"), convert=as_number)) == []
    assert not ctx.all_judged(empty) and ctx.all_judged(jobs)
    assert [n.location.logical_id for n in result.not_evaluated] == ["Empty"]
    with pytest.raises(TypeError):
        list(ctx.cases(jobs, flag, flag, convert=(as_bool,)))


def test_a_word_that_does_not_convert_is_not_evaluated():
    g = graph_of(DEFAULTS_TEMPLATE)
    ctx, result = context(g)
    jobs = g.resources["Jobs"]
    assert list(ctx.cases(jobs, Value.known("soon", "set on line 3"), convert=(as_number,))) == []
    assert "is not a value this check can compare" in result.not_evaluated[0].reason


# ---------------------------------------------------------------- coverage

COVERAGE_TEMPLATE = """
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod]}
  Team: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasTeam: !Not [!Equals [!Ref Team, ""]]
Resources:
  Dlq: {Type: AWS::SQS::Queue}
  Main:
    Type: AWS::SQS::Queue
    Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}}
  TeamAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: HasTeam
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{Name: QueueName, Value: !GetAtt Dlq.QueueName}]
      Threshold: !If [IsProd, 0, 10]
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 1
      Period: 60
      Statistic: Maximum
"""


def test_coverage_names_the_scenario_nothing_covers():
    g = graph_of(COVERAGE_TEMPLATE)
    ctx, _ = context(g)
    uses = g.edges(kinds.DLQ_OF)
    alarm = g.edges(kinds.ALARMS_ON)[0]
    everywhere = ctx.coverage(uses, [(Value.known(1, "", ()), None)])
    assert everywhere.everywhere and everywhere.uncovered is None
    by_alarm = ctx.coverage(uses, [alarm])
    assert not by_alarm.everywhere and by_alarm.covering == [alarm]
    assert by_alarm.text == "when condition HasTeam is false"
    # Coverage by a value: only where the threshold fires, and only where the alarm exists.
    threshold = g.resources["TeamAlarm"].get("Threshold")
    scoped = Value(c.with_assumptions(alarm.assumptions) for c in threshold)
    fires = ctx.coverage(uses, [(scoped, lambda case: case.value < 1)])
    assert not fires.everywhere
    # The smallest open scenario: without the alarm, or in dev (threshold 10), whatever else holds.
    assert fires.uncovered in (((("condition", "HasTeam"), False),), ((("parameter", "Stage"), "dev"),))
    nothing = ctx.coverage(uses, [])
    assert nothing.nowhere and nothing.uncovered == ()


def test_coverage_skips_scenarios_the_parameters_rule_out():
    g = graph_of(COVERAGE_TEMPLATE)
    ctx, _ = context(g)
    uses = g.edges(kinds.DLQ_OF)
    threshold = g.resources["TeamAlarm"].get("Threshold")
    # Both branches of IsProd fire under "< 100": no scenario is open, although IsProd and Stage
    # appear as separate keys.
    assert ctx.coverage(uses, [(threshold, lambda case: case.value < 100)]).everywhere


def test_coverage_is_unknown_when_a_provider_cannot_be_judged_or_content_is_unseen():
    g = graph_of(COVERAGE_TEMPLATE)
    ctx, _ = context(g)
    uses = g.edges(kinds.DLQ_OF)
    unjudged = ctx.coverage(uses, [(Value.unknown("threshold from SSM"), None)])
    assert unjudged.unknown == "threshold from SSM" and not unjudged.everywhere
    g.unseen = "the template uses AWS::Include"
    hidden = ctx.coverage(uses, [])
    assert hidden.unknown == "the template uses AWS::Include" and not hidden.nowhere
    assert ctx.coverage(uses, [(Value.known(True), None)]).everywhere


def test_coverage_cases_name_the_scenario_in_a_finding():
    g = graph_of(COVERAGE_TEMPLATE)
    ctx, _ = context(g)
    dlq = g.resources["Dlq"]
    gap = ctx.coverage(g.edges(kinds.DLQ_OF), [g.edges(kinds.ALARMS_ON)[0]])
    found = ctx.finding(dlq, "only some alarms", cases=gap.cases)
    assert found.message == "only some alarms (when condition HasTeam is false)"


# ---------------------------------------------------------------- edges by kind

def test_edges_are_indexed_by_kind():
    g = graph_of(COVERAGE_TEMPLATE)
    assert [e.kind for e in g.edges(kinds.DLQ_OF)] == [kinds.DLQ_OF]
    assert g.edges(kinds.CONSUMES) == []
    extra = g.link(kinds.CONSUMES, g.resources["Dlq"], g.resources["Main"])
    assert g.edges(kinds.CONSUMES) == [extra]
    assert g.edges(kinds.CONSUMES, source_type="AWS::Lambda::Function") == []
    assert g.edges(kinds.DLQ_OF)[0].use_text() == "redrive target of queue Main"


def test_case_show_cites_origin():
    assert Case(30, "the SQS default").show("s") == "30 s (the SQS default)"
