"""Suppressions in the template: resource and template Metadata, YAML comments, unused ones."""
from __future__ import annotations

import json
import re
import textwrap

import pytest

from cihelpers import BAD, SAM, TWO, codes, run, write


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def report(tmp_path, text, *args, name="t.yaml"):
    write(tmp_path, name, text)
    result = run(["check", "--isolated", "-f", "json", "-p", "WorkerTimeout=60", *args, name])
    return result, json.loads(result.stdout)


def with_metadata(text, resource, block):
    """Insert a Metadata block under a resource of a 2-space indented template."""
    indented = textwrap.indent(textwrap.dedent(block), "      ")
    head = re.compile(rf"^  {resource}:\n", re.M)
    assert head.search(text), resource
    return head.sub(lambda m: f"  {resource}:\n    Metadata:\n{indented}", text, count=1)


def test_unsuppressed_reference(tmp_path):
    result, data = report(tmp_path, TWO)
    assert codes(result) == ["SQS001", "SQS002"] and result.exit_code == 1


def test_resource_metadata_by_code_name_and_reason(tmp_path):
    text = with_metadata(TWO, "Jobs", """\
        cfn-arch-lint:
          ignore:
            - {id: SQS001, reason: "workers finish in 20 s in practice"}
        """)
    text = with_metadata(text, "DeadLetters", """\
        cfn-arch-lint:
          ignore: [sqs-dlq-depth-alarm]
        """)
    result, data = report(tmp_path, text, "--show-suppressed")
    assert result.exit_code == 0
    got = {f["rule"]["code"]: f["suppressed"] for f in data["findings"]}
    assert got == {"SQS001": {"kind": "metadata", "reason": "workers finish in 20 s in practice"},
                   "SQS002": {"kind": "metadata", "reason": ""}}
    assert data["summary"]["suppressed"] == 2 and data["summary"]["warning"] == 0


def test_metadata_on_another_resource_does_not_suppress(tmp_path):
    text = with_metadata(TWO, "Worker", "cfn-arch-lint: {ignore: [SQS001]}\n")
    result, data = report(tmp_path, text, "--show-unused-suppressions")
    assert codes(result) == ["SQS001", "SQS002"]
    (unused,) = data["unusedSuppressions"]
    assert unused["rule"] == "SQS001" and unused["logicalId"] == "Worker"
    assert "unused suppression SQS001 (Metadata of resource Worker)" in result.stderr


def test_template_metadata(tmp_path):
    text = TWO.replace("Parameters:\n", "Metadata:\n  cfn-arch-lint:\n    ignore: [SQS002]\nParameters:\n", 1)
    result, _ = report(tmp_path, text)
    assert codes(result) == ["SQS001"]


def test_json_template_metadata(tmp_path):
    from cfn_tools import dump_json, load_yaml

    template = load_yaml(TWO)
    template["Resources"]["Jobs"]["Metadata"] = {"cfn-arch-lint": {"ignore": [{"id": "SQS001", "reason": "ok"}]}}
    result, data = report(tmp_path, dump_json(template), name="t.json")
    assert codes(result) == ["SQS002"] and data["summary"]["suppressed"] == 1


@pytest.mark.parametrize("edit", [
    ("  Jobs:\n", "  # cfn-arch-lint: ignore[SQS001] reason here\n  Jobs:\n"),          # line above the resource
    ("  Jobs:\n", "  Jobs:  # cfn-arch-lint: ignore[SQS001] reason here\n"),            # on the resource line
    ("      VisibilityTimeout: 300\n",
     "      VisibilityTimeout: 300  # cfn-arch-lint: ignore[SQS001] reason here\n"),    # on the finding's line
    ("  Jobs:\n", "  # cfn-arch-lint: ignore[SQS002,SQS001] reason here\n  Jobs:\n"),   # a list
])
def test_comment_forms(tmp_path, edit):
    result, data = report(tmp_path, TWO.replace(*edit, 1), "--show-suppressed")
    got = {f["rule"]["code"]: f["suppressed"] for f in data["findings"]}
    assert got["SQS001"] == {"kind": "comment", "reason": "reason here"}
    assert got["SQS002"] is None                  # on DeadLetters: not covered by a comment at Jobs
    assert result.exit_code == 1


def test_comment_two_lines_above_does_not_count(tmp_path):
    text = TWO.replace("  Jobs:\n", "  # cfn-arch-lint: ignore[SQS001]\n\n  Jobs:\n", 1)
    result, data = report(tmp_path, text, "--show-unused-suppressions")
    assert codes(result) == ["SQS001", "SQS002"]
    assert [u["rule"] for u in data["unusedSuppressions"]] == ["SQS001"]


def test_ignore_file_comment(tmp_path):
    result, _ = report(tmp_path, "# cfn-arch-lint: ignore-file[SQS002]\n" + TWO)
    assert codes(result) == ["SQS001"]


def test_sam_queue_metadata(tmp_path):
    text = with_metadata(SAM, "Jobs", "cfn-arch-lint: {ignore: [SQS001]}\n")
    result, data = report(tmp_path, text, name="sam.yaml")
    assert codes(result) == [] and data["summary"]["suppressed"] == 1


def test_sam_function_metadata_covers_its_implicit_resources():
    """A finding on a resource SAM creates (the event source mapping WorkerJobs) is located on the SAM
    function that declares it, so the function's Metadata (or a comment at it) suppresses it."""
    from linter import suppress
    from linter.api import lint_text
    from linter.engine import find_rule
    from linter.findings import Finding, Severity

    for text in (with_metadata(SAM, "Worker", "cfn-arch-lint: {ignore: [SQS001]}\n"),
                 SAM.replace("  Worker:\n", "  # cfn-arch-lint: ignore[SQS001]\n  Worker:\n", 1)):
        result = lint_text(text, "sam.yaml", rules=[])
        from linter.build import build_graph

        graph = build_graph("sam.yaml", result.template)
        (esm,) = [r for r in graph.resources.values() if r.implicit and r.type == "AWS::Lambda::EventSourceMapping"]
        rule = find_rule("SQS001")
        finding = Finding(rule.code, rule.name, Severity.WARNING, "batch too large", graph.location_of(esm, "BatchSize"),
                          graph.logical_ids_of(esm))
        result.findings.append(finding)
        sups = suppress.apply([result])
        assert finding.location.logical_id == "Worker" and esm.logical_id == "WorkerJobs"
        assert finding.suppressed_by in ("metadata", "comment") and sups[0].used == 1


def test_unused_and_unknown_suppressions(tmp_path):
    text = with_metadata(TWO, "Jobs", """\
        cfn-arch-lint:
          ignore: [SQS001, SQS003, NOTARULE]
        """)
    result, data = report(tmp_path, text, "--show-unused-suppressions", "--ignore", "VPC001")
    rules = sorted(u["rule"] for u in data["unusedSuppressions"])
    assert rules == ["NOTARULE", "SQS003"]
    # Without the flag nothing is reported.
    result, data = report(tmp_path, text)
    assert data["unusedSuppressions"] == [] and "unused" not in result.stderr


def test_suppression_of_a_rule_that_did_not_run_is_not_unused(tmp_path):
    text = with_metadata(TWO, "Jobs", "cfn-arch-lint: {ignore: [SQS001]}\n")
    result, data = report(tmp_path, text, "--show-unused-suppressions", "--select", "SQS002")
    assert data["unusedSuppressions"] == []


def test_malformed_metadata_is_reported_not_fatal(tmp_path):
    text = with_metadata(TWO, "Jobs", "cfn-arch-lint: {ignore: [{reason: no id}]}\n")
    result, data = report(tmp_path, text)
    assert codes(result) == ["SQS001", "SQS002"]
    assert "needs a rule code or name" in result.stderr and "Traceback" not in result.stderr


def test_suppressed_finding_does_not_fail_the_run(tmp_path):
    write(tmp_path, "bad.yaml", BAD.replace("  Jobs:\n", "  Jobs:  # cfn-arch-lint: ignore[SQS001]\n"))
    assert run(["check", "--isolated", "bad.yaml"]).exit_code == 0
    write(tmp_path, "bad.yaml", BAD)
    assert run(["check", "--isolated", "bad.yaml"]).exit_code == 1


def test_glob_match():
    from linter.suppress import glob_match

    assert glob_match("legacy/**", "legacy/a/b.yaml")
    assert glob_match("**/test-*.yaml", "x/y/test-1.yaml") and glob_match("**/test-*.yaml", "test-1.yaml")
    assert glob_match("*.json", "deep/dir/t.json")           # no slash: file name
    assert not glob_match("legacy/*.yaml", "legacy/a/b.yaml")
    assert glob_match("./stacks/*.yaml", "stacks/a.yaml")
