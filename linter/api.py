"""The library entry points: lint text, a file, or many paths, and get results back.

Every input ends in one of four statuses — ``linted``, ``skipped`` (YAML/JSON that is not a
CloudFormation template), ``parse-error`` (a finding says what is wrong and where) or ``unreadable`` —
never in an exception.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from .engine import PARSE_CODE, PARSE_NAME, Rule, all_rules, run_rules
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


def parse_finding(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(PARSE_CODE, PARSE_NAME, Severity.ERROR, message, Location(path, line, column))


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
              parameter_source: str = "given on the command line") -> FileResult:
    template = read_text(text, path)
    if isinstance(template, FileResult):
        return template
    return lint_template(template, path, parameters=parameters, pseudo=pseudo, rules=rules,
                         rule_options=rule_options, text=text, parameter_source=parameter_source)


def lint_template(template: dict, path: str, *, parameters=None, pseudo=None, rules=None, rule_options=None,
                  text: str | None = None, parameter_source: str = "given on the command line") -> FileResult:
    """Lint an already-parsed template (a dict; positions are used when it came from :mod:`load`).

    ``parameter_source`` says where ``parameters`` came from, for messages ("deployed value").
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
        graph = build_graph(path, template, parameters, pseudo, parameter_source)
    except RecursionError:
        result.findings.append(parse_finding(path, "the template's references are nested too deeply to resolve"))
        result.status = "parse-error"
        return result
    except Exception as exc:  # a bug of ours must not cost the user the other files
        result.errors.append(f"{path}: internal error while building the resource graph: {exc!r}")
        return result
    outcome = run_rules(graph, rules if rules is not None else all_rules(), rule_options)
    result.findings.extend(outcome.findings)
    result.not_evaluated.extend(outcome.not_evaluated)
    result.errors.extend(f"{path}: {e}" for e in outcome.errors)
    return result


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


def collect_paths(paths) -> tuple[list[str], list[str]]:
    """Expand folders (recursively, template suffixes only). Returns (files, missing paths)."""
    files, missing = [], []
    for p in paths:
        if p == "-":
            files.append(p)
        elif os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
                files.extend(os.path.join(root, n) for n in sorted(names) if n.lower().endswith(TEMPLATE_SUFFIXES))
        elif os.path.isfile(p):
            files.append(p)
        else:
            missing.append(p)
    return list(dict.fromkeys(files)), missing
