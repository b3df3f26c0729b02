"""Baselines: keyed on the fingerprint, so they survive line moves, reordering and YAML→JSON conversion."""
from __future__ import annotations

import json
import re

import pytest

from cihelpers import BAD, TWO, codes, run, write


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def check(*args):
    return run(["check", "--isolated", "-f", "json", "-p", "WorkerTimeout=60", *args])


def fingerprints(result):
    return sorted(f["fingerprint"] for f in json.loads(result.stdout)["findings"])


def test_write_then_use(tmp_path):
    write(tmp_path, "t/two.yaml", TWO)
    result = check("--write-baseline", "baseline.json", "t/two.yaml")
    assert result.exit_code == 0
    assert "wrote 2 findings to baseline baseline.json" in result.stderr
    data = json.loads((tmp_path / "baseline.json").read_text())
    entries = data["findings"]
    assert [e["rule"] for e in entries] == ["SQS001", "SQS002"]
    assert set(entries[0]) == {"fingerprint", "rule", "path", "logicalIds", "message"}
    assert entries[0]["path"] == "t/two.yaml" and "Jobs" in entries[0]["logicalIds"]

    result = check("--baseline", "baseline.json", "t/two.yaml")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert report["summary"]["baselined"] == 2 and report["baseline"]["matched"] == 2
    assert report["baseline"]["stale"] == []


def test_new_findings_shown_and_fixed_ones_stale(tmp_path):
    write(tmp_path, "two.yaml", TWO)
    check("--write-baseline", "b.json", "two.yaml")
    # Fix SQS001 (visibility 360 s) and add a new defect in another file.
    write(tmp_path, "two.yaml", TWO.replace("VisibilityTimeout: 300", "VisibilityTimeout: 360"))
    write(tmp_path, "bad.yaml", BAD)
    result = check("--baseline", "b.json", "two.yaml", "bad.yaml")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(f["location"]["path"], f["rule"]["code"]) for f in report["findings"]] == [("bad.yaml", "SQS001")]
    assert [e["rule"] for e in report["baseline"]["stale"]] == ["SQS001"]
    assert re.search(r"baseline b\.json: stale entry SQS001 in two\.yaml \(Jobs, Worker, Mapping\)", result.stderr)


def test_entries_for_files_not_linted_are_not_stale(tmp_path):
    write(tmp_path, "two.yaml", TWO)
    write(tmp_path, "bad.yaml", BAD)
    check("--write-baseline", "b.json", "two.yaml", "bad.yaml")
    report = json.loads(check("--baseline", "b.json", "bad.yaml").stdout)
    assert report["baseline"]["stale"] == [] and report["baseline"]["matched"] == 1


def test_text_summary_counts_baselined(tmp_path):
    write(tmp_path, "two.yaml", TWO)
    check("--write-baseline", "b.json", "two.yaml")
    result = run(["check", "--isolated", "-p", "WorkerTimeout=60", "--baseline", "b.json", "two.yaml"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "2 in the baseline" in result.stderr
    result = run(["check", "--isolated", "-p", "WorkerTimeout=60", "--baseline", "b.json", "--show-suppressed",
                  "two.yaml"])
    assert result.stdout.count("[suppressed: baseline]") == 2


def _reordered(text: str) -> str:
    """Blank lines and comments added, resources in reverse order."""
    head, resources = text.split("Resources:\n")
    blocks = re.split(r"(?m)^(?=  \S)", resources)
    blocks = [b for b in blocks if b.strip()]
    return "# moved around\n\n" + head + "\n\nResources:\n" + "\n\n".join(reversed(blocks))


def test_survives_line_moves_reordering_and_json(tmp_path):
    from cfn_tools import dump_json, load_yaml

    write(tmp_path, "two.yaml", TWO)
    original = check("two.yaml")
    before = fingerprints(original)
    assert len(before) == 2
    check("--write-baseline", "b.json", "two.yaml")
    lines_before = sorted(f["location"]["line"] for f in json.loads(original.stdout)["findings"])

    write(tmp_path, "two.yaml", _reordered(TWO))
    moved = check("two.yaml")
    assert fingerprints(moved) == before
    assert sorted(f["location"]["line"] for f in json.loads(moved.stdout)["findings"]) != lines_before
    assert json.loads(check("--baseline", "b.json", "two.yaml").stdout)["findings"] == []

    # The same template converted to JSON by cfn-flip, under the same path.
    write(tmp_path, "two.yaml", dump_json(load_yaml(TWO)))
    assert fingerprints(check("two.yaml")) == before
    report = json.loads(check("--baseline", "b.json", "two.yaml").stdout)
    assert report["findings"] == [] and report["baseline"]["stale"] == []


def test_renamed_path_is_a_new_finding(tmp_path):
    write(tmp_path, "two.yaml", TWO)
    check("--write-baseline", "b.json", "two.yaml")
    write(tmp_path, "moved/two.yaml", TWO)
    assert codes(check("--baseline", "b.json", "moved/two.yaml")) == ["SQS001", "SQS002"]


def test_inline_suppressed_findings_stay_out_of_the_baseline(tmp_path):
    write(tmp_path, "two.yaml", "# cfn-arch-lint: ignore-file[SQS002]\n" + TWO)
    check("--write-baseline", "b.json", "two.yaml")
    entries = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert [e["rule"] for e in entries] == ["SQS001"]


@pytest.mark.parametrize("content,message", [
    (None, "baseline file b.json does not exist"),
    ("{not json", "baseline file b.json is not valid JSON"),
    ('{"findings": {"a": 1}}', "expected an object with a 'findings' list"),
    ('{"findings": [{"rule": "SQS001"}]}', "findings[0] has no 'fingerprint' string"),
])
def test_bad_baseline_file(tmp_path, content, message):
    write(tmp_path, "two.yaml", TWO)
    if content is not None:
        write(tmp_path, "b.json", content)
    result = check("--baseline", "b.json", "two.yaml")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_unwritable_baseline(tmp_path):
    write(tmp_path, "two.yaml", TWO)
    write(tmp_path, "file", "x")
    result = check("--write-baseline", "file/b.json", "two.yaml")
    assert result.exit_code == 2 and "cannot write baseline file file/b.json" in result.stderr
