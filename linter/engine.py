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

# Built-in code for input that cannot be read as a template. Not a practice, so it lives here.
PARSE_CODE, PARSE_NAME = "CFN000", "template-parse-error"


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
    for r in all_rules() + [PARSE_RULE]:
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
    def cases(self, subject, *values, convert=None, worst=None):
        """Consistent combinations of the given values, each a tuple of known cases.

        Combinations that contain an unknown case are not yielded; the subject is recorded as not
        evaluated with the reason instead. Cases from different ``Fn::If`` branches or parameter values
        that contradict each other are never combined. ``convert`` (for example
        :func:`linter.values.as_number`) turns each case's value into the type the rule compares; a value
        that does not convert is reported as not evaluated too.

        More than :data:`linter.values.MAX_COMBINATIONS` scenarios are not judged one by one: the subject
        is recorded as not evaluated ("too many scenarios (N)"), unless ``worst`` says, per value, which
        end is worse for a monotone comparison (``min``, ``max`` or None): then only the worst cases of
        each value are combined, e.g. ``worst=(min, max, max)`` for visibility, timeout and window.
        """
        from .values import Case, TooManyScenarios, Value, combinations

        # A link that exists only under a condition pairs its values with that condition.
        scenario = getattr(subject, "assumptions", ())
        extra = (Value.known(None, "", scenario),) if scenario else ()
        try:
            combos = list(combinations(*values, *extra))
        except TooManyScenarios as too_many:
            combos = self._worst_combinations(subject, values, extra, convert, worst, too_many)
        for combo in combos:
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

    def _worst_combinations(self, subject, values, extra, convert, worst, too_many) -> list:
        """The combinations of each value's worst cases, or [] with a not-evaluated record."""
        from .values import TooManyScenarios, as_number, combinations, worst_cases

        if worst is not None:
            converters = convert if isinstance(convert, (tuple, list)) else [convert] * len(values)
            reduced = [worst_cases(v, end, number or as_number) if end else v
                       for v, end, number in zip(values, worst, converters)]
            try:
                # Empty when the worst cases contradict each other: their scenario cannot happen.
                combos = list(combinations(*reduced, *extra))
            except TooManyScenarios:
                combos = []
            if combos:
                return combos
        self.not_evaluated(subject, str(too_many))
        return []

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
            result.errors.append(f"internal error in rule {r.code} ({r.name}): {exc!r}")
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
