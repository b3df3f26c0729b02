"""JSON output, a documented and versioned shape (``schemaVersion``).

::

    {"schemaVersion": 1, "tool": {"name", "version"},
     "files": [{"path", "status"}],
     "findings": [{"rule": {"code", "name"}, "severity", "message", "fingerprint", "logicalIds",
                   "location": {"path", "line", "column", "logicalId", "pointer"},
                   "related": [{"path", "line", "column", "logicalId", "pointer", "note"}]}],
     "notEvaluated": [{"rule": {...}, "reason", "location": {...}}],
     "summary": {"error", "warning", "info", "notEvaluated", "files": {status: count}}}
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


def as_dict(report: Report) -> dict:
    from .. import __version__

    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "cfn-arch-lint", "version": __version__},
        "files": [{"path": r.path, "status": r.status} for r in report.results],
        "findings": [{
            "rule": {"code": f.code, "name": f.name},
            "severity": f.severity.label,
            "message": f.message,
            "fingerprint": f.fingerprint,
            "logicalIds": list(f.logical_ids),
            "location": _location(f.location),
            "related": [_location(r) for r in f.related],
        } for f in report.findings],
        "notEvaluated": [{"rule": {"code": n.code, "name": n.name}, "reason": n.reason,
                          "location": _location(n.location)} for n in report.not_evaluated],
        "summary": {**report.counts(), "notEvaluated": len(report.not_evaluated),
                    "files": report.status_counts()},
    }


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
