"""``path:line:col: CODE [severity] message (resource)`` — one line per finding, grep- and editor-friendly."""
from __future__ import annotations

from . import Report

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET, _DIM = "\033[0m", "\033[2m"


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        loc = f.location
        sev = f.severity.label
        tag = f"[{sev}]"
        if report.color:
            tag = f"{_COLORS[sev]}{tag}{_RESET}"
        resource = f" ({loc.logical_id})" if loc.logical_id else ""
        lines.append(f"{loc.path}:{loc.line}:{loc.column}: {f.code} {tag} {f.message}{resource}")
    if report.show_suppressed:
        for f in report.suppressed:
            loc = f.location
            resource = f" ({loc.logical_id})" if loc.logical_id else ""
            text = (f"{loc.path}:{loc.line}:{loc.column}: {f.code} [suppressed: {f.suppressed_by}] "
                    f"{f.message}{resource}")
            lines.append(f"{_DIM}{text}{_RESET}" if report.color else text)
    if report.show_not_evaluated:
        for ne in report.not_evaluated:
            loc = ne.location
            text = f"{loc.path}:{loc.line}:{loc.column}: {ne.code} [not evaluated] {ne.reason}" + (
                f" ({loc.logical_id})" if loc.logical_id else "")
            lines.append(f"{_DIM}{text}{_RESET}" if report.color else text)
    return "\n".join(lines) + ("\n" if lines else "")


def summary(report: Report) -> str:
    counts = report.counts()
    statuses = report.status_counts()
    total = sum(counts.values())
    parts = [f"{counts['error']} error{'s' * (counts['error'] != 1)}",
             f"{counts['warning']} warning{'s' * (counts['warning'] != 1)}",
             f"{counts['info']} info"]
    files = (f"{statuses.get('linted', 0)} template{'s' * (statuses.get('linted', 0) != 1)} linted"
             + (f", {statuses['skipped']} not a template" if statuses.get("skipped") else "")
             + (f", {statuses['parse-error']} unreadable as a template" if statuses.get("parse-error") else "")
             + (f", {statuses['unreadable']} could not be opened" if statuses.get("unreadable") else ""))
    line = f"Found {total} problem{'s' * (total != 1)} ({', '.join(parts)}) in {files}"
    if report.not_evaluated:
        line += f"; {len(report.not_evaluated)} check{'s' * (len(report.not_evaluated) != 1)} not evaluated"
        if not report.show_not_evaluated:
            line += " (--show-not-evaluated lists them)"
    if report.suppressed:
        baselined = sum(1 for f in report.suppressed if f.suppressed_by == "baseline")
        line += f"; {len(report.suppressed) - baselined} suppressed"
        if baselined:
            line += f", {baselined} in the baseline"
        if not report.show_suppressed:
            line += " (--show-suppressed lists them)"
    if report.hidden:
        line += f"; {report.hidden} below --severity"
    return line + "."
