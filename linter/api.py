"""The library entry points: lint text, a file, or many paths, and get results back.

Every input ends in one of four statuses — ``linted``, ``skipped`` (YAML/JSON that is not a
CloudFormation template), ``parse-error`` (a finding says what is wrong and where) or ``unreadable`` —
never in an exception.
"""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field

from .engine import (PARSE_CODE, PARSE_NAME, STRUCTURE_CODE, STRUCTURE_NAME, Rule, all_rules,
                     internal_error_finding, raised_at, run_rules)
from .findings import Finding, Location, NotEvaluated, Severity
from .load import ParseError, decode, is_template, key_position, parse

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
    here (a parse error, or YAML/JSON that is not a template)."""
    try:
        document = parse(text, path)
    except ParseError as exc:
        return FileResult(path, "parse-error", [parse_finding(path, exc.message, exc.line, exc.column)], text=text)
    except RecursionError:
        return FileResult(path, "parse-error", [parse_finding(path, "nesting is too deep to read")], text=text)
    if not is_template(document.data):
        return FileResult(path, "skipped", text=text)
    return document.data


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
        return FileResult(path, "parse-error", [parse_finding(path, exc.message, exc.line, exc.column)])
    return lint_text(text, path, **kwargs)


def collect_paths(paths, notes: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Expand folders (recursively, template suffixes only). Returns (files, missing paths).

    Inside folders, only regular files (or links to them) are taken: a named pipe, socket or device is
    never opened (a pipe would block the run); a note for each goes to ``notes`` when it is given. A path
    named explicitly is read whatever it is (``<(…)`` process substitution gives a pipe).
    """
    files, missing = [], []
    for p in paths:
        if p == "-":
            files.append(p)
        elif os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
                for name in sorted(names):
                    if not name.lower().endswith(TEMPLATE_SUFFIXES):
                        continue
                    full = os.path.join(root, name)
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
