"""A state machine's definition (Amazon States Language) as a plain structure rules can walk.

Where the definition comes from:

- ``Definition``: a map written in the template (CloudFormation and SAM);
- ``DefinitionString``: a JSON string, often built with ``Fn::Sub`` or ``Fn::Join``. It is resolved
  piece by piece: a piece known only at deploy time (a parameter without a value, an import) becomes an
  unresolved marker in the parsed structure instead of making the whole definition unknown;
- ``DefinitionS3Location`` / SAM ``DefinitionUri``: a file the template does not contain, so the
  definition is not visible (an unknown case with that reason).

``DefinitionSubstitutions`` are applied to the strings of the definition. Example::

    for case in state_machine_definition(machine):
        if parse_error(case.value):
            ...                                   # the JSON does not parse: say so
        for scope, name, state in asl_states(case.value):
            ...                                   # every state, nested ones included
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .values import TOKEN, TOKEN_CLOSE, TOKEN_OPEN, Case, ResourceRef, Unknown, Value, display, token

STATE_MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
_UNRESOLVED = "?unresolved:"


@dataclass(frozen=True)
class InvalidDefinition:
    """A definition string that is not valid JSON."""

    message: str


def state_machine_definition(machine) -> Value:
    """The definition of a state machine resource, one case per scenario.

    A case's value is the parsed definition (dicts and lists; a piece known only at deploy time is an
    unresolved marker, see :func:`linter.limits.unresolved_reason`), an :class:`InvalidDefinition`
    (see :func:`parse_error`), or unknown with the reason it is not visible.
    """
    props = machine.props
    if "Definition" in props:
        raw = machine.get("Definition")
        prop = "Definition"
    elif "DefinitionString" in props:
        raw = _definition_string(machine)
        prop = "DefinitionString"
    elif "DefinitionS3Location" in props or "DefinitionUri" in props:
        where = "DefinitionS3Location" if "DefinitionS3Location" in props else "DefinitionUri"
        return Value.unknown(f"the definition is in a file ({where}) that the template does not contain")
    else:
        return Value.unknown("the state machine has no definition")
    substitutions = machine.get("DefinitionSubstitutions", default=False) if "DefinitionSubstitutions" in props \
        else Value.known({})
    out = []
    for case in raw:
        if not case.known:
            out.append(case)
            continue
        value = case.value
        if isinstance(value, str) and not value.strip():
            # Deployment tools (dotnet lambda, blueprints) fill an empty definition in from a separate file.
            out.append(Case(Unknown("the definition string is empty: a deployment tool fills it in"), "",
                            case.assumptions))
            continue
        if isinstance(value, str):
            value = _parse(value)
        elif prop == "DefinitionString" and not isinstance(value, dict):
            value = InvalidDefinition("DefinitionString is not a string")
        for sub in substitutions:
            merged = case.with_assumptions(sub.assumptions)
            if merged is None:
                continue
            mapping = sub.value if sub.known and isinstance(sub.value, dict) else None
            if mapping is None and not sub.known:
                out.append(Case(sub.value, "", merged.assumptions))
                continue
            result = _substitute(value, mapping) if mapping and not isinstance(value, InvalidDefinition) else value
            out.append(Case(result, case.origin, merged.assumptions))
    return Value(out)


def parse_error(value) -> str | None:
    """Why a definition case is not valid JSON, or None."""
    return value.message if isinstance(value, InvalidDefinition) else None


def asl_states(definition_value, scope: str = "States"):
    """Every state of a parsed definition, nested Parallel branches and Map processors included.

    Yields ``(scope, name, state)``: ``scope`` is the dotted path of the ``States`` map the state is in
    (``States``, ``States.Fan.Branches.0.States``), ``state`` its dict (or an unresolved marker).
    """
    if not isinstance(definition_value, dict):
        return
    machine_states = definition_value.get("States")
    if not isinstance(machine_states, dict):
        return
    for name, state in machine_states.items():
        yield scope, name, state
        if not isinstance(state, dict):
            continue
        branches = state.get("Branches")
        if isinstance(branches, list):
            for i, branch in enumerate(branches):
                yield from asl_states(branch, f"{scope}.{name}.Branches.{i}.States")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from asl_states(state[key], f"{scope}.{name}.{key}.States")


def definition_property(machine) -> str | None:
    """The property that holds a machine's definition, for pointing at it."""
    for prop in ("Definition", "DefinitionString", "DefinitionS3Location", "DefinitionUri"):
        if prop in machine.props:
            return prop
    return None


def state_path(machine, scope: str, name: str, key: str | None = None) -> str | None:
    """The property path of a state (or of one of its keys) when it is written as a map in the template,
    else the definition property itself."""
    prop = definition_property(machine)
    if prop == "Definition":
        for path in ([f"{prop}.{scope}.{name}.{key}"] if key else []) + [f"{prop}.{scope}.{name}"]:
            if machine.has(path):
                return path
    return prop


def unused_substitutions(machine) -> list[str]:
    """``DefinitionSubstitutions`` keys no ``${key}`` of the written definition uses."""
    subs = machine.props.get("DefinitionSubstitutions")
    if not isinstance(subs, dict):
        return []
    raw = None
    for prop in ("Definition", "DefinitionString"):
        if prop in machine.props:
            raw = json.dumps(machine.props[prop], default=str)
    if raw is None:
        return []
    return [key for key in subs if "${" + str(key) + "}" not in raw]


# ------------------------------------------------------------------ DefinitionString


def _definition_string(machine) -> Value:
    """Resolve DefinitionString; pieces known only at deploy time become unresolved markers."""
    node = machine.props.get("DefinitionString")
    resolver = machine.graph.resolver
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg if isinstance(arg, list) and len(arg) == 2
                                                                    else (None, None))
            if isinstance(text, str) and isinstance(variables, dict):
                marked = dict(variables)
                for i, m in enumerate(re.finditer(r"\$\{([^}!]*)\}", text)):
                    name = m.group(1).strip()
                    if name in marked:
                        piece = resolver.resolve(marked[name])
                    elif "." in name:
                        piece = resolver.resolve({"Fn::GetAtt": name.split(".", 1)})
                    else:
                        piece = resolver.resolve({"Ref": name})
                    if not piece.is_known:
                        reason = next(c.describe() for c in piece.cases if not c.known)
                        marked[name] = token(f"{_UNRESOLVED}{reason}")
                return resolver.resolve({"Fn::Sub": [text, marked]})
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = []
            for part in arg[1]:
                piece = resolver.resolve(part)
                if not piece.is_known:
                    reason = next(c.describe() for c in piece.cases if not c.known)
                    part = token(f"{_UNRESOLVED}{reason}")
                parts.append(part)
            return resolver.resolve({"Fn::Join": [arg[0], parts]})
    return machine.get("DefinitionString")


def _parse(text: str):
    """Parse a definition string; tokens outside JSON strings become unresolved markers."""
    placeholders: dict[str, object] = {}
    out, in_string, escaped, i = [], False, False, 0
    while i < len(text):
        ch = text[i]
        if ch == TOKEN_OPEN and not in_string:
            end = text.find(TOKEN_CLOSE, i)
            if end < 0:
                break
            key = f"\u0000{len(placeholders)}\u0000"
            placeholders[key] = _marker(text[i + 1:end])
            out.append(json.dumps(key))
            i = end + 1
            continue
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        out.append(ch)
        i += 1
    try:
        parsed = json.loads("".join(out))
    except ValueError as exc:
        return InvalidDefinition(f"DefinitionString is not valid JSON: {exc}")
    return _restore(parsed, placeholders)


def _marker(name: str):
    if name.startswith(_UNRESOLVED):
        return Unknown(name[len(_UNRESOLVED):])
    base, _, attribute = name.partition(".")
    return ResourceRef(base, attribute or None) if not base.startswith("AWS::") else token(name)


def _restore(node, placeholders):
    if isinstance(node, dict):
        return {k: _restore(v, placeholders) for k, v in node.items()}
    if isinstance(node, list):
        return [_restore(v, placeholders) for v in node]
    if isinstance(node, str):
        if node in placeholders:
            return placeholders[node]
        return TOKEN.sub(lambda m: _inside_string(m.group(1)), node) if _UNRESOLVED in node else node
    return node


def _inside_string(name: str) -> str:
    # An unresolved piece inside a string stays a token, so the string reads as known only at deploy time.
    return token("unresolved") if name.startswith(_UNRESOLVED) else token(name)


def _substitute(node, mapping: dict):
    """Apply DefinitionSubstitutions: ``${key}`` in strings; a whole-string ``${key}`` takes the value."""
    if isinstance(node, dict):
        return {k: _substitute(v, mapping) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, mapping) for v in node]
    if isinstance(node, str) and "${" in node:
        whole = re.fullmatch(r"\$\{([^}]*)\}", node)
        if whole and whole.group(1) in mapping:
            return mapping[whole.group(1)]

        def piece(m):
            value = mapping.get(m.group(1))
            if value is None:
                return m.group(0)
            if isinstance(value, Unknown):
                return token("unresolved")
            return str(value) if isinstance(value, ResourceRef) else display(value) if not isinstance(value, str) \
                else value
        return re.sub(r"\$\{([^}]*)\}", piece, node)
    return node
