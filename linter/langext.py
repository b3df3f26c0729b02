"""Transforms before SAM: expand ``AWS::LanguageExtensions``, and say what no transform lets us see.

CloudFormation runs ``AWS::LanguageExtensions`` before the SAM transform. This module does the same to
the positioned template, so every later stage sees plain resources:

- ``Fn::ForEach::<Loop>: [Identifier, Collection, {OutputKey: OutputValue}]`` in Resources, Conditions,
  Outputs and inside any mapping of a resource (its Properties), nested loops included. ``${Identifier}``
  becomes the item, ``&{Identifier}`` the item without its non-alphanumeric characters, and
  ``Ref: Identifier`` the item. Generated keys keep the line of the loop's OutputKey, so findings on a
  generated resource point at the loop the author wrote.
- ``DeletionPolicy`` and ``UpdateReplacePolicy`` written as intrinsics become the string they resolve to.
  (``Fn::Length`` and ``Fn::ToJsonString`` are resolved by :mod:`linter.resolve` wherever they appear.)

Content the tool cannot expand must not look absent. ``expand_transforms`` returns, besides the
template, the reason some resources may be missing from it — a loop over a collection whose items are
unknown, ``AWS::Include`` at the level of the Resources section or of a whole resource, or a macro
transform — which build_graph stores as ``Graph.unseen`` so checks that rely on something being absent
are not evaluated. ``AWS::Include`` inside a resource turns the mapping it sits in into an unknown value,
and a loop over an unknown collection inside a resource does the same: unknown, never absent.
``AWS::SecretsManager-2020-07-23`` and ``AWS::CodeDeployBlueGreen`` only add resources of their own (a
rotation function; ECS blue/green deployment resources), so they leave absence checks about other
resources standing.
"""
from __future__ import annotations

import json
import re

from .load import Mapping, Sequence
from .values import Unknown, is_symbolic

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SERVERLESS = "AWS::Serverless-2016-10-31"
INCLUDE = "AWS::Include"
# Transforms whose output is known well enough that nothing the rules look for goes missing.
SELF_CONTAINED_TRANSFORMS = ("AWS::SecretsManager-2020-07-23", "AWS::CodeDeployBlueGreen")
HANDLED_TRANSFORMS = (LANGUAGE_EXTENSIONS, SERVERLESS) + SELF_CONTAINED_TRANSFORMS

FOR_EACH = "Fn::ForEach::"
TRANSFORM = "Fn::Transform"
LOOP_SECTIONS = ("Conditions", "Resources", "Outputs")
POLICY_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy")
MAX_GENERATED = 10_000   # keys one template may generate; a runaway nest of loops stops here
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def declared_transforms(template: dict) -> list[str]:
    """The names in the template's ``Transform`` (a name, a ``{Name: …}`` entry, or a list of them)."""
    declared = template.get("Transform")
    entries = declared if isinstance(declared, list) else [declared]
    names = []
    for entry in entries:
        name = entry.get("Name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def expand_transforms(template: dict, resolver) -> tuple[dict, str | None]:
    """The template as the rules should see it, and why some of it may be unseen (None: all is seen).

    ``resolver`` (a :class:`linter.resolve.Resolver` of ``template``) supplies parameter values for loop
    collections. The input template is not changed; the result shares every node it did not rewrite.
    """
    unseen = [_unseen_transform(template)]
    out = template
    if LANGUAGE_EXTENSIONS in declared_transforms(template):
        expander = _Expander(resolver)
        out = _shallow_copy(template)
        for section in LOOP_SECTIONS:
            if isinstance(template.get(section), dict):
                out[section] = expander.section(template[section], section)
        unseen.extend(expander.unseen)
        _resolve_policies(out, type(resolver)(out, resolver.parameters_given, resolver.pseudo,
                                              resolver.parameter_source))
    resources = out.get("Resources")
    if isinstance(resources, dict):
        rewritten = _hide_included_properties(resources)
        if rewritten is not resources:
            out = _shallow_copy(out) if out is template else out
            out["Resources"] = rewritten
        unseen.append(_unseen_resources(resources))
    return out, next((u for u in unseen if u), None)


def expand_language_extensions(template: dict, resolver) -> dict:
    """Only the expanded template (see :func:`expand_transforms`)."""
    return expand_transforms(template, resolver)[0]


# ---------------------------------------------------------------- what cannot be seen


def _line_of(node, key) -> int:
    return node.pos(key)[0] if hasattr(node, "pos") else 0


def _at_line(line: int) -> str:
    return f" at line {line}" if line else ""


def _unseen_transform(template: dict) -> str | None:
    where = _at_line(_line_of(template, "Transform"))
    for name in declared_transforms(template):
        if name == INCLUDE:
            return (f"the template's Transform includes a snippet with AWS::Include{where}, "
                    "whose content this tool cannot see")
        if name not in HANDLED_TRANSFORMS:
            return f"the template uses the macro transform {name}{where}, whose output this tool cannot see"
    return None


def _transform_name(arg) -> str:
    name = arg.get("Name") if isinstance(arg, dict) else None
    return name if isinstance(name, str) else "a transform"


def _what_transform(arg) -> str:
    name = _transform_name(arg)
    if name == INCLUDE:
        params = arg.get("Parameters")
        location = params.get("Location") if isinstance(params, dict) else None
        return f"AWS::Include of {location}" if isinstance(location, str) else "AWS::Include"
    return f"the macro {name}"


def _unseen_resources(resources: dict) -> str | None:
    """Fn::Transform where resources would be: the Resources section or a whole resource body."""
    if TRANSFORM in resources:
        return (f"the Resources section uses {_what_transform(resources[TRANSFORM])}"
                f"{_at_line(_line_of(resources, TRANSFORM))}, whose content this tool cannot see")
    for logical_id, body in resources.items():
        if isinstance(body, dict) and TRANSFORM in body and not isinstance(body.get("Type"), str):
            return (f"resource {logical_id} comes from {_what_transform(body[TRANSFORM])}"
                    f"{_at_line(_line_of(resources, logical_id))}, whose content this tool cannot see")
    return None


def _hide_included_properties(resources: dict) -> dict:
    """A mapping inside a resource that merges in a snippet (``Fn::Transform`` beside other keys) becomes
    unknown as a whole: any of its keys may come from the snippet. A resource-level ``Fn::Transform``
    makes the resource's properties unknown."""
    if not _mentions_transform(resources):
        return resources
    out = None
    for logical_id, body in resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            continue
        if TRANSFORM in body:
            reason = (f"the properties of {logical_id} may come from {_what_transform(body[TRANSFORM])}"
                      f"{_at_line(_line_of(body, TRANSFORM))}, which this tool cannot see")
            new_body = _shallow_copy(body)
            new_body["Properties"] = _unknown_mapping(body, reason)
            _copy_position(body, new_body, TRANSFORM, "Properties")
        else:
            props = body.get("Properties")
            new_props = _hide_in(props) if isinstance(props, dict) and _merges_snippet(props) else props
            if new_props is props:
                continue
            new_body = _shallow_copy(body)
            new_body["Properties"] = new_props
        if out is None:
            out = _shallow_copy(resources)
        out[logical_id] = new_body
    return resources if out is None else out


def _mentions_transform(node) -> bool:
    """A quick test (the JSON encoder is C) that spares most templates the walk below."""
    try:
        return json.dumps(TRANSFORM) in json.dumps(node, default=str, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return True


def _merges_snippet(node) -> bool:
    """Whether some mapping under ``node`` has ``Fn::Transform`` beside other keys (a quick scan)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if TRANSFORM in current and len(current) > 1:
                return True
            stack.extend(v for v in current.values() if isinstance(v, (dict, list)))
        else:
            stack.extend(v for v in current if isinstance(v, (dict, list)))
    return False


def _hide_in(node):
    if isinstance(node, dict):
        if TRANSFORM in node and len(node) > 1:
            reason = (f"part of this value comes from {_what_transform(node[TRANSFORM])}"
                      f"{_at_line(_line_of(node, TRANSFORM))}, which this tool cannot see")
            return _unknown_mapping(node, reason)
        changed = {k: _hide_in(v) for k, v in node.items()}
        if all(changed[k] is node[k] for k in node):
            return node
        out = _shallow_copy(node)
        out.update(changed)
        return out
    if isinstance(node, list):
        changed = [_hide_in(v) for v in node]
        if all(a is b for a, b in zip(changed, node)):
            return node
        out = _sequence_like(node)
        out.extend(changed)
        return out
    return node


def _unknown_mapping(like, reason: str) -> Mapping:
    """A value the resolver reads as unknown, with ``reason``: a lone ``Fn::Transform`` of an Unknown."""
    out = Mapping(getattr(like, "line", 0), getattr(like, "column", 0))
    out[TRANSFORM] = Unknown(reason)
    out.key_pos[TRANSFORM] = out.value_pos[TRANSFORM] = (out.line, out.column)
    return out


# ---------------------------------------------------------------- Fn::ForEach


class _Expander:
    def __init__(self, resolver):
        self.resolver = resolver
        self.unseen: list[str] = []
        self.generated = 0

    def section(self, node: dict, section: str):
        """A section with its loops expanded; a loop over an unknown collection generates nothing."""
        return self.mapping(node, section, 0)

    def value(self, node, section: str, depth: int):
        if isinstance(node, dict):
            return self.mapping(node, section, depth)
        if isinstance(node, list):
            out = _sequence_like(node)
            out.extend(self.value(v, section, depth + 1) for v in node)
            return out
        return node

    def mapping(self, node: dict, section: str, depth: int):
        """``node`` with its loops expanded. ``depth`` 0 is the section, 1 a resource body, 2+ inside one."""
        out = Mapping(getattr(node, "line", 0), getattr(node, "column", 0))
        for key, value in node.items():
            if not (isinstance(key, str) and key.startswith(FOR_EACH)):
                out[key] = self.value(value, section, depth + 1)
                _copy_position(node, out, key)
                continue
            generated = self.loop(node, key, section, depth)
            if isinstance(generated, Unknown):
                if section == "Resources" and depth <= 1:
                    self.unseen.append(generated.reason)   # resources, or a resource's shape, we cannot see
                elif section == "Resources":
                    # Inside a resource: the keys the loop writes are unknown, so the whole mapping is.
                    return _unknown_mapping(node, generated.reason)
                continue  # a condition or output we cannot generate is simply undefined
            for new_key, (new_value, where) in generated.items():
                if new_key in node or new_key in out:
                    continue  # CloudFormation rejects the duplicate; keep what the author wrote
                out[new_key] = new_value
                out.key_pos[new_key] = where[0]
                out.value_pos[new_key] = where[1]
        return out

    def loop(self, holder: dict, key: str, section: str, depth: int):
        """{generated key: (value, (key position, value position))}, or Unknown with the reason."""
        line = _line_of(holder, key)
        name = key[len(FOR_EACH):]
        spec = holder[key]
        if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str) and spec[0]
                and isinstance(spec[2], dict)):
            return Unknown(f"{key}{_at_line(line)} is not [Identifier, Collection, {{OutputKey: OutputValue}}]")
        identifier, collection, fragment = spec
        items = self.items(collection)
        if isinstance(items, Unknown):
            return Unknown(f"{key}{_at_line(line)} loops over a collection this tool cannot know: {items.reason}")
        out = {}
        for item in items:
            # The fragment's keys join the holder's, so the fragment sits at the holder's depth.
            expanded = self.mapping(_substitute(fragment, identifier, item), section, depth)
            if len(expanded) == 1 and isinstance(expanded.get(TRANSFORM), Unknown):
                return expanded[TRANSFORM]
            for new_key, new_value in expanded.items():
                out.setdefault(new_key, (new_value, (expanded.pos(new_key), expanded.value_pos.get(new_key, (0, 0)))))
            self.generated += len(expanded)
            if self.generated > MAX_GENERATED:
                return Unknown(f"loop {name}{_at_line(line)} generates more than {MAX_GENERATED:,} entries")
        return out

    def items(self, collection):
        """The collection's items as strings, or Unknown with the reason."""
        value = self.resolver.resolve(collection)
        if len(value.cases) != 1:
            return Unknown("the collection differs by scenario (" +
                           ", ".join(c.describe() for c in value.cases[:3]) + ")")
        case = value.cases[0]
        if not case.known:
            return Unknown(case.value.reason)
        if not isinstance(case.value, list):
            return Unknown("the collection is not a list")
        items = []
        for item in case.value:
            if isinstance(item, Unknown):
                return Unknown(item.reason)
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, (int, float)):
                item = str(int(item)) if float(item).is_integer() else str(item)
            if not isinstance(item, str) or is_symbolic(item):
                return Unknown("an item of the collection is known only at deploy time")
            items.append(item)
        return items


def _substitute(node, identifier: str, item: str):
    """A copy of ``node`` with the loop identifier replaced by ``item`` (positions kept)."""
    plain = "${" + identifier + "}"
    alnum = "&{" + identifier + "}"
    bare = _NOT_ALPHANUMERIC.sub("", item)

    def text(s: str) -> str:
        return s.replace(plain, item).replace(alnum, bare) if ("{" + identifier + "}") in s else s

    def walk(n):
        if isinstance(n, dict):
            if len(n) == 1 and n.get("Ref") == identifier:
                return item
            out = Mapping(getattr(n, "line", 0), getattr(n, "column", 0))
            for k, v in n.items():
                new_key = text(k) if isinstance(k, str) else k
                out[new_key] = walk(v)
                _copy_position(n, out, k, new_key)
            return out
        if isinstance(n, list):
            out = _sequence_like(n)
            out.extend(walk(v) for v in n)
            return out
        return text(n) if isinstance(n, str) else n

    return walk(node)


# ---------------------------------------------------------------- DeletionPolicy and UpdateReplacePolicy


def _resolve_policies(template: dict, resolver) -> None:
    """Intrinsic policies become the string they resolve to when that is one plain value; otherwise they
    stay as written, so whoever reads them resolves them into their cases."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id, body in list(resources.items()):
        if not isinstance(body, dict) or not any(isinstance(body.get(a), dict) for a in POLICY_ATTRIBUTES):
            continue
        new_body = _shallow_copy(body)
        for attribute in POLICY_ATTRIBUTES:
            if isinstance(body.get(attribute), dict):
                policy = resolver.resolve(body[attribute]).single
                if isinstance(policy, str) and not is_symbolic(policy):
                    new_body[attribute] = policy
        resources[logical_id] = new_body


# ---------------------------------------------------------------- positioned copies


def _shallow_copy(node: dict) -> Mapping:
    out = Mapping(getattr(node, "line", 0), getattr(node, "column", 0))
    out.update(node)
    out.key_pos.update(getattr(node, "key_pos", {}))
    out.value_pos.update(getattr(node, "value_pos", {}))
    return out


def _sequence_like(node: list) -> Sequence:
    out = Sequence(getattr(node, "line", 0), getattr(node, "column", 0))
    out.item_pos = list(getattr(node, "item_pos", []))
    return out


def _copy_position(src, dst, key, new_key=None) -> None:
    new_key = key if new_key is None else new_key
    if key in getattr(src, "key_pos", {}):
        dst.key_pos[new_key] = src.key_pos[key]
    if key in getattr(src, "value_pos", {}):
        dst.value_pos[new_key] = src.value_pos[key]
