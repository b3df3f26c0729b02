"""Values with their origin.

Every property a rule reads is a :class:`Value`: one or more :class:`Case` objects. A case is either known
(a plain Python value) or unknown (with the reason), and says where it came from ("the SQS default",
"Globals.Function.Timeout, line 5", "parameter Timeout default, line 12"). A value has several cases when
it differs by scenario: an ``Fn::If`` branch, each of a parameter's ``AllowedValues``, each row of a
mapping looked up with an unknown key. A case remembers the assumptions it was made under, so two values
picked by the same condition stay paired when a rule compares them.

An assumption is ``((kind, name), choice)`` with kind "parameter", "mapping" or "condition". A choice may
be a :class:`OneOf`, "one of these": a resource that exists when ``Environment`` is build or production
carries ``(("parameter", "Environment"), OneOf({"build", "production"}))``. A "condition" assumption
is a free boolean, used only for a condition that no parameter decides (it reads ``AWS::Region``, or a
parameter with no value); a condition decided by parameters is expressed by those parameters' values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CASES = 64
# The most combinations one check may judge; beyond it the check is "not evaluated: too many scenarios"
# unless the rule says which case of each value is the worst (see :func:`worst_cases`).
MAX_COMBINATIONS = 4096


class Unknown:
    """A value that cannot be resolved from the template and the given parameters."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"Unknown({self.reason!r})"

    def __eq__(self, other):
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self):
        return hash(self.reason)


@dataclass(frozen=True)
class ResourceRef:
    """``Ref`` or ``Fn::GetAtt`` of a resource in the template (attribute None for Ref)."""

    logical_id: str
    attribute: str | None = None
    # The template the resource belongs to when several are checked together (linter.stacks), else None.
    scope: str | None = field(default=None, repr=False)

    def __str__(self):
        return token(self.logical_id if self.attribute is None else f"{self.logical_id}.{self.attribute}")


@dataclass(frozen=True)
class ForeignRef(ResourceRef):
    """A reference handed over by another template of the run (an export, an SSM parameter, a nested
    stack's output): inside a string its token names the template too (``network::PrivateSubnet``)."""

    def __str__(self):
        name = f"{self.scope}::{self.logical_id}"
        return token(name if self.attribute is None else f"{name}.{self.attribute}")


# Inside strings, references to resources and pseudo parameters become tokens, so that an ARN built
# with Fn::Sub still names the resource it points at.
TOKEN_OPEN, TOKEN_CLOSE = "\u27e6", "\u27e7"
TOKEN = re.compile(TOKEN_OPEN + "([^" + TOKEN_CLOSE + "]*)" + TOKEN_CLOSE)


def token(name: str) -> str:
    return f"{TOKEN_OPEN}{name}{TOKEN_CLOSE}"


def is_symbolic(value) -> bool:
    return isinstance(value, str) and TOKEN_OPEN in value


class Concealed:
    """The value of a ``NoEcho`` parameter: it compares and computes like the plain value, but
    :func:`display` (so ``Case.show``/``Case.cite`` and every message built with them) shows ``****``."""

    __slots__ = ()


class ConcealedText(str, Concealed):
    __slots__ = ()


class ConcealedInt(int, Concealed):
    __slots__ = ()


class ConcealedFloat(float, Concealed):
    __slots__ = ()


MASK = "****"


def conceal(value):
    """``value`` marked as a NoEcho parameter's value (a list item by item); booleans and others unchanged."""
    if isinstance(value, bool) or isinstance(value, Concealed):
        return value
    if isinstance(value, str):
        return ConcealedText(value)
    if isinstance(value, int):
        return ConcealedInt(value)
    if isinstance(value, float):
        return ConcealedFloat(value)
    if isinstance(value, list):
        return [conceal(v) for v in value]
    return value


def display(value) -> str:
    """A value as a person reads it: tokens shown as ${Name}; a NoEcho parameter's value as ****."""
    if isinstance(value, Concealed):
        return MASK
    if isinstance(value, (list, tuple)) and any(isinstance(v, Concealed) for v in value):
        return "[" + ", ".join(display(v) for v in value) + "]"
    if isinstance(value, ResourceRef):
        return f"${{{value.logical_id}{'.' + value.attribute if value.attribute else ''}}}"
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        return TOKEN.sub(lambda m: "${" + m.group(1) + "}", value)
    return str(value)


@dataclass(frozen=True)
class Case:
    value: object
    origin: str = ""
    assumptions: tuple = ()  # sorted ((kind, name), choice) pairs

    @property
    def known(self) -> bool:
        return not isinstance(self.value, Unknown)

    def describe(self) -> str:
        if isinstance(self.value, Unknown):
            return self.value.reason
        return self.show()

    def show(self, unit: str = "") -> str:
        """``30 s (the SQS default)``."""
        text = display(self.value) + (f" {unit}" if unit else "")
        return f"{text} ({self.origin})" if self.origin else text

    def cite(self, name: str, unit: str = "") -> str:
        """``FifoQueue true, set on line 11``: the property, its value and where it came from."""
        text = f"{name} {display(self.value)}" + (f" {unit}" if unit else "")
        return f"{text}, {self.origin}" if self.origin else text

    def with_assumptions(self, extra) -> "Case | None":
        merged = merge_assumptions(self.assumptions, extra)
        if merged is None:
            return None
        return Case(self.value, self.origin, merged)


class OneOf(frozenset):
    """An assumption's choice "one of these values"; ``among`` is every value it could take, when known.

    ``OneOf({"build", "production"}, among={"dev", "build", "production"})``: knowing ``among`` lets a
    rule name the scenario outside it ("Environment = dev").
    """

    def __new__(cls, values, among=None):
        choice = super().__new__(cls, values)
        choice.among = frozenset(among) if among is not None else None
        return choice

    def __repr__(self):
        return f"OneOf({sorted(map(repr, self))})"


_CONFLICT = object()


def _meet(a, b):
    """The choices two assumptions on the same key both allow: a value, a :class:`OneOf`, or _CONFLICT."""
    if a == b:
        return a
    if not isinstance(a, frozenset) and not isinstance(b, frozenset):
        return _CONFLICT
    both = _as_set(a) & _as_set(b)
    if not both:
        return _CONFLICT
    among = getattr(a, "among", None) or getattr(b, "among", None)
    return OneOf(both, among)


def merge_assumptions(a: tuple, b: tuple) -> tuple | None:
    """Union of two assumption sets, or None when they contradict each other.

    :class:`OneOf` choices narrow each other: ``Environment in {build, production}`` and
    ``Environment = build`` give ``Environment = build``.
    """
    if not b:
        return a
    if not a:
        return b
    merged = dict(a)
    for key, choice in b:
        if key in merged:
            choice = _meet(merged[key], choice)
            if choice is _CONFLICT:
                return None
        merged[key] = choice
    return tuple(sorted(merged.items(), key=lambda kv: kv[0]))


class Value:
    """One or more cases of a property's value."""

    __slots__ = ("cases",)

    def __init__(self, cases):
        cases = list(cases)
        if len(cases) > MAX_CASES:
            cases = [Case(Unknown(f"more than {MAX_CASES} condition scenarios"), "")]
        self.cases = cases or [Case(Unknown("no value"), "")]

    @classmethod
    def known(cls, value, origin: str = "", assumptions: tuple = ()) -> "Value":
        return cls([Case(value, origin, assumptions)])

    @classmethod
    def unknown(cls, reason: str, origin: str = "") -> "Value":
        return cls([Case(Unknown(reason), origin)])

    def __iter__(self):
        return iter(self.cases)

    def __repr__(self):
        return f"Value({self.cases!r})"

    @property
    def is_known(self) -> bool:
        return all(c.known for c in self.cases)

    @property
    def single(self):
        """The plain value when there is exactly one known case, else None."""
        if len(self.cases) == 1 and self.cases[0].known:
            return self.cases[0].value
        return None

    def known_cases(self) -> list:
        """The cases whose value is known, in order (a rule that lists what some scenario says)."""
        return [c for c in self.cases if c.known]

    def map(self, func) -> "Value":
        """Apply ``func`` to every known case value (unknown cases pass through)."""
        return Value(Case(func(c.value), c.origin, c.assumptions) if c.known else c for c in self.cases)

    def any(self, predicate, *, unknown: bool) -> bool:
        """Whether ``predicate`` holds for the plain value of some case; an unknown case counts as
        ``unknown`` (True for "it may", False for "only if we know")."""
        return any(predicate(c.value) if c.known else unknown for c in self.cases)


class TooManyScenarios(Exception):
    """More combinations than one check may judge; ``count`` is the number the values could form."""

    def __init__(self, count: int):
        super().__init__(f"too many scenarios ({count})")
        self.count = count


def combinations(*values: Value, limit: int | None = MAX_COMBINATIONS):
    """Every consistent combination of the values' cases (a tuple of cases per combination).

    Combinations are built value by value and a contradicting prefix is dropped at once, so paired
    values (the same ``Fn::If`` condition, the same parameter) cost their consistent combinations only.
    More than ``limit`` combinations raise :class:`TooManyScenarios` before any is yielded, so a
    caller never judges part of the scenarios; the work spent finding that out is bounded too.
    """
    lists = [v.cases for v in values]
    count = 1
    for cases in lists:
        count *= len(cases)
    if limit is not None and count > limit and _consistent_count(lists, limit) > limit:
        raise TooManyScenarios(count)
    yield from _consistent(lists)


def _consistent_count(lists, limit) -> int:
    """How many consistent combinations there are, or more than ``limit`` when that is all we know.

    Values that share no assumption key combine freely, so each group of values linked by shared
    keys is counted on its own (depth-first, with bounded work) and the counts are multiplied.
    """
    keys = [{k for case in cases for k, _ in case.assumptions} for cases in lists]
    groups: list[list[int]] = []
    for i in range(len(lists)):
        linked = [g for g in groups if any(keys[i] & keys[j] for j in g)]
        merged = [i] + [j for g in linked for j in g]
        groups = [g for g in groups if g not in linked] + [sorted(merged)]
    total = 1
    for group in groups:
        found = 0
        try:
            for _ in _consistent([lists[i] for i in group], work_limit=limit * 8):
                found += 1
                if found * total > limit:
                    return limit + 1
        except TooManyScenarios:
            return limit + 1
        total *= found
        if total == 0:
            return 0
    return total


def _consistent(lists, work_limit=None):
    """Depth-first over the case lists, in itertools.product order, pruning contradictions early."""
    work = 0
    combo: list = []

    def walk(i, assumptions):
        nonlocal work
        if i == len(lists):
            yield tuple(combo)
            return
        for case in lists[i]:
            if work_limit is not None:
                work += 1
                if work > work_limit:
                    raise TooManyScenarios(work)
            merged = merge_assumptions(assumptions, case.assumptions)
            if merged is None:
                continue
            combo.append(case)
            yield from walk(i + 1, merged)
            combo.pop()

    yield from walk(0, ())


def worst_cases(value: Value, worst, number) -> Value:
    """Only the worst case of a value for a monotone comparison, plus the cases that are not numbers.

    ``worst`` is ``min`` or ``max`` (which end is worse for the rule), ``number`` turns a case into a
    number or None. Every case at the worst end is kept (with its origin and assumptions), so pairing
    with other values still holds; unknown and non-numeric cases are kept so they are still reported.
    """
    numbers = [(number(c) if c.known else None, c) for c in value.cases]
    judged = [(n, c) for n, c in numbers if n is not None]
    if not judged:
        return value
    end = worst(n for n, _ in judged)
    kept = [c for n, c in numbers if n is None or n == end]
    return Value(kept)


def uncovered_scenario(scenarios, covered) -> tuple | None:
    """A scenario inside one of ``scenarios`` in which none of the ``covered`` assumption sets holds.

    Both are lists of assumption tuples: where something is needed (a queue is used as a dead-letter
    queue) and where something covers it (a good alarm exists). An empty covering set covers
    everything. The answer narrows choices ("Environment is one of build, production" minus the
    alarm's "production" leaves "Environment = build"); a free boolean is flipped to its other value.
    None when every scenario is covered, or when the gap would need a parameter value we cannot name.
    """
    if any(not c for c in covered):
        return None
    budget = [MAX_COMBINATIONS]  # many covers with many choices: give up (no gap named) rather than hang
    for scenario in scenarios:
        gap = _carve(dict(scenario), [dict(c) for c in covered], budget)
        if gap is not None:
            return tuple(sorted(gap.items(), key=lambda kv: kv[0]))
    return None


def _carve(region: dict, covered: list, budget: list):
    budget[0] -= 1
    if budget[0] < 0:
        return None
    for i, cover in enumerate(covered):
        if any(k in region and _meet(region[k], choice) is _CONFLICT for k, choice in cover.items()):
            continue  # this cover never holds inside the region
        for key, choice in cover.items():
            among = getattr(choice, "among", None) or getattr(region.get(key), "among", None)
            if key in region:
                rest = _as_set(region[key]) - _as_set(choice)
            elif isinstance(choice, bool):
                rest = {not choice}
            elif among is not None:
                rest = among - choice
            else:
                continue  # the other values of this parameter are not known here
            if rest:
                narrowed = dict(region)
                narrowed[key] = next(iter(rest)) if isinstance(choice, bool) else OneOf(rest, among)
                gap = _carve(narrowed, covered[i + 1:], budget)
                if gap is not None:
                    return gap
        return None
    return region


def _as_set(choice) -> frozenset:
    return choice if isinstance(choice, frozenset) else frozenset((choice,))


def scenario_text(cases) -> str:
    """Name the scenario a set of cases holds in: ``when condition IsProd is true``."""
    assumptions: tuple | None = ()
    for case in cases:
        assumptions = merge_assumptions(assumptions, case.assumptions)
        if assumptions is None:
            return ""
    parts = []
    for (kind, name), choice in assumptions or ():
        if kind == "condition":
            parts.append(f"condition {name} is {'true' if choice else 'false'}")
        elif isinstance(choice, frozenset) and len(choice) == 1:
            (only,) = choice
            parts.append(f"mapping row {name}.{only}" if kind == "mapping" else f"{kind} {name} = {display(only)}")
        elif isinstance(choice, frozenset):
            subject = f"mapping {name} row" if kind == "mapping" else f"{kind} {name}"
            parts.append(f"{subject} is one of {', '.join(sorted(display(c) for c in choice))}")
        elif kind == "parameter":
            parts.append(f"parameter {name} = {display(choice)}")
        elif kind == "mapping":
            parts.append(f"mapping row {name}.{choice}")
        else:
            parts.append(f"{kind} {name} = {display(choice)}")
    return ("when " + " and ".join(parts)) if parts else ""


def as_number(case: Case):
    """A case's value as a number, or None when it is not one (a token, a word, a list)."""
    value = case.value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and not is_symbolic(value):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    return None


def as_bool(case: Case):
    """CloudFormation accepts true/false as booleans or strings; None when it is neither."""
    value = case.value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def scenario_of(*things) -> tuple | None:
    """The merged assumptions of cases, edges or entries (anything with ``assumptions``): the scenario a
    verdict built from them holds in; None when they contradict each other."""
    merged: tuple | None = ()
    for thing in things:
        merged = merge_assumptions(merged, getattr(thing, "assumptions", ()) or ())
        if merged is None:
            return None
    return merged


def as_list(case: Case):
    """A case's value as a list (``AlarmActions``, ``Subnets``), or None when it is not one."""
    value = case.value
    return list(value) if isinstance(value, (list, tuple)) else None


def as_items(case: Case):
    """A case's value as a list of entries, a single scalar counting as a one-entry list (``Aliases: x``);
    None for no value or a mapping. For list properties CloudFormation also accepts written as one item."""
    value = case.value
    if value is None or isinstance(value, dict):
        return None
    return list(value) if isinstance(value, (list, tuple)) else [value]


def as_text(case: Case):
    """A case's value as plain text (``Statistic``, ``ComparisonOperator``); None for a token or a non-string."""
    value = case.value
    return value if isinstance(value, str) and not is_symbolic(value) else None


def is_ref(case: Case, logical_id: str, attribute: str | None = None) -> bool:
    """Whether a case is ``Ref`` (attribute None) or ``Fn::GetAtt`` ``attribute`` of resource ``logical_id``."""
    value = case.value
    return isinstance(value, ResourceRef) and value.logical_id == logical_id and value.attribute == attribute


def presence(value: Value) -> Value:
    """Whether a property is written, per scenario: a known True or False case for each case of ``value``.

    A value known only at deploy time (``!ImportValue``, a parameter without a default) is written: True.
    An absent property (``get(path, default=False)`` gives ``None``) is False. An explicit ``null`` stays
    unknown. For "does this queue have a RedrivePolicy in every scenario" with ``ctx.coverage``:
    ``(presence(queue.get("RedrivePolicy.deadLetterTargetArn", default=False)), lambda c: c.value)``.
    """
    out = []
    for case in value:
        if isinstance(case.value, Unknown) and "empty (null)" in case.value.reason:
            out.append(case)
        else:
            out.append(Case(not (case.known and case.value is None), case.origin, case.assumptions))
    return Value(out)
