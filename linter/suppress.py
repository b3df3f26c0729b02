"""Suppressions written in the template, and the ``per-path-ignores`` of the config file.

Three ways to suppress a finding in the template itself:

* resource Metadata, which survives ``aws cloudformation package`` and JSON::

      Jobs:
        Type: AWS::SQS::Queue
        Metadata:
          cfn-arch-lint:
            ignore:
              - SQS001                                   # a code ...
              - sqs-dlq-depth-alarm                      # ... or a rule name
              - {id: SQS002, reason: "drained by a batch job"}

  It applies to findings located on that resource (for resources SAM creates, on the SAM resource that
  declares them).
* template Metadata (``Metadata: {cfn-arch-lint: {ignore: [...]}}`` at the top level): every finding in
  the file.
* a YAML comment ``# cfn-arch-lint: ignore[SQS001] reason`` (several codes: ``ignore[SQS001,SQS002]``),
  at the end of the resource's line (or the finding's line), or alone on the line above it;
  ``# cfn-arch-lint: ignore-file[SQS001]`` anywhere applies to the whole file.

Suppressed findings keep their place in the run with ``Finding.suppressed_by`` set to ``"<kind>"`` or
``"<kind>: <reason>"`` (kinds: ``metadata``, ``comment``, ``config``, ``baseline``).
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass

from .load import key_position

KEY = "cfn-arch-lint"
_COMMENT = re.compile(r"#\s*cfn-arch-lint\s*:\s*(ignore|ignore-file)\[([^\]]*)\]\s*(.*)$")


@dataclass
class Suppression:
    path: str
    line: int
    column: int
    kind: str                 # metadata | comment
    scope: str                # resource | file | lines
    selector: str             # the code or name as written
    reason: str = ""
    logical_id: str | None = None
    lines: tuple[int, ...] = ()
    used: int = 0

    def matches_rule(self, code: str, name: str) -> bool:
        s = self.selector.strip()
        return s.upper() in (code.upper(), "ALL") or s.lower() == name

    def describe(self) -> str:
        where = {"resource": f"Metadata of resource {self.logical_id}", "file": f"{self.kind} for the whole file",
                 "lines": "comment"}[self.scope]
        if self.scope == "file" and self.kind == "metadata":
            where = "template Metadata"
        return f"{self.selector} ({where})"


def split_reason(suppressed_by: str) -> tuple[str, str]:
    kind, _, reason = suppressed_by.partition(": ")
    return kind, reason



def _entries(block, path, where, *, kind, scope, logical_id=None):
    """Suppressions from a ``cfn-arch-lint`` Metadata block; malformed entries are reported as errors."""
    out, errors = [], []
    if not isinstance(block, dict):
        return out, [f"{path}: {where}: cfn-arch-lint Metadata must be a mapping with an 'ignore' list"]
    items = block.get("ignore", [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        return out, [f"{path}: {where}.ignore must be a list of rule codes or {{id, reason}} mappings"]
    for i, item in enumerate(items):
        line, col = (items.pos(i) if hasattr(items, "pos") else key_position(block, "ignore"))
        reason = ""
        if isinstance(item, dict):
            selector, reason = item.get("id"), item.get("reason") or ""
        else:
            selector = item
        if not isinstance(selector, str) or not selector.strip():
            errors.append(f"{path}:{line}: {where}.ignore[{i}] needs a rule code or name (id: SQS001)")
            continue
        for part in selector.split(","):
            if part.strip():
                out.append(Suppression(path, line or 1, col or 1, kind, scope, part.strip(), str(reason).strip(),
                                       logical_id))
    return out, errors


def collect(result) -> tuple[list[Suppression], list[str]]:
    """All suppressions written in one linted file, and messages about malformed ones."""
    sups: list[Suppression] = []
    errors: list[str] = []
    template = result.template if isinstance(result.template, dict) else None
    if template is not None:
        meta = template.get("Metadata")
        if isinstance(meta, dict) and KEY in meta:
            found, bad = _entries(meta[KEY], result.path, "Metadata.cfn-arch-lint", kind="metadata", scope="file")
            sups += found
            errors += bad
        resources = template.get("Resources")
        if isinstance(resources, dict):
            for logical_id, resource in resources.items():
                meta = resource.get("Metadata") if isinstance(resource, dict) else None
                if isinstance(meta, dict) and KEY in meta:
                    found, bad = _entries(meta[KEY], result.path, f"Resources.{logical_id}.Metadata.cfn-arch-lint",
                                          kind="metadata", scope="resource", logical_id=logical_id)
                    sups += found
                    errors += bad
    if result.text and "cfn-arch-lint" in result.text:
        for number, line in enumerate(result.text.splitlines(), start=1):
            m = _COMMENT.search(line)
            if not m:
                continue
            directive, codes, reason = m.groups()
            standalone = not line[: m.start()].strip()
            scope = "file" if directive == "ignore-file" else "lines"
            lines = (number, number + 1) if standalone else (number,)
            for code in codes.split(","):
                if code.strip():
                    sups.append(Suppression(result.path, number, m.start() + 1, "comment", scope, code.strip(),
                                            reason.strip(), lines=lines))
    return sups, errors


def _resource_line(result, logical_id: str | None) -> int:
    template = result.template if isinstance(result.template, dict) else None
    resources = template.get("Resources") if template else None
    if logical_id and isinstance(resources, dict) and logical_id in resources and hasattr(resources, "pos"):
        return resources.pos(logical_id)[0]
    return 0


def _applies(sup: Suppression, finding, resource_line: int) -> bool:
    if sup.scope == "file":
        return True
    if sup.scope == "resource":
        return finding.location.logical_id == sup.logical_id
    return bool({finding.location.line, resource_line} & set(sup.lines) - {0})


def apply(results) -> list[Suppression]:
    """Mark suppressed findings in place; return every suppression found (with ``used`` counts).

    Malformed suppression blocks are added to the file's ``errors`` so they are shown, never silently lost.
    """
    every: list[Suppression] = []
    for result in results:
        sups, errors = collect(result)
        result.errors.extend(errors)
        every += sups
        if not sups:
            continue
        for finding in result.findings:
            if finding.suppressed_by:
                continue
            line = _resource_line(result, finding.location.logical_id)
            for sup in sups:
                if sup.matches_rule(finding.code, finding.name) and _applies(sup, finding, line):
                    sup.used += 1
                    if not finding.suppressed_by:
                        finding.suppressed_by = f"{sup.kind}: {sup.reason}" if sup.reason else sup.kind
    return every


def hold_out_unfilterable(results) -> list[list]:
    """Take the findings no filter may hide (CFN999, an internal error) out of the results, before the
    filters (severity overrides, ignores, suppressions, baseline) run; :func:`put_back` returns them.

    This is the one place that exempts them: ``held = hold_out_unfilterable(results)`` … filters …
    ``put_back(results, held)``.
    """
    from .engine import is_internal_error

    held = []
    for result in results:
        held.append([f for f in result.findings if is_internal_error(f)])
        if held[-1]:
            result.findings = [f for f in result.findings if not is_internal_error(f)]
    return held


def put_back(results, held: list[list]) -> None:
    """Return the findings :func:`hold_out_unfilterable` took out, unsuppressed."""
    for result, findings in zip(results, held):
        for finding in findings:
            finding.suppressed_by = None
        result.findings.extend(findings)


def unused(suppressions, rules) -> list[Suppression]:
    """Suppressions that matched nothing, for rules that ran (or that name no rule at all)."""
    out = []
    for sup in suppressions:
        if sup.used:
            continue
        known = [r for r in rules if sup.matches_rule(r.code, r.name)]
        if known or not _names_any_rule(sup):
            out.append(sup)
    return out


def _names_any_rule(sup: Suppression) -> bool:
    from .engine import PARSE_RULE, STRUCTURE_RULE, all_rules

    # CFN999 is left out: a suppression of it never applies, so it is reported as unused.
    if any(sup.matches_rule(r.code, r.name) for r in (PARSE_RULE, STRUCTURE_RULE)):
        return True
    return any(sup.matches_rule(r.code, r.name) for r in all_rules())


# ---------------------------------------------------------------- per-path ignores (config)


def glob_match(pattern: str, path: str) -> bool:
    """``**`` spans folders, ``*`` and ``?`` stay inside one; a pattern without ``/`` also matches the file name."""
    pattern = pattern.replace("\\", "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    path = path.replace("\\", "/")
    regex = _glob_regex(pattern)
    if regex.fullmatch(path):
        return True
    return "/" not in pattern and bool(regex.fullmatch(path.rsplit("/", 1)[-1]))


def _glob_regex(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                out.append(fnmatch.translate(pattern[i:end + 1])[4:-3])
                i = end + 1
                continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def apply_path_ignores(results, per_path: dict, root: str) -> None:
    """Mark findings whose file matches a ``per-path-ignores`` glob (relative to ``root``) for their rule."""
    if not per_path:
        return
    for result in results:
        rel = os.path.relpath(os.path.abspath(result.path), root).replace(os.sep, "/") \
            if "://" not in result.path else result.path
        for pattern, selectors in per_path.items():
            if not (glob_match(pattern, rel) or glob_match(pattern, result.path)):
                continue
            for finding in result.findings:
                if finding.suppressed_by:
                    continue
                if any(s.strip().upper() == "ALL" or finding.code.upper().startswith(s.strip().upper())
                       or finding.name == s.strip().lower() for s in selectors):
                    finding.suppressed_by = f"config: per-path-ignores {pattern!r}"
