"""Baseline files: accept today's findings, report only new ones.

The file is JSON keyed on :attr:`linter.findings.Finding.fingerprint` (rule, file path, logical ids and
sub-check, never line numbers), so moving resources, adding blank lines or converting the template between
YAML and JSON keeps findings matched as long as the file path stays the same::

    {"schemaVersion": 1, "tool": "cfn-arch-lint",
     "findings": [{"fingerprint": "…32 hex…", "rule": "SQS001", "path": "templates/app.yaml",
                   "logicalIds": ["Jobs", "Worker"], "message": "…"}]}

Entries whose file was linted in this run but that no longer match a finding are *stale* (the problem was
fixed, or the resource renamed); they are reported so the baseline can be rewritten.
"""
from __future__ import annotations

import json
import os

SCHEMA_VERSION = 1


class BaselineError(Exception):
    pass


def _norm(path: str) -> str:
    return path.replace("\\", "/")


def load(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"baseline file {path} does not exist (create it with --write-baseline {path})") from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"baseline file {path} is not valid JSON: {exc}") from None
    entries = data.get("findings") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise BaselineError(f"baseline file {path}: expected an object with a 'findings' list")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str) or not entry["fingerprint"]:
            raise BaselineError(f"baseline file {path}: findings[{i}] has no 'fingerprint' string")
        out.append(entry)
    return out


def entry(finding) -> dict:
    return {"fingerprint": finding.fingerprint, "rule": finding.code, "path": _norm(finding.location.path),
            "logicalIds": list(finding.logical_ids), "message": finding.message}


def write(path: str, findings) -> int:
    from . import __version__

    entries = sorted((entry(f) for f in findings), key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    entries = list({e["fingerprint"]: e for e in entries}.values())
    data = {"schemaVersion": SCHEMA_VERSION, "tool": "cfn-arch-lint", "version": __version__, "findings": entries}
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline file {path}: {exc.strerror or exc}") from None
    return len(entries)


def apply(results, entries: list[dict], rules) -> dict:
    """Mark baselined findings as suppressed; return {"matched": n, "stale": [entries]}."""
    by_print = {e["fingerprint"]: e for e in entries}
    used: set[str] = set()
    for result in results:
        for finding in result.findings:
            fp = finding.fingerprint
            if fp in by_print:
                used.add(fp)
                if not finding.suppressed_by:
                    finding.suppressed_by = "baseline"
    linted = {_norm(r.path) for r in results if r.status in ("linted", "parse-error")}
    ran = {r.code for r in rules}
    from .engine import PARSE_CODE, STRUCTURE_CODE

    ran.update((PARSE_CODE, STRUCTURE_CODE))
    stale = [e for e in entries if e["fingerprint"] not in used and _norm(str(e.get("path", ""))) in linted
             and (not e.get("rule") or e.get("rule") in ran)]
    return {"matched": len(used), "stale": stale}
