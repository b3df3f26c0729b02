"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run. ``tool.driver.rules`` lists every rule that ran (plus CFN000, the parse-error rule, always), each
with its documentation; results point at repository-relative URIs (``uriBaseId: %SRCROOT%``) with 1-based
regions, name the resource in ``logicalLocations``, link the other resources of a cross-resource finding
through ``relatedLocations`` and carry our line-independent fingerprint in ``partialFingerprints``.

Suppressed and baselined findings are left out (GitHub ignores ``result.suppressions`` and would open
alerts for them) unless ``--show-suppressed`` asks for them; they then carry ``suppressions``.

A rule's ``defaultConfiguration.level`` is its severity after the config file's ``severity-overrides``. A rule
tagged ``security`` carries ``properties."security-severity"``: its own score when it declares one, else
:data:`SECURITY_SEVERITY` of its (overridden) severity: error 8.0 (GitHub "high"), warning 5.5 ("medium"),
info 3.0 ("low"). A region ends where the key or value it points at ends on that line, when the file's text
is at hand; the loader records start positions only.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from . import Report
from .paths import file_uri, has_scheme, relative

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_BASE = "https://github.com/cfn-arch-lint/cfn-arch-lint/blob/main/docs/rules.md"
INFORMATION_URI = "https://github.com/cfn-arch-lint/cfn-arch-lint"
FINGERPRINT_KEY = "cfnArchLint/v1"
SRCROOT = "%SRCROOT%"
MAX_TEXT = 1024
MAX_TAGS = 20

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# GitHub's bands: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "info": "3.0"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
# Suppression kinds: in the template (Metadata, comment) or outside it (baseline file, config file).
SUPPRESSION_KIND = {"metadata": "inSource", "comment": "inSource", "baseline": "external", "config": "external"}


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """One line of at most ``limit`` characters: cut after the last whole sentence that fits, else after the
    last whole word (with an ellipsis), never inside a word."""
    text = " ".join(text.split()) or "-"
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", head + " ") if m.end() <= limit]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]]
    cut = head[: limit - 1].rsplit(" ", 1)[0] if " " in head[: limit - 1] else head[: limit - 1]
    return cut.rstrip(" ,;:") + "\u2026"


def _plain(markdown: str) -> str:
    """Markdown-ish rule docs as plain text: no emphasis markers or code backticks."""
    return re.sub(r"\*\*(.+?)\*\*", r"\1", markdown).replace("`", "")


def _sections(doc: str) -> tuple[str, str]:
    """(summary, what-it-checks paragraph) from a rule docstring."""
    paragraphs = [p.strip() for p in doc.split("\n\n") if p.strip()]
    summary = paragraphs[0] if paragraphs else ""
    what = next((p for p in paragraphs if p.lower().startswith("**what it checks")), "")
    return summary, what or summary


def security_severity(tags, severity: str, declared=None) -> str | None:
    """The ``security-severity`` of a rule: the score it declares, else for a rule tagged ``security`` the
    score of its severity (:data:`SECURITY_SEVERITY`); None for other rules. ``security_severity(("security",),
    "warning")`` → ``"5.5"``."""
    score = _security_severity(declared)
    if score:
        return score
    if "security" in {str(t).strip().lower() for t in tags}:
        return SECURITY_SEVERITY.get(severity)
    return None


def _security_severity(value) -> str | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None
    if not 0.0 < number <= 10.0:
        return None
    return f"{number:.1f}"


class _RuleTable:
    def __init__(self, rules, overrides=None):
        from ..engine import ENGINE_RULES

        self.descriptors: list[dict] = []
        self.index: dict[str, int] = {}
        # code -> severity label from the config's severity-overrides
        self.overrides = {str(k).upper(): str(v).lower() for k, v in (overrides or {}).items()}
        for r in ENGINE_RULES:
            self._add(r.code, r.name, r.severity.label, r.doc, r.tags, None, "very-high")
        for r in sorted(rules, key=lambda r: r.code):
            self._add(r.code, r.name, r.severity.label, r.doc or r.summary or r.name, r.tags,
                      r.security_severity, getattr(r, "precision", None) or "high", r.summary)

    def _add(self, code, name, severity, doc, tags, security, precision, summary=None):
        if code in self.index:
            return
        severity = self.overrides.get(code.upper(), severity)
        first, what = _sections(doc)
        tag_list = [t for t in dict.fromkeys(str(t).strip() for t in tags) if t]
        score = security_severity(tag_list, severity, security)
        if score and "security" not in tag_list:
            tag_list.insert(0, "security")
        properties: dict = {"tags": tag_list[:MAX_TAGS], "precision": precision}
        if score:
            properties["security-severity"] = score
        else:
            properties["problem.severity"] = PROBLEM_SEVERITY.get(severity, "warning")
        descriptor = {
            "id": code,
            "name": name,
            "shortDescription": {"text": _clip(_plain(summary or first) or name)},
            "fullDescription": {"text": _clip(_plain(re.sub(r"^\*\*What it checks\.?\*\*\s*", "", what)) or name)},
            "help": {"text": _plain(doc).strip() or name, "markdown": doc.strip() or name},
            "helpUri": f"{HELP_BASE}#{code.lower()}",
            "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
            "properties": properties,
        }
        self.index[code] = len(self.descriptors)
        self.descriptors.append(descriptor)

    def ensure(self, finding) -> int:
        if finding.code not in self.index:  # a finding from a rule that was not in the list (e.g. audit's own)
            self._add(finding.code, finding.name, finding.severity.label, finding.name, (), None, "medium")
        return self.index[finding.code]


def _escape(text: str) -> str:
    # SARIF plain-text messages treat [text](id) as links; literal brackets are escaped.
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _artifact(path: str) -> dict:
    rel, root = relative(path)
    if has_scheme(rel):
        return {"uri": rel}
    if root is None:
        if rel.startswith("/"):
            return {"uri": "file://" + quote(rel)}
        if re.match(r"^[A-Za-z]:/", rel):  # Windows absolute path
            return {"uri": "file:///" + quote(rel)}
        return {"uri": quote(rel)}
    return {"uri": quote(rel), "uriBaseId": SRCROOT}


# The token a location points at: a quoted key or value, or a plain YAML scalar up to ``:``, ``,`` or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\n]|\'\')*\'|[^\s:,{}\[\]#"\']+(?::[^\s,{}\[\]]+)*')


def token_end(text: str | None, line: int, column: int) -> int | None:
    """The 1-based column just after the key or scalar that starts at ``line``:``column`` of ``text``
    (SARIF's exclusive ``endColumn``), or None when nothing starts there."""
    if not text or line < 1 or column < 1:
        return None
    lines = text.splitlines()
    if line > len(lines) or column > len(lines[line - 1]):
        return None
    match = _TOKEN.match(lines[line - 1], column - 1)
    return column + len(match.group(0)) if match and match.group(0) else None


def _region(loc, texts=None) -> dict:
    start_line, start_col = max(1, loc.line or 1), max(1, loc.column or 1)
    region = {"startLine": start_line, "startColumn": start_col}
    if loc.end_line and loc.end_line >= start_line:
        region["endLine"] = loc.end_line
        if loc.end_column and (loc.end_line > start_line or loc.end_column > start_col):
            region["endColumn"] = loc.end_column
    elif loc.line and loc.column:
        end = token_end((texts or {}).get(loc.path), loc.line, loc.column)
        if end:
            region["endLine"], region["endColumn"] = start_line, end
    return region


def _physical(loc, texts=None) -> dict:
    return {"artifactLocation": _artifact(loc.path), "region": _region(loc, texts)}


def _logical(logical_id: str | None) -> list:
    if not logical_id:
        return []
    return [{"name": logical_id, "fullyQualifiedName": f"Resources/{logical_id}", "kind": "resource"}]


def _location(loc, texts=None, **extra) -> dict:
    out = dict(extra)
    out["physicalLocation"] = _physical(loc, texts)
    logical = _logical(loc.logical_id)
    if logical:
        out["logicalLocations"] = logical
    return out


def _labels(locations) -> list[str]:
    """A distinct label per related location: the resource's id, with the property it points at (or a
    number) when one resource has several; ``location N`` for a place outside any resource."""
    ids = [loc.logical_id for loc in locations]
    out = []
    for i, loc in enumerate(locations, start=1):
        label = loc.logical_id or f"location {i}"
        if loc.logical_id and ids.count(loc.logical_id) > 1:
            prefix = f"Resources/{loc.logical_id}/"
            detail = loc.pointer[len(prefix):] if loc.pointer.startswith(prefix) else ""
            detail = detail.removeprefix("Properties/").replace("/", ".")
            label = f"{loc.logical_id} {detail}" if detail else label
        out.append(label)
    # Still the same (the same property, or none): number them.
    return [f"{label} ({out[:i + 1].count(label)})" if out.count(label) > 1 else label
            for i, label in enumerate(out)]


def _result(finding, table: _RuleTable, texts=None) -> dict:
    from ..suppress import split_reason

    index = table.ensure(finding)
    related = []
    links = []
    for i, (loc, label) in enumerate(zip(finding.related, _labels(finding.related)), start=1):
        default = f"related resource {label}" if loc.logical_id else "related location"
        note = loc.note if loc.note and [r.note for r in finding.related].count(loc.note) == 1 else \
            (f"{loc.note} ({label})" if loc.note else default)
        related.append(_location(loc, texts, id=i, message={"text": note}))
        links.append(f"[{_escape(label)}]({i})")
    text = _escape(finding.message.strip() or finding.name)
    if links:
        text = f"{text.rstrip('.')}. Related: {', '.join(dict.fromkeys(links))}."
    result = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": LEVELS[finding.severity.label],
        "message": {"text": text},
        "locations": [_location(finding.location, texts)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if related:
        result["relatedLocations"] = related
    if finding.suppressed_by:
        kind, reason = split_reason(finding.suppressed_by)
        suppression = {"kind": SUPPRESSION_KIND.get(kind, "external"), "status": "accepted"}
        suppression["justification"] = reason or f"suppressed by {kind}"
        result["suppressions"] = [suppression]
    return result


def as_dict(report: Report) -> dict:
    from .. import __version__

    table = _RuleTable(report.rules, getattr(report, "severity_overrides", None))
    findings = list(report.findings)
    if report.show_suppressed:
        findings = sorted(findings + list(report.suppressed), key=lambda f: f.sort_key())
    texts = {r.path: r.text for r in report.results if getattr(r, "text", None)}
    results = [_result(f, table, texts) for f in findings]
    run = {
        "tool": {"driver": {
            "name": "cfn-arch-lint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": table.descriptors,
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    roots = {root for r in report.results for _, root in [relative(r.path)] if root}
    if len(roots) == 1:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": file_uri(roots.pop())}}
    errors = [e for r in report.results for e in r.errors]
    run["invocations"] = [{"executionSuccessful": not errors and not report.missing}]
    notes = [{"level": "error", "message": {"text": _clip(e)}} for e in errors]
    notes += [{"level": "error", "message": {"text": f"{m}: no such file or folder"}} for m in report.missing]
    if notes:
        run["invocations"][0]["toolExecutionNotifications"] = notes
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
