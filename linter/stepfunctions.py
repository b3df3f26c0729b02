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


# ------------------------------------------------------------------ roles and task targets

# Service integrations (``arn:aws:states:::<service>:<api>[.sync|.waitForTaskToken]``) → the IAM action the
# state machine's role needs, and the Parameters key naming the resource it is needed on.
TASK_PERMISSIONS = {
    "lambda:invoke": ("lambda:InvokeFunction", "FunctionName"),
    "sns:publish": ("sns:Publish", "TopicArn"),
    "sqs:sendMessage": ("sqs:SendMessage", "QueueUrl"),
    "dynamodb:getItem": ("dynamodb:GetItem", "TableName"),
    "dynamodb:putItem": ("dynamodb:PutItem", "TableName"),
    "dynamodb:updateItem": ("dynamodb:UpdateItem", "TableName"),
    "dynamodb:deleteItem": ("dynamodb:DeleteItem", "TableName"),
    "ecs:runTask": ("ecs:RunTask", "TaskDefinition"),
    "batch:submitJob": ("batch:SubmitJob", "JobQueue"),
    "states:startExecution": ("states:StartExecution", "StateMachineArn"),
}
_INTEGRATION = re.compile(r"^arn:[^:]*:states:::([a-zA-Z0-9-]+:[a-zA-Z]+)(\.sync(:2)?|\.waitForTaskToken)?$")
_FUNCTION_ARN = re.compile(r":function:")


@dataclass(frozen=True)
class TaskCall:
    """A Task state's call that needs a permission of the state machine's role.

    ``target`` is the resolved reference to the resource (a ResourceRef, an ARN or name with tokens, an
    unresolved marker), or None when the state chooses it at run time (``FunctionName.$``); ``key`` is
    the state's key that names it (``Resource`` or ``Parameters.FunctionName``).
    """

    scope: str
    name: str
    action: str
    target: object
    key: str


def task_calls(definition_value):
    """The calls of every Task state of a parsed definition that the role must allow, in order.

    Lambda, SNS, SQS, DynamoDB item, ECS RunTask, Batch SubmitJob and nested StartExecution integrations,
    and bare function ARNs as ``Resource``. SDK integrations (``aws-sdk:``) and activities are left out.
    """
    for scope, name, state in asl_states(definition_value):
        if not isinstance(state, dict) or state.get("Type") != "Task":
            continue
        resource = state.get("Resource")
        text = resource if isinstance(resource, str) else ""
        match = _INTEGRATION.match(TOKEN.sub("x", text)) if text else None
        parameters = state.get("Parameters") if isinstance(state.get("Parameters"), dict) else \
            state.get("Arguments") if isinstance(state.get("Arguments"), dict) else {}
        if match and match.group(1) in TASK_PERMISSIONS:
            action, key = TASK_PERMISSIONS[match.group(1)]
            where = "Parameters" if isinstance(state.get("Parameters"), dict) else "Arguments"
            if key in parameters:
                yield TaskCall(scope, name, action, parameters[key], f"{where}.{key}")
            elif f"{key}.$" in parameters:
                yield TaskCall(scope, name, action, None, f"{where}.{key}.$")
        elif match is None and (isinstance(resource, ResourceRef) or _FUNCTION_ARN.search(text)):
            yield TaskCall(scope, name, "lambda:InvokeFunction", resource, "Resource")


def state_machine_role(graph, machine):
    """The execution role of a state machine: (role, "") or (None, why not).

    ``RoleArn`` (CloudFormation) or ``Role`` (SAM) is followed to an ``AWS::IAM::Role`` of the template.
    A SAM state machine without ``Role`` gets the role SAM generates from its ``Policies`` (policy
    templates, managed policies, inline documents; none when absent): a resource built here, not added to
    the graph, whose ``origin`` says so.
    """
    from .graph import Resource

    prop = "RoleArn" if machine.type == "AWS::StepFunctions::StateMachine" else "Role"
    if machine.type == "AWS::Serverless::StateMachine" and not machine.has("Role"):
        policies = machine.props.get("Policies", [])
        role = Resource(f"{machine.logical_id}Role", "AWS::IAM::Role", {"SamPolicies": policies},
                        origin=f"role SAM generates for {machine.logical_id}",
                        anchor=(machine.logical_id, "Policies" if "Policies" in machine.props else ""),
                        condition=machine.condition)
        role.graph = graph
        return role, ""
    found = None
    for case in machine.get(prop, default=False):
        if isinstance(case.value, Unknown):
            return None, f"the role of state machine {machine.logical_id} is unknown: {case.value.reason}"
        if case.value is None:
            return None, f"state machine {machine.logical_id} has no {prop}"
        role, _ = graph.follow(case)
        if role is None or role.type != "AWS::IAM::Role":
            return None, f"the role of state machine {machine.logical_id} ({display(case.value)}) is not in this template"
        if found is not None and found is not role:
            return None, f"the role of state machine {machine.logical_id} depends on a condition"
        found = role
    if found is None:
        return None, f"state machine {machine.logical_id} has no {prop}"
    return found, ""
