"""Scenarios are consistent assignments of parameter values, and their number is bounded per check.

A condition is a function of parameters: a finding names a scenario that can happen ("when parameter
Environment = build"), and a condition nothing decides is one free boolean however it is reached.
"""
from __future__ import annotations

import time

import pytest

from linter.api import lint_text
from linter.engine import find_rule
from linter.load import parse
from linter.resolve import Resolver
from linter.values import (Case, OneOf, TooManyScenarios, Value, combinations, merge_assumptions, scenario_text,
                           worst_cases, as_number)

ENVIRONMENTS = """
Parameters:
  Environment:
    Type: String
    AllowedValues: [dev, build, production]
  Region:
    Type: String
Conditions:
  IsDev: !Equals [!Ref Environment, dev]
  IsNotDev: !Not [!Condition IsDev]
  IsDevLike: !Or [!Equals [!Ref Environment, localdev], !Condition IsDev]
  IsNotDevLike: !Not [!Condition IsDevLike]
  IsProduction: !Equals [!Ref Environment, production]
  ProdOrBuild: !Or [!Condition IsProduction, !Equals [!Ref Environment, build]]
  InUsEast: !Equals [!Ref "AWS::Region", us-east-1]
  NotInUsEast: !Not [!Condition InUsEast]
  ProdInUsEast: !And [!Condition IsProduction, !Condition InUsEast]
  Home: !Equals [!Ref Region, home]
  HomeOrDev: !Or [!Condition Home, !Condition IsDev]
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""


def resolver(params=None):
    return Resolver(parse(ENVIRONMENTS, "t.yaml").data, params)


def node(text):
    return parse(f"x: {text}\n", "n.yaml").data["x"]


ENV = ("parameter", "Environment")


# ---------------------------------------------------------------- conditions are functions of parameters


def test_condition_cases_carry_the_parameter_values_that_decide_them():
    holds = {c.value: dict(c.assumptions) for c in resolver().condition_holds("IsNotDevLike")}
    assert holds == {True: {ENV: {"build", "production"}}, False: {ENV: "dev"}}


def test_nested_condition_references_are_decided_by_the_parameter():
    r = resolver()
    assert r.existence("IsNotDev") == r.existence("IsNotDevLike") == ((ENV, frozenset({"build", "production"})),)
    assert r.existence("IsDev") == ((ENV, {"dev"}),)
    # Or over every non-dev value: the same set as IsNotDev, reached another way.
    assert r.existence("ProdOrBuild") == r.existence("IsNotDev")


def test_resource_condition_and_fn_if_on_other_conditions_pair_by_parameter():
    r = resolver()
    dlq_exists = r.existence("IsNotDev")
    value = r.resolve(node("!If [IsDevLike, 10, 60]"))
    paired = [c.value for c in value if c.with_assumptions(dlq_exists) is not None]
    assert paired == [60]


def test_condition_nothing_decides_is_one_free_boolean_everywhere():
    r = resolver()
    assert r.existence("InUsEast") == ((("condition", "InUsEast"), True),)
    assert r.existence("NotInUsEast") == ((("condition", "InUsEast"), False),)
    # A resource under NotInUsEast never pairs with the true branch of an If on InUsEast.
    value = r.resolve(node("!If [InUsEast, east, elsewhere]"))
    assert [c.value for c in value if c.with_assumptions(r.existence("NotInUsEast"))] == ["elsewhere"]


def test_and_of_parameter_and_free_boolean():
    r = resolver()
    exists = dict(r.existence("ProdInUsEast"))
    assert exists == {ENV: {"production"}, ("condition", "InUsEast"): True}
    assert scenario_text([Case(None, "", r.existence("ProdInUsEast"))]) == \
        "when condition InUsEast is true and parameter Environment = production"


def test_or_that_is_no_single_set_names_the_condition_in_every_use():
    r = resolver()
    # HomeOrDev is true when Environment = dev, or when Home holds: no single set of choices.
    assert r.existence("HomeOrDev") == ((("condition", "HomeOrDev"), True),)
    for case in r.condition_holds("HomeOrDev"):
        assert dict(case.assumptions)[("condition", "HomeOrDev")] is case.value


def test_given_parameter_decides_the_condition():
    r = resolver({"Environment": "build"})
    assert r.existence("IsNotDevLike") == ()
    assert [c.value for c in r.condition_holds("IsDev")] == [False]


def test_circular_condition_stays_unknown():
    doc = parse("Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources: {}\n", "t.yaml")
    assert any(not c.known for c in Resolver(doc.data).resolve(node("!Condition A")))


def test_one_of_choices_narrow_and_contradict():
    build_or_prod = ((ENV, frozenset({"build", "production"})),)
    assert merge_assumptions(build_or_prod, ((ENV, "build"),)) == ((ENV, {"build"}),)
    assert merge_assumptions(build_or_prod, ((ENV, "dev"),)) is None
    assert merge_assumptions(build_or_prod, ((ENV, frozenset({"dev", "production"})),)) == ((ENV, {"production"}),)
    assert scenario_text([Case(None, "", build_or_prod)]) == "when parameter Environment is one of build, production"


# ---------------------------------------------------------------- end to end: SQS002


ALARMED_DLQ = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Environment:
    Type: String
    AllowedValues: [dev, build, production]
Conditions:
  IsDev: !Equals [!Ref Environment, dev]
  IsNotDev: !Not [!Condition IsDev]
  IsDevLike: !Or [!Equals [!Ref Environment, localdev], !Condition IsDev]
  IsNotDevLike: !Not [!Condition IsDevLike]
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: !If
        - IsNotDev
        - {deadLetterTargetArn: !GetAtt OrdersDLQ.Arn, maxReceiveCount: 5}
        - !Ref AWS::NoValue
  OrdersDLQ:
    Type: AWS::SQS::Queue
    Condition: IsNotDev
  Ops:
    Type: AWS::SNS::Topic
  OrdersDLQAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: ALARM_CONDITION
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{Name: QueueName, Value: !GetAtt OrdersDLQ.QueueName}]
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Ops]
"""


def sqs002(text):
    result = lint_text(text, "t.yaml", rules=[find_rule("SQS002")])
    return result.findings, result.not_evaluated


def test_issue_example_dlq_under_not_isdev_alarm_under_isnotdevlike_is_not_reported():
    findings, not_evaluated = sqs002(ALARMED_DLQ.replace("ALARM_CONDITION", "IsNotDevLike"))
    assert findings == [] and not_evaluated == []


def test_alarm_missing_in_a_real_scenario_is_reported_by_parameter_value():
    text = ALARMED_DLQ.replace("ALARM_CONDITION", "IsProduction").replace(
        "  IsNotDevLike:", "  IsProduction: !Equals [!Ref Environment, production]\n  IsNotDevLike:")
    findings, _ = sqs002(text)
    assert len(findings) == 1
    assert "exists only under a condition" in findings[0].message
    assert "parameter Environment" in findings[0].message and "build" in findings[0].message
    assert "condition" not in findings[0].message.split("(when", 1)[1]


# ---------------------------------------------------------------- §3: bounded scenarios


def test_combinations_prune_contradictions_without_enumerating_the_product():
    paired = [Value(Case(i, "", ((("parameter", f"P{j}"), i),)) for i in range(64)) for j in range(1)]
    same = paired[0]
    # 64 x 64 x 64 cases of one parameter: only the 64 consistent triples are built.
    assert len(list(combinations(same, same, same))) == 64


def test_combinations_past_the_budget_signal_instead_of_judging_part():
    values = [Value(Case(i, "", ((("parameter", name), i),)) for i in range(64)) for name in "ABC"]
    with pytest.raises(TooManyScenarios) as raised:
        list(combinations(*values))
    assert raised.value.count == 64 ** 3


def test_worst_cases_keep_the_extreme_with_its_origin():
    value = Value([Case(30, "row a"), Case("10", "row b"), Case(90, "row c")])
    assert [c.origin for c in worst_cases(value, min, as_number)] == ["row b"]
    assert [c.origin for c in worst_cases(value, max, as_number)] == ["row c"]


def explosion_template(parameters=3, values=64, mappings=20):
    allowed = ", ".join(str(10 + i) for i in range(values))
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Parameters:"]
    for name in ("Visibility", "Timeout", "Window")[:parameters]:
        lines += [f"  {name}:", "    Type: Number", f"    AllowedValues: [{allowed}]"]
    lines.append("Resources:")
    for i in range(mappings):
        lines += [f"  Queue{i}:", "    Type: AWS::SQS::Queue", "    Properties:", "      VisibilityTimeout: !Ref Visibility",
                  f"  Worker{i}:", "    Type: AWS::Lambda::Function", "    Properties:",
                  "      Runtime: python3.12", "      Handler: app.handler", "      Role: arn:aws:iam::123456789012:role/w",
                  "      Code: {ZipFile: 'def handler(e, c): pass'}", "      Timeout: !Ref Timeout",
                  f"  Mapping{i}:", "    Type: AWS::Lambda::EventSourceMapping", "    Properties:",
                  f"      EventSourceArn: !GetAtt Queue{i}.Arn", f"      FunctionName: !Ref Worker{i}",
                  "      MaximumBatchingWindowInSeconds: !Ref Window"]
    return "\n".join(lines) + "\n"


def test_explosion_of_allowed_values_is_judged_in_its_worst_case_quickly():
    started = time.perf_counter()
    result = lint_text(explosion_template(), "t.yaml", rules=[find_rule("SQS001")])
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{elapsed:.1f} s"
    errors = [f for f in result.findings if f.code == "SQS001"]
    assert len(errors) == 20 and result.not_evaluated == []
    # Worst case: the smallest visibility (10) against the largest timeout (73).
    assert all(f.severity.label == "error" and "is 10 s" in f.message and "73 s" in f.message for f in errors)
    assert "parameter Visibility = 10" in errors[0].message and "parameter Timeout = 73" in errors[0].message


def context_for(template_text):
    from linter.build import build_graph
    from linter.engine import Result, RuleContext

    graph = build_graph("t.yaml", parse(template_text, "t.yaml").data)
    result = Result()
    return graph, RuleContext(find_rule("SQS001"), graph, {}, result), result


def test_too_many_scenarios_is_not_evaluated_without_a_worst_case():
    graph, ctx, result = context_for(explosion_template(mappings=1))
    queue, worker = graph.resources["Queue0"], graph.resources["Worker0"]
    combos = list(ctx.cases(queue, queue.get("VisibilityTimeout"), worker.get("Timeout"),
                            graph.resources["Mapping0"].get("MaximumBatchingWindowInSeconds")))
    assert combos == []
    assert [ne.reason for ne in result.not_evaluated] == [f"too many scenarios ({64 ** 3})"]


def test_worst_cases_that_contradict_each_other_are_not_judged():
    # Visibility and timeout come from the same Fn::If: their extremes (10 and 100) never meet.
    text = explosion_template(mappings=1).replace("VisibilityTimeout: !Ref Visibility",
                                                  "VisibilityTimeout: !If [Big, 1000, 10]")
    text = text.replace("Timeout: !Ref Timeout", "Timeout: !If [Big, 100, 5]")
    text = text.replace("Resources:", "Conditions:\n  Big: !Equals [!Ref 'AWS::Region', x]\nResources:")
    graph, ctx, result = context_for(text)
    queue, worker, mapping = graph.resources["Queue0"], graph.resources["Worker0"], graph.resources["Mapping0"]
    values = (queue.get("VisibilityTimeout"), worker.get("Timeout"), mapping.get("MaximumBatchingWindowInSeconds"))
    # 2 x 2 x 64 cases pair into 128 scenarios: under the budget, every one is judged.
    assert len(list(ctx.cases(mapping, *values, convert=as_number, worst=(min, max, max)))) == 128
    assert result.not_evaluated == []
    # With one more free 64-value parameter there are 8192 scenarios; the worst visibility (10, Big
    # false) and the worst timeout (100, Big true) cannot happen together, so nothing is judged.
    extra = graph.resolver.resolve({"Ref": "Visibility"})
    assert list(ctx.cases(mapping, *values, extra, convert=as_number, worst=(min, max, max, None))) == []
    assert [ne.reason for ne in result.not_evaluated] == [f"too many scenarios ({2 * 2 * 64 * 64})"]


def test_uncovered_scenario_narrows_one_of_choices():
    from linter.values import uncovered_scenario

    dlq = ((ENV, frozenset({"staging", "production"})),)
    alarm = ((ENV, "production"),)
    assert uncovered_scenario([dlq], [alarm]) == ((ENV, {"staging"}),)
    assert uncovered_scenario([dlq], [alarm, ((ENV, "staging"),)]) is None
    free = (("condition", "InUsEast"), True)
    assert uncovered_scenario([((ENV, "production"),)], [(free,)]) == (
        (("condition", "InUsEast"), False), (ENV, "production"))
    # A resource that always exists, covered only in some environments: the others are named.
    staging_up = ((ENV, OneOf({"staging", "production"}, among={"dev", "staging", "production"})),)
    gap = uncovered_scenario([()], [staging_up])
    assert gap == ((ENV, {"dev"}),) and scenario_text([Case(None, "", gap)]) == "when parameter Environment = dev"
    # Without the parameter's values the gap cannot be named: no finding rather than a guess.
    assert uncovered_scenario([()], [((ENV, frozenset({"staging"})),)]) is None
