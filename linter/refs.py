"""Whether a list of references (ARNs, names, ``!GetAtt X.Arn``) names a resource of the graph."""
from __future__ import annotations

import re

from .cfn import NAME_PROPERTY
from .tri import Verdict
from .values import TOKEN, Case, display, is_symbolic, token


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
        if found is resource or _same_written_name(item, resource):
            return Verdict.true(f"{display(item)} names {resource.logical_id}")
        if found is None and "not a resource of this template" not in reason and unsure is None \
                and not _cannot_name(item, resource):
            unsure = reason
    if unsure is not None:
        return Verdict.unknown(unsure)
    return Verdict.false(f"none of {', '.join(display(i) for i in items) or 'the (empty) list'} names "
                         f"{resource.logical_id}")


def _same_written_name(item, resource) -> bool:
    """An ARN whose name part is written exactly like the resource's name, deploy-time parts included
    (``arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-jobs`` and QueueName
    ``${AWS::StackName}-jobs``): the same text gives the same name in any deployment."""
    prop = NAME_PROPERTY.get(resource.type)
    if prop is None or not isinstance(item, str) or not is_symbolic(item) or ":" not in item:
        return False
    # Split on the colons outside the tokens (a token such as ⟦AWS::StackName⟧ has colons of its own).
    name = _arn_name(item)
    if name is None:
        return False
    return any(case.value == name for case in resource.get(prop, default=False) if isinstance(case.value, str))


def _arn_name(item: str) -> str | None:
    """The name part (after the last colon outside tokens) of a partly deploy-time ARN."""
    parts = TOKEN.split(item)
    outside = [i for i in range(0, len(parts), 2) if ":" in parts[i]]
    if not outside:
        return None
    last = outside[-1]
    return parts[last].rsplit(":", 1)[1] + "".join(
        part if i % 2 == 0 else token(part) for i, part in enumerate(parts[last + 1:], start=1))


def _cannot_name(item, resource) -> bool:
    """A partly deploy-time ARN whose written name parts rule out the resource's literal name
    (``...:${AWS::StackName}-a`` cannot name a queue called ``b-queue``)."""
    import fnmatch

    prop = NAME_PROPERTY.get(resource.type)
    if prop is None or not isinstance(item, str) or not is_symbolic(item):
        return False
    name = _arn_name(item)
    if name is None:
        return False
    names = [c.value for c in resource.get(prop, default=False)]
    if not names or any(not isinstance(n, str) or is_symbolic(n) for n in names):
        return False
    pattern = TOKEN.sub("*", name)
    return not any(fnmatch.fnmatchcase(n, pattern) for n in names)


_SUB_TOKEN = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def referenced_ids(node) -> set[str]:
    """The logical ids a property tree names by ``Ref``, ``Fn::GetAtt`` or ``${Id}``/``${Id.Attr}`` in
    ``Fn::Sub`` (parameters and pseudo parameters included: the caller keeps the resources)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                (key, arg), = item.items()
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    first = arg[0] if isinstance(arg, list) and arg else arg.split(".", 1)[0] if isinstance(arg, str) else None
                    if isinstance(first, str):
                        found.add(first)
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str):
                        found.update(_SUB_TOKEN.findall(text))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
