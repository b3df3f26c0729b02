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


def known_size(node) -> tuple[int, list[str], bool]:
    """UTF-8 bytes of the text in a resolved structure (mapping keys and values, list items, scalars).

    Returns ``(bytes, unresolved, exact)``. What is known only at deploy time adds nothing: a reference to
    a resource or pseudo parameter (alone or inside a string) counts for its literal part only, and an
    unresolved part is listed by its reason. The size is therefore a lower bound; ``exact`` says nothing
    was skipped. Example: ``known_size({"TABLE": "orders"})`` is ``(11, [], True)``.
    """
    from .values import TOKEN, ResourceRef, Unknown, display, is_symbolic

    if isinstance(node, Unknown):
        return 0, [node.reason], False
    if isinstance(node, ResourceRef):
        return 0, [], False
    if isinstance(node, (dict, list)):
        total, unknown, exact = 0, [], True
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            size, reasons, whole = known_size(value)
            total += size + (len(str(key).encode()) if isinstance(node, dict) else 0)
            unknown += reasons
            exact = exact and whole
        return total, unknown, exact
    if node is None:
        return 0, [], True
    if isinstance(node, str):
        return len(TOKEN.sub("", node).encode()), [], not is_symbolic(node)
    return len(display(node).encode()), [], True


def entries(node) -> list | None:
    """The items of a resolved list (unresolved items included), or None when it is not a list."""
    return list(node) if isinstance(node, list) else None


def fields(node) -> dict | None:
    """The keys and values of a resolved mapping (unresolved values included), or None when it is not one."""
    return dict(node) if isinstance(node, dict) else None


def is_literal(node) -> bool:
    """True for a string or number written out in the template: no reference, token or unresolved part.

    ``is_literal("hunter2")`` is True; ``is_literal("${Db.Endpoint.Address}:5432")`` (a token) is False.
    """
    from .values import is_symbolic

    return isinstance(node, (str, int, float)) and not isinstance(node, bool) and not is_symbolic(node)


def unresolved_reason(node) -> str | None:
    """Why a resolved item is known only at deploy time, or None when it is resolved.

    ``unresolved_reason(code["S3Key"])`` is ``"parameter CodeKey has no Default ..."`` for an unset parameter.
    """
    from .values import Unknown

    return node.reason if isinstance(node, Unknown) else None
