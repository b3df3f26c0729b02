"""Baseline files: accept today's findings, report only new ones.

The file is JSON keyed on :attr:`linter.findings.Finding.fingerprint` (rule, the file's path relative to the
repository root, logical ids and sub-check, never line numbers), so moving resources, adding blank lines or
converting the template between YAML and JSON keeps findings matched, and so does spelling the path
another way (``./infra/x.yaml``, an absolute path, a run from a subfolder or from pre-commit)::

    {"schemaVersion": 2, "tool": "cfn-arch-lint",
     "findings": [{"fingerprint": "…32 hex…", "rule": "SQS001", "path": "templates/app.yaml",
                   "logicalIds": ["Jobs", "Worker"], "message": "…"}]}

``path`` is relative to the repository root (:func:`linter.report.paths.repository_root`). A file written
before that (``schemaVersion`` 1, paths as they were given) still applies: its entries are matched with the
path they stored, and the run says how to rewrite it.

Parse errors (CFN000) are never baselined: they are not written, and an entry for one matches nothing, so a
file that cannot be read is always reported (a changed parse error is never hidden by an old one).

Entries whose file was read in this run but that no longer match a finding are *stale* (the problem was
fixed, or the resource renamed); they are reported so the baseline can be rewritten.
"""
from __future__ import annotations

import json
import os

SCHEMA_VERSION = 2
PATHS_AS_GIVEN = 1   # the schema version whose paths (and fingerprints) are the path as it was given


class BaselineError(Exception):
    pass


def _norm(path: str) -> str:
    return path.replace("\\", "/")


def load(path: str) -> list[dict]:
    """The entries of a baseline file; each carries ``schemaVersion`` (1 when the file says none)."""
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
    version = data.get("schemaVersion", PATHS_AS_GIVEN) if isinstance(data, dict) else PATHS_AS_GIVEN
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise BaselineError(f"baseline file {path}: schemaVersion {version!r} is newer than this cfn-arch-lint "
                            f"understands ({SCHEMA_VERSION}); upgrade cfn-arch-lint or rewrite the file")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str) or not entry["fingerprint"]:
            raise BaselineError(f"baseline file {path}: findings[{i}] has no 'fingerprint' string")
        out.append({**entry, "schemaVersion": version})
    return out


def entry(finding) -> dict:
    from .report.paths import repository_path

    return {"fingerprint": finding.fingerprint, "rule": finding.code,
            "path": repository_path(finding.location.path), "logicalIds": list(finding.logical_ids),
            "message": finding.message}


def can_be_baselined(finding) -> bool:
    """Everything but parse errors (CFN000): a file that cannot be read is never accepted as it is."""
    from .engine import PARSE_CODE

    return finding.code != PARSE_CODE


def write(path: str, findings) -> int:
    from . import __version__

    entries = sorted((entry(f) for f in findings if can_be_baselined(f)),
                     key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
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


def _entry_repository_path(entry: dict) -> str:
    from .report.paths import repository_path

    stored = _norm(str(entry.get("path", "")))
    return stored if entry.get("schemaVersion", SCHEMA_VERSION) >= 2 else repository_path(stored)


def apply(results, entries: list[dict], rules) -> dict:
    """Mark baselined findings as suppressed; return ``{"matched": n, "stale": [entries], "outdated": bool}``.

    ``outdated`` is true when the file was written with paths as given (schema version 1).
    """
    from .engine import PARSE_CODE, STRUCTURE_CODE
    from .report.paths import repository_path

    current = {e["fingerprint"]: e for e in entries if e.get("schemaVersion", SCHEMA_VERSION) >= 2}
    # Schema 1: the fingerprint hashed the path as given; match it with that stored spelling, on the file it
    # names (read from the working directory, as it was then).
    as_given: dict[str, list[dict]] = {}
    for e in entries:
        if e.get("schemaVersion", SCHEMA_VERSION) < 2:
            as_given.setdefault(_entry_repository_path(e), []).append(e)
    used: set[str] = set()
    for result in results:
        old = as_given.get(repository_path(result.path), ())
        for finding in result.findings:
            if not can_be_baselined(finding):
                continue
            fp = finding.fingerprint
            matched = fp if fp in current else next(
                (e["fingerprint"] for e in old if finding.fingerprint_for(_norm(str(e.get("path", ""))))
                 == e["fingerprint"]), None)
            if matched:
                used.add(matched)
                if not finding.suppressed_by:
                    finding.suppressed_by = "baseline"
    read = {repository_path(r.path) for r in results if r.status in ("linted", "parse-error")}
    ran = {r.code for r in rules}
    ran.update((PARSE_CODE, STRUCTURE_CODE))
    stale = [e for e in entries if e["fingerprint"] not in used and _entry_repository_path(e) in read
             and (not e.get("rule") or e.get("rule") in ran)]
    return {"matched": len(used), "stale": [_public(e) for e in stale],
            "outdated": any(e.get("schemaVersion", SCHEMA_VERSION) < 2 for e in entries)}


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "schemaVersion"}
