"""Reading the expectations written at the top of a rule fixture.

A fixture is a realistic template under ``fixtures/rules/<CODE>/`` named ``fail-*.yaml`` or
``pass-*.yaml``. Comment lines at its top say what the rule of that folder must report::

    # expect: SQS001 error Jobs "30 s (the SQS default)" "60 s (Globals.Function.Timeout"
    # expect-not-evaluated: SQS001 Worker
    # parameters: Vis=20 Env=prod

``expect`` names the code, the severity, the logical id the finding is reported on, and any number of
quoted substrings its message must contain. ``expect-not-evaluated`` names a logical id the rule must
report as not evaluated. The findings and not-evaluated records of the folder's rule must match the
expectations exactly: a ``pass-`` fixture has no ``expect`` line, and unless it says otherwise it must
also be judged (no not-evaluated record).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field


@dataclass
class Expected:
    code: str
    severity: str
    logical_id: str
    substrings: list[str] = field(default_factory=list)


@dataclass
class Expectations:
    findings: list[Expected] = field(default_factory=list)
    not_evaluated: list[tuple[str, str]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)


_LINE = re.compile(r"^#\s*(expect|expect-not-evaluated|parameters)\s*:\s*(.*)$")


def read(text: str) -> Expectations:
    out = Expectations()
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        m = _LINE.match(line.strip())
        if not m:
            continue
        kind, rest = m.groups()
        words = shlex.split(rest)
        if kind == "expect":
            code, severity, logical_id, *subs = words
            out.findings.append(Expected(code, severity, logical_id, subs))
        elif kind == "expect-not-evaluated":
            code, logical_id = words[:2]
            out.not_evaluated.append((code, logical_id))
        else:
            for pair in words:
                key, _, value = pair.partition("=")
                out.parameters[key] = value
    return out
