"""Every rule fixture is linted and its findings compared with the expectations written in it."""
from __future__ import annotations

import pathlib

import pytest

from linter.api import lint_file
from linter.engine import all_rules

from fixture_expectations import read

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "rules"
CASES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".yaml", ".yml", ".json", ".template"))


def test_every_rule_has_fixtures():
    for rule in all_rules():
        folder = FIXTURES / rule.code
        fails = list(folder.glob("fail-*"))
        passes = list(folder.glob("pass-*"))
        assert len(fails) >= 2 and len(passes) >= 2, f"{rule.code} needs at least two failing and two passing fixtures"


def test_fixture_folders_name_real_rules():
    codes = {r.code for r in all_rules()}
    for folder in FIXTURES.iterdir():
        assert folder.name in codes, f"fixtures/rules/{folder.name} names no rule"


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_fixture(path):
    code = path.parent.name
    text = path.read_text(encoding="utf-8")
    expected = read(text)
    if path.name.startswith("fail-"):
        assert expected.findings, f"{path.name}: a failing fixture must say what it expects"
    else:
        assert path.name.startswith("pass-"), f"{path.name}: fixtures are named fail-* or pass-*"
        assert not [e for e in expected.findings if e.code == code], f"{path.name}: a passing fixture expects no {code}"
    result = lint_file(str(path), parameters=expected.parameters)
    assert result.status == "linted", [f.message for f in result.findings]
    assert not result.errors, result.errors

    got = sorted((f.code, f.severity.label, f.location.logical_id) for f in result.findings if f.code == code)
    want = sorted((e.code, e.severity, e.logical_id) for e in expected.findings if e.code == code)
    messages = "\n".join(f"{f.code} {f.severity.label} {f.location.logical_id}: {f.message}"
                         for f in result.findings if f.code == code)
    assert got == want, f"findings differ:\n{messages}"
    for e in expected.findings:
        if e.code != code:
            continue
        matching = [f for f in result.findings
                    if f.code == code and f.location.logical_id == e.logical_id and f.severity.label == e.severity]
        for sub in e.substrings:
            assert any(sub in f.message for f in matching), f"no {code} message on {e.logical_id} contains {sub!r}:\n{messages}"

    got_ne = sorted({(n.code, n.location.logical_id) for n in result.not_evaluated if n.code == code})
    want_ne = sorted(set(ne for ne in expected.not_evaluated if ne[0] == code))
    reasons = "\n".join(f"{n.location.logical_id}: {n.reason}" for n in result.not_evaluated if n.code == code)
    assert got_ne == want_ne, f"not-evaluated records differ:\n{reasons}"
