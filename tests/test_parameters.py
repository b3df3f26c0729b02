"""Parameter values given to ``check``: their origins, the values that are not used (with a warning),
``-p`` with spaces and commas, ``--region``/``--account-id`` and NoEcho masking."""
from __future__ import annotations

import json
import textwrap

import pytest

from cihelpers import ROOT, run, write

# SQS001 reads the queue's visibility timeout against the consumer's Timeout 60, so the value a parameter
# gives decides the finding, and its origin shows in the message.
TEMPLATE = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      Visibility:
        Type: Number
        MinValue: 10
        MaxValue: 43200
        Default: 900
      Env:
        Type: String
        AllowedValues: [dev, prod]
        Default: dev
      Team:
        Type: String
        AllowedPattern: "[a-z]+"
        MaxLength: 8
        Default: core
      Description:
        Type: String
        Default: ""
    Mappings:
      ByRegion:
        eu-west-1: {Visibility: 20}
        us-east-1: {Visibility: 900}
    Resources:
      Jobs:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: VISIBILITY
          RedrivePolicy:
            deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:jobs-dlq
            maxReceiveCount: 5
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::123456789012:role/worker
          Timeout: 60
          Description: !Ref Description
          Code:
            ZipFile: "def handler(event, context): pass"
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          EventSourceArn: !GetAtt Jobs.Arn
          FunctionName: !Ref Worker
    """)


def template(tmp_path, visibility="!Ref Visibility", name="t.yaml", text=TEMPLATE):
    return write(tmp_path, name, text.replace("VISIBILITY", visibility))


def check(*args):
    return run(["check", "--isolated", "--select", "SQS001", *args])


def test_origin_names_the_parameter_file(tmp_path):
    path = template(tmp_path)
    params = write(tmp_path, "params.json", json.dumps([{"ParameterKey": "Visibility", "ParameterValue": "20"}]))
    result = check("--parameter-file", params, path)
    assert result.exit_code == 1, result.output
    assert f"20 s (parameter Visibility = 20, from --parameter-file {params})" in result.stdout
    assert "given on the command line" not in result.stdout


def test_origin_names_the_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    template(tmp_path)
    write(tmp_path, ".cfn-arch-lint.yaml", "parameters: {Visibility: 20}\n")
    result = run(["check", "--select", "SQS001", "t.yaml"])
    assert result.exit_code == 1, result.output
    assert "20 s (parameter Visibility = 20, from config file .cfn-arch-lint.yaml)" in result.stdout


def test_origin_of_a_command_line_value(tmp_path):
    result = check("-p", "Visibility=20", template(tmp_path))
    assert "20 s (parameter Visibility = 20, given on the command line)" in result.stdout


@pytest.mark.parametrize("given, reason", [
    ("Visibility=5", "'5' is less than its MinValue 10"),
    ("Visibility=fast", "'fast' is not a number (Type Number)"),
    ("Env=qa", "'qa' is not one of its AllowedValues (dev, prod)"),
    ("Team=Core", "'Core' does not match its AllowedPattern [a-z]+"),
    ("Team=platformteam", "'platformteam' is longer than its MaxLength 8"),
])
def test_a_value_that_breaks_its_declaration_is_not_used(tmp_path, given, reason):
    """The warning names the file and the flag; the template's own value (Default) is used instead."""
    path = template(tmp_path)
    name = given.split("=")[0]
    result = check("-p", given, "-p", "Visibility=20" if name != "Visibility" else "Env=dev", path)
    assert f"cfn-arch-lint: warning: {path}: parameter {name} (-p): {reason}; it is not used" in result.stderr
    # Visibility 900 (its Default) passes; a broken Visibility value must not be used as if it were given.
    assert result.exit_code == (0 if name == "Visibility" else 1), result.output


def test_a_value_from_the_file_that_breaks_its_declaration_names_the_file(tmp_path):
    path = template(tmp_path)
    params = write(tmp_path, "p.json", json.dumps({"Parameters": {"Visibility": 5}}))
    result = check("--parameter-file", params, path)
    assert f"parameter Visibility (--parameter-file {params}): '5' is less than its MinValue 10" in result.stderr
    assert result.exit_code == 0, result.output


def test_a_name_no_template_declares_is_a_warning(tmp_path):
    path = template(tmp_path)
    params = write(tmp_path, "p.json", json.dumps({"Parameters": {"VisibilityTimeout": 20}}))
    result = check("--parameter-file", params, "-p", "Stage=prod", path)
    assert (f"cfn-arch-lint: warning: parameter VisibilityTimeout (--parameter-file {params}) is declared by no "
            "template checked; it is not used") in result.stderr
    assert "parameter Stage (-p) is declared by no template checked" in result.stderr
    # Declared by one template of the run: no warning, though the other template does not declare it.
    other = write(tmp_path, "other.yaml", "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    quiet = check("-p", "Visibility=20", path, other)
    assert "declared by no template" not in quiet.stderr and quiet.exit_code == 1


def test_parameter_file_entries_without_a_value_are_warnings(tmp_path):
    path = template(tmp_path)
    params = write(tmp_path, "p.json", json.dumps([
        {"ParameterKey": "Visibility", "UsePreviousValue": True},
        {"ParameterKey": "Env"},
        {"ParameterKey": "Team", "ParameterValue": "ops"}]))
    result = check("--parameter-file", params, path)
    assert f"--parameter-file {params}: parameter Visibility has UsePreviousValue" in result.stderr
    assert f"--parameter-file {params}: parameter Env has no ParameterValue; it is not used" in result.stderr
    assert "Team" not in result.stderr
    assert result.exit_code == 0, result.output   # Visibility fell back to its Default 900


def test_each_p_is_one_pair_whose_value_keeps_spaces_and_commas(tmp_path):
    from linter.parameters import parse_pairs

    assert parse_pairs(["Description=my stack, v2", "Subnets=subnet-1,subnet-2", "Eq=a=b"]) == {
        "Description": "my stack, v2", "Subnets": "subnet-1,subnet-2", "Eq": "a=b"}
    path = template(tmp_path)
    result = check("-p", "Description=my stack, v2", "-p", "Visibility=20", path)
    assert result.exit_code == 1 and "declared by no template" not in result.stderr, result.output
    bad = check("-p", "Visibility", path)
    assert bad.exit_code == 2 and "is not KEY=VALUE" in bad.output


def test_readme_documents_one_pair_per_p():
    readme = (ROOT / "README.md").read_text()
    assert '-p "Description=my stack"' in readme
    assert "separated by spaces" not in readme.split("## How values are resolved")[0]


def test_region_resolves_region_keyed_mappings(tmp_path):
    path = template(tmp_path, '!FindInMap [ByRegion, !Ref "AWS::Region", Visibility]')
    unknown = check(path)
    assert "when mapping row ByRegion.eu-west-1" in unknown.stdout   # every row judged, the region unknown
    for args in (["--region", "eu-west-1"], ["-p", "AWS::Region=eu-west-1"]):
        result = check(*args, path)
        assert result.exit_code == 1 and "20 s (Mappings.ByRegion.eu-west-1.Visibility" in result.stdout
        assert "when mapping row" not in result.stdout, result.output
    assert check("--region", "us-east-1", path).exit_code == 0
    assert check("--region", "Ireland", path).exit_code == 2


def test_region_and_account_set_pseudo_parameters():
    from linter.load import parse
    from linter.parameters import gather
    from linter.resolve import Resolver

    values, sources, _ = gather(region="eu-west-1", account_id="123456789012")
    resolver = Resolver(parse("Resources: {}\n", "t.yaml").data, values, parameter_source=sources)
    arn = resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q"})
    assert [c.value for c in arn] == ["arn:aws:sqs:eu-west-1:123456789012:q"]
    (region,) = resolver.ref("AWS::Region")
    assert region.origin == "pseudo parameter AWS::Region = eu-west-1, from --region"
    (unknown,) = Resolver(parse("Resources: {}\n", "t.yaml").data).ref("AWS::Region")
    assert unknown.value != "eu-west-1" and "AWS::Region" in unknown.value


NOECHO = TEMPLATE.replace("    MinValue: 10\n", "    NoEcho: true\n    MinValue: 10\n") \
                 .replace("    Default: 900\n", "    Default: 25\n")
assert NOECHO.count("NoEcho") == 1 and "Default: 25" in NOECHO


def test_noecho_values_never_show(tmp_path):
    path = template(tmp_path, text=NOECHO)
    default = check(path)
    assert default.exit_code == 1
    shown = default.stdout.replace(str(path), "FILE")   # the temporary folder's name may hold any digits
    assert "is **** s (parameter Visibility default, line 3)" in shown and "25" not in shown
    given = check("-p", "Visibility=33", path)
    assert "**** s (parameter Visibility = ****, given on the command line)" in given.stdout
    assert "33" not in given.stdout.replace(str(path), "FILE")
    broken = check("-p", "Visibility=7", path)
    assert "'7'" not in broken.stderr and "parameter Visibility (-p): **** is less than its MinValue 10" in broken.stderr


def test_noecho_value_inside_a_computed_string_is_masked(tmp_path):
    """A NoEcho value copied into another string (Fn::Sub) loses its mark; the run still masks it."""
    from linter.api import FileResult
    from linter.findings import Finding, Location, NotEvaluated, Severity
    from linter.load import parse
    from linter.parameters import mask_secrets
    from linter.values import conceal, display

    parsed = parse(NOECHO.replace("VISIBILITY", "!Ref Visibility"), "t.yaml").data
    where = Location("t.yaml", 3, 5, note="uses https://db/4321/x")
    result = FileResult("t.yaml", "linted", template=parsed, findings=[
        Finding("SQS001", "x", Severity.ERROR, "url https://db/4321/x and default 25 s", where, related=[where])],
        not_evaluated=[NotEvaluated("SQS001", "x", where, "cannot tell 4321")])
    mask_secrets(result, {"Visibility": "4321"})
    assert result.findings[0].message == "url https://db/****/x and default 25 s"   # 25: shorter than 3
    assert result.findings[0].related[0].note == "uses https://db/****/x"
    assert result.not_evaluated[0].reason == "cannot tell ****"
    assert display(conceal(["a", "b"])) == "[****, ****]" and conceal(20) + 1 == 21


@pytest.mark.parametrize("value, definition, reason", [
    ("abcdefghij", {"Type": "CommaDelimitedList", "MaxLength": 3}, None),        # lengths: String only
    ("abcd", {"Type": "String", "MaxLength": 3}, "'abcd' is longer than its MaxLength 3"),
    ("a,B", {"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]"}, "'B' does not match its AllowedPattern [a-z]"),
    ("a,c", {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}, "'c' is not one of its AllowedValues (a, b)"),
    ("subnet-1,vpc-2", {"Type": "List<AWS::EC2::Subnet::Id>"},
     "'vpc-2' is not an AWS::EC2::Subnet::Id (it should start with 'subnet-')"),
    ("5.0", {"Type": "Number", "AllowedValues": [5, 10]}, None),
    ("1,x", {"Type": "List<Number>"}, "'x' is not a number (Type List<Number>)"),
    ("50", {"Type": "Number", "MaxValue": "40"}, "'50' is more than its MaxValue 40"),
    ("anything", {"Type": "AWS::SSM::Parameter::Value<String>", "AllowedValues": ["x"]}, None),
    ("Abc", {"Type": "String", "AllowedPattern": "(?<=x)[a-z]+"}, "'Abc' does not match its AllowedPattern (?<=x)[a-z]+"),
    ("abc", {"Type": "String", "AllowedPattern": "\\p{Lower}+"}, None),   # a Java-only pattern is not judged
])
def test_violation(value, definition, reason):
    from linter.parameters import violation

    assert violation(value, definition) == reason
