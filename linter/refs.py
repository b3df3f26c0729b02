"""Whether a list of references (ARNs, names, ``!GetAtt X.Arn``) names a resource of the graph."""
from __future__ import annotations

from .tri import Verdict
from .values import Case, display


def list_names(graph, case: Case, resource) -> Verdict:
    """Does the list in ``case`` (a known case of a list property) name ``resource``? Yes, no or unknown.

    Yes when an item leads to the resource; unknown when some item cannot be followed (a reference known
    only at deploy time) and none leads to it; no when every item names something else (another resource
    of the template or a literal ARN outside it). Example: the ``sourceQueueArns`` of a queue's
    ``RedriveAllowPolicy`` naming a source queue: ``list_names(graph, arns_case, source_queue)``.
    """
    items = case.value if isinstance(case.value, (list, tuple)) else [case.value]
    unsure = None
    for item in items:
        found, reason = graph.follow(Case(item, case.origin, case.assumptions))
        if found is resource:
            return Verdict.true(f"{display(item)} names {resource.logical_id}")
        if found is None and "not a resource of this template" not in reason and unsure is None:
            unsure = reason
    if unsure is not None:
        return Verdict.unknown(unsure)
    return Verdict.false(f"none of {', '.join(display(i) for i in items) or 'the (empty) list'} names "
                         f"{resource.logical_id}")
