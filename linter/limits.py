"""Range checks for configured quotas: a property whose value must lie between two bounds."""
from __future__ import annotations

from dataclasses import dataclass

from .values import as_number


@dataclass(frozen=True)
class Limit:
    """A property path and the inclusive range CloudFormation accepts for it."""

    path: str
    low: float
    high: float
    unit: str = ""

    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{_number(self.low)}–{_number(self.high)}{unit}"


def outside(ctx, subject, resource, limit: Limit):
    """The known cases of ``resource.get(limit.path)`` that lie outside the limit, as numeric cases.

    Unknown cases are recorded as not evaluated on ``subject`` (by ``ctx.cases``); an absent property
    without a default, and a value that is not a number, are skipped.
    """
    for (case,) in ctx.cases(subject, resource.get(limit.path), convert=as_number):
        if case.value is None:
            continue
        if not (limit.low <= case.value <= limit.high):
            yield case


def range_findings(ctx, resource, limits, *, noun: str, consequence: str, check: str = "range",
                   severity: str = "error"):
    """One finding per limit a property of ``resource`` breaks (worst case per scenario).

    ``noun`` names the kind of resource ("queue"); ``consequence`` says in a few words what goes wrong
    ("SQS rejects it").
    """
    for limit in limits:
        for case in outside(ctx, resource, resource, limit):
            yield ctx.finding(
                resource,
                f"{limit.path} of {noun} {resource.describe()} is {case.show(limit.unit)}, outside the allowed "
                f"range {limit.text()}: {consequence}",
                severity=severity, check=check, at=limit.path, cases=(case,))


def _number(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
