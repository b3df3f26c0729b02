"""SARIF 2.1.0 output: valid against the OASIS schema and the GitHub code-scanning subset."""
from __future__ import annotations

import json
import pathlib

import pytest

from cihelpers import BAD, BROKEN, CLEAN, ROOT, SAM, SHARED, github_problems, run, schema_errors, write

CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def _no_workspace(monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


def sarif_for(paths, *extra):
    result = run(["check", "--isolated", "-f", "sarif", *paths, *extra])
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout), result


def assert_valid(log, security_codes=frozenset()):
    errors = schema_errors(log)
    assert not errors, errors[:5]
    problems = github_problems(log, security_codes)
    assert not problems, problems[:5]


def test_defect_is_a_complete_github_result(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "templates/app.yaml", BAD)
    log, result = sarif_for(["templates/app.yaml"])
    assert result.exit_code == 1
    assert_valid(log)
    run_ = log["runs"][0]
    assert log["version"] == "2.1.0" and run_["columnKind"] == "unicodeCodePoints"
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "CFN000" in ids and "SQS001" in ids
    (res,) = [r for r in run_["results"] if r["ruleId"] == "SQS001"]
    assert rules[res["ruleIndex"]]["id"] == "SQS001"
    assert res["level"] == "error"
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "templates/app.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["physicalLocation"]["region"]["startLine"] == 4      # the Jobs resource
    assert loc["logicalLocations"] == [{"name": "Jobs", "fullyQualifiedName": "Resources/Jobs", "kind": "resource"}]
    related = {r["logicalLocations"][0]["name"]: r for r in res["relatedLocations"]}
    assert set(related) == {"Worker", "Mapping"}
    assert related["Worker"]["physicalLocation"]["region"]["startLine"] == 10   # after the Jobs queue and its redrive policy
    # The message links the related resources by id.
    assert f"[Worker]({related['Worker']['id']})" in res["message"]["text"]
    assert "30 s" in res["message"]["text"]
    assert list(res["partialFingerprints"]) == ["cfnArchLint/v1"]
    assert len(res["partialFingerprints"]["cfnArchLint/v1"]) == 32
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_rule_descriptors_carry_the_docs():
    from linter.engine import all_rules
    from linter.report import Report
    from linter.report.sarif_report import as_dict

    rules = all_rules()
    log = as_dict(Report(results=[], findings=[], not_evaluated=[], rules=rules))
    assert_valid(log)
    descriptors = {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(descriptors) == {r.code for r in rules} | {"CFN000", "CFN001", "CFN999"}
    assert log["runs"][0]["results"] == []
    for r in rules:
        d = descriptors[r.code]
        assert d["name"] == r.name
        assert d["shortDescription"]["text"] == " ".join(r.summary.split())
        assert "**" not in d["help"]["text"] and "`" not in d["help"]["text"]
        if "**Why it matters.**" in r.doc:
            assert "Why it matters." in d["help"]["text"]
        assert d["help"]["markdown"] == r.doc.strip()
        assert d["helpUri"].endswith("#" + r.code.lower())
        assert d["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[r.severity.label]
        assert d["properties"]["tags"] == list(dict.fromkeys(r.tags))
        assert ("security-severity" in d["properties"]) == bool(r.security_severity or "security" in r.tags)


def test_security_severity_only_on_security_rules():
    from linter.engine import Rule, all_rules
    from linter.findings import Finding, Location, Severity
    from linter.report import Report
    from linter.report.sarif_report import as_dict

    sec = Rule("SEC901", "public-bucket-test", Severity.ERROR, lambda g, c: (), {}, "A test security rule.",
               "A test security rule.\n\n**What it checks.** Something risky.", ("s3",), "7.5")
    bogus = Rule("SEC902", "bogus-score-test", Severity.WARNING, lambda g, c: (), {}, "Bad score.",
                 "Bad score.", ("s3",), "high")
    rules = all_rules() + [sec, bogus]
    finding = Finding("SEC901", sec.name, Severity.ERROR, "bucket [Assets] is public", Location("t.yaml", 0, 0))
    log = as_dict(Report(results=[], findings=[finding], not_evaluated=[], rules=rules))
    assert_valid(log, security_codes={"SEC901"})
    descriptors = {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert descriptors["SEC901"]["properties"]["security-severity"] == "7.5"
    assert "security" in descriptors["SEC901"]["properties"]["tags"]
    assert "problem.severity" not in descriptors["SEC901"]["properties"]
    # A score that is not a number is left out rather than sent to GitHub, which would reject the upload.
    assert "security-severity" not in descriptors["SEC902"]["properties"]
    (res,) = log["runs"][0]["results"]
    # Line/column 0 (unknown) is clamped to 1; literal brackets in the message are escaped, not links.
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}
    assert res["message"]["text"] == "bucket \\[Assets\\] is public"


def test_sam_implicit_resource_finding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "sam.yaml", SAM)
    log, result = sarif_for(["sam.yaml"])
    assert result.exit_code == 1
    assert_valid(log)
    (res,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "SQS001"]
    assert res["level"] == "warning"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 20   # VisibilityTimeout
    # The event source mapping SAM creates (WorkerJobs) has no place of its own: it points at the event.
    related_lines = sorted(r["physicalLocation"]["region"]["startLine"] for r in res["relatedLocations"])
    assert related_lines == [6, 13]
    assert all(r["logicalLocations"][0]["name"] == "Worker" for r in res["relatedLocations"])


def test_parse_error_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "broken.yaml", BROKEN)
    write(tmp_path, "clean.yaml", CLEAN)
    log, result = sarif_for(["broken.yaml", "clean.yaml"])
    assert result.exit_code == 1
    assert_valid(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    (res,) = log["runs"][0]["results"]
    assert res["ruleId"] == "CFN000" and rules[res["ruleIndex"]]["id"] == "CFN000"
    assert res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 3


def test_empty_results_and_clean_exit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "clean.yaml", CLEAN)
    log, result = sarif_for(["clean.yaml"])
    assert result.exit_code == 0
    assert_valid(log)
    assert log["runs"][0]["results"] == []


def test_uri_relative_to_git_root_from_a_subfolder(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "infra/app.yaml", BAD)
    (tmp_path / "tools").mkdir()
    monkeypatch.chdir(tmp_path / "tools")
    log, _ = sarif_for(["../infra/app.yaml"])
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "infra/app.yaml", "uriBaseId": "%SRCROOT%"}


def test_uri_relative_to_github_workspace(tmp_path, monkeypatch):
    write(tmp_path, "ws/deploy/app.yaml", BAD)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(tmp_path)
    log, _ = sarif_for(["ws/deploy/app.yaml"])
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    # cwd (tmp_path) has no git root above it, so the workspace wins over the cwd.
    assert art == {"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"}


def test_scheme_paths_are_kept_without_base(tmp_path):
    from linter.api import lint_text
    from linter.engine import all_rules
    from linter.report import Report
    from linter.report.sarif_report import as_dict

    result = lint_text(BAD, "stack://eu-west-1/jobs-prod")
    log = as_dict(Report(results=[result], findings=result.findings, not_evaluated=[], rules=all_rules()))
    assert_valid(log)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "stack://eu-west-1/jobs-prod"}


def test_suppressed_findings_left_out_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = BAD.replace("  Jobs:\n", "  Jobs:  # cfn-arch-lint: ignore[SQS001] drained by hand\n")
    write(tmp_path, "app.yaml", text)
    log, result = sarif_for(["app.yaml"])
    assert result.exit_code == 0
    assert log["runs"][0]["results"] == []
    log, result = sarif_for(["app.yaml", "--show-suppressed"])
    assert result.exit_code == 0
    assert_valid(log)
    (res,) = log["runs"][0]["results"]
    assert res["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": "drained by hand"}]


def _fixture_files():
    files = sorted(p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template"))
    return files


def _corpus_sample():
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    picked = [CORPUS / r[0] for i, r in enumerate(rows) if i % 25 == 0]
    # Templates known to give findings of several rules, and SAM ones.
    picked += [p for p in CORPUS.rglob("*") if p.is_file() and ("sqs" in p.name.lower() or "SQS" in p.name)]
    return sorted(set(p for p in picked if p.exists()))


def test_many_real_templates_validate(tmp_path, monkeypatch):
    files = _fixture_files() + _corpus_sample()
    assert len(files) >= 50
    monkeypatch.chdir(ROOT)
    log, result = sarif_for([str(f) for f in files], "--show-suppressed")
    assert_valid(log)
    results = log["runs"][0]["results"]
    codes = {r["ruleId"] for r in results}
    assert "SQS001" in codes and len(results) >= 10
    # Files in this repository get repo-relative URIs; the shared corpus lies outside it (absolute file URIs).
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert all(u.startswith(("fixtures/", "file:///")) for u in uris), sorted(uris)[:5]


def test_sarif_output_alongside_another_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    result = run(["check", "--isolated", "-f", "github", "--sarif-output", "out.sarif", "app.yaml"])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=app.yaml,line=4,col=3,")
    log = json.loads((tmp_path / "out.sarif").read_text())
    assert_valid(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["SQS001"]


def test_the_github_checks_catch_what_the_schema_lets_through(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    log, _ = sarif_for(["app.yaml"])
    assert not github_problems(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    rules[1]["properties"]["security-severity"] = 5.5            # a number, not a string
    log["runs"][0]["results"][0]["ruleIndex"] = 0                # points at CFN000
    problems = github_problems(log)
    assert not schema_errors(log)                                # the schema is happy with both
    assert any("security-severity is not a string" in p for p in problems)
    assert any("ruleIndex 0 does not point" in p for p in problems)


def test_finding_located_on_an_implicit_sam_resource(tmp_path, monkeypatch):
    """A finding on the event source mapping SAM creates points at the SAM event that declares it."""
    from linter.api import lint_text
    from linter.build import build_graph
    from linter.engine import all_rules, find_rule
    from linter.findings import Finding, Severity
    from linter.report import Report
    from linter.report.sarif_report import as_dict

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "sam.yaml", SAM)
    result = lint_text(SAM, "sam.yaml")
    graph = build_graph("sam.yaml", result.template)
    esm = graph.resources["WorkerJobs"]
    assert esm.implicit
    rule = find_rule("SQS001")
    extra = Finding(rule.code, rule.name, Severity.INFO, "mapping WorkerJobs has no batching window",
                    graph.location_of(esm, "MaximumBatchingWindowInSeconds"), graph.logical_ids_of(esm),
                    [graph.location_of(graph.resources["Jobs"])], check="window")
    findings = sorted(result.findings + [extra], key=lambda f: f.sort_key())
    log = as_dict(Report(results=[result], findings=findings, not_evaluated=[], rules=all_rules()))
    assert_valid(log)
    res = next(r for r in log["runs"][0]["results"] if r["level"] == "note")
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Resources/Worker"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 13
    assert res["relatedLocations"][0]["logicalLocations"][0]["name"] == "Jobs"
    prints = [r["partialFingerprints"]["cfnArchLint/v1"] for r in log["runs"][0]["results"]]
    assert len(prints) == len(result.findings) + 1 and len(set(prints)) == len(prints)
