"""Every rule fixture is linted and its findings compared with the expectations written in it."""
from __future__ import annotations

import pathlib
import warnings

import pytest

from linter.api import lint_file
from linter.engine import all_rules

from fixture_expectations import read

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "rules"


class KnownGap(UserWarning):
    """A finding a fixture marks as a known gap of its rule: shown in the warnings summary, never a failure."""


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
    assert not expected.problems, f"{path.name}: " + "; ".join(expected.problems)
    if path.name.startswith("fail-"):
        assert expected.findings, f"{path.name}: a failing fixture must say what it expects"
    else:
        assert path.name.startswith("pass-"), f"{path.name}: fixtures are named fail-* or pass-*"
        # A passing fixture may still carry the rule's advice (info); never a warning or an error.
        assert not [e for e in expected.findings if e.code == code and e.severity != "info"], \
            f"{path.name}: a passing fixture expects no {code} warning or error"
    result = lint_file(str(path), parameters=expected.parameters)
    assert result.status == "linted", [f.message for f in result.findings]
    assert not result.errors, result.errors

    mine = [f for f in result.findings if f.code == code]
    messages = "\n".join(f"line {f.location.line}: {f.code} {f.severity.label} {f.location.logical_id}: {f.message}"
                         for f in mine)

    def key(code_, severity, logical_id, line):
        return (code_, severity, logical_id, line)

    gaps = {key(e.code, e.severity, e.logical_id, e.line) for e in expected.known_gaps if e.code == code}
    got = sorted(key(f.code, f.severity.label, f.location.logical_id, f.location.line) for f in mine)
    closed = sorted(gaps & set(got))
    assert not closed, f"known gap now reported, turn it into an expect: {closed}\n{messages}"
    want = sorted(key(e.code, e.severity, e.logical_id, e.line) for e in expected.findings if e.code == code)
    assert got == want, f"findings differ (code, severity, logical id, line):\nwant {want}\ngot  {got}\n{messages}"
    for e in expected.findings:
        if e.code != code:
            continue
        matching = [f for f in mine if f.location.logical_id == e.logical_id and f.severity.label == e.severity
                    and f.location.line == e.line]
        for sub in e.substrings:
            assert any(sub in f.message for f in matching), f"no {code} message on {e.logical_id} contains {sub!r}:\n{messages}"
    for gap in sorted(gaps):
        warnings.warn(f"{path.parent.name}/{path.name}: known gap, not reported yet: {gap}", KnownGap)

    got_ne = sorted({(n.code, n.location.logical_id) for n in result.not_evaluated if n.code == code})
    want_ne = sorted(set(ne for ne in expected.not_evaluated if ne[0] == code))
    reasons = "\n".join(f"{n.location.logical_id}: {n.reason}" for n in result.not_evaluated if n.code == code)
    assert got_ne == want_ne, f"not-evaluated records differ:\n{reasons}"
