"""SFN003 sfn-definition-valid."""
from linter.model import (STATE_MACHINE_TYPES, asl_states, definition_property, display, entries, fields,
                          is_literal, parse_error, rule, state_machine_definition, state_path,
                          unresolved_reason, unused_substitutions)

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
TERMINAL_TYPES = ("Succeed", "Fail")
LONGEST_NAME = 80


@rule("SFN003", "sfn-definition-valid", severity="error", tags=("correctness", "stepfunctions"), catalogue="R78")
def sfn_definition_valid(graph, ctx):
    """A state machine's definition must be valid Amazon States Language: known states, transitions and types.

    **What it checks.** For `AWS::StepFunctions::StateMachine` and `AWS::Serverless::StateMachine`, in
    the top-level states and in every Parallel branch and Map processor:

    - `json` (error): `DefinitionString` is not valid JSON.
    - `start-at` (error): `StartAt` is missing or names no state of its `States`.
    - `next` (error): a `Next`, `Default`, `Choices[].Next` or `Catch[].Next` names no state of the
      same `States`.
    - `state-name` (error): a state name longer than 80 characters, or used twice in the machine.
    - `state-type` (error): a `Type` other than Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map.
    - `transition` (error): a Pass, Task, Wait, Parallel or Map state with neither `Next` nor
      `End: true`, a Choice state with `End`, or a Succeed or Fail state with `Next`.
    - `unreachable` (warning): a state no path from `StartAt` reaches.
    - `unused-substitution` (warning): a `DefinitionSubstitutions` key no `${key}` of the definition
      uses, usually a typo in the key or in the placeholder.

    A definition in a file the template does not contain (`DefinitionS3Location`, SAM `DefinitionUri`)
    is reported as not evaluated; so is a state name or transition known only at deploy time.

    **Why it matters.** Step Functions validates the definition when the stack creates or updates the
    state machine, and an invalid one fails the deployment. An unreachable state is dead code, often a
    transition that was meant to point at it.

    **Example (fails).**

        Definition:
          StartAt: Validate
          States:
            Validate: {Type: Task, Resource: !GetAtt Validate.Arn, Next: Charge}
            ChargeCard: {Type: Task, Resource: !GetAtt Charge.Arn, End: true}   # Next says Charge

    **Fix.** Make every transition name an existing state, and end each branch with `End: true`, a
    Succeed or a Fail state.

    See https://states-language.net/spec.html
    """
    for machine in graph.of_type(*STATE_MACHINE_TYPES):
        for key in unused_substitutions(machine):
            yield ctx.finding(
                machine,
                f"DefinitionSubstitutions key {key} of state machine {machine.describe()} is used by no ${{{key}}} in "
                "the definition: the value is never substituted; check the spelling of the key and the placeholder",
                severity="warning", check="unused-substitution", at=f"DefinitionSubstitutions.{key}")
        for (definition,) in ctx.cases(machine, state_machine_definition(machine)):
            error = parse_error(definition.value)
            if error:
                yield ctx.finding(
                    machine,
                    f"{error} (state machine {machine.describe()}): Step Functions rejects the definition and the "
                    "stack fails",
                    check="json", at=definition_property(machine), cases=(definition,))
                continue
            yield from _check(ctx, machine, definition)


def _check(ctx, machine, definition):
    top = fields(definition.value)
    if top is None:
        ctx.not_evaluated(machine, "the definition is not a map")
        return
    scopes = {"States": top}
    seen_names = {}
    for scope, name, state in asl_states(definition.value):
        if scope != "States":
            scopes.setdefault(scope, _scope_holder(definition.value, scope))
        yield from _state_checks(ctx, machine, definition, scope, name, state, seen_names)
    for scope, holder in scopes.items():
        if holder is not None:
            yield from _scope_checks(ctx, machine, definition, scope, holder)


def _scope_holder(root, scope):
    """The map that holds StartAt and States for a nested scope like States.Fan.Branches.0.States."""
    node = root
    for key in scope.split(".")[:-1]:
        node = (entries(node) or [None] * (int(key) + 1))[int(key)] if key.isdigit() else (fields(node) or {}).get(key)
        if node is None:
            return None
    return fields(node)


def _state_checks(ctx, machine, definition, scope, name, state, seen_names):
    name = str(name)
    at = state_path(machine, scope, name)
    if len(name) > LONGEST_NAME:
        yield ctx.finding(
            machine,
            f"state name {name[:40]}… of state machine {machine.describe()} is {len(name)} characters long, more "
            f"than the {LONGEST_NAME} Step Functions allows: the stack fails",
            check="state-name", at=at, cases=(definition,))
    if name in seen_names and seen_names[name] != scope:
        yield ctx.finding(
            machine,
            f"state name {name} is used twice in state machine {machine.describe()} (in {seen_names[name]} and "
            f"{scope}): state names must be unique in the whole machine, and the stack fails",
            check="state-name", at=at, cases=(definition,))
    seen_names.setdefault(name, scope)
    body = fields(state)
    if body is None:
        ctx.not_evaluated(machine, f"state {name} is known only at deploy time")
        return
    kind = body.get("Type")
    if not is_literal(kind) or kind not in STATE_TYPES:
        if unresolved_reason(kind):
            ctx.not_evaluated(machine, f"the Type of state {name} is known only at deploy time")
            return
        yield ctx.finding(
            machine,
            f"state {name} of state machine {machine.describe()} has Type "
            f"{display(kind) if kind is not None else '(none)'}, not one of {', '.join(STATE_TYPES)}: "
            "Step Functions rejects the definition",
            check="state-type", at=state_path(machine, scope, name, "Type"), cases=(definition,))
        return
    has_next, ends = "Next" in body, body.get("End") in (True, "true", "True")
    problem = None
    if kind == "Choice" and "End" in body:
        problem = "a Choice state cannot have End; its Choices and Default decide where to go"
    elif kind in TERMINAL_TYPES and has_next:
        problem = f"a {kind} state ends the execution and cannot have Next"
    elif kind not in TERMINAL_TYPES + ("Choice",) and not has_next and not ends:
        problem = "it has neither Next nor End: true, so the execution has nowhere to go"
    elif kind not in TERMINAL_TYPES + ("Choice",) and has_next and ends:
        problem = "it has both Next and End: true"
    if problem:
        yield ctx.finding(
            machine,
            f"state {name} ({kind}) of state machine {machine.describe()} is invalid: {problem}; Step Functions "
            "rejects the definition",
            check="transition", at=at, cases=(definition,))


def _transitions(body):
    """(key, target) of every transition a state makes."""
    out = []
    if "Next" in body:
        out.append(("Next", body["Next"]))
    if "Default" in body:
        out.append(("Default", body["Default"]))
    for key in ("Choices", "Catch"):
        for i, rule_ in enumerate(entries(body.get(key)) or ()):
            target = (fields(rule_) or {}).get("Next")
            if target is not None:
                out.append((f"{key}[{i}].Next", target))
    return out


def _scope_checks(ctx, machine, definition, scope, holder):
    machine_states = fields(holder.get("States")) or {}
    start = holder.get("StartAt")
    where = "" if scope == "States" else f" in {scope.rsplit('.States', 1)[0]}"
    if unresolved_reason(start):
        ctx.not_evaluated(machine, f"StartAt{where} is known only at deploy time")
        return
    if start not in machine_states:
        yield ctx.finding(
            machine,
            f"StartAt{where} of state machine {machine.describe()} is "
            f"{display(start) if start is not None else 'missing'}, which names no state{where}: "
            "Step Functions rejects the definition",
            check="start-at", at=_path(machine, scope[:-len("States")] + "StartAt"), cases=(definition,))
    unknown_edges = False
    graph_edges = {}
    for name, state in machine_states.items():
        body = fields(state) or {}
        targets = []
        for key, target in _transitions(body):
            if unresolved_reason(target) or not is_literal(target):
                unknown_edges = True
                ctx.not_evaluated(machine, f"the {key} of state {name} is known only at deploy time")
                continue
            targets.append(target)
            if target not in machine_states:
                yield ctx.finding(
                    machine,
                    f"{key} of state {name} in state machine {machine.describe()} is {target}, which names no state"
                    f"{where}: Step Functions rejects the definition",
                    check="next", at=state_path(machine, scope, name, key.split("[")[0]), cases=(definition,))
        graph_edges[name] = targets
    if unknown_edges or start not in machine_states:
        return
    reached, todo = {start}, [start]
    while todo:
        for target in graph_edges.get(todo.pop(), ()):
            if target in machine_states and target not in reached:
                reached.add(target)
                todo.append(target)
    unreachable = [str(name) for name in machine_states if name not in reached]
    if unreachable:
        names = ", ".join(unreachable)
        yield ctx.finding(
            machine,
            f"{'state' if len(unreachable) == 1 else 'states'} {names}{where} of state machine {machine.describe()} "
            f"{'is' if len(unreachable) == 1 else 'are'} unreachable: no transition from StartAt {start} leads "
            "there; remove them or point a Next at them",
            severity="warning", check="unreachable", at=state_path(machine, scope, unreachable[0]),
            cases=(definition,))


def _path(machine, dotted):
    """The property path of a part of a definition written as a map, else the definition property."""
    path = f"{definition_property(machine)}.{dotted}"
    return path if machine.has(path) else definition_property(machine)
