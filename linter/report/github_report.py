"""GitHub Actions workflow commands: one annotation per finding.

``::error file=templates/app.yaml,line=3,col=3,title=SQS001 sqs-visibility-timeout-vs-lambda::message``
(``warning`` findings → ``::warning``, ``info`` → ``::notice``). Escaping follows actions/toolkit
``command.ts``: in the message ``%`` → ``%25``, CR → ``%0D``, LF → ``%0A``; property values additionally
``:`` → ``%3A`` and ``,`` → ``%2C``. Paths are relative to ``GITHUB_WORKSPACE`` (else the git work tree).

GitHub shows at most 10 error and 10 warning annotations per step; when there are more, a final notice
says so (use SARIF for the full list).
"""
from __future__ import annotations

from . import Report
from .paths import relative

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
PER_STEP_LIMIT = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, message: str, **props) -> str:
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "", 0)]
    head = f"::{command} {','.join(parts)}" if parts else f"::{command}"
    return f"{head}::{escape_data(message)}"


def _line(finding, suppressed: bool = False) -> str:
    loc = finding.location
    path, _ = relative(loc.path, prefer_workspace=True)
    props = {"file": path, "line": max(1, loc.line or 1), "col": max(1, loc.column or 1)}
    if loc.end_line:
        props["endLine"] = loc.end_line
        if loc.end_column:
            props["endColumn"] = loc.end_column
    props["title"] = f"{finding.code} {finding.name}"
    message = finding.message
    if loc.logical_id:
        message += f" (resource {loc.logical_id})"
    if suppressed:
        message += f" [suppressed: {finding.suppressed_by}]"
        return annotation("notice", message, **props)
    return annotation(COMMANDS[finding.severity.label], message, **props)


def render(report: Report) -> str:
    lines = [_line(f) for f in report.findings]
    if report.show_suppressed:
        lines += [_line(f, suppressed=True) for f in report.suppressed]
    counts = report.counts()
    if counts["error"] > PER_STEP_LIMIT or counts["warning"] > PER_STEP_LIMIT:
        total = sum(counts.values())
        lines.append(annotation(
            "notice", f"cfn-arch-lint found {total} problems; GitHub shows only {PER_STEP_LIMIT} error and "
            f"{PER_STEP_LIMIT} warning annotations per step. See the job log or the SARIF upload for all of them.",
            title="cfn-arch-lint"))
    return "\n".join(lines) + ("\n" if lines else "")
