"""Helpers for rules that judge whole structured properties (DynamoDB key schemas, RDS topologies).

A list such as ``AttributeDefinitions`` resolves to one plain list per scenario, but an item inside it may
still be unknown (an attribute name from a parameter without a value). :func:`fully_resolved` turns such
a case into an unknown one with the inner reason, so ``ctx.cases`` records the check as not evaluated and
names why, instead of comparing half-known data.
"""
from __future__ import annotations

from .values import Case, Unknown, Value


def fully_resolved(value: Value) -> Value:
    """``value`` with every case that holds an unknown part anywhere inside made unknown itself.

    Example: ``ctx.cases(table, fully_resolved(table.get("KeySchema")), convert=as_list)``.
    """
    out = []
    for case in value:
        inner = _first_unknown(case.value) if case.known else None
        out.append(Case(inner, case.origin, case.assumptions) if inner is not None else case)
    return Value(out)


def _first_unknown(node):
    if isinstance(node, Unknown):
        return node
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    else:
        return None
    for child in children:
        found = _first_unknown(child)
        if found is not None:
            return found
    return None
