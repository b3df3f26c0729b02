"""Convert functions for ``ctx.cases`` that ask for a shape rather than a scalar.

A rule that walks a list property (``LifecycleConfiguration.Rules``, ``DistributionConfig.Origins``) needs to
know how many entries there are in each scenario, then reads each entry by its index path so that every
value keeps its own origin: ``resource.get(f"{path}.{i}.StorageClass")``.
"""
from __future__ import annotations

from .values import Case, ResourceRef, Unknown, is_symbolic


def as_list(case: Case):
    """A case's value as a list (a scalar counts as a one-entry list), or None when it is no value."""
    value = case.value
    if value is None:
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return None
    return [value]


def as_mapping(case: Case):
    """A case's value as a mapping, or None when it is not one."""
    value = case.value
    return value if isinstance(value, dict) else None


def as_word(case: Case):
    """A case's value as a plain literal string (no deploy-time token), or None."""
    value = case.value
    if isinstance(value, str) and not is_symbolic(value):
        return value
    return None


def reference_id(case: Case):
    """The logical id a ``Ref``/``GetAtt``/token-bearing string names, or None (for literal text)."""
    value = case.value
    if isinstance(value, ResourceRef):
        return value.logical_id
    return None


def is_resolved(value) -> bool:
    """Whether a plain value holds nothing unresolved (at any depth)."""
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(is_resolved(v) for v in value.values())
    if isinstance(value, list):
        return all(is_resolved(v) for v in value)
    return True


def opaque_resources(graph) -> list[str]:
    """Logical ids of template resources whose content this tool cannot see: a ``Type`` that is not a
    resource type name (a preprocessor tag such as ``!Rain::Module "file.yaml"``) or a CloudFormation module (``::MODULE``).

    A rule that looks for a resource that might exist (a bucket policy, a permission) cannot conclude it is
    missing while such entries are present.
    """
    resources = graph.template.get("Resources") if isinstance(graph.template, dict) else None
    if not isinstance(resources, dict):
        return []
    out = []
    for logical_id, body in resources.items():
        rtype = body.get("Type") if isinstance(body, dict) else None
        # The loader keeps a tagged scalar's text (``!Rain::Module "bucket-policy.yaml"``): no ``::`` in it.
        if not isinstance(rtype, str) or "::" not in rtype or rtype.endswith("::MODULE"):
            out.append(str(logical_id))
    return out
