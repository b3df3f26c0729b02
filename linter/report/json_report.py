"""JSON output, a documented and versioned shape (``schemaVersion``).

::

    {"schemaVersion": 1, "tool": {"name", "version"},
     "files": [{"path", "status", "source"?, "reason"?}],   # source: where an audited template came from
                                                  # (stackArn, region, account, stackName, parentStackArn...);
                                                  # reason: why a skipped file is not a template
     "findings": [{"rule": {"code", "name"}, "severity", "message", "fingerprint", "logicalIds",
                   "location": {"path", "line", "column", "logicalId", "pointer"},
                   "related": [{"path", "line", "column", "logicalId", "pointer", "note"}],
                   "suppressed": null | {"kind", "reason"}}],
     "notEvaluated": [{"rule": {...}, "reason", "location": {...}}],
     "unusedSuppressions": [{"path", "line", "column", "rule", "kind", "logicalId", "reason"}],
     "baseline": null | {"path", "matched", "stale": [{"fingerprint", "rule", "path", "logicalIds", "message"}]},
     "summary": {"error", "warning", "info", "notEvaluated", "suppressed", "baselined", "files": {status: count}}}

``findings`` holds the findings that count (at or above ``--severity``, not suppressed); with
``--show-suppressed`` the suppressed ones are listed too, with ``suppressed`` set (kind ``metadata``,
``comment``, ``config`` or ``baseline``). Within schema version 1, keys are only ever added.
"""
from __future__ import annotations

import json

from . import Report

SCHEMA_VERSION = 1


def _location(loc) -> dict:
    out = {"path": loc.path, "line": loc.line, "column": loc.column, "logicalId": loc.logical_id,
           "pointer": loc.pointer}
    if loc.note:
        out["note"] = loc.note
    return out


def _suppressed(finding):
    if not finding.suppressed_by:
        return None
    from ..suppress import split_reason

    kind, reason = split_reason(finding.suppressed_by)
    return {"kind": kind, "reason": reason}


def _finding(f) -> dict:
    return {
        "rule": {"code": f.code, "name": f.name},
        "severity": f.severity.label,
        "message": f.message,
        "fingerprint": f.fingerprint,
        "logicalIds": list(f.logical_ids),
        "location": _location(f.location),
        "related": [_location(r) for r in f.related],
        "suppressed": _suppressed(f),
    }


def as_dict(report: Report) -> dict:
    from .. import __version__

    findings = list(report.findings)
    if report.show_suppressed:
        findings = sorted(findings + list(report.suppressed), key=lambda f: f.sort_key())
    baselined = sum(1 for f in report.suppressed if f.suppressed_by == "baseline")
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "cfn-arch-lint", "version": __version__},
        "files": [{"path": r.path, "status": r.status, **({"source": r.meta} if r.meta else {}),
                   **({"reason": r.reason} if getattr(r, "reason", "") else {})}
                  for r in report.results],
        "findings": [_finding(f) for f in findings],
        "notEvaluated": [{"rule": {"code": n.code, "name": n.name}, "reason": n.reason,
                          "location": _location(n.location)} for n in report.not_evaluated],
        "unusedSuppressions": [{"path": s.path, "line": s.line, "column": s.column, "rule": s.selector,
                                "kind": s.kind, "logicalId": s.logical_id, "reason": s.reason}
                               for s in report.unused_suppressions],
        "baseline": report.baseline,
        "summary": {**report.counts(), "notEvaluated": len(report.not_evaluated),
                    "suppressed": len(report.suppressed) - baselined, "baselined": baselined,
                    "files": report.status_counts()},
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
