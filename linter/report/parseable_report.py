"""``path:line:col:endline:endcol:CODE:message`` — one line per finding, the shape of cfn-lint's
``--format parseable``, so tools written for it read ours.

The end is the start when the loader does not know it; the message is one line (the resource's logical id
in parentheses, as in the text format). Suppressed findings are listed with ``--show-suppressed``, their
message ending in ``[suppressed: …]``.
"""
from __future__ import annotations

from . import Report


def line(finding, suppressed: bool = False) -> str:
    loc = finding.location
    start_line, start_col = max(1, loc.line or 1), max(1, loc.column or 1)
    end_line = loc.end_line if loc.end_line and loc.end_line >= start_line else start_line
    end_col = loc.end_column if loc.end_line and loc.end_column else start_col
    message = " ".join(finding.message.split())
    if loc.logical_id:
        message += f" ({loc.logical_id})"
    if suppressed:
        message += f" [suppressed: {finding.suppressed_by}]"
    return f"{loc.path}:{start_line}:{start_col}:{end_line}:{end_col}:{finding.code}:{message}"


def render(report: Report) -> str:
    lines = [line(f) for f in report.findings]
    if report.show_suppressed:
        lines += [line(f, suppressed=True) for f in report.suppressed]
    return "\n".join(lines) + ("\n" if lines else "")
