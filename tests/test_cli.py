"""The command line as a user meets it: exit codes, parameters, selection, stdin, help and docs."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from linter import __version__
from linter.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
ISSUE_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Visibility:
    Type: Number
Globals:
  Function:
    Timeout: 60
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: VISIBILITY
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def no_visibility(text):
    return text.replace("    Properties:\n      VisibilityTimeout: VISIBILITY\n", "")


def test_globals_timeout_against_sqs_default_is_an_error(tmp_path):
    path = write(tmp_path, "t.yaml", no_visibility(ISSUE_TEMPLATE))
    result = run("check", path, "--select", "SQS001")
    assert result.exit_code == 1, result.output
    assert "SQS001 [error]" in result.output
    assert "30 s (the SQS default)" in result.output
    assert "60 s (Globals.Function.Timeout" in result.output


def test_parameter_without_default_is_not_evaluated(tmp_path):
    path = write(tmp_path, "t.yaml", ISSUE_TEMPLATE.replace("VISIBILITY", "!Ref Visibility"))
    result = run("check", path, "--select", "SQS001", "--show-not-evaluated")
    assert result.exit_code == 0, result.output
    assert "[not evaluated]" in result.output and "Visibility has no Default" in result.output
    assert "[error]" not in result.output and "[warning]" not in result.output
    given = run("check", path, "--select", "SQS001", "--parameters", "Visibility=20")
    assert given.exit_code == 1 and "20 s (parameter Visibility = 20, given on the command line" in given.output


def test_parameter_file_both_shapes(tmp_path):
    path = write(tmp_path, "t.yaml", ISSUE_TEMPLATE.replace("VISIBILITY", "!Ref Visibility"))
    cli_json = write(tmp_path, "p.json", json.dumps([{"ParameterKey": "Visibility", "ParameterValue": "400"}]))
    mapping = write(tmp_path, "q.json", json.dumps({"Parameters": {"Visibility": 40}}))
    assert run("check", path, "--select", "SQS001", "--parameter-file", cli_json).exit_code == 0
    assert run("check", path, "--select", "SQS001", "--parameter-file", mapping).exit_code == 1
    # --parameters beats the file
    assert run("check", path, "--select", "SQS001", "--parameter-file", mapping, "-p", "Visibility=400").exit_code == 0


def test_bad_parameter_file_is_a_usage_error(tmp_path):
    path = write(tmp_path, "t.yaml", no_visibility(ISSUE_TEMPLATE))
    bad = write(tmp_path, "bad.json", "{not json")
    result = run("check", path, "--parameter-file", bad)
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_select_ignore_and_unknown_selector(tmp_path):
    path = write(tmp_path, "t.yaml", no_visibility(ISSUE_TEMPLATE))
    ignored = run("check", path, "--ignore", "SQS001")
    assert "SQS001" not in ignored.output and "SQS006" in ignored.output   # the other rules still run
    assert run("check", path, "--select", "SQS001,SQS006", "--ignore", "SQS001,SQS006").exit_code == 0
    assert run("check", path, "--select", "sqs-visibility-timeout-vs-lambda").exit_code == 1
    assert run("check", path, "--select", "SQS").exit_code == 1
    result = run("check", path, "--select", "NOPE999")
    assert result.exit_code == 2 and "matches no rule" in result.output


def test_severity_threshold(tmp_path):
    path = write(tmp_path, "t.yaml", ISSUE_TEMPLATE.replace("VISIBILITY", "100"))   # 100 < 360: warning only
    assert run("check", path, "--select", "SQS001").exit_code == 1
    assert run("check", path, "--select", "SQS001", "--severity", "error").exit_code == 0


def test_folders_recurse_and_other_files_still_linted(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    write(tmp_path / "deep" / "er", "t.yaml", no_visibility(ISSUE_TEMPLATE))
    write(tmp_path / "deep", "broken.yaml", "Resources:\n  A: {Type: AWS::SQS::Queue\n")
    write(tmp_path / "deep", "workflow.yml", "on: push\njobs: {}\n")
    write(tmp_path / "deep", "notes.txt", "not looked at")
    result = run("check", str(tmp_path), "--format", "json")
    data = json.loads(result.stdout)
    statuses = {pathlib.Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses == {"t.yaml": "linted", "broken.yaml": "parse-error", "workflow.yml": "skipped"}
    assert {f["rule"]["code"] for f in data["findings"]} >= {"SQS001", "CFN000"}
    assert result.exit_code == 1


def test_nothing_readable_exits_2(tmp_path):
    bad = write(tmp_path, "broken.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
    assert run("check", bad).exit_code == 2
    assert run("check", str(tmp_path / "missing.yaml")).exit_code == 2


def test_stdin(tmp_path):
    result = run("check", "-", input=no_visibility(ISSUE_TEMPLATE))
    assert result.exit_code == 1 and "<stdin>:" in result.output


def test_json_output_to_file(tmp_path):
    path = write(tmp_path, "t.yaml", no_visibility(ISSUE_TEMPLATE))
    out = tmp_path / "report.json"
    result = run("check", path, "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert data["schemaVersion"] == 1
    finding = next(f for f in data["findings"] if f["rule"]["code"] == "SQS001")
    assert finding["location"]["logicalId"] == "Jobs" and finding["location"]["line"] == 10
    assert len(finding["fingerprint"]) == 32


def test_no_color_and_plain_output_when_piped(tmp_path):
    path = write(tmp_path, "t.yaml", no_visibility(ISSUE_TEMPLATE))
    result = run("check", path, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\033[" not in result.output


def test_rules_and_explain():
    listing = run("rules")
    for code in ("SQS001", "SQS002", "SQS003", "VPC001"):
        assert code in listing.output
    doc = run("explain", "sqs-visibility-timeout-vs-lambda")
    assert doc.exit_code == 0
    for section in ("What it checks", "Why it matters", "Example (fails)", "Fix"):
        assert section in doc.output
    assert run("explain", "SQS999").exit_code == 2


def test_version_and_help():
    assert __version__ in run("--version").output
    help_text = run("check", "--help").output
    assert "--parameters" in help_text and "--show-not-evaluated" in help_text


def test_python_m_linter_and_console_script_agree():
    result = subprocess.run([sys.executable, "-m", "linter", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_version_matches_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in text


def test_every_rule_is_documented_in_the_four_sections():
    from linter.engine import all_rules

    for rule in all_rules():
        for section in ("**What it checks.**", "**Why it matters.**", "**Example (fails).**", "**Fix.**"):
            assert section in rule.doc, f"{rule.code} docstring lacks {section}"


def test_startup_does_not_import_reporters_or_boto3():
    code = ("import sys; from linter import cli; "
            "bad = [m for m in ('boto3', 'botocore', 'jsonschema', 'linter.report.json_report', 'ruamel.yaml') "
            "if m in sys.modules]; print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("text", ["\x00\x01\x02", "Resources: !!python/object:os.system {}\n", "- - - -\n"])
def test_odd_input_never_tracebacks(tmp_path, text):
    path = write(tmp_path, "odd.yaml", text)
    result = run("check", path)
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_rule_reference_is_up_to_date():
    """docs/rules.md is generated; SARIF helpUri points at its per-code anchors."""
    generated = run("rules", "--format", "markdown").output
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == generated, \
        "regenerate with: cfn-arch-lint rules --format markdown > docs/rules.md"
    for code in ("sqs001", "sqs002", "sqs003", "vpc001", "cfn000"):
        assert f'<a id="{code}"></a>' in generated


def test_parameter_file_booleans_read_as_cloudformation_text(tmp_path):
    from linter.cli import load_parameter_file

    path = write(tmp_path, "p.json", json.dumps({"Parameters": {"Flag": True, "Subnets": ["a", "b"], "N": 3}}))
    assert load_parameter_file(path) == {"Flag": "true", "Subnets": "a,b", "N": "3"}


def test_readme_rules_table_is_generated():
    """The README's rules table is the output of ``rules --format table``, between its markers."""
    result = CliRunner().invoke(main, ["rules", "--format", "table"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- rules-table:")
    table = readme[readme.index("\n", start) + 1:readme.index("<!-- end rules-table -->")]
    assert table == result.output, "regenerate the README table with: cfn-arch-lint rules --format table"
