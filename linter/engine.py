"""Rule registry and the run: template → graph → rules → findings and not-evaluated records.

Rules are discovered, never listed: every module of the ``rules`` package (and any module or package
registered under the ``cfn_arch_lint.rules`` entry point) is imported, and each ``@rule`` function registers
itself.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
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
        taken = _REGISTRY.get(code)
        if code == PARSE_CODE or (taken is not None and taken.func is not func):
            owner = "built in" if code == PARSE_CODE else f"taken by {taken.func.__module__}.{taken.func.__name__}"
            raise PluginError(f"rule code {code} of {func.__module__}.{func.__name__} is already {owner}")
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


BUILTIN_RULES = "rules"
PLUGIN_GROUP = "cfn_arch_lint.rules"


class PluginError(Exception):
    """A plugin could not be loaded; its rules are skipped, the others still run."""


def _discover() -> None:
    """Import the built-in rules, then every plugin named under the ``cfn_arch_lint.rules`` entry point.

    An entry point names a module or a package (``acme_rules`` or ``acme.rules``); a package is walked,
    subpackages included. A plugin that fails to load (an import error, a rule code that is already taken)
    costs one line on standard error and only its own rules.
    """
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    _import_rules(BUILTIN_RULES)  # a failure here is our bug: let it show
    for label, module_name in _plugin_entry_points():
        if module_name == BUILTIN_RULES:
            continue
        before = dict(_REGISTRY)
        try:
            _import_rules(module_name)
        except Exception as exc:
            # Leave nothing half-registered from a broken plugin.
            _REGISTRY.clear()
            _REGISTRY.update(before)
            reason = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
            print(f"cfn-arch-lint: plugin {module_name!r} (entry point {label}) failed to load: {reason}; "
                  "its rules are skipped", file=sys.stderr)


def _plugin_entry_points() -> list[tuple[str, str]]:
    """``(entry point name, module)`` for each ``cfn_arch_lint.rules`` entry point, in a stable order."""
    from importlib.metadata import entry_points

    try:
        found = entry_points(group=PLUGIN_GROUP)
    except Exception as exc:  # broken metadata must not stop the built-in rules
        print(f"cfn-arch-lint: cannot read the {PLUGIN_GROUP} entry points: {exc}", file=sys.stderr)
        return []
    pairs = {(ep.name, ep.value.split(":", 1)[0].strip()) for ep in found}
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def _import_rules(module_name: str) -> None:
    """Import a module of rules; for a package, every module below it too."""
    module = importlib.import_module(module_name)
    # Rules are grouped by service in subpackages (rules/sqs/, rules/vpc/ ...): walk them all.
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            importlib.import_module(info.name)


# ---------------------------------------------------------------- running rules


@dataclass
class Result:
    """What running the rules over one template gave."""

    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class RuleContext:
    """Handed to each rule: its options, and the way to read values, report findings and unknowns."""

    def __init__(self, rule_: Rule, graph, options: dict, result: Result):
        self.rule = rule_
        self.graph = graph
        self.options = options
        self._result = result
        self._unjudged: set[int] = set()   # id() of subjects with a scenario that could not be judged

    # -- values
    def cases(self, subject, *values, convert=None, worst=None):
        """Consistent combinations of the given values, each a tuple of known cases.

        Combinations that contain an unknown case are not yielded; the subject is recorded as not
        evaluated with the reason instead. Cases from different ``Fn::If`` branches or parameter values
        that contradict each other are never combined. ``convert`` turns each case's value into the type
        the rule compares: one callable for every value (``convert=as_number``) or one per value
        (``convert=(as_number, as_number, as_bool)``, ``None`` leaves that value as it is). A value that
        does not convert is reported as not evaluated too. ``ctx.all_judged(subject)`` says afterwards
        whether every combination was yielded.

        More than :data:`linter.values.MAX_COMBINATIONS` scenarios are not judged one by one: the subject
        is recorded as not evaluated ("too many scenarios (N)"), unless ``worst`` says, per value, which
        end is worse for a monotone comparison (``min``, ``max`` or None): then only the worst cases of
        each value are combined, e.g. ``worst=(min, max, max)`` for visibility, timeout and window.
        """
        from .values import Case, TooManyScenarios, Value, combinations

        if isinstance(convert, (tuple, list)):
            if len(convert) != len(values):
                raise TypeError(f"convert has {len(convert)} functions for {len(values)} values")
            converters = tuple(convert)
        else:
            converters = (convert,) * len(values)
        # A link (or list entry) that exists only under a condition pairs its values with that condition.
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
            converted = []
            for c, convert_one in zip(combo, converters):
                if convert_one is None:
                    converted.append(c)
                    continue
                v = convert_one(c)
                if v is None and c.value is not None:
                    self.not_evaluated(subject, f"{c.show()} is not a value this check can compare")
                    break
                converted.append(Case(v, c.origin, c.assumptions))
            else:
                yield tuple(converted)

    def all_judged(self, subject) -> bool:
        """Whether every scenario of ``subject`` was judged so far: no ``cases`` combination of it, and no
        direct ``not_evaluated`` call for it, was left open."""
        return id(subject) not in self._unjudged

    def coverage(self, subject, providers) -> "Coverage":
        """Does some provider cover ``subject`` in every scenario it exists in?

        ``subject`` is a resource, an edge, an entry, or a list of them (the scenarios it must be covered
        in are those in which any of them exists). ``providers`` are ``(provider, predicate)`` pairs (a bare
        provider means "covers wherever it exists"): a provider is an edge, resource or entry (it covers
        where it exists, if ``predicate(provider)``), or a :class:`~linter.values.Value` (it covers in the
        scenarios of the cases for which ``predicate(case)`` holds). A predicate returns True, False, or a
        string: the reason it cannot tell. See :class:`Coverage` for the answer.
        """
        return compute_coverage(self.graph, subject, providers)

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
        self._unjudged.add(id(subject))
        loc = self.graph.location_of(subject)
        self._result.not_evaluated.append(NotEvaluated(self.rule.code, self.rule.name, loc, reason))

    # -- findings
    def finding(self, subject, message: str, *, severity: str | None = None, related=(), check: str = "",
                at: str | None = None, cases=()) -> Finding:
        """Build a finding on ``subject`` (a resource, an edge or a list entry).

        ``related`` are other resources (or locations) the finding involves; ``at`` is a property path
        of the subject to point at; ``cases`` are the value cases the verdict used, so the scenario they
        hold in (an ``Fn::If`` branch, a parameter's allowed value) is named in the message. A subject
        that exists only in some scenarios (a conditional link) names its scenario too.
        """
        from .values import Case, scenario_text

        graph = self.graph
        location = graph.location_of(subject, at)
        related_locations = [graph.location_of(r) if not isinstance(r, Location) else r for r in related]
        logical_ids = graph.logical_ids_of(subject) + tuple(
            lid for r in related if not isinstance(r, Location) for lid in graph.logical_ids_of(r))
        scenario = getattr(subject, "assumptions", ())
        when = scenario_text(list(cases) + ([Case(None, "", scenario)] if scenario else []))
        if when and when not in message:
            message = f"{message} ({when})"
        sev = Severity.parse(severity) if severity else self.rule.severity
        return Finding(self.rule.code, self.rule.name, sev, message, location,
                       tuple(dict.fromkeys(logical_ids)), related_locations, check)


@dataclass
class Coverage:
    """The answer of :meth:`RuleContext.coverage`.

    ``everywhere``: some provider covers the subject in every scenario. Otherwise ``unknown`` is the
    reason it cannot be told (a provider that could not be judged, or template content the tool cannot
    see), or ``uncovered`` is a scenario (assumptions) in which nothing covers it: ``text`` names it
    ("when condition IsProd is false, as it is with the default of parameter Env"), ``cases`` passes it
    to ``ctx.finding(cases=...)``. ``covering`` are the providers that cover in some scenario, so an
    empty list means "nothing covers it anywhere".
    """

    everywhere: bool
    uncovered: tuple | None = None
    unknown: str | None = None
    covering: list = field(default_factory=list)
    text: str = ""

    @property
    def nowhere(self) -> bool:
        """Nothing covers the subject in any scenario (and nothing was left unjudged)."""
        return not self.everywhere and self.unknown is None and not self.covering

    @property
    def cases(self) -> tuple:
        from .values import Case

        return (Case(None, "", self.uncovered),) if self.uncovered else ()


MAX_SCENARIOS = 4096


def _existence(thing) -> tuple:
    if hasattr(thing, "existence"):
        return thing.existence
    return getattr(thing, "assumptions", ()) or ()


def compute_coverage(graph, subject, providers) -> Coverage:
    from .values import Value, scenario_text

    subjects = list(subject) if isinstance(subject, (list, tuple)) else [subject]
    needed = [tuple(_existence(s)) for s in subjects]
    covered: list[tuple[tuple, object]] = []     # (assumptions, provider)
    unknown: list[tuple[tuple, str]] = []        # (assumptions, reason)
    seen: list[tuple] = []                       # assumptions of every provider case, covering or not
    for item in providers:
        provider, predicate = item if isinstance(item, tuple) else (item, None)
        if isinstance(provider, Value):
            for case in provider:
                verdict = (case.describe() if not case.known else True if predicate is None else predicate(case))
                _sort(verdict, case.assumptions, provider, covered, unknown, seen)
        else:
            verdict = True if predicate is None else predicate(provider)
            _sort(verdict, tuple(_existence(provider)), provider, covered, unknown, seen)
    covering = list(dict.fromkeys(id(p) for _a, p in covered))
    covering = [next(p for _a, p in covered if id(p) == i) for i in covering]
    unseen = getattr(graph, "unseen", None)

    keys: dict = {}
    for sets in (needed, seen):
        for assumptions in sets:
            for key, choice in assumptions:
                # A "one of" choice stands for its values: scenarios are made of single values.
                keys.setdefault(key, set()).update(_atoms(choice))
    domains = {k: ({True, False} if k[0] == "condition" else v) for k, v in keys.items()}
    total = 1
    for d in domains.values():
        total *= len(d)
    if total > MAX_SCENARIOS:
        return Coverage(False, unknown=f"more than {MAX_SCENARIOS} condition scenarios", covering=covering)
    import itertools

    names = list(domains)
    implied = _implications(graph, names)

    def possible(scenario) -> bool:
        # A condition the chosen parameters decide the other way makes the scenario impossible.
        return not any(all(_matches(scenario.get(k), v) for k, v in given) and scenario.get(key) != value
                       for given, key, value in implied)

    def state(scenario):
        """None when covered or not needed; else the reason it is open ("" when plainly uncovered)."""
        holds = lambda a: all(_matches(scenario.get(k), v) for k, v in a)  # noqa: E731
        if not any(holds(a) for a in needed) or any(holds(a) for a, _p in covered):
            return None
        return next((r for a, r in unknown if holds(a)), None) or unseen or ""

    def completions(partial: dict):
        free = [k for k in names if k not in partial]
        for choices in itertools.product(*(sorted(domains[k], key=repr) for k in free)):
            scenario = {**partial, **dict(zip(free, choices))}
            if possible(scenario):
                yield scenario

    open_reason = None
    for scenario in completions({}):
        reason = state(scenario)
        if reason is None:
            continue
        if reason:
            open_reason = open_reason or reason
            continue
        # Name the smallest part of the scenario that is uncovered whatever the other choices are.
        gap_keys = dict(scenario)
        for key in names:
            trial = {k: v for k, v in gap_keys.items() if k != key}
            if all(state(s) == "" for s in completions(trial)):
                gap_keys = trial
        gap = tuple(sorted(gap_keys.items(), key=lambda kv: (kv[0], repr(kv[1]))))
        when = scenario_text([_case(gap)])
        note = _default_note(graph, gap)
        return Coverage(False, gap, None, covering, (when + note) if when else "")
    if open_reason:
        return Coverage(False, unknown=open_reason, covering=covering)
    return Coverage(True, covering=covering)


def _atoms(choice) -> set:
    """The single values a scenario choice stands for: a "one of" choice, all of its parameter's values."""
    from .values import OneOf

    if isinstance(choice, OneOf):
        return set(choice) | set(getattr(choice, "among", None) or ())
    return {choice}


def _matches(value, choice) -> bool:
    """Whether a scenario's single value satisfies a choice (a value, or "one of" a set of values)."""
    from .values import OneOf

    return value in choice if isinstance(choice, OneOf) else value == choice


def _implications(graph, keys) -> list:
    """(parameter choices, condition key, value they force): a condition the parameters' allowed values
    decide is not free, so scenarios that contradict it are skipped."""
    out = []
    resolver = getattr(graph, "resolver", None)
    for key in keys:
        if key[0] == "condition" and resolver is not None:
            for case in resolver.condition(key[1]):
                params = tuple(kv for kv in case.assumptions if kv[0][0] != "condition")
                if case.known and params:
                    out.append((params, key, case.value))
    return out


def _sort(verdict, assumptions, provider, covered, unknown, seen) -> None:
    seen.append(assumptions)
    if verdict is True:
        covered.append((assumptions, provider))
    elif isinstance(verdict, str):
        unknown.append((assumptions, verdict))


def _case(assumptions):
    from .values import Case

    return Case(None, "", assumptions)


def _default_note(graph, gap: tuple) -> str:
    """``, as it is with the default of parameter AlarmEmail ('')`` when the parameters' defaults
    settle a condition of the uncovered scenario that way."""
    resolver = getattr(graph, "resolver", None)
    notes = []
    for (kind, name), choice in gap:
        if kind != "condition" or resolver is None:
            continue
        if all(c.known and not c.assumptions and c.value == choice for c in resolver.condition(name)):
            why = graph.why_off(name)
            if why.startswith("the default"):
                notes.append(why.replace(" turns it off", "").replace("the default", "as it is with the default"))
    return (", " + "; ".join(notes)) if notes else ""


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
                key = (f.location.path, f.logical_ids, f.check, f.location.pointer)  # path: templates checked together
                if key not in best or f.severity > best[key].severity:
                    best[key] = f
        except Exception as exc:  # one broken rule must not hide the others' findings
            stage = f"rule {r.code} ({r.name})"
            result.findings.append(internal_error_finding(graph.path, stage, exc))
            result.errors.append(f"internal error while checking {stage}: {exc!r}{raised_at(exc)}")
        result.findings.extend(best.values())
    # An unknown reported for a subject that also has a finding is not news; and keep one per subject.
    seen = set()
    flagged = {(f.code, f.location.path, f.location.logical_id) for f in result.findings}
    kept = []
    for ne in result.not_evaluated:
        key = (ne.code, ne.location.path, ne.location.logical_id, ne.location.pointer, ne.reason)
        if key in seen or (ne.code, ne.location.path, ne.location.logical_id) in flagged:
            continue
        seen.add(key)
        kept.append(ne)
    result.not_evaluated = kept
    return result
