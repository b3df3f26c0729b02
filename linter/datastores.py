"""Helpers for rules that judge whole structured properties (DynamoDB key schemas, RDS topologies).

A list such as ``AttributeDefinitions`` resolves to one plain list per scenario, but an item inside it may
still be unknown (an attribute name from a parameter without a value). :func:`fully_resolved` turns such
a case into an unknown one with the inner reason, so ``ctx.cases`` records the check as not evaluated and
names why, instead of comparing half-known data.
"""
from __future__ import annotations

from .values import Case, Unknown, Value, is_symbolic


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


def subnet_zone_values(graph, subnet_ids) -> tuple[list, list[Value], str]:
    """The subnets a subnet-group's ``SubnetIds`` case names, their zone Values, and why not ("" if fine).

    For counting the Availability Zones of a DAX, RDS or ElastiCache subnet group: pass the zone Values
    to ``ctx.cases(subject, *zones, convert=as_text)``. When a subnet is not described by the template,
    the lists are empty and the reason says which.
    Example: ``subnets, zones, why = subnet_zone_values(graph, ids)``.
    """
    from .network import subnet_zone, subnets_of

    members = subnets_of(graph, subnet_ids)
    loose = next((m for m in members if m.resource is None), None)
    if loose is not None:
        return [], [], f"the zone of a subnet is not known: {loose.reason}"
    subnets = [m.resource for m in members]
    return subnets, [subnet_zone(s) for s in subnets], ""


def distinct_zones(zone_cases) -> tuple[list[str], str]:
    """The distinct Availability Zones among known zone cases, or ``([], reason)`` when they cannot be told.

    Literal zones compare as written. Zones picked from ``Fn::GetAZs`` by index, or built from the Region
    (``${AWS::Region}a``), compare by their written form: two different indexes are two zones. A mix of
    forms (a literal zone beside ``!Select [0, !GetAZs ""]``) cannot be compared statically.
    Example: ``zones, why = distinct_zones(picked)`` for the cases ``ctx.cases`` yields.
    """
    from .values import display, is_symbolic

    forms, names = set(), set()
    for case in zone_cases:
        value = case.value
        if not isinstance(value, str):
            return [], f"zone {case.show()} is not a zone name"
        if not is_symbolic(value):
            forms.add("literal")
        elif "Fn::GetAZs" in value:
            forms.add("get-azs")
        else:
            forms.add(f"built:{value.rstrip('abcdefghijklmnopqrstuvwxyz')}")
        names.add(display(value))
    if len(forms) > 1:
        return [], "the subnets' zones are written in different forms (literal names, Fn::GetAZs picks, " \
                   "names built from the Region), which cannot be compared statically"
    return sorted(names), ""


def dynamodb_scaling(graph) -> tuple[dict, str]:
    """Which DynamoDB tables of the template Application Auto Scaling targets scale, and how.

    Returns ``({table logical id: {(index name or None, "WriteCapacityUnits" | "ReadCapacityUnits")}},
    reason)``; ``reason`` is non-empty when some target's ``ResourceId`` cannot be resolved, so it might
    scale any table. ``ResourceId`` is ``table/<name>`` or ``table/<name>/index/<index>``, built with
    ``!Sub``/``!Join`` from the table's Ref or written with its literal ``TableName``.
    Example: ``scaled, unknown = dynamodb_scaling(graph)``.
    """
    scaled, unresolved = {}, ""
    for target in graph.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        namespaces = {c.value for c in target.get("ServiceNamespace") if c.known}
        if namespaces and "dynamodb" not in namespaces:
            continue
        dimensions = {c.value for c in target.get("ScalableDimension") if c.known and isinstance(c.value, str)}
        for case in target.get("ResourceId"):
            text = case.value if case.known and isinstance(case.value, str) and not is_symbolic(case.value) else None
            raw = case.value if case.known and isinstance(case.value, str) else None
            if raw is None:
                unresolved = f"scalable target {target.logical_id} names a resource that is not known " \
                             f"({case.describe()}); it may scale this table"
                continue
            parts = raw.split("/")
            if len(parts) < 2 or parts[0] != "table":
                continue
            table, _why = graph.follow(Case(parts[1], case.origin, case.assumptions),
                                       types=("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"))
            if table is None:
                if text is None:
                    unresolved = f"scalable target {target.logical_id} has ResourceId {case.show()}, which is " \
                                 "known only at deploy time; it may scale this table"
                continue
            index = parts[3] if len(parts) >= 4 and parts[2] == "index" else None
            for dimension in dimensions or {""}:
                scaled.setdefault(table.logical_id, set()).add((index, dimension.rsplit(":", 1)[-1]))
    return scaled, unresolved
