"""Values with their origin.

Every property a rule reads is a :class:`Value`: one or more :class:`Case` objects. A case is either known
(a plain Python value) or unknown (with the reason), and says where it came from ("the SQS default",
"Globals.Function.Timeout, line 5", "parameter Timeout default, line 12"). A value has several cases when
it differs by scenario: an ``Fn::If`` branch, each of a parameter's ``AllowedValues``, each row of a
mapping looked up with an unknown key. A case remembers the assumptions it was made under, so two values
picked by the same condition stay paired when a rule compares them.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_CASES = 64


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

    def __str__(self):
        return token(self.logical_id if self.attribute is None else f"{self.logical_id}.{self.attribute}")


# Inside strings, references to resources and pseudo parameters become tokens, so that an ARN built
# with Fn::Sub still names the resource it points at.
TOKEN_OPEN, TOKEN_CLOSE = "\u27e6", "\u27e7"
TOKEN = re.compile(TOKEN_OPEN + "([^" + TOKEN_CLOSE + "]*)" + TOKEN_CLOSE)


def token(name: str) -> str:
    return f"{TOKEN_OPEN}{name}{TOKEN_CLOSE}"


def is_symbolic(value) -> bool:
    return isinstance(value, str) and TOKEN_OPEN in value


def display(value) -> str:
    """A value as a person reads it: tokens shown as ${Name}."""
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


def merge_assumptions(a: tuple, b: tuple) -> tuple | None:
    """Union of two assumption sets, or None when they contradict each other."""
    if not b:
        return a
    if not a:
        return b
    merged = dict(a)
    for key, choice in b:
        if key in merged and merged[key] != choice:
            return None
        merged[key] = choice
    return tuple(sorted(merged.items(), key=lambda kv: (kv[0], repr(kv[1]))))


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

    def map(self, func) -> "Value":
        """Apply ``func`` to every known case value (unknown cases pass through)."""
        return Value(Case(func(c.value), c.origin, c.assumptions) if c.known else c for c in self.cases)

    def any(self, predicate, *, unknown: bool) -> bool:
        """Whether ``predicate`` holds for the plain value of some case; an unknown case counts as
        ``unknown`` (True for "it may", False for "only if we know")."""
        return any(predicate(c.value) if c.known else unknown for c in self.cases)


def combinations(*values: Value):
    """Every consistent combination of the values' cases (a tuple of cases per combination)."""
    for combo in itertools.product(*(v.cases for v in values)):
        assumptions: tuple | None = ()
        for case in combo:
            assumptions = merge_assumptions(assumptions, case.assumptions)
            if assumptions is None:
                break
        if assumptions is not None:
            yield combo


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
