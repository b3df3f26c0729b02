"""The stack's region and the regions of ARNs, for rules about where a resource must live.

The region is known when it is given (``-p AWS::Region=us-east-1``, or the audit of a deployed stack);
otherwise it stays unknown and the checks that need it are not evaluated.
"""
from __future__ import annotations

from .text import colon_parts
from .values import TOKEN, Case, Unknown, Value, display, is_symbolic, token

REGION_TOKEN = token("AWS::Region")


def stack_region(graph) -> Value:
    """The region the stack is deployed to, per scenario, or unknown when it was not given."""
    out = []
    for case in graph.resolver.ref("AWS::Region"):
        if case.known and isinstance(case.value, str) and not is_symbolic(case.value):
            out.append(case)
        else:
            out.append(Case(Unknown("the stack's region is not known (give it with -p AWS::Region=...)"),
                            case.origin, case.assumptions))
    return Value(out)


def arn_region(graph, case: Case, created_here: tuple = ()) -> Value:
    """The region of the resource an ARN names, per scenario: the region segment of a literal ARN, the
    stack's region for an ARN built with ``${AWS::Region}`` or for a resource of this template (of one of
    ``created_here`` types, when given); unknown otherwise."""
    value = case.value
    if not case.known:
        return Value([case])
    target, _reason = graph.follow(case)
    if target is not None and (not created_here or target.type in created_here):
        return _within(stack_region(graph), case, f"{target.logical_id} is created in the stack's region")
    if isinstance(value, str):
        parts = colon_parts(value)
        if len(parts) >= 6 and parts[0] == "arn":
            region = parts[3]
            if region == REGION_TOKEN:
                return _within(stack_region(graph), case, "the ARN is built with AWS::Region")
            if region and not TOKEN.search(region):
                return Value([Case(region, f"the region of {display(value)}", case.assumptions)])
    return Value([Case(Unknown(f"the region of {display(value)} cannot be told"), case.origin, case.assumptions)])


def _within(region: Value, case: Case, why: str) -> Value:
    out = []
    for r in region:
        merged = r.with_assumptions(case.assumptions)
        if merged is not None:
            out.append(Case(merged.value, f"{why}, {r.origin}" if r.known else r.origin, merged.assumptions))
    return Value(out)
