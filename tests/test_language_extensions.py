"""AWS::LanguageExtensions is expanded before SAM; what no transform lets us see is said, never taken as absent."""
from __future__ import annotations

import json
import pathlib

import pytest

from linter.api import lint_text
from linter.build import build_graph
from linter.langext import _Expander, declared_transforms, expand_transforms
from linter.load import parse
from linter.resolve import NO_VALUE, Resolver

from conftest import SHARED


def graph_of(text: str, parameters: dict | None = None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def codes(result, code):
    return sorted((f.location.logical_id, f.location.line) for f in result.findings if f.code == code)


LOOP_OF_WORKERS = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Pipelines:
    Type: CommaDelimitedList
    Default: "orders,pay-ments,audit"
Resources:
  Fn::ForEach::Pipelines:
    - Name
    - !Ref Pipelines
    - "&{Name}Queue":
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${Name}-jobs"
          VisibilityTimeout: 30
          RedrivePolicy:
            deadLetterTargetArn: !GetAtt "&{Name}DLQ.Arn"
            maxReceiveCount: 3
      "&{Name}DLQ":
        Type: AWS::SQS::Queue
      "&{Name}Worker":
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: src/
          Timeout: 60
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: !GetAtt "&{Name}Queue.Arn"
"""


def test_foreach_in_resources_generates_every_resource_for_the_rules():
    result = lint_text(LOOP_OF_WORKERS, "t.yaml")
    assert result.status == "linted" and not result.errors
    # Every generated queue is judged, on the loop line that sets its visibility timeout.
    assert codes(result, "SQS001") == [("auditQueue", 15), ("ordersQueue", 15), ("paymentsQueue", 15)]
    sqs001 = [f.message for f in result.findings if f.code == "SQS001"]
    assert all("30 s (set on line 15)" in m and "60 s (set on line 27)" in m for m in sqs001)
    # Every generated dead-letter queue lacks an alarm; the finding points at the loop's OutputKey.
    assert codes(result, "SQS002") == [("auditDLQ", 19), ("ordersDLQ", 19), ("paymentsDLQ", 19)]


def test_foreach_names_follow_the_given_parameter_value():
    graph = graph_of(LOOP_OF_WORKERS, {"Pipelines": "billing"})
    assert graph.unseen is None
    assert sorted(r for r in graph.resources if r.endswith(("Queue", "DLQ"))) == ["billingDLQ", "billingQueue"]
    assert graph.resources["billingQueue"].get("QueueName").single == "billing-jobs"


def test_unknown_collection_makes_the_generated_resources_unseen_not_absent():
    text = LOOP_OF_WORKERS.replace('    Default: "orders,pay-ments,audit"\n', "")
    graph = graph_of(text)
    assert graph.unseen and "Fn::ForEach::Pipelines at line 7" in graph.unseen
    assert "parameter Pipelines has no Default" in graph.unseen
    assert not [r for r in graph.resources if "Queue" in r]
    result = lint_text(text, "t.yaml")
    assert result.status == "linted" and not result.errors


def test_nested_loops_and_both_identifier_forms():
    text = """\
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Envs:
    - Env
    - [dev, prod-eu]
    - Fn::ForEach::Topics:
        - Topic
        - [order.created, order.paid]
        - "&{Env}&{Topic}Topic":
            Type: AWS::SNS::Topic
            Properties:
              TopicName: "${Env}-${Topic}"
              DisplayName: !Ref Topic
"""
    graph = graph_of(text)
    assert sorted(graph.resources) == ["devordercreatedTopic", "devorderpaidTopic", "prodeuordercreatedTopic",
                                       "prodeuorderpaidTopic"]
    topic = graph.resources["prodeuorderpaidTopic"]
    assert topic.get("TopicName").single == "prod-eu-order.paid"
    assert topic.get("DisplayName").single == "order.paid"
    assert topic.position() == (9, 11)          # the inner loop's OutputKey
    assert topic.position("TopicName") == (12, 15)


def test_foreach_in_conditions_outputs_and_properties():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  Fn::ForEach::EnvChecks:
    - Name
    - [prod, dev]
    - Is${Name}: !Equals [!Ref Env, "${Name}"]
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Condition: Isdev
  Audit:
    Type: AWS::SQS::Queue
    Condition: Isprod
    Properties:
      QueueName: audit
      Fn::ForEach::Settings:
        - Setting
        - [VisibilityTimeout, DelaySeconds]
        - ${Setting}: 45
Outputs:
  Fn::ForEach::QueueOutputs:
    - Id
    - [Audit]
    - ${Id}Url:
        Value: !Ref ${Id}
"""
    graph = graph_of(text)
    assert sorted(graph.resources) == ["Audit"]    # Isdev is false: Jobs is never created
    audit = graph.resources["Audit"]
    assert audit.get("VisibilityTimeout").single == 45 and audit.get("DelaySeconds").single == 45
    assert audit.get("QueueName").single == "audit"
    assert "AuditUrl" in graph.template["Outputs"]


def test_unknown_collection_inside_properties_makes_them_unknown():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Settings: {Type: CommaDelimitedList}
Resources:
  Audit:
    Type: AWS::SQS::Queue
    Properties:
      Fn::ForEach::Settings:
        - Setting
        - !Ref Settings
        - ${Setting}: 45
"""
    graph = graph_of(text)
    assert graph.unseen is None
    case = graph.resources["Audit"].get("VisibilityTimeout").cases[0]
    assert not case.known and "parameter Settings has no Default" in case.describe()


def test_fn_length_counts_a_list_parameter_with_its_origin():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Subnets: {Type: CommaDelimitedList, Default: "subnet-1,subnet-2,subnet-3"}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: !Length [a, b]
      MaximumMessageSize: !Length {Ref: Subnets}
      VisibilityTimeout: !Length {Ref: Unknown}
"""
    jobs = graph_of(text).resources["Jobs"]
    assert jobs.get("DelaySeconds").single == 2
    size = jobs.get("MaximumMessageSize").cases[0]
    assert size.value == 3 and "parameter Subnets default" in size.origin
    assert not jobs.get("VisibilityTimeout").cases[0].known


def test_intrinsic_deletion_and_update_replace_policies_resolve():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Policy: {Type: String, Default: Retain}
  Stage: {Type: String}
Conditions:
  Keep: !Equals [!Ref Policy, Retain]
Resources:
  Data:
    Type: AWS::SQS::Queue
    DeletionPolicy: !Ref Policy
    UpdateReplacePolicy: !If [Keep, Snapshot, Delete]
  Scratch:
    Type: AWS::SQS::Queue
    DeletionPolicy: !If [IsProd, Retain, Delete]
"""
    template = parse(text, "t.yaml").data
    graph = build_graph("t.yaml", template)
    data = graph.template["Resources"]["Data"]
    assert (data["DeletionPolicy"], data["UpdateReplacePolicy"]) == ("Retain", "Snapshot")
    assert isinstance(graph.template["Resources"]["Scratch"]["DeletionPolicy"], dict)   # left to be resolved
    assert isinstance(template["Resources"]["Data"]["DeletionPolicy"], dict)          # input unchanged


def test_to_json_string_with_an_unknown_part_is_unknown():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Owner: {Type: String}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      RedriveAllowPolicy: !ToJsonString {redrivePermission: allowAll}
      QueueName: !ToJsonString {owner: !Ref Owner}
"""
    jobs = graph_of(text).resources["Jobs"]
    assert json.loads(jobs.get("RedriveAllowPolicy").single) == {"redrivePermission": "allowAll"}
    assert "parameter Owner has no Default" in jobs.get("QueueName").cases[0].describe()


QUEUES = """\
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDLQ.Arn, maxReceiveCount: 3}
  OrdersDLQ:
    Type: AWS::SQS::Queue
"""


def test_include_in_the_resources_section_is_unseen():
    text = "Resources:\n" + QUEUES + """\
  Fn::Transform:
    Name: AWS::Include
    Parameters:
      Location: s3://ops-snippets/alarms.yaml
"""
    graph = graph_of(text)
    assert "AWS::Include of s3://ops-snippets/alarms.yaml at line 8" in graph.unseen
    assert sorted(graph.resources) == ["Orders", "OrdersDLQ"]


def test_include_as_a_whole_resource_and_in_the_transform_section_is_unseen():
    whole = "Resources:\n" + QUEUES + """\
  Alarms:
    Fn::Transform: {Name: AWS::Include, Parameters: {Location: alarms.yaml}}
"""
    assert "resource Alarms comes from AWS::Include of alarms.yaml" in graph_of(whole).unseen
    top = "Transform:\n  Name: AWS::Include\n  Parameters: {Location: s3://b/x.yaml}\nResources:\n" + QUEUES
    assert "AWS::Include at line 1" in graph_of(top).unseen
    macro = "Transform: [AWS::Serverless-2016-10-31, DatadogServerless]\nResources:\n" + QUEUES
    assert "macro transform DatadogServerless" in graph_of(macro).unseen


def test_include_inside_a_resource_makes_its_properties_unknown_not_absent():
    text = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
      Fn::Transform: {Name: AWS::Include, Parameters: {Location: queue-settings.yaml}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: openapi.yaml}}
"""
    graph = graph_of(text)
    assert graph.unseen is None
    visibility = graph.resources["Jobs"].get("VisibilityTimeout").cases[0]
    assert not visibility.known and "AWS::Include of queue-settings.yaml at line 7" in visibility.describe()
    assert graph.resources["Api"].get("StageName").single == "prod"
    assert not graph.resources["Api"].get("DefinitionBody").cases[0].known


def test_transforms_that_add_only_their_own_resources_leave_absence_checks_standing():
    text = "Transform: [AWS::SecretsManager-2020-07-23, AWS::CodeDeployBlueGreen]\nResources:\n" + QUEUES
    assert graph_of(text).unseen is None
    result = lint_text(text, "t.yaml")
    assert codes(result, "SQS002") == [("OrdersDLQ", 7)]


def test_declared_transforms_reads_every_form():
    assert declared_transforms({"Transform": "AWS::LanguageExtensions"}) == ["AWS::LanguageExtensions"]
    assert declared_transforms({"Transform": ["A", {"Name": "AWS::Include"}, None]}) == ["A", "AWS::Include"]
    assert declared_transforms({}) == []


def test_the_input_template_is_left_as_it_was():
    template = parse(LOOP_OF_WORKERS, "t.yaml").data
    before = json.dumps(template, sort_keys=True)
    expanded, unseen = expand_transforms(template, Resolver(template))
    assert unseen is None and "Fn::ForEach::Pipelines" not in expanded["Resources"]
    assert json.dumps(template, sort_keys=True) == before


# ---------------------------------------------------------------- the AWS SAM CLI's own expectations

SAM_CLI = SHARED / "corpus-fixtures" / "aws-sam-cli" / "aws__aws-sam-cli"
PREFIX = "tests__unit__lib__cfn_language_extensions__compatibility__templates__"
EXPECTED = sorted(SAM_CLI.glob(PREFIX + "forEach__*Expected.json")) if SAM_CLI.is_dir() else []


def _shape(section: dict, template: dict) -> dict:
    """Generated keys, and for resources the property names that do not resolve to AWS::NoValue."""
    resolver = Resolver(template)
    out = {}
    for key, value in section.items():
        props = value.get("Properties") if isinstance(value, dict) else None
        out[key] = sorted(k for k, v in props.items() if resolver.resolve(v).single is not NO_VALUE) \
            if isinstance(props, dict) else None
    return out


@pytest.mark.parametrize("expected", EXPECTED, ids=[p.name[len(PREFIX):] for p in EXPECTED])
def test_foreach_matches_the_sam_cli_expectations(expected: pathlib.Path):
    source = expected.with_name(expected.name.replace("Expected.json", ".json"))
    template = parse(source.read_text(encoding="utf-8"), str(source)).data
    want = json.loads(expected.read_text(encoding="utf-8"))
    expander = _Expander(Resolver(template))
    for section in ("Resources", "Conditions", "Outputs"):
        if isinstance(template.get(section), dict):
            got = expander.section(template[section], section)
            assert _shape(got, template) == _shape(want.get(section, {}), want), section
    assert not expander.unseen


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is not beside the project")
def test_corpus_language_extension_templates_expand_completely():
    seen = 0
    for root in (SHARED / "corpus", SHARED / "corpus-fixtures"):
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json", ".template") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "AWS::LanguageExtensions" not in text or "ForEach" not in text:
                continue
            try:
                template = parse(text, str(path)).data
            except Exception:
                continue
            if not isinstance(template, dict) or "AWS::LanguageExtensions" not in declared_transforms(template):
                continue
            graph = build_graph(str(path), template)
            left = [k for s in ("Resources", "Conditions", "Outputs") if isinstance(graph.template.get(s), dict)
                    for k in graph.template[s] if str(k).startswith("Fn::ForEach")]
            assert not left, path
            seen += 1
    assert seen >= 10


def test_a_runaway_nest_of_loops_stops_and_is_unseen():
    items = "[" + ", ".join(f"i{n}" for n in range(30)) + "]"
    text = f"""\
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::A:
    - A
    - {items}
    - Fn::ForEach::B:
        - B
        - {items}
        - Fn::ForEach::C:
            - C
            - {items}
            - "Q${{A}}${{B}}${{C}}": {{Type: AWS::SQS::Queue}}
"""
    graph = graph_of(text)
    assert "generates more than 10,000 entries" in graph.unseen


def test_an_unknown_loop_in_a_resource_body_hides_that_resource():
    text = """\
Transform: AWS::LanguageExtensions
Parameters:
  Attributes: {Type: CommaDelimitedList}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Fn::ForEach::Attributes:
      - Attribute
      - !Ref Attributes
      - ${Attribute}: Retain
"""
    assert "Fn::ForEach::Attributes at line 7" in graph_of(text).unseen
