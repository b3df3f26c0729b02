"""Convert functions for ``ctx.cases`` that ask for a shape rather than a scalar.

A rule that walks a list property (``LifecycleConfiguration.Rules``, ``DistributionConfig.Origins``) needs to
know how many entries there are in each scenario, then reads each entry by its index path so that every
value keeps its own origin: ``resource.get(f"{path}.{i}.StorageClass")``.
"""
from __future__ import annotations

from .values import Case, ResourceRef, Unknown, is_symbolic


def as_mapping(case: Case):
    """A case's value as a mapping, or None when it is not one."""
    value = case.value
    return value if isinstance(value, dict) else None


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


def referrers(graph, resource) -> list[str]:
    """Logical ids of template resources (and ``Globals`` sections) that refer to ``resource``: Ref, GetAtt or
    ``${Id}`` in a Sub. Resources under a Condition count too, whatever it decides.

    For rules that ask whether anything uses a resource: an alarm named by a deployment preference, a
    composite alarm's rule or a health check.
    """
    wanted = resource.logical_id
    template = graph.template if isinstance(graph.template, dict) else {}
    resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
    found = [str(lid) for lid, body in resources.items() if lid != wanted and _mentions(body, wanted, 0)]
    if _mentions(template.get("Globals"), wanted, 0):
        found.append("Globals")
    return found


def _mentions(node, wanted: str, depth: int) -> bool:
    if depth > 40:
        return False
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value == wanted:
                return True
            if key == "Fn::GetAtt" and ((isinstance(value, list) and value and value[0] == wanted)
                                        or (isinstance(value, str) and value.split(".", 1)[0] == wanted)):
                return True
            if _mentions(value, wanted, depth + 1):
                return True
        return False
    if isinstance(node, list):
        return any(_mentions(item, wanted, depth + 1) for item in node)
    if isinstance(node, str):
        return "${" + wanted + "}" in node or "${" + wanted + "." in node
    return False


def get_entry(resource, path: str):
    """``resource.get(path)`` for a path inside list entries (``CacheBehaviors.2.DefaultTTL``), with the §A
    default written in ``linter.cfn.DEFAULTS`` under the path with ``*`` for each index."""
    import re

    from .cfn import DEFAULTS
    from .values import Value

    value = resource.get(path)
    default = DEFAULTS.get((resource.type, re.sub(r"(?<=\.)\d+(?=\.|$)", "*", path)))
    if default is None:
        return value
    return Value(Case(default[0], default[1], c.assumptions) if c.value is None and c.origin == "not set" else c
                 for c in value)


def leaf_paths(resource, limit: int = 4000):
    """Every leaf of a resource's written properties: ``(dotted path, name, literal)``.

    ``name`` is the key the leaf sits under — or, for ``{Name: X, Value: …}`` entries (ECS and CodeBuild
    environment lists), the written ``Name``. ``literal`` says the leaf is a plain scalar written in the
    template, not an intrinsic function. An intrinsic function (``Ref``, ``Fn::Sub`` …) is one leaf; read
    its value with ``resource.get(path)``.
    """
    out = []

    def walk(node, path, name, depth):
        if len(out) >= limit or depth > 30:
            return
        if isinstance(node, dict):
            if len(node) == 1 and isinstance(next(iter(node)), str) and (
                    next(iter(node)) == "Ref" or next(iter(node)).startswith("Fn::")):
                out.append((path, name, False))
                return
            entry_name = node.get("Name") if isinstance(node.get("Name"), str) and "Value" in node else None
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                walk(value, child, entry_name if (entry_name and key == "Value") else str(key), depth + 1)
            return
        if isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}.{index}", name, depth + 1)
            return
        out.append((path, name, isinstance(node, (str, int, float)) and not isinstance(node, bool)))

    walk(resource.props, "", "", 0)
    return out


def section_location(graph, section: str, name: str):
    """The location of an entry of a top-level section (``Outputs``, ``Parameters``) for a finding."""
    from .findings import Location

    entries = graph.template.get(section) if isinstance(graph.template, dict) else None
    line = entries.pos(name)[0] if isinstance(entries, dict) and hasattr(entries, "pos") and name in entries else 0
    return Location(graph.path, line or 1, 1, logical_id=str(name), pointer=f"{section}/{name}")


def node_location(graph, parent, key, pointer: str):
    """The location of ``parent[key]`` in the written template (for rules that walk the raw template)."""
    from .findings import Location

    line, column = 0, 0
    if hasattr(parent, "pos"):
        try:
            line, column = parent.pos(key)
        except (KeyError, IndexError, TypeError):
            line, column = 0, 0
    logical_id = pointer.split("/")[1] if pointer.startswith("Resources/") and pointer.count("/") >= 1 else \
        pointer.split("/")[0]
    return Location(graph.path, line or 1, column or 1, logical_id=logical_id, pointer=pointer)
