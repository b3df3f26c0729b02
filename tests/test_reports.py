"""GitHub annotations, JUnit XML and JSON output."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cihelpers import BAD, BROKEN, CLEAN, PIPELINE_RULES, SAM, WORKFLOW, run, write


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------- github


def test_github_escaping_rules():
    from linter.report.github_report import annotation, escape_data, escape_property

    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    line = annotation("error", "bad: 50%, really\nyes", file="dir/a,b.yaml", line=3, col=1, title="X1 t: x")
    assert line == "::error file=dir/a%2Cb.yaml,line=3,col=1,title=X1 t%3A x::bad: 50%25, really%0Ayes"


def test_github_annotations_per_severity(tmp_path):
    write(tmp_path, "t/bad.yaml", BAD)
    write(tmp_path, "t/sam.yaml", SAM)
    write(tmp_path, "t/clean.yaml", CLEAN)
    result = run(["check", "--isolated", "-f", "github", "t"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    error = next(line for line in lines if line.startswith("::error "))
    warning = next(line for line in lines if line.startswith("::warning "))
    assert error.startswith("::error file=t/bad.yaml,line=4,col=3,title=SQS001 sqs-visibility-timeout-vs-lambda::")
    assert "visibility timeout of queue Jobs is 30 s" in error and error.endswith("(resource Jobs)")
    assert warning.startswith("::warning file=t/sam.yaml,line=20,col=7,")
    # The message has colons and commas; they stay in the data part, only % CR LF are escaped there.
    assert "= 360 s: a slow" in warning


def test_github_info_is_notice_and_overflow_notice():
    from linter.findings import Finding, Location, Severity
    from linter.report import Report
    from linter.report.github_report import render

    findings = [Finding("SQS002", "sqs-dlq-depth-alarm", Severity.WARNING, f"queue Q{i} has no alarm",
                        Location("a.yaml", i + 1, 3, logical_id=f"Q{i}")) for i in range(11)]
    findings.append(Finding("SQS002", "sqs-dlq-depth-alarm", Severity.INFO, "fyi", Location("a.yaml", 40, 1)))
    out = render(Report(results=[], findings=findings, not_evaluated=[], rules=[])).splitlines()
    assert sum(line.startswith("::warning ") for line in out) == 11
    assert out[11].startswith("::notice file=a.yaml,line=40,col=1,title=SQS002 sqs-dlq-depth-alarm::fyi")
    assert out[-1].startswith("::notice title=cfn-arch-lint::cfn-arch-lint found 12 problems")


def test_github_paths_relative_to_workspace(tmp_path, monkeypatch):
    write(tmp_path, "repo/infra/bad.yaml", BAD)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "repo"))
    result = run(["check", "--isolated", "-f", "github", str(tmp_path / "repo/infra/bad.yaml")])
    assert result.stdout.startswith("::error file=infra/bad.yaml,line=4,")


# ---------------------------------------------------------------- junit


def test_junit_one_suite_per_file_one_case_per_rule(tmp_path):
    from linter.engine import all_rules

    write(tmp_path, "bad.yaml", BAD)
    write(tmp_path, "clean.yaml", CLEAN)
    write(tmp_path, "broken.yaml", BROKEN)
    write(tmp_path, "workflow.yml", WORKFLOW)
    result = run(["check", "--isolated", "-f", "junit", "-o", "report.xml",
                  "bad.yaml", "clean.yaml", "broken.yaml", "workflow.yml"])
    assert result.exit_code == 1
    root = ET.parse(tmp_path / "report.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"bad.yaml", "clean.yaml", "broken.yaml", "workflow.yml"}
    n_rules = len(PIPELINE_RULES.split(","))   # one test case per rule that ran
    bad = suites["bad.yaml"]
    cases = bad.findall("testcase")
    assert len(cases) == n_rules == int(bad.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["SQS001 sqs-visibility-timeout-vs-lambda"]
    failure = failed[0].find("failure")
    assert failure.get("type") == "error" and "30 s" in failure.get("message")
    assert failure.text.startswith("bad.yaml:4:3: SQS001 [error]")
    assert bad.get("failures") == "1"
    clean = suites["clean.yaml"]
    assert clean.get("failures") == "0" and len(clean.findall("testcase")) == n_rules
    broken = suites["broken.yaml"]
    (case,) = broken.findall("testcase")
    assert case.get("name").startswith("CFN000") and case.find("error") is not None
    assert broken.get("errors") == "1"
    assert suites["workflow.yml"].find("testcase/skipped") is not None
    assert root.get("failures") == "1" and root.get("errors") == "1"
    assert int(root.get("tests")) == 2 * n_rules + 2


def test_junit_escapes_awkward_text():
    from linter.findings import Finding, Location, Severity
    from linter.api import FileResult
    from linter.engine import all_rules
    from linter.report import Report
    from linter.report.junit_report import render

    rule = all_rules()[0]
    f = Finding(rule.code, rule.name, Severity.ERROR, 'a < b & "c" \x07 ]]>', Location("x&y.yaml", 1, 1))
    fr = FileResult("x&y.yaml", "linted", [f])
    root = ET.fromstring(render(Report(results=[fr], findings=[f], not_evaluated=[], rules=[rule])).split("\n", 1)[1])
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == 'a < b & "c"  ]]>'
    assert root.find("testsuite").get("name") == "x&y.yaml"


# ---------------------------------------------------------------- json


def test_json_shape(tmp_path):
    write(tmp_path, "bad.yaml", BAD)
    result = run(["check", "--isolated", "-f", "json", "bad.yaml"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["schemaVersion"] == 1
    assert set(data) >= {"tool", "files", "findings", "notEvaluated", "unusedSuppressions", "baseline", "summary"}
    (f,) = data["findings"]
    assert f["rule"] == {"code": "SQS001", "name": "sqs-visibility-timeout-vs-lambda"}
    assert f["severity"] == "error" and f["suppressed"] is None
    assert f["location"]["logicalId"] == "Jobs" and f["location"]["line"] == 4
    assert sorted(f["logicalIds"]) == ["Jobs", "Mapping", "Worker"]
    assert len(f["fingerprint"]) == 32
    assert data["summary"]["error"] == 1 and data["summary"]["suppressed"] == 0
    assert data["summary"]["baselined"] == 0 and data["baseline"] is None


def test_json_suppressed_info(tmp_path):
    text = BAD.replace("  Jobs:\n", "  # cfn-arch-lint: ignore[SQS001] drained by a cron job\n  Jobs:\n")
    write(tmp_path, "bad.yaml", text)
    data = json.loads(run(["check", "--isolated", "-f", "json", "bad.yaml"]).stdout)
    assert data["findings"] == [] and data["summary"]["suppressed"] == 1
    data = json.loads(run(["check", "--isolated", "-f", "json", "--show-suppressed", "bad.yaml"]).stdout)
    (f,) = data["findings"]
    assert f["suppressed"] == {"kind": "comment", "reason": "drained by a cron job"}
    assert data["summary"]["error"] == 0


def test_text_summary_counts_suppressed(tmp_path):
    text = BAD.replace("  Jobs:\n", "  Jobs:  # cfn-arch-lint: ignore[SQS001]\n")
    write(tmp_path, "bad.yaml", text)
    result = run(["check", "--isolated", "bad.yaml"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "1 suppressed (--show-suppressed lists them)" in result.stderr
    result = run(["check", "--isolated", "--show-suppressed", "bad.yaml"])
    assert "SQS001 [suppressed: comment]" in result.stdout


@pytest.mark.parametrize("args", [["--version"], ["rules"]])
def test_lazy_imports(args):
    import subprocess
    import sys

    code = ("import sys; from linter.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit: pass\n"
            "bad = [m for m in sys.modules if m.startswith(('jsonschema', 'linter.report', 'linter.config', "
            "'linter.suppress', 'linter.baseline', 'tomllib', 'tomli'))]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]"), out


def test_every_format_has_a_reporter_module():
    import importlib

    from linter.options import FORMATS

    for fmt in FORMATS:
        assert callable(importlib.import_module(f"linter.report.{fmt}_report").render)
