"""SFN001 sfn-express-constraints."""
from linter.model import (STATE_MACHINE_TYPES, Case, as_number, asl_states, definition_property, display, fields,
                          parse_error, rule, state_machine_definition, state_path)

EXPRESS_SECONDS = 300
UNSUPPORTED_PATTERNS = (".sync", ".sync:2", ".waitForTaskToken")


@rule("SFN001", "sfn-express-constraints", severity="error", tags=("correctness", "stepfunctions"),
      catalogue="R76")
def sfn_express_constraints(graph, ctx):
    """An Express state machine must finish within 5 minutes, use only request-response tasks, and log.

    **What it checks.** For `AWS::StepFunctions::StateMachine` with `StateMachineType: EXPRESS` and SAM
    `AWS::Serverless::StateMachine` with `Type: EXPRESS` (both are STANDARD when absent):

    - `integration-pattern` (error): a Task whose `Resource` ends in `.sync` or `.waitForTaskToken`.
      Express workflows support only request-response integrations.
    - `duration` (error): a definition `TimeoutSeconds` above 300, a Wait state whose `Seconds` is above
      300, or Wait states on the path every execution takes from `StartAt` (following `Next` until the
      first Choice) whose `Seconds` add up to more than 300.
    - `logging` (warning): no `LoggingConfiguration` (SAM `Logging`), or `Level: OFF`, or no log group
      destination. Express workflows keep no execution history, so without logs a failed execution
      leaves no trace.

    A definition in a file the template does not contain (`DefinitionS3Location`, SAM `DefinitionUri`)
    and values known only at deploy time are reported as not evaluated. Whether the tasks of an
    asynchronously started Express workflow are idempotent (it runs at least once) is not visible in the
    template.

    **Why it matters.** Step Functions rejects a definition with `.sync` or `.waitForTaskToken` tasks for
    an Express machine, so the stack fails; an execution longer than 5 minutes is stopped midway.

    **Example (fails).**

        Checkout:
          Type: AWS::Serverless::StateMachine
          Properties:
            Type: EXPRESS
            Definition:
              StartAt: Charge
              States:
                Charge:
                  Type: Task
                  Resource: arn:aws:states:::ecs:runTask.sync   # not allowed in Express
                  End: true

    **Fix.** Use a STANDARD machine for jobs that wait, or start the job with a request-response call
    (`arn:aws:states:::ecs:runTask`) and log executions:

        Logging:
          Level: ERROR
          IncludeExecutionData: false
          Destinations:
            - CloudWatchLogsLogGroup: {LogGroupArn: !GetAtt CheckoutLogs.Arn}

    See https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html
    """
    for machine in graph.of_type(*STATE_MACHINE_TYPES):
        type_prop = "Type" if machine.type == "AWS::Serverless::StateMachine" else "StateMachineType"
        for (kind,) in ctx.cases(machine, machine.get(type_prop)):
            if str(kind.value).upper() != "EXPRESS":
                continue
            yield from _logging(ctx, machine, kind)
            for (definition,) in ctx.cases(machine, state_machine_definition(machine)):
                if parse_error(definition.value):
                    continue  # SFN003 reports it
                yield from _integrations(ctx, machine, kind, definition)
                yield from _duration(ctx, machine, kind, definition)


def _integrations(ctx, machine, kind, definition):
    for scope, name, state in asl_states(definition.value):
        state = fields(state) or {}
        resource = display(state.get("Resource"))
        if state.get("Type") != "Task":
            continue
        pattern = next((p for p in UNSUPPORTED_PATTERNS if resource.endswith(p)), None)
        if pattern is None:
            continue
        yield ctx.finding(
            machine,
            f"state {name} of Express state machine {machine.describe()} ({kind.cite('type')}) calls {resource}: "
            f"Express workflows support only request-response integrations, not {pattern}, and the stack fails; "
            "use a STANDARD machine or the request-response form of the call",
            check="integration-pattern", at=state_path(machine, scope, name, "Resource"), cases=(kind, definition))


def _duration(ctx, machine, kind, definition):
    top = fields(definition.value) or {}
    timeout = _number(top.get("TimeoutSeconds"))
    if timeout is not None and timeout > EXPRESS_SECONDS:
        yield ctx.finding(
            machine,
            f"Express state machine {machine.describe()} ({kind.cite('type')}) sets TimeoutSeconds {timeout:g}: "
            "an Express execution runs at most 300 s (5 minutes) and is stopped there; use a STANDARD machine "
            "for longer work",
            check="duration", at="Definition.TimeoutSeconds" if machine.has("Definition.TimeoutSeconds")
            else definition_property(machine), cases=(kind, definition))
        return
    for scope, name, state in asl_states(definition.value):
        seconds = _number((fields(state) or {}).get("Seconds")) if (fields(state) or {}).get("Type") == "Wait" else None
        if seconds is not None and seconds > EXPRESS_SECONDS:
            yield ctx.finding(
                machine,
                f"Wait state {name} of Express state machine {machine.describe()} ({kind.cite('type')}) waits "
                f"{seconds:g} s: an Express execution is stopped after 300 s; use a STANDARD machine",
                check="duration", at=state_path(machine, scope, name, "Seconds"), cases=(kind, definition))
            return
    waited, names = _waits_on_main_path(top)
    if waited > EXPRESS_SECONDS:
        yield ctx.finding(
            machine,
            f"every execution of Express state machine {machine.describe()} ({kind.cite('type')}) waits "
            f"{waited:g} s in {', '.join(names)}: more than the 300 s an Express execution may run, so it is "
            "always stopped before the end; use a STANDARD machine",
            check="duration", at=state_path(machine, "States", names[-1], "Seconds"), cases=(kind, definition))


def _waits_on_main_path(top):
    """Seconds waited on the path from StartAt along Next, up to the first branching state."""
    machine_states = fields(top.get("States")) or {}
    name, seen, total, names = top.get("StartAt"), set(), 0, []
    while isinstance(name, str) and name in machine_states and name not in seen:
        seen.add(name)
        state = fields(machine_states[name]) or {}
        if state.get("Type") == "Wait":
            seconds = _number(state.get("Seconds"))
            if seconds:
                total += seconds
                names.append(name)
        if state.get("Type") == "Choice":
            break
        name = state.get("Next")
    return total, names


def _number(value):
    return as_number(Case(value)) if value is not None else None


def _logging(ctx, machine, kind):
    prop = "Logging" if machine.type == "AWS::Serverless::StateMachine" else "LoggingConfiguration"
    if not machine.has(prop):
        yield ctx.finding(
            machine,
            f"Express state machine {machine.describe()} ({kind.cite('type')}) has no {prop}: Express workflows "
            "keep no execution history, so a failed execution leaves no trace; log at least ERROR to a log group",
            severity="warning", check="logging", cases=(kind,))
        return
    for level, destinations in ctx.cases(machine, machine.get(f"{prop}.Level"),
                                         machine.get(f"{prop}.Destinations", default=False)):
        if str(level.value or "OFF").upper() == "OFF" or not destinations.value:
            what = level.cite("Level") if level.value is not None else "no Level (OFF)"
            if level.value is not None and str(level.value).upper() != "OFF":
                what = "no log group in Destinations"
            yield ctx.finding(
                machine,
                f"Express state machine {machine.describe()} ({kind.cite('type')}) logs nothing ({what}): "
                "Express workflows keep no execution history, so a failed execution leaves no trace; log at "
                "least ERROR to a log group",
                severity="warning", check="logging", at=prop, cases=(kind, level))
