"""Three-valued answers: yes, no, or unknown (with the reason).

A helper that cannot settle a question from the template answers ``unknown`` and says why, so a rule
records "not evaluated" instead of a finding::

    v = allows(policy, principal="sns.amazonaws.com", action="sqs:SendMessage", resource=queue)
    if v.unknown:
        ctx.not_evaluated(queue, v.reason)
    elif v.no:
        yield ctx.finding(queue, f"... {v.reason}")

A verdict is deliberately not usable as a bool (``if v:`` raises): a rule must say which of the three
answers it acts on.
"""
from __future__ import annotations

_YES, _NO, _UNKNOWN = "yes", "no", "unknown"


class Verdict:
    """A yes / no / unknown answer with the reason, for messages or for "not evaluated"."""

    __slots__ = ("state", "reason")

    def __init__(self, state: str, reason: str = ""):
        if state not in (_YES, _NO, _UNKNOWN):
            raise ValueError(f"a verdict is yes, no or unknown, not {state!r}")
        self.state = state
        self.reason = reason

    @classmethod
    def true(cls, reason: str = "") -> "Verdict":
        return cls(_YES, reason)

    @classmethod
    def false(cls, reason: str = "") -> "Verdict":
        return cls(_NO, reason)

    @property
    def yes(self) -> bool:
        return self.state == _YES

    @property
    def no(self) -> bool:
        return self.state == _NO

    # ``unknown`` is set below the class: ``Verdict.unknown(reason)`` builds one, ``v.unknown`` tests one.

    def negate(self, reason: str | None = None) -> "Verdict":
        """Yes becomes no and no becomes yes; unknown stays unknown."""
        state = {_YES: _NO, _NO: _YES}.get(self.state, _UNKNOWN)
        return Verdict(state, self.reason if reason is None else reason)

    def because(self, reason: str) -> "Verdict":
        """The same answer with another reason."""
        return Verdict(self.state, reason)

    def __bool__(self):
        raise TypeError("a Verdict is three-valued: test .yes, .no or .unknown")

    def __eq__(self, other):
        return isinstance(other, Verdict) and (self.state, self.reason) == (other.state, other.reason)

    def __hash__(self):
        return hash((self.state, self.reason))

    def __repr__(self):
        return f"Verdict.{'true' if self.yes else 'false' if self.no else 'unknown'}({self.reason!r})"


class _UnknownAccessor:
    """``Verdict.unknown(reason)`` on the class builds an unknown verdict; ``v.unknown`` on one tests it."""

    def __get__(self, instance, owner):
        if instance is None:
            return lambda reason: owner(_UNKNOWN, reason)
        return instance.state == _UNKNOWN


Verdict.unknown = _UnknownAccessor()


def any_of(verdicts, no_reason: str | None = None) -> Verdict:
    """Three-valued OR: the first yes; else the first unknown; else no.

    The no's reason is ``no_reason`` when given (a summary for messages), else the reasons joined.
    """
    verdicts = list(verdicts)
    for v in verdicts:
        if v.yes:
            return v
    for v in verdicts:
        if v.unknown:
            return v
    if no_reason is not None:
        return Verdict.false(no_reason)
    reasons = list(dict.fromkeys(v.reason for v in verdicts if v.reason))
    return Verdict.false("; ".join(reasons) if reasons else "nothing matches")


def all_of(verdicts, yes_reason: str | None = None) -> Verdict:
    """Three-valued AND: the first no; else the first unknown; else yes.

    The yes's reason is ``yes_reason`` when given, else the reasons joined.
    """
    verdicts = list(verdicts)
    for v in verdicts:
        if v.no:
            return v
    for v in verdicts:
        if v.unknown:
            return v
    if yes_reason is not None:
        return Verdict.true(yes_reason)
    reasons = list(dict.fromkeys(v.reason for v in verdicts if v.reason))
    return Verdict.true("; ".join(reasons) if reasons else "nothing to check")


def across_cases(pairs) -> Verdict:
    """One verdict for a value with several cases: ``pairs`` is (case, verdict) per scenario.

    When every scenario gives the same answer, that answer. When they differ, unknown, naming the
    scenarios: the template's answer depends on a condition or parameter it does not settle.
    """
    from .values import scenario_text

    pairs = list(pairs)
    if not pairs:
        return Verdict.unknown("no scenario to evaluate")
    states = {v.state for _, v in pairs}
    if len(states) == 1:
        return pairs[0][1]
    parts = []
    for case, verdict in pairs:
        when = scenario_text([case]) or "in one scenario"
        answer = "yes" if verdict.yes else "no" if verdict.no else "unknown"
        parts.append(f"{answer} {when}" + (f" ({verdict.reason})" if verdict.reason else ""))
    return Verdict.unknown("the answer differs between scenarios: " + "; ".join(parts))
