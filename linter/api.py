"""The library entry points: lint text, a file, or many paths, and get results back.

Every input ends in one of four statuses — ``linted``, ``skipped`` (a file that is not a CloudFormation
template: other YAML/JSON, a Helm chart, a Kubernetes manifest of several documents, an empty file; ``reason``
says why), ``parse-error`` (a file that looks like a template but cannot be read as one: a finding says what
is wrong and where) or ``unreadable`` — never in an exception.
"""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field

from .engine import (PARSE_CODE, PARSE_NAME, STRUCTURE_CODE, STRUCTURE_NAME, Rule, all_rules,
                     internal_error_finding, raised_at, run_rules)
from .findings import Finding, Location, NotEvaluated, Severity
from .load import ParseError, decode, is_template, key_position, not_a_template_reason, parse, template_marks

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@dataclass
class FileResult:
    path: str
    status: str                       # linted | skipped | parse-error | unreadable
    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # internal errors, reported on stderr
    text: str | None = None
    template: dict | None = None
    # Where the template came from when it is not a file (audit: stack ARN, region, account, parent stack).
    meta: dict = field(default_factory=dict)
    reason: str = ""                  # why a skipped file is not a template (shown by --verbose)
    graph: object = None              # the linter.graph.Graph the rules ran on (for `graph` and HTML reports)


def parse_finding(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(PARSE_CODE, PARSE_NAME, Severity.ERROR, message, Location(path, line, column))


def structure_findings(template: dict, path: str) -> list[Finding]:
    """CFN001 findings for structure CloudFormation rejects and the checks must not paper over: a resource
    that is not a mapping, without a string ``Type`` or with ``Properties`` that is not a mapping, and
    ``Conditions`` that refer to each other in a cycle.

    ``structure_findings(template, "t.yaml")`` → ``[Finding("CFN001", …, "resource Jobs: Properties must be …")]``
    """
    from .build import properties_malformed
    from .resolve import condition_cycles

    out = []

    def add(message, node, key, logical_id=None, pointer=""):
        line, column = key_position(node, key)
        out.append(Finding(STRUCTURE_CODE, STRUCTURE_NAME, Severity.ERROR, message,
                           Location(path, line, column, logical_id=logical_id, pointer=pointer),
                           (logical_id,) if logical_id else ()))

    resources = template.get("Resources")
    for logical_id, body in (resources.items() if isinstance(resources, dict) else ()):
        lid = str(logical_id)
        where = f"Resources/{lid}"
        if lid.startswith("Fn::"):
            continue  # Fn::ForEach (AWS::LanguageExtensions) or Fn::Transform: a transform expands it
        if not isinstance(body, dict):
            add(f"resource {lid} must be a mapping with Type and Properties, not {_kind(body)}; it is not checked",
                resources, logical_id, lid, where)
        elif "Type" not in body:
            add(f"resource {lid} has no Type; it is not checked", resources, logical_id, lid, where)
        elif not isinstance(body["Type"], str):
            add(f"the Type of resource {lid} must be a string, not {_kind(body['Type'])}; it is not checked",
                body, "Type", lid, f"{where}/Type")
        elif properties_malformed(body):
            add(f"the Properties of resource {lid} must be a mapping, not {_kind(body['Properties'])}; "
                "the resource is not checked", body, "Properties", lid, f"{where}/Properties")
    conditions = template.get("Conditions")
    for cycle in condition_cycles(conditions):
        add(f"conditions refer to each other in a cycle: {' → '.join(cycle)}; they are not evaluated",
            conditions, cycle[0], None, f"Conditions/{cycle[0]}")
    return out


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    return "null" if value is None else type(value).__name__


def read_text(text: str, path: str):
    """Parse template text: the template (a dict with positions), or the FileResult that ends the file
    here (a parse error, or a file that is not a template).

    Text that does not parse is a parse error only when it looks like a template
    (:func:`linter.load.template_marks`); otherwise it is skipped, with the reason.
    """
    try:
        document = parse(text, path)
    except (ParseError, RecursionError) as exc:
        message, line, column = ((exc.message, exc.line, exc.column) if isinstance(exc, ParseError)
                                 else ("nesting is too deep to read", 1, 1))
        if template_marks(text) is None:
            if not text.strip():
                reason = "the file is empty"
            elif message == "file holds no YAML document":
                reason = "the file holds only comments"
            else:
                reason = (f"not a single YAML/JSON document ({_lower_first(message)}, line {line}) and nothing in "
                          "it looks like a template (no AWSTemplateFormatVersion, SAM Transform or AWS:: types)")
            return FileResult(path, "skipped", text=text, reason=reason)
        return FileResult(path, "parse-error", [parse_finding(path, message, line, column)], text=text)
    if not is_template(document.data):
        return FileResult(path, "skipped", text=text, reason=not_a_template_reason(document.data))
    return document.data


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def lint_text(text: str, path: str, *, parameters: dict | None = None, pseudo: dict | None = None,
              rules: list[Rule] | None = None, rule_options: dict | None = None,
              parameter_source: str = "given on the command line", parameter_sources: dict | None = None) -> FileResult:
    template = read_text(text, path)
    if isinstance(template, FileResult):
        return template
    return lint_template(template, path, parameters=parameters, pseudo=pseudo, rules=rules,
                         rule_options=rule_options, text=text, parameter_source=parameter_source,
                         parameter_sources=parameter_sources)


def lint_template(template: dict, path: str, *, parameters=None, pseudo=None, rules=None, rule_options=None,
                  text: str | None = None, parameter_source: str = "given on the command line",
                  parameter_sources: dict | None = None) -> FileResult:
    """Lint an already-parsed template (a dict; positions are used when it came from :mod:`load`).

    ``parameter_source`` says where ``parameters`` came from, for messages ("deployed value");
    ``parameter_sources`` names the source of single parameters when they differ (samconfig.toml ...).
    """
    from .build import build_graph

    result = FileResult(path, "linted", text=text, template=template)
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        result.findings.append(parse_finding(path, "Resources must be a mapping of logical ids to resources",
                                             *key_position(template, "Resources")))
        result.status = "parse-error"
        return result
    try:
        result.findings.extend(structure_findings(template, path))
    except Exception as exc:  # a bug of ours: say so, and still check the rest
        _internal_error(result, "the template's structure", exc)
    try:
        graph = build_graph(path, template, parameters, pseudo, parameter_source, parameter_sources)
    except RecursionError:
        result.findings.append(parse_finding(path, "the template's references are nested too deeply to resolve"))
        result.status = "parse-error"
        return result
    except Exception as exc:  # a bug of ours must not cost the user the other files
        # No rule can run without the graph, and one built in part could miss links and mislead them.
        _internal_error(result, "the template (building the resource graph)", exc)
        return result
    result.graph = graph
    outcome = run_rules(graph, rules if rules is not None else all_rules(), rule_options)
    result.findings.extend(outcome.findings)
    result.not_evaluated.extend(outcome.not_evaluated)
    result.errors.extend(f"{path}: {e}" for e in outcome.errors)
    return result


def _internal_error(result: FileResult, stage: str, exc: Exception) -> None:
    """Record a bug of ours as a CFN999 finding (and on standard error), never as a silent pass."""
    result.findings.append(internal_error_finding(result.path, stage, exc))
    result.errors.append(f"{result.path}: internal error while checking {stage}: {exc!r}{raised_at(exc)}")


def lint_file(path: str, **kwargs) -> FileResult:
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
            path = "<stdin>"
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        return FileResult(path, "unreadable", [parse_finding(path, f"cannot read file: {exc.strerror or exc}")])
    try:
        text = decode(raw)
    except ParseError as exc:
        # Judge a file that is not text by what can be read of it: a binary file is not a template.
        if template_marks(raw[:1_000_000].decode("latin-1")) is None:
            return FileResult(path, "skipped", reason=f"{_lower_first(exc.message)}, and nothing in it looks "
                                                      "like a template")
        return FileResult(path, "parse-error", [parse_finding(path, exc.message, exc.line, exc.column)])
    return lint_text(text, path, **kwargs)


def collect_paths(paths, notes: list[str] | None = None, excludes=None) -> tuple[list[str], list[str]]:
    """Expand folders (recursively, template suffixes only). Returns (files, missing paths).

    A folder walk skips what git ignores (``.gitignore`` files, ``.git/info/exclude``, the global excludes
    file; asked of ``git ls-files`` inside a git work tree) and what ``excludes`` matches: ``(glob, base
    folder)`` pairs, default :data:`linter.config.DEFAULT_EXCLUDE` from the working directory (hidden folders
    such as ``.aws-sam/``, ``node_modules/``, ``cdk.out/``). A path named explicitly is always read.

    Inside folders, only regular files (or links to them) are taken: a named pipe, socket or device is
    never opened (a pipe would block the run); a note for each goes to ``notes`` when it is given. A path
    named explicitly is read whatever it is (``<(…)`` process substitution gives a pipe).
    """
    from .config import DEFAULT_EXCLUDE

    if excludes is None:
        excludes = [(pattern, os.getcwd()) for pattern in DEFAULT_EXCLUDE]
    files, missing = [], []
    for p in paths:
        if p == "-":
            files.append(p)
        elif os.path.isdir(p):
            for full in _walk(p, excludes, notes):
                kind = _not_regular(full)
                if kind is None:
                    files.append(full)
                elif notes is not None:
                    notes.append(f"{full}: skipped, it is {kind}, not a regular file")
        elif os.path.exists(p):
            files.append(p)
        else:
            missing.append(p)
    return list(dict.fromkeys(files)), missing


def _walk(folder: str, excludes, notes) -> list[str]:
    """The files below ``folder`` with a template suffix that neither git nor ``excludes`` leave out."""
    listed = _git_listing(folder, notes)
    if listed is None:
        listed = []
        for root, dirs, names in os.walk(folder):
            rel_root = os.path.relpath(root, folder)
            dirs[:] = sorted(d for d in dirs if not _excluded(_join(rel_root, d), True, folder, excludes))
            listed += [_join(rel_root, name) for name in names]
    out = []
    for rel in sorted(listed):
        if not rel.lower().endswith(TEMPLATE_SUFFIXES) or _excluded(rel, False, folder, excludes):
            continue
        out.append(os.path.join(folder, rel) if folder != "." else rel)
    return out


def _join(rel_root: str, name: str) -> str:
    return name if rel_root in (".", "") else f"{rel_root.replace(os.sep, '/')}/{name}"


def _excluded(rel: str, is_dir: bool, folder: str, excludes) -> bool:
    """Whether ``rel`` (POSIX, relative to the walked ``folder``) or one of its folders matches an exclude.

    A glob without ``/`` matches a folder or file name anywhere (ending in ``/``: folders only); a glob
    with ``/`` matches the path relative to its base folder (``**`` spans folders).
    """
    from .suppress import glob_match

    parts = rel.split("/")
    folders = parts if is_dir else parts[:-1]
    for pattern, base in excludes:
        name_only = pattern.rstrip("/")
        if "/" not in name_only:
            names = folders if pattern.endswith("/") else folders + ([] if is_dir else parts[-1:])
            if any(glob_match(name_only, n) for n in names):
                return True
            continue
        where = os.path.relpath(os.path.join(os.path.abspath(folder), rel), base).replace(os.sep, "/")
        if where.startswith("../"):
            continue
        if glob_match(name_only, where):
            return True
        prefix = where
        while "/" in prefix:   # a pattern that names a folder excludes what is inside it
            prefix = prefix.rsplit("/", 1)[0]
            if glob_match(name_only, prefix):
                return True
    return False


def _git_listing(folder: str, notes) -> list[str] | None:
    """Files below ``folder`` (POSIX, relative to it) that git does not ignore, tracked or not; None when
    ``folder`` is not in a git work tree or git cannot say (then nothing is ignored, and a note says why)."""
    import subprocess

    from .report.paths import git_root

    if git_root(folder) is None:
        return None
    try:
        done = subprocess.run(["git", "-C", folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        if notes is not None:
            notes.append(f"{folder}: git could not list the files ({exc}); .gitignore is not applied")
        return None
    if done.returncode != 0:
        if notes is not None:
            detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
            notes.append(f"{folder}: git could not list the files ({detail}); .gitignore is not applied")
        return None
    out = []
    for rel in sorted(set(filter(None, done.stdout.decode("utf-8", "surrogateescape").split("\0")))):
        full = os.path.join(folder, rel)
        if os.path.islink(full) and os.path.isdir(full):
            continue
        if os.path.isdir(full):   # a submodule: its own files, its own ignores
            inner = _git_listing(full, notes)
            out += [f"{rel}/{r}" for r in (inner or [])]
        elif os.path.lexists(full):   # a tracked file deleted in the work tree is not listed
            out.append(rel)
    return out


def _not_regular(path: str) -> str | None:
    """What a path is when it is not a regular file ("a named pipe" …); None for a regular file, or when it
    cannot be examined (reading it will then say why)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
