"""Rule registry and the run: template → graph → rules → findings and not-evaluated records.

Rules are discovered, never listed: every module of the ``rules`` package (and of any package registered
under the ``cfn_arch_lint.rules`` entry point) is imported, and each ``@rule`` function registers itself.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .findings import Finding, Location, NotEvaluated, Severity

# Built-in codes the engine itself reports (not practices, so they live here): input that cannot be read
# as a template, a template whose structure CloudFormation rejects, and a bug of ours.
PARSE_CODE, PARSE_NAME = "CFN000", "template-parse-error"
STRUCTURE_CODE, STRUCTURE_NAME = "CFN001", "template-structure-error"
INTERNAL_CODE, INTERNAL_NAME = "CFN999", "internal-error"


@dataclass
class Rule:
    code: str
    name: str
    severity: Severity
    func: Callable
    options: dict
    summary: str
    doc: str
    tags: tuple[str, ...] = ()
    security_severity: str | None = None
    catalogue_id: str = ""

    @property
    def prefix(self) -> str:
        return self.code.rstrip("0123456789")

    def matches(self, selector: str) -> bool:
        """A selector is a code, a code prefix, a name, or ALL."""
        s = selector.strip()
        return (s.upper() == "ALL" or self.code.upper().startswith(s.upper()) or self.name == s.lower())


PARSE_DOC = """A file that looks like a template cannot be read as one.

**What it checks.** The file is YAML or JSON that should be a CloudFormation or SAM template (it has
`AWSTemplateFormatVersion`, a SAM `Transform`, or `Resources` of `AWS::` types) but cannot be parsed:
a syntax error, a duplicate key, a bad encoding, an alias bomb, absurd nesting, or `Resources` that is
not a mapping.

**Why it matters.** Nothing else in the file can be checked, and CloudFormation rejects it too.

**Fix.** Correct the syntax at the reported line and column."""

# The built-in parse-error rule: documented like the others, produced by the loader, never run.
PARSE_RULE = Rule(PARSE_CODE, PARSE_NAME, Severity.ERROR, None, {}, PARSE_DOC.split("\n\n", 1)[0], PARSE_DOC,
                  ("correctness", "syntax"))

STRUCTURE_DOC = """A resource or condition has a structure CloudFormation rejects, so it cannot be checked.

**What it checks.** A resource that is not a mapping, has no `Type`, has a `Type` that is not a
string, or has `Properties` that is not a mapping (an empty `Properties:` is accepted); and
`Conditions` that refer to each other in a cycle (the message names the cycle). The resource, or every
condition in the cycle, is left out of the checks, so no other rule reports a default value for it.

**Why it matters.** CloudFormation rejects the template. Until it is fixed, the other rules cannot
judge the resources involved: a value the template meant to set would otherwise be taken as the
service default.

**Example (fails).**

    Jobs:
      Type: AWS::SQS::Queue
      Properties: VisibilityTimeout=120      # a string, not a mapping

**Fix.** Give the resource a string `Type` and a mapping of `Properties`; break the condition cycle."""

INTERNAL_DOC = """The linter failed while checking the file: a bug in cfn-arch-lint, please report it.

**What it checks.** Nothing: this finding replaces the results that an internal error prevented
(building the resource graph, or one rule). The file's other rules still run. The message names the
stage or rule and the error.

**Why it matters.** Without it the file would pass silently. The finding cannot be ignored, suppressed
or baselined, and any run that has it exits with code 2.

**Fix.** Report it at https://github.com/cfn-arch-lint/cfn-arch-lint/issues with the message and, if
you can, the smallest template that shows it."""

# The built-in structure rule: reported by the engine before the rules run (see linter.api).
STRUCTURE_RULE = Rule(STRUCTURE_CODE, STRUCTURE_NAME, Severity.ERROR, None, {},
                      STRUCTURE_DOC.split("\n\n", 1)[0], STRUCTURE_DOC, ("correctness", "syntax"))
# The built-in internal-error rule: a finding standing for results a bug of ours prevented.
INTERNAL_RULE = Rule(INTERNAL_CODE, INTERNAL_NAME, Severity.ERROR, None, {},
                     INTERNAL_DOC.split("\n\n", 1)[0], INTERNAL_DOC, ("correctness",))
# Documented like the other rules (``rules --format markdown``, ``explain``, SARIF), never run as one.
ENGINE_RULES = (PARSE_RULE, STRUCTURE_RULE, INTERNAL_RULE)


def internal_error_finding(path: str, stage: str, exc: BaseException) -> Finding:
    """The CFN999 finding for an exception raised while checking ``stage`` (a rule, or a step of the run).

    ``internal_error_finding("t.yaml", "rule SQS001 (sqs-visibility-timeout-vs-lambda)", exc)``
    """
    text = " ".join(str(exc).split())
    text = text if len(text) <= 300 else text[:297] + "..."  # an exception may carry a whole template value
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return Finding(INTERNAL_CODE, INTERNAL_NAME, Severity.ERROR,
                   f"internal error while checking {stage}: {detail}; please report it",
                   Location(path, 1, 1), check=stage)


def is_internal_error(finding: Finding) -> bool:
    """A CFN999 finding: never ignored, suppressed or baselined, and the run exits with code 2."""
    return finding.code == INTERNAL_CODE


_REGISTRY: dict[str, Rule] = {}
_LOADED = False


def rule(code: str, name: str, *, severity: str, options: dict | None = None, tags: Iterable[str] = (),
         security_severity: str | None = None, catalogue: str = ""):
    """Register a rule. The function's docstring is its user documentation.

    The first paragraph of the docstring is the one-line summary shown by ``rules`` and in SARIF.
    """

    def register(func):
        doc = textwrap.dedent(inspect.getdoc(func) or "").strip()
        summary = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
        if code in _REGISTRY and _REGISTRY[code].func is not func:
            raise RuntimeError(f"rule code {code} registered twice")
        _REGISTRY[code] = Rule(code, name, Severity.parse(severity), func, dict(options or {}),
                               summary, doc, tuple(tags), security_severity, catalogue)
        return func

    return register


def all_rules() -> list[Rule]:
    _discover()
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


def find_rule(key: str) -> Rule | None:
    for r in all_rules() + list(ENGINE_RULES):
        if r.code.upper() == key.strip().upper() or r.name == key.strip().lower():
            return r
    return None


def _discover() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    packages = ["rules"]
    try:
        from importlib.metadata import entry_points

        packages += [ep.value for ep in entry_points(group="cfn_arch_lint.rules") if ep.value not in packages]
    except Exception:  # pragma: no cover - broken metadata must not stop the built-in rules
        pass
    for package_name in packages:
        package = importlib.import_module(package_name)
        # Rules are grouped by service in subpackages (rules/sqs/, rules/vpc/ ...): walk them all.
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)


# ---------------------------------------------------------------- running rules


@dataclass
class Result:
    """What running the rules over one template gave."""

    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class RuleContext:
    """Handed to each rule: its options, and the way to report findings and unknowns."""

    def __init__(self, rule_: Rule, graph, options: dict, result: Result):
        self.rule = rule_
        self.graph = graph
        self.options = options
        self._result = result

    # -- values
    def cases(self, subject, *values, convert=None):
        """Consistent combinations of the given values, each a tuple of known cases.

        Combinations that contain an unknown case are not yielded; the subject is recorded as not
        evaluated with the reason instead. Cases from different ``Fn::If`` branches or parameter values
        that contradict each other are never combined. ``convert`` (for example
        :func:`linter.values.as_number`) turns each case's value into the type the rule compares; a value
        that does not convert is reported as not evaluated too.
        """
        from .values import Case, Value, combinations

        # A link that exists only under a condition pairs its values with that condition.
        scenario = getattr(subject, "assumptions", ())
        extra = (Value.known(None, "", scenario),) if scenario else ()
        for combo in combinations(*values, *extra):
            combo = combo[:len(values)] if extra else combo
            unknown = next((c for c in combo if not c.known), None)
            if unknown is not None:
                self.not_evaluated(subject, unknown.describe())
                continue
            if convert is not None:
                converted = []
                for c in combo:
                    v = convert(c)
                    if v is None and c.value is not None:
                        self.not_evaluated(subject, f"{c.show()} is not a value this check can compare")
                        break
                    converted.append(Case(v, c.origin, c.assumptions))
                else:
                    yield tuple(converted)
                continue
            yield combo

    def not_evaluated(self, subject, reason: str) -> None:
        loc = self.graph.location_of(subject)
        self._result.not_evaluated.append(NotEvaluated(self.rule.code, self.rule.name, loc, reason))

    # -- findings
    def finding(self, subject, message: str, *, severity: str | None = None, related=(), check: str = "",
                at: str | None = None, cases=()) -> Finding:
        """Build a finding on ``subject`` (a resource or an edge).

        ``related`` are other resources (or locations) the finding involves; ``at`` is a property path
        of the subject to point at; ``cases`` are the value cases the verdict used, so the scenario they
        hold in (an ``Fn::If`` branch, a parameter's allowed value) is named in the message.
        """
        from .values import Case, scenario_text

        graph = self.graph
        location = graph.location_of(subject, at)
        related_locations = [graph.location_of(r) if not isinstance(r, Location) else r for r in related]
        logical_ids = graph.logical_ids_of(subject) + tuple(
            lid for r in related if not isinstance(r, Location) for lid in graph.logical_ids_of(r))
        scenario = getattr(subject, "assumptions", ())
        when = scenario_text(list(cases) + ([Case(None, "", scenario)] if scenario else []))
        if when:
            message = f"{message} ({when})"
        sev = Severity.parse(severity) if severity else self.rule.severity
        return Finding(self.rule.code, self.rule.name, sev, message, location,
                       tuple(dict.fromkeys(logical_ids)), related_locations, check)


def raised_at(exc: BaseException) -> str:
    """Where the exception was raised (`` at rules/x.py:12``), for the report a user files."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" at {'/'.join(last.filename.replace(chr(92), '/').split('/')[-2:])}:{last.lineno}"


def run_rules(graph, rules: list[Rule], options: dict[str, dict] | None = None) -> Result:
    result = Result()
    options = options or {}
    for r in rules:
        ctx = RuleContext(r, graph, {**r.options, **options.get(r.code, {})}, result)
        best: dict[tuple, Finding] = {}
        try:
            # Worst case wins: one finding per rule, subject and sub-check, the most severe scenario.
            for f in r.func(graph, ctx) or ():
                key = (f.logical_ids, f.check, f.location.pointer)
                if key not in best or f.severity > best[key].severity:
                    best[key] = f
        except Exception as exc:  # one broken rule must not hide the others' findings
            stage = f"rule {r.code} ({r.name})"
            result.findings.append(internal_error_finding(graph.path, stage, exc))
            result.errors.append(f"internal error while checking {stage}: {exc!r}{raised_at(exc)}")
        result.findings.extend(best.values())
    # An unknown reported for a subject that also has a finding is not news; and keep one per subject.
    seen = set()
    flagged = {(f.code, f.location.logical_id) for f in result.findings}
    kept = []
    for ne in result.not_evaluated:
        key = (ne.code, ne.location.logical_id, ne.location.pointer, ne.reason)
        if key in seen or (ne.code, ne.location.logical_id) in flagged:
            continue
        seen.add(key)
        kept.append(ne)
    result.not_evaluated = kept
    return result
