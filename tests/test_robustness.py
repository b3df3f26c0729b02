"""Never a silent pass: internal errors become CFN999 findings (exit 2, never hidden), broken structure
becomes CFN001, the fuzzing crashes stay fixed, and folders with pipes or sockets do not block a run."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from linter import engine
from linter.api import collect_paths, lint_text
from linter.cli import main
from linter.load import decode, parse
from linter.resolve import Resolver

WORKER = """
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(event, context): pass"}
      Timeout: 60
"""

# A queue whose visibility timeout (10 s) is below its consumer's timeout (60 s): SQS001 reports it.
SHORT_QUEUE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 10
      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:jobs-dlq
        maxReceiveCount: 5
""" + WORKER + """
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
"""


def lint(text: str, **kwargs):
    return lint_text(textwrap.dedent(text), "template.yaml", **kwargs)


def codes(result) -> list[str]:
    return sorted(f.code for f in result.findings)


def no_internal_error(result):
    internal = [f.message for f in result.findings if f.code == "CFN999"]
    assert not internal and not result.errors, internal + result.errors


def run_cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- the five fuzzing crashes


ALARM_ON_METRICS = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  QueueDimensions:
    Type: CommaDelimitedList
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  JobsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      ComparisonOperator: GreaterThanThreshold
      EvaluationPeriods: 1
      Threshold: 0
      Metrics:
        - Id: visible
          MetricStat:
            Metric:
              Namespace: AWS/SQS
              MetricName: ApproximateNumberOfMessagesVisible
              Dimensions: DIMENSIONS
            Period: 60
            Stat: Sum
"""


@pytest.mark.parametrize("dimensions", ["!Ref QueueDimensions", "5"], ids=["ref-to-list-parameter", "number"])
def test_alarm_metric_dimensions_that_are_not_a_list_are_not_a_crash(dimensions):
    result = lint(ALARM_ON_METRICS.replace("DIMENSIONS", dimensions))
    assert result.status == "linted"
    no_internal_error(result)


def test_alarm_metric_dimensions_from_a_parameter_leave_the_alarm_link_unknown():
    from linter.build import build_graph

    text = ALARM_ON_METRICS.replace("DIMENSIONS", "!Ref QueueDimensions")
    graph = build_graph("t.yaml", parse(text, "t.yaml").data)
    dangling = [d for d in graph.dangling if d.kind == "alarms-on"]
    assert [d.holder.logical_id for d in dangling] == ["JobsAlarm"]
    assert "QueueDimensions" in dangling[0].reason


FIND_IN_MAP = """AWSTemplateFormatVersion: "2010-09-09"
Mappings:
  Sizes:
    prod: {Timeout: 60}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !FindInMap [Sizes, KEYS]
""" + WORKER + """
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
"""


@pytest.mark.parametrize("keys, which, kind", [
    ("{Env: prod}, Timeout", "top-level", "mapping"),
    ("[prod], Timeout", "top-level", "list"),
    ("prod, {Key: Timeout}", "second", "mapping"),
    ("prod, [Timeout]", "second", "list"),
])
def test_find_in_map_with_a_mapping_or_list_key_is_unknown_not_a_crash(keys, which, kind):
    result = lint(FIND_IN_MAP.replace("KEYS", keys))
    no_internal_error(result)
    assert "SQS001" not in codes(result)
    reasons = [n.reason for n in result.not_evaluated if n.code == "SQS001"]
    assert any(f"{which} key of Sizes must be a string, not a {kind}" in r for r in reasons), reasons


def test_find_in_map_with_string_keys_still_resolves():
    result = lint(FIND_IN_MAP.replace("KEYS", "prod, Timeout"))
    no_internal_error(result)
    messages = [f.message for f in result.findings if f.code == "SQS001"]
    assert len(messages) == 1 and "Mappings.Sizes.prod.Timeout" in messages[0], messages


VPC_WITH_ODD_VALUES = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Subnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: eu-west-1a}}
  Table: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  Association:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: SUBNET, RouteTableId: !Ref Table}
  DefaultRoute:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Table, DestinationCidrBlock: DESTINATION, NatGatewayId: nat-0123456789abcdef0}
  Group: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: worker, VpcId: !Ref Vpc}}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(event, context): pass"}
      VpcConfig:
        SubnetIds: SUBNET_IDS
        SecurityGroupIds: [!Ref Group]
"""


@pytest.mark.parametrize("subnet, subnet_ids", [
    ("{Name: not-a-reference}", "[!Ref Subnet, {Name: not-a-reference}, [nested]]"),
    ("[!Ref Subnet]", "[!Ref Subnet, [!Ref Subnet]]"),
])
def test_subnet_references_that_are_mappings_or_lists_are_not_a_crash(subnet, subnet_ids):
    text = (VPC_WITH_ODD_VALUES.replace("SUBNET_IDS", subnet_ids).replace("SUBNET", subnet)
            .replace("DESTINATION", "0.0.0.0/0"))
    no_internal_error(lint(text))


@pytest.mark.parametrize("destination", ["{Cidr: 0.0.0.0/0}", "[0.0.0.0/0]"])
def test_route_destination_that_is_a_mapping_or_list_is_not_a_crash(destination):
    text = (VPC_WITH_ODD_VALUES.replace("SUBNET_IDS", "[!Ref Subnet]").replace("SUBNET", "!Ref Subnet")
            .replace("DESTINATION", destination))
    no_internal_error(lint(text))


def test_consumer_through_an_alias_without_properties_is_not_evaluated():
    text = SHORT_QUEUE.replace("FunctionName: !Ref Worker", "FunctionName: !Ref Live") + """
  Live:
    Type: AWS::Lambda::Alias
"""
    result = lint(text)
    no_internal_error(result)
    assert "SQS001" not in codes(result)
    reasons = [n.reason for n in result.not_evaluated if n.code == "SQS001"]
    assert any("alias Live does not name a function of this template" in r for r in reasons), reasons


def test_consumer_through_an_alias_of_a_function_is_still_judged():
    text = SHORT_QUEUE.replace("FunctionName: !Ref Worker", "FunctionName: !Ref Live") + """
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Worker, FunctionVersion: "1", Name: live}
"""
    assert "SQS001" in codes(lint(text))


def test_empty_visibility_timeout_on_one_queue_does_not_hide_the_finding_on_another():
    text = SHORT_QUEUE + """
  Empty:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout:
  EmptyMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Empty.Arn
      FunctionName: !Ref Worker
"""
    result = lint(text)
    no_internal_error(result)
    assert [f.location.logical_id for f in result.findings if f.code == "SQS001"] == ["Jobs"]
    reasons = [n.reason for n in result.not_evaluated if n.code == "SQS001"]
    assert any("VisibilityTimeout is empty (null)" in r for r in reasons), reasons


# ---------------------------------------------------------------- CFN999: internal errors


def _broken_rule(code="ZZZ901"):
    def explode(graph, ctx):
        raise TypeError("unhashable type: 'dict'")

    return engine.Rule(code, "always-breaks", engine.Severity.WARNING, explode, {}, "Breaks.", "Breaks.")


def test_a_rule_that_raises_gives_cfn999_and_the_other_rules_still_run():
    rules = [_broken_rule()] + [r for r in engine.all_rules() if r.code == "SQS001"]
    result = lint(SHORT_QUEUE, rules=rules)
    assert codes(result) == ["CFN999", "SQS001"]
    internal = next(f for f in result.findings if f.code == "CFN999")
    assert internal.message == ("internal error while checking rule ZZZ901 (always-breaks): "
                                "TypeError: unhashable type: 'dict'; please report it")
    assert internal.severity.label == "error" and internal.location.line == 1


def test_a_graph_that_cannot_be_built_gives_cfn999(monkeypatch):
    import linter.build

    def explode(*args, **kwargs):
        raise KeyError("Properties")

    monkeypatch.setattr(linter.build, "build_graph", explode)
    result = lint(SHORT_QUEUE)
    assert codes(result) == ["CFN999"]
    assert result.findings[0].message.startswith(
        "internal error while checking the template (building the resource graph): KeyError: 'Properties'")
    assert result.errors  # also on standard error, with where it was raised


@pytest.fixture
def broken_sqs001(monkeypatch):
    """SQS001 raises after reporting nothing: a stand-in for a bug of ours."""
    rule = next(r for r in engine.all_rules() if r.code == "SQS001")

    def explode(graph, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(rule, "func", explode)
    return rule


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_cfn999_makes_the_run_exit_2(tmp_path, broken_sqs001):
    path = write(tmp_path, "t.yaml", SHORT_QUEUE)
    result = run_cli("check", str(path), "--isolated", "--format", "json", "--select", "SQS001")
    assert result.exit_code == 2
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"]["code"] for f in findings] == ["CFN999"]
    assert findings[0]["message"] == ("internal error while checking rule SQS001 "
                                      "(sqs-visibility-timeout-vs-lambda): ValueError: boom; please report it")
    assert "internal error while checking rule SQS001" in result.stderr


SUPPRESSING_ALL = SHORT_QUEUE.replace("""  Jobs:
    Type: AWS::SQS::Queue
""", """  Jobs:
    Type: AWS::SQS::Queue  # cfn-arch-lint: ignore[CFN999] a bug is not a style choice
    Metadata:
      cfn-arch-lint:
        ignore: [ALL]
""").replace('AWSTemplateFormatVersion: "2010-09-09"\n', """AWSTemplateFormatVersion: "2010-09-09"
Metadata:
  cfn-arch-lint:
    ignore: [CFN999, ALL]
# cfn-arch-lint: ignore-file[CFN999]
""")


def test_cfn999_cannot_be_suppressed_in_the_template(tmp_path, broken_sqs001):
    path = write(tmp_path, "t.yaml", SUPPRESSING_ALL)
    result = run_cli("check", str(path), "--isolated", "--no-color")
    assert result.exit_code == 2
    assert "CFN999" in result.stdout


def test_cfn999_cannot_be_ignored_per_path(tmp_path, broken_sqs001):
    write(tmp_path, "t.yaml", SHORT_QUEUE)
    config = write(tmp_path, ".cfn-arch-lint.yaml", """
        per-path-ignores:
          "*.yaml": [ALL]
    """)
    result = run_cli("check", str(tmp_path / "t.yaml"), "--config", str(config), "--no-color")
    assert result.exit_code == 2, result.output
    assert "CFN999" in result.stdout


def test_cfn999_cannot_be_ignored_on_the_command_line(tmp_path, broken_sqs001):
    path = write(tmp_path, "t.yaml", SHORT_QUEUE)
    result = run_cli("check", str(path), "--isolated", "--ignore", "CFN999")
    assert result.exit_code == 2
    assert "matches no rule" in result.output


def test_cfn999_is_never_baselined(tmp_path, broken_sqs001):
    path = write(tmp_path, "t.yaml", SHORT_QUEUE)
    baseline = tmp_path / "baseline.json"
    first = run_cli("check", str(path), "--isolated", "--write-baseline", str(baseline))
    assert first.exit_code == 2
    assert not [e for e in json.loads(baseline.read_text())["findings"] if e["rule"] == "CFN999"]
    # A hand-made entry with its fingerprint does not hide it either.
    from linter.api import lint_file

    fingerprint = next(f.fingerprint for f in lint_file(str(path)).findings if f.code == "CFN999")
    baseline.write_text(json.dumps({"findings": [{"fingerprint": fingerprint, "rule": "CFN999",
                                                  "path": str(path)}]}))
    again = run_cli("check", str(path), "--isolated", "--baseline", str(baseline))
    assert again.exit_code == 2
    assert "CFN999" in again.stdout


def test_exit_code_is_decided_in_one_place():
    from types import SimpleNamespace

    from linter.api import FileResult
    from linter.pipeline import exit_code

    nothing_shown = SimpleNamespace(shown=[])
    broken = FileResult("t.yaml", "linted", [engine.internal_error_finding("t.yaml", "rule X", ValueError("x"))])
    clean = FileResult("u.yaml", "linted")
    assert exit_code([clean], nothing_shown) == 0
    assert exit_code([clean, broken], nothing_shown) == 2
    suppressed = engine.internal_error_finding("t.yaml", "rule X", ValueError("x"))
    suppressed.suppressed_by = "comment"   # whatever a filter did, the run fails
    assert exit_code([FileResult("t.yaml", "linted", [suppressed])], nothing_shown) == 2


# ---------------------------------------------------------------- CFN001: structure


def test_properties_that_are_not_a_mapping_are_cfn001_not_the_default():
    text = SHORT_QUEUE.replace("""    Properties:
      VisibilityTimeout: 10
      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:jobs-dlq
        maxReceiveCount: 5
""", """    Properties: VisibilityTimeout=10
""")
    result = lint(text)
    no_internal_error(result)
    assert codes(result) == ["CFN001"]      # never "30 s (the SQS default)"
    finding = result.findings[0]
    assert finding.message == ("the Properties of resource Jobs must be a mapping, not the string "
                               "'VisibilityTimeout=10'; the resource is not checked")
    assert (finding.location.line, finding.location.logical_id) == (5, "Jobs")


@pytest.mark.parametrize("body, message, line", [
    ("    Properties: {VisibilityTimeout: 10}\n", "resource Jobs has no Type; it is not checked", 3),
    ("    Type: [AWS::SQS::Queue]\n", "the Type of resource Jobs must be a string, not a list; it is not checked", 4),
])
def test_resource_without_a_string_type_is_cfn001(body, message, line):
    text = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Jobs:\n' + body + WORKER
    result = lint(text)
    assert [(f.code, f.message, f.location.line) for f in result.findings] == [("CFN001", message, line)]


@pytest.mark.parametrize("body, what", [("AWS::SQS::Queue", "the string 'AWS::SQS::Queue'"), ("", "null")])
def test_resource_that_is_not_a_mapping_is_cfn001(body, what):
    result = lint(f'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Jobs: {body}\n' + WORKER)
    assert [f.message for f in result.findings] == [
        f"resource Jobs must be a mapping with Type and Properties, not {what}; it is not checked"]


def test_a_for_each_loop_among_the_resources_is_not_cfn001():
    text = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Queues:
    - Name
    - [Jobs, Mail]
    - ${Name}Queue:
        Type: AWS::SQS::Queue
"""
    assert "CFN001" not in codes(lint(text))


def test_empty_properties_are_accepted():
    text = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n'
    assert not [c for c in codes(lint(text)) if c.startswith("CFN")]   # no structure error, no internal error


CYCLE = """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsBig: !And [!Condition IsProd, !Condition IsLarge]
  IsLarge: !Not [!Condition IsBig]
  UsesBig: !Condition IsBig
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Condition: UsesBig
    Properties:
      VisibilityTimeout: !If [IsLarge, 10, 600]
""" + WORKER + """
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
"""


def test_condition_cycle_is_cfn001_naming_the_cycle():
    result = lint(CYCLE)
    no_internal_error(result)
    structure = [f for f in result.findings if f.code == "CFN001"]
    assert [f.message for f in structure] == [
        "conditions refer to each other in a cycle: IsBig → IsLarge → IsBig; they are not evaluated"]
    assert structure[0].location.line == 6


@pytest.mark.parametrize("first", ["IsBig", "IsLarge", "UsesBig", "IsProd"])
def test_condition_cycle_is_evaluated_the_same_way_whichever_is_asked_first(first):
    template = parse(CYCLE, "t.yaml").data
    resolver = Resolver(template)
    resolver.condition(first)
    seen = {name: [(c.known, c.value if c.known else c.value.reason) for c in resolver.condition(name)]
            for name in ("IsProd", "IsBig", "IsLarge", "UsesBig")}
    assert seen["IsProd"] == [(True, True)]
    assert seen["IsBig"] == [(False, "condition IsBig is part of the cycle IsBig → IsLarge → IsBig")]
    assert seen["IsLarge"] == [(False, "condition IsLarge is part of the cycle IsBig → IsLarge → IsBig")]
    assert seen["UsesBig"] == seen["IsBig"]


# ---------------------------------------------------------------- documentation


def test_engine_codes_are_documented():
    listing = run_cli("rules", "--format", "markdown").stdout
    for code, name in (("CFN001", "template-structure-error"), ("CFN999", "internal-error")):
        assert f"## {code} `{name}`" in listing
        shown = run_cli("explain", code)
        assert shown.exit_code == 0 and name in shown.stdout


# ---------------------------------------------------------------- files that are not regular


def test_named_pipe_in_a_folder_is_skipped_with_a_note(tmp_path):
    write(tmp_path, "template.yaml", SHORT_QUEUE)
    os.mkfifo(tmp_path / "pipe.yaml")
    notes = []
    files, missing = collect_paths([str(tmp_path)], notes)
    assert files == [str(tmp_path / "template.yaml")] and missing == []
    assert notes == [f"{tmp_path / 'pipe.yaml'}: skipped, it is a named pipe, not a regular file"]


def test_socket_in_a_folder_is_skipped_with_a_note(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "s.json"))
    except OSError:  # pragma: no cover - a path too long for a socket on this machine
        pytest.skip("cannot bind a unix socket here")
    try:
        notes = []
        assert collect_paths([str(tmp_path)], notes) == ([], [])
        assert notes and "a socket" in notes[0]
    finally:
        server.close()


def test_named_pipe_does_not_block_the_run(tmp_path):
    write(tmp_path, "template.yaml", SHORT_QUEUE)
    os.mkfifo(tmp_path / "pipe.yaml")
    done = subprocess.run([sys.executable, "-m", "linter", "check", str(tmp_path), "--isolated", "--no-color"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr      # the SQS001 finding of template.yaml
    assert "pipe.yaml: skipped, it is a named pipe" in done.stderr
    assert "SQS001" in done.stdout
