"""Templates checked together (linter/stacks.py): stack identity, imports, SSM hand-offs, nested stacks, one graph."""
from __future__ import annotations

import json
import pathlib
import textwrap

import pytest

from cihelpers import run, write
from linter.api import lint_file
from linter.config import Config, load as load_config
from linter.engine import all_rules
from linter.stacks import (StackConfigError, group_templates, lint_group, read_samconfig, stack_identities,
                           template_parameters)

SHOP = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "stacks" / "shop"
NETWORK, APP, MONITORING = (str(SHOP / f / "template.yaml") for f in ("network", "app", "monitoring"))
PARENT, QUEUES = str(SHOP / "parent" / "template.yaml"), str(SHOP / "parent" / "queues.yaml")
CONFIG = SHOP / ".cfn-arch-lint.yaml"


def rules(*codes):
    return [r for r in all_rules() if r.code in codes]


def check(paths, *codes, config=None, given=None):
    """lint_group over the groups group_templates forms, as ``check`` does: results by path."""
    config = config or load_config(str(CONFIG))
    identities = stack_identities(paths, config)
    out = {}
    for group in group_templates(paths, config, identities=identities):
        for result in lint_group(group, rules=rules(*codes), config=config, given=given, identities=identities):
            out[result.path] = result
    return out


def findings(result, code):
    return [f for f in result.findings if f.code == code]


def unjudged(result, code):
    return [n for n in result.not_evaluated if n.code == code]


# ---------------------------------------------------------------- grouping and identity


def test_templates_linked_by_exports_ssm_and_nesting_form_groups():
    lonely = str(SHOP.parent.parent / "rules" / "SQS001" / sorted(p.name for p in (SHOP.parent.parent / "rules" / "SQS001").glob("pass-*"))[0])
    groups = group_templates([lonely, MONITORING, PARENT, APP, NETWORK, QUEUES], load_config(str(CONFIG)))
    assert groups == [[lonely], [MONITORING, APP, NETWORK], [PARENT, QUEUES]]


def test_samconfig_gives_stack_name_region_and_overrides_cited_by_section():
    template, identity = read_samconfig(str(SHOP / "app"))
    assert template == APP
    assert (identity.name, identity.region) == ("shop-app", "eu-west-1")
    assert identity.where == "samconfig.toml [default.global.parameters]"
    assert identity.parameters == {"WorkerTimeout": "20"}
    assert identity.sources["WorkerTimeout"] == "from samconfig.toml [default.deploy.parameters] parameter_overrides"
    _template, prod = read_samconfig(str(SHOP / "network"), "prod")
    assert prod.name == "shop-network-prod" and prod.parameters == {}


def test_config_stacks_entry_names_a_template_without_samconfig():
    identities = stack_identities([MONITORING, QUEUES], load_config(str(CONFIG)))
    assert identities[MONITORING].name == "shop-monitoring"
    assert QUEUES not in identities


def test_parameter_precedence_command_line_then_stacks_entry_then_config_then_samconfig(tmp_path):
    write(tmp_path, "samconfig.toml", '[default.deploy.parameters]\nstack_name = "s"\n'
                                      'parameter_overrides = ["A=sam", "B=sam", "C=sam", "D=sam"]\n')
    template = write(tmp_path, "template.yaml", "Resources: {}\n")
    config = Config(path=str(tmp_path / "c.yaml"), root=str(tmp_path), parameters={"B": "config", "C": "config"},
                    stacks={"template.yaml": {"parameters": {"C": "entry", "D": "entry"}}})
    identity = stack_identities([str(template)], config)[str(template)]
    parameters, sources, pseudo = template_parameters(identity, config, {"D": "cli"})
    assert parameters == {"A": "sam", "B": "config", "C": "entry", "D": "cli"}
    assert sources["A"].startswith("from samconfig.toml") and "stacks: template.yaml" in sources["C"]
    assert "B" not in sources and "D" not in sources   # cited as the run's sources say (config file, -p)
    assert pseudo == {"AWS::StackName": "s"} and sources["AWS::StackName"].startswith("from samconfig.toml")


def test_a_broken_samconfig_is_a_usage_error(tmp_path):
    write(tmp_path, "samconfig.toml", "[default.deploy.parameters\n")
    template = write(tmp_path, "template.yaml", "Resources: {}\n")
    with pytest.raises(StackConfigError, match="samconfig.toml"):
        stack_identities([str(template)])
    result = run(["check", str(template), "--isolated"])
    assert result.exit_code == 2 and "samconfig.toml" in result.stderr


# ---------------------------------------------------------------- one graph across templates


def test_dlq_unalarmed_alone_is_covered_by_the_monitoring_stack_through_an_export_and_ssm():
    alone = check([APP], "SQS002")[APP]
    assert sorted(f.location.logical_id for f in findings(alone, "SQS002")) == ["OrdersDLQ", "PaymentsDLQ"]
    together = check([APP, MONITORING], "SQS002")
    assert not findings(together[APP], "SQS002") and not unjudged(together[APP], "SQS002")
    assert not findings(together[MONITORING], "SQS002")


def test_imported_private_subnet_lets_vpc001_judge_the_function():
    alone = check([APP], "VPC001")[APP]
    assert [n.location.logical_id for n in unjudged(alone, "VPC001")] == ["Worker"]
    assert "Fn::ImportValue 'shop-network-PrivateSubnetId'" in unjudged(alone, "VPC001")[0].reason
    together = check([APP, NETWORK], "VPC001")
    assert not unjudged(together[APP], "VPC001")
    judged = findings(together[APP], "VPC001")
    # The subnet reaches the internet through the NAT gateway; what is left is the single zone.
    assert [f.check for f in judged] and all("one Availability Zone" in f.message for f in judged)
    assert {r.path for f in judged for r in f.related} == {NETWORK}


def test_nested_child_is_checked_with_the_values_its_parent_passes():
    alone = check([QUEUES], "SQS001")[QUEUES]
    assert not findings(alone, "SQS001")
    together = check([PARENT, QUEUES], "SQS001", "TPL004")
    [finding] = findings(together[QUEUES], "SQS001")   # the queue's file, not the parent's
    assert finding.location.path == QUEUES and finding.location.logical_id == "Jobs"
    assert f"passed by parent stack {PARENT} (Resources.JobQueues.Parameters.VisibilityTimeout, line 9)" \
        in finding.message
    assert PARENT in {r.path for r in finding.related}
    assert not findings(together[PARENT], "SQS001")
    [undeclared] = findings(together[PARENT], "TPL004")
    assert "passes parameter Stage" in undeclared.message and undeclared.related[0].path == QUEUES


def test_equal_logical_ids_of_two_templates_never_merge(tmp_path):
    network = write(tmp_path, "network.yaml", textwrap.dedent("""\
        Resources:
          Subnet:
            Type: AWS::EC2::Subnet
            Properties: {VpcId: vpc-123, CidrBlock: 10.0.1.0/24}
        Outputs:
          SubnetId:
            Value: !Ref Subnet
            Export: {Name: net-SubnetId}
        """))
    app = write(tmp_path, "app.yaml", textwrap.dedent("""\
        Resources:
          Subnet:
            Type: AWS::SQS::Queue
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: arn:aws:iam::123456789012:role/fn
              Code: {ZipFile: "def handler(e, c): pass"}
              VpcConfig:
                SubnetIds: [!ImportValue net-SubnetId]
                SecurityGroupIds: [sg-123]
        """))
    results = lint_group([str(network), str(app)], rules=rules("VPC001"), config=Config())
    [record] = unjudged(results[1], "VPC001")
    # The imported subnet is network.yaml's Subnet (no route table association), not app.yaml's queue.
    assert "subnet Subnet has no route table association" in record.reason


def test_duplicate_export_across_templates_is_reported_in_both_files_with_the_other_as_related(tmp_path):
    body = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n  TopicArn:\n    Value: !Ref Topic\n" \
           "    Export:\n      Name: shared-TopicArn\n"
    first, second = write(tmp_path, "a/template.yaml", body), write(tmp_path, "b/template.yaml", body)
    out = tmp_path / "report.sarif"
    result = run(["check", tmp_path, "--isolated", "--format", "json", "--sarif-output", out], only="TPL003")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_path = {f["location"]["path"]: f for f in report["findings"]}
    assert set(by_path) == {str(first), str(second)}
    assert [r["path"] for r in by_path[str(first)]["related"]] == [str(second)]
    sarif = json.loads(out.read_text())
    related = [loc["physicalLocation"]["artifactLocation"]["uri"] for res in sarif["runs"][0]["results"]
               for loc in res.get("relatedLocations", ())]
    assert len(related) == 2 and all(uri.endswith("template.yaml") for uri in related)


def test_different_regions_may_export_the_same_name(tmp_path):
    body = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n  TopicArn:\n    Value: !Ref Topic\n" \
           "    Export:\n      Name: shared-TopicArn\n"
    for folder, region in (("a", "eu-west-1"), ("b", "us-east-1")):
        write(tmp_path, f"{folder}/template.yaml", body)
        write(tmp_path, f"{folder}/samconfig.toml", f'[default.deploy.parameters]\nstack_name = "{folder}"\n'
                                                    f'region = "{region}"\n')
    result = run(["check", tmp_path, "--isolated"], only="TPL003")
    assert result.exit_code == 0, result.stdout


def test_config_env_picks_the_samconfig_environment(tmp_path):
    write(tmp_path, "samconfig.toml", '[default.deploy.parameters]\nstack_name = "dev"\n'
                                      '[prod.deploy.parameters]\nstack_name = "prod"\n')
    write(tmp_path, "template.yaml", textwrap.dedent("""\
        Resources:
          Topic:
            Type: AWS::SNS::Topic
        Outputs:
          A:
            Value: !Ref Topic
            Export: {Name: !Sub "${AWS::StackName}-Topic"}
          B:
            Value: !Ref Topic
            Export: {Name: prod-Topic}
        """))
    assert run(["check", tmp_path, "--isolated"], only="TPL003").exit_code == 0
    result = run(["check", tmp_path, "--isolated", "--config-env", "prod"], only="TPL003")
    assert result.exit_code == 1 and "'prod-Topic'" in result.stdout


def test_a_file_checked_alone_is_checked_as_before():
    for path in (APP, QUEUES, MONITORING):
        [grouped] = lint_group([path], rules=rules("SQS001", "SQS002", "VPC001"), config=Config())
        plain = lint_file(path, rules=rules("SQS001", "SQS002", "VPC001"))
        assert [(f.code, f.message) for f in grouped.findings] == [(f.code, f.message) for f in plain.findings]
        assert grouped.not_evaluated == plain.not_evaluated


def test_check_command_checks_the_shop_as_groups():
    result = run(["check", SHOP, "--config", CONFIG, "--format", "json"], only="SQS001,SQS002,VPC001,TPL004")
    report = json.loads(result.stdout)
    got = sorted((f["rule"]["code"], pathlib.Path(f["location"]["path"]).parent.name + "/" +
                  pathlib.Path(f["location"]["path"]).name, f["location"]["logicalId"]) for f in report["findings"])
    assert got == [("SQS001", "parent/queues.yaml", "Jobs"), ("SQS002", "parent/queues.yaml", "JobsDLQ"),
                   ("TPL004", "parent/template.yaml", "JobQueues"), ("VPC001", "app/template.yaml", "Worker")]


def test_an_import_no_template_exports_may_be_answered_from_outside_the_run():
    from linter.api import read_text
    from linter.stacks import TemplateInput, lint_inputs

    text = (SHOP / "app" / "template.yaml").read_text()
    item = TemplateInput("stack://eu-west-1/shop-app", read_text(text, "app"), text,
                         pseudo={"AWS::StackName": "shop-app"})
    asked = []

    def deployed(name):
        asked.append(name)
        return ("subnet-0abc", "shop-network") if name == "shop-network-PrivateSubnetId" else None

    [result] = lint_inputs([item], rules=rules("VPC001"), external_export=deployed)
    assert "shop-network-PrivateSubnetId" in asked
    [record] = unjudged(result, "VPC001")
    assert "subnet-0abc" in record.reason   # the deployed subnet id: not a resource of the run


DLQ_APP = textwrap.dedent("""\
    Resources:
      DLQ:
        Type: AWS::SQS::Queue
      Work:
        Type: AWS::SQS::Queue
        Properties:
          RedrivePolicy: {deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 5}
      DLQName:
        Type: AWS::SSM::Parameter
        Properties:
          Name: /app/dlq-name
          Type: String
          Value: !GetAtt DLQ.QueueName
    """)


def alarm_on(queue_name: str) -> str:
    return textwrap.dedent(f"""\
        Resources:
          Ops:
            Type: AWS::SNS::Topic
          Depth:
            Type: AWS::CloudWatch::Alarm
            Properties:
              Namespace: AWS/SQS
              MetricName: ApproximateNumberOfMessagesVisible
              Dimensions: [{{Name: QueueName, Value: {queue_name}}}]
              Statistic: Maximum
              Period: 60
              EvaluationPeriods: 1
              Threshold: 0
              ComparisonOperator: GreaterThanThreshold
              AlarmActions: [!Ref Ops]
        """)


def test_a_dynamic_ssm_reference_reads_the_parameter_another_template_writes(tmp_path):
    app = write(tmp_path, "app.yaml", DLQ_APP)
    alarms = write(tmp_path, "alarms.yaml", alarm_on('"{{resolve:ssm:/app/dlq-name}}"'))
    assert group_templates([str(app), str(alarms)]) == [[str(app), str(alarms)]]
    results = lint_group([str(app), str(alarms)], rules=rules("SQS002"), config=Config())
    assert not findings(results[0], "SQS002") and not unjudged(results[0], "SQS002")
    [alone] = lint_group([str(app)], rules=rules("SQS002"), config=Config())
    assert [f.location.logical_id for f in findings(alone, "SQS002")] == ["DLQ"]


def built_group(*paths):
    """A Group of parsed templates with their graphs, ready to answer hand-offs."""
    from linter.api import read_text
    from linter.build import graph_resources
    from linter.stacks import Group

    group = Group()
    scopes = []
    for path in paths:
        scope = group.add(str(path), read_text(path.read_text(), str(path)), None)
        scope.graph = graph_resources(str(path), scope.template, stack=scope)
        scopes.append(scope)
    group.ready = True
    return scopes


def test_an_import_two_templates_export_stays_unknown(tmp_path):
    export = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  N:\n    Value: !GetAtt Q.QueueName\n" \
             "    Export: {Name: dlq-name}\n"
    first, second = write(tmp_path, "a.yaml", export), write(tmp_path, "b.yaml", export)
    alarms = write(tmp_path, "alarms.yaml", alarm_on("!ImportValue dlq-name"))
    [group] = group_templates([str(first), str(second), str(alarms)])
    results = lint_group(group, rules=rules("TPL003"), config=Config())
    assert [len(findings(r, "TPL003")) for r in results] == [1, 1, 0]
    *_exporters, reader = built_group(first, second, alarms)
    value = reader.import_value("dlq-name")
    assert not value.is_known and "several templates of the run export it" in value.cases[0].value.reason


def test_imports_that_go_round_in_a_cycle_stay_unknown(tmp_path):
    a = write(tmp_path, "a.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  X:\n"
                                  "    Value: !ImportValue from-b\n    Export: {Name: from-a}\n")
    b = write(tmp_path, "b.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  X:\n"
                                  "    Value: !ImportValue from-a\n    Export: {Name: from-b}\n")
    results = lint_group([str(a), str(b)], config=Config())
    assert all(r.status == "linted" and not r.errors for r in results)
    first, _second = built_group(a, b)
    value = first.import_value("from-b")
    assert not value.is_known and "cycle" in value.cases[0].value.reason
