"""Reading the expectations written in a rule fixture, beside the lines they are about.

A fixture is a realistic template under ``fixtures/rules/<CODE>/`` named ``fail-*.yaml`` or ``pass-*.yaml``.
Comments in it say what the rule of that folder must report, semgrep-style::

    Resources:
      # expect: SQS001 error Jobs "30 s (the SQS default)" "60 s (Globals.Function.Timeout"
      Jobs:
        Type: AWS::SQS::Queue

``expect`` names the code, the severity, the logical id the finding is reported on, and any number of quoted
substrings its message must contain. It sits on the line just above the line the finding points at (blank and
comment lines between are skipped), or at the end of that line as a trailing comment; the finding's line must be
that line.

``known-gap`` has the same form: a finding the rule should report but does not yet. The walker reports it without
failing, and fails once the finding appears, so the gap is turned into an ``expect``.

Header comments (before the first line of the template) hold what is not about one line::

    # expect-not-evaluated: SQS001 Worker
    # parameters: Vis=20 Env=prod

``expect-not-evaluated`` names a logical id the rule must report as not evaluated. The findings and not-evaluated
records of the folder's rule must match the expectations exactly: a ``pass-`` fixture expects no warning or error
(an ``info`` advice may be expected), and unless it says otherwise it must also be judged (no not-evaluated record).
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
    line: int | None = None   # the line the finding must point at (None only for misplaced header expectations)


@dataclass
class Expectations:
    findings: list[Expected] = field(default_factory=list)
    known_gaps: list[Expected] = field(default_factory=list)
    not_evaluated: list[tuple[str, str]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)   # expectations the walker cannot place


_COMMENT = re.compile(r"#\s*(expect|known-gap|expect-not-evaluated|parameters)\s*:\s*(.*)$")


def _split_comment(line: str) -> tuple[str, str | None]:
    """(the code part, the expectation comment) of a YAML line; a '#' inside quotes is not a comment."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            m = _COMMENT.match(line[i:])
            if m:
                return line[:i], line[i:]
    return line, None


def read(text: str) -> Expectations:
    out = Expectations()
    lines = text.splitlines()
    in_header = True
    pending: list[tuple[str, Expected, int]] = []   # full-line expectations waiting for their line
    for number, raw in enumerate(lines, start=1):
        code_part, comment = _split_comment(raw)
        is_content = bool(code_part.strip()) and not code_part.lstrip().startswith("#")
        if is_content:
            in_header = False
            for kind, expected, _ in pending:
                expected.line = number
                (out.findings if kind == "expect" else out.known_gaps).append(expected)
            pending = []
        if comment is None:
            continue
        kind, rest = _COMMENT.match(comment).groups()
        words = shlex.split(rest)
        if kind in ("expect", "known-gap"):
            code, severity, logical_id, *subs = words
            expected = Expected(code, severity, logical_id, subs)
            if is_content:
                expected.line = number
                (out.findings if kind == "expect" else out.known_gaps).append(expected)
            elif in_header:
                out.problems.append(f"line {number}: '{kind}' in the header; put it beside the line it is about")
            else:
                pending.append((kind, expected, number))
        elif kind == "expect-not-evaluated":
            code, logical_id = words[:2]
            out.not_evaluated.append((code, logical_id))
        else:
            for pair in words:
                key, _, value = pair.partition("=")
                out.parameters[key] = value
    for kind, _, number in pending:
        out.problems.append(f"line {number}: '{kind}' has no template line after it")
    return out
