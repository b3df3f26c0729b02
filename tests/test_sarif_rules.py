"""SARIF rule metadata and regions: overridden levels, whole-sentence descriptions, security-severity for
security rules, distinct labels for related locations, end positions."""
from __future__ import annotations

import json

import pytest

from cihelpers import BAD, github_problems, run, schema_errors, write


@pytest.fixture(autouse=True)
def _no_workspace(monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


def _rule(code, severity="warning", tags=(), doc="A test rule.\n\n**What it checks.** Something.", score=None):
    from linter.engine import Rule
    from linter.findings import Severity

    return Rule(code, f"test-{code.lower()}", Severity.parse(severity), lambda g, c: (), {}, doc.split("\n\n")[0],
                doc, tuple(tags), score)


def _log(rules, findings=(), **report):
    from linter.report import Report
    from linter.report.sarif_report import as_dict

    log = as_dict(Report(results=report.pop("results", []), findings=list(findings), not_evaluated=[],
                         rules=rules, **report))
    assert not schema_errors(log), schema_errors(log)[:3]
    return log


def _descriptors(log):
    return {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}


def test_default_level_follows_the_config_severity_overrides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    write(tmp_path, ".cfn-arch-lint.yaml", "severity-overrides: {SQS001: info, SQS002: error}\n")
    result = run(["check", "-f", "sarif", "--select", "SQS001,SQS002", "app.yaml"])
    log = json.loads(result.stdout)
    descriptors = _descriptors(log)
    assert descriptors["SQS001"]["defaultConfiguration"]["level"] == "note"     # warning by default
    assert descriptors["SQS002"]["defaultConfiguration"]["level"] == "error"    # warning by default
    assert [r["level"] for r in log["runs"][0]["results"] if r["ruleId"] == "SQS001"] == ["note"]
    plain = json.loads(run(["check", "--isolated", "-f", "sarif", "--select", "SQS001,SQS002", "app.yaml"]).stdout)
    assert _descriptors(plain)["SQS001"]["defaultConfiguration"]["level"] == "warning"
    assert _descriptors(plain)["SQS002"]["defaultConfiguration"]["level"] == "warning"


def test_full_description_ends_at_a_sentence():
    sentence = "The queue must outlive the consumer's timeout by a margin that covers retries. "
    doc = "Short summary.\n\n**What it checks.** " + sentence * 20 + "Tail" + "x" * 40
    descriptors = _descriptors(_log([_rule("TST901", doc=doc)]))
    text = descriptors["TST901"]["fullDescription"]["text"]
    assert len(text) <= 1024 and text.endswith("retries.") and "\u2026" not in text
    assert text == (sentence * 20).strip()[:len(text)]


def test_clip_without_a_sentence_end_cuts_at_a_word():
    from linter.report.sarif_report import _clip

    words = " ".join(["resource"] * 200)
    clipped = _clip(words)
    assert len(clipped) <= 1024 and clipped.endswith("resource\u2026")
    assert _clip("Short. Enough.") == "Short. Enough."


def test_security_rules_carry_a_security_severity_from_their_severity():
    from linter.report.sarif_report import SECURITY_SEVERITY, security_severity

    rules = [_rule("TST911", "error", ("security", "iam")), _rule("TST912", "warning", ("security",)),
             _rule("TST913", "info", ("Security",)), _rule("TST914", "error", ("reliability",)),
             _rule("TST915", "warning", ("security",), score="9.1")]
    log = _log(rules)
    props = {code: d["properties"] for code, d in _descriptors(log).items()}
    assert props["TST911"]["security-severity"] == SECURITY_SEVERITY["error"] == "8.0"
    assert props["TST912"]["security-severity"] == "5.5" and props["TST913"]["security-severity"] == "3.0"
    assert "security-severity" not in props["TST914"] and props["TST914"]["problem.severity"] == "error"
    assert props["TST915"]["security-severity"] == "9.1"            # a declared score wins
    assert security_severity(("security",), "warning") == "5.5"
    # An override moves the derived score with the level.
    overridden = _descriptors(_log(rules, severity_overrides={"TST912": "error"}))
    assert overridden["TST912"]["properties"]["security-severity"] == "8.0"
    assert overridden["TST912"]["defaultConfiguration"]["level"] == "error"
    from linter.engine import all_rules

    for descriptor in _descriptors(_log(all_rules())).values():
        if "security" in descriptor["properties"]["tags"]:
            assert float(descriptor["properties"]["security-severity"]) > 0, descriptor["id"]


def test_two_related_locations_of_one_resource_get_distinct_labels():
    from linter.findings import Finding, Location, Severity

    rule = _rule("TST921")
    related = [Location("t.yaml", 12, 7, logical_id="Worker", pointer="Resources/Worker/Properties/Timeout"),
               Location("t.yaml", 14, 7, logical_id="Worker", pointer="Resources/Worker/Properties/Role"),
               Location("t.yaml", 20, 3, logical_id="Mapping", pointer="Resources/Mapping"),
               Location("t.yaml", 22, 3, logical_id="Mapping", pointer="Resources/Mapping")]
    finding = Finding("TST921", rule.name, Severity.WARNING, "worker and its mapping disagree",
                      Location("t.yaml", 4, 3, logical_id="Jobs"), ("Jobs", "Worker"), related)
    (result,) = _log([rule], [finding])["runs"][0]["results"]
    texts = [r["message"]["text"] for r in result["relatedLocations"]]
    assert len(set(texts)) == 4, texts
    assert texts[:2] == ["related resource Worker Timeout", "related resource Worker Role"]
    assert result["message"]["text"].endswith(
        "Related: [Worker Timeout](1), [Worker Role](2), [Mapping (1)](3), [Mapping (2)](4).")
    assert not github_problems(_log([rule], [finding]))


def test_regions_end_where_the_key_ends(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    log = json.loads(run(["check", "--isolated", "-f", "sarif", "--select", "SQS001", "app.yaml"]).stdout)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 3, "endLine": 4, "endColumn": 7}               # "Jobs"
    for related in result["relatedLocations"]:
        region = related["physicalLocation"]["region"]
        line = BAD.splitlines()[region["startLine"] - 1]
        key = line[region["startColumn"] - 1:region["endColumn"] - 1]
        assert key == related["logicalLocations"][0]["name"], (key, related)
    from linter.report.sarif_report import token_end

    text = '{\n  "Resources": {\n    "Jobs": {"Type": "AWS::SQS::Queue"}}}\n'
    assert token_end(text, 3, 5) == 11 and token_end(text, 3, 1) is None and token_end(text, 9, 1) is None
