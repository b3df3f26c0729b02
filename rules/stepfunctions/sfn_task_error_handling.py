"""SFN002 sfn-task-error-handling."""
from linter.model import (FUNCTION_TYPES, STATE_MACHINE_TYPES, Case, as_number, asl_states, display, entries,
                          fields, parse_error, rule, state_machine_definition, state_path)

TRANSIENT_LAMBDA_ERRORS = ("Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException")
# Error names that include the transient Lambda errors.
COVERING = ("States.ALL", "States.TaskFailed")


@rule("SFN002", "sfn-task-error-handling", severity="warning", tags=("reliability", "stepfunctions"),
      catalogue="R77")
def sfn_task_error_handling(graph, ctx):
    """A state machine's Task states should retry transient failures, catch the rest, and not wait forever.

    **What it checks.** In the definition of every `AWS::StepFunctions::StateMachine` and
    `AWS::Serverless::StateMachine` (nested Parallel branches and Map processors included):

    - `no-error-handling` (warning): a Task state with neither `Retry` nor `Catch`. Any error of the
      task then fails the whole execution.
    - `lambda-transient-retry` (warning): a Lambda task (`arn:aws:states:::lambda:invoke` or a function
      ARN) with error handling but no retrier for `Lambda.ServiceException`,
      `Lambda.TooManyRequestsException` or `Lambda.SdkClientException` (nor `States.ALL` or
      `States.TaskFailed`, which include them). These are short-lived service errors that AWS
      recommends retrying.
    - `callback-timeout` (warning): a `.waitForTaskToken` task without `TimeoutSeconds` or
      `HeartbeatSeconds` (or their `…Path` forms). If the callback never comes, the execution waits
      until the state machine's own limit, up to a year for a Standard workflow.
    - `task-timeout` (info): a Task `TimeoutSeconds` shorter than the `Timeout` of the function in the
      template it invokes. Step Functions gives up while the function keeps running; a retry then runs
      the function twice at once.

    A definition in a file the template does not contain (`DefinitionS3Location`, SAM `DefinitionUri`)
    is reported as not evaluated. A function outside the template is not compared.

    **Why it matters.** Lambda throttling and service errors are routine at scale; without a retrier
    they fail executions that would have succeeded a second later. A lost task token leaves an execution
    open (and billed, for Express) long after anyone is waiting for it.

    **Example (fails).**

        Charge:
          Type: Task
          Resource: arn:aws:states:::lambda:invoke
          Parameters: {FunctionName: !GetAtt ChargeFunction.Arn, Payload.$: $}
          End: true

    **Fix.**

        Charge:
          Type: Task
          Resource: arn:aws:states:::lambda:invoke
          Parameters: {FunctionName: !GetAtt ChargeFunction.Arn, Payload.$: $}
          Retry:
            - ErrorEquals: [Lambda.ServiceException, Lambda.TooManyRequestsException, Lambda.SdkClientException]
              IntervalSeconds: 1
              MaxAttempts: 3
              BackoffRate: 2
          Catch:
            - ErrorEquals: [States.ALL]
              Next: RecordFailure
          End: true

    See https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    """
    for machine in graph.of_type(*STATE_MACHINE_TYPES):
        for (definition,) in ctx.cases(machine, state_machine_definition(machine)):
            if parse_error(definition.value):
                continue  # SFN003 reports it
            yield from _check(ctx, graph, machine, definition)


def _check(ctx, graph, machine, definition):
    unhandled, no_transient, no_timeout = [], [], []
    for scope, name, state in asl_states(definition.value):
        body = fields(state) or {}
        if body.get("Type") != "Task":
            continue
        resource = display(body.get("Resource"))
        function = _invoked_function(graph, body)
        is_lambda = function is not None or ":lambda:" in resource or resource.startswith("arn:aws:states:::lambda:")
        retried = _errors(body.get("Retry"))
        if "Retry" not in body and "Catch" not in body:
            unhandled.append((scope, name))
        elif is_lambda and not (set(retried) & set(TRANSIENT_LAMBDA_ERRORS + COVERING)):
            no_transient.append((scope, name))
        if resource.endswith(".waitForTaskToken") and not any(
                key in body for key in ("TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
                                        "HeartbeatSecondsPath")):
            no_timeout.append((scope, name))
        if function is not None and "TimeoutSeconds" in body:
            yield from _task_timeout(ctx, machine, definition, scope, name, body, function)
    if unhandled:
        yield _finding(ctx, machine, definition, unhandled, "no-error-handling",
                       "{states} {have} neither Retry nor Catch: any error, even a throttle, fails the whole "
                       "execution; retry transient errors and catch the rest")
    if no_transient:
        yield _finding(ctx, machine, definition, no_transient, "lambda-transient-retry",
                       "{states} {invoke} Lambda without a retrier for Lambda.ServiceException, "
                       "Lambda.TooManyRequestsException and Lambda.SdkClientException: short-lived service errors "
                       "and throttles fail the execution; add a Retry with backoff for them", key="Retry")
    if no_timeout:
        yield _finding(ctx, machine, definition, no_timeout, "callback-timeout",
                       "{states} {wait} for a task token without TimeoutSeconds or HeartbeatSeconds: if the callback "
                       "is lost, the execution stays open until the state machine's own limit (up to a year for a "
                       "Standard workflow); set a timeout or a heartbeat")


def _finding(ctx, machine, definition, states, check, template, key=None):
    names = ", ".join(str(name) for _, name in states)
    plural = len(states) > 1
    text = template.format(states=("Task states " if plural else "Task state ") + names,
                           have="have" if plural else "has", invoke="invoke" if plural else "invokes",
                           wait="wait" if plural else "waits")
    scope, name = states[0]
    return ctx.finding(machine, f"state machine {machine.describe()}: {text}", check=check,
                       at=state_path(machine, scope, name, key), cases=(definition,))


def _errors(retriers) -> list[str]:
    names = []
    for retrier in entries(retriers) or ():
        names += [display(e) for e in entries((fields(retrier) or {}).get("ErrorEquals")) or ()]
    return names


def _invoked_function(graph, body):
    """The function of the template a task invokes (its Resource ARN or Parameters.FunctionName), or None."""
    parameters = fields(body.get("Parameters")) or fields(body.get("Arguments")) or {}
    for value in (parameters.get("FunctionName"), body.get("Resource")):
        if value is None:
            continue
        function, _reason = graph.follow(Case(value), FUNCTION_TYPES)
        if function is not None and function.type in FUNCTION_TYPES:
            return function
    return None


def _task_timeout(ctx, machine, definition, scope, name, body, function):
    task_timeout = as_number(Case(body.get("TimeoutSeconds")))
    if task_timeout is None:
        return
    for (timeout,) in ctx.cases(machine, function.get("Timeout"), convert=as_number):
        if timeout.value is None or task_timeout >= timeout.value:
            continue
        yield ctx.finding(
            machine,
            f"Task state {name} of state machine {machine.describe()} times out after {task_timeout:g} s, before "
            f"the function it invokes, {function.describe()} (timeout {timeout.show('s')}): Step Functions gives up "
            "while the function keeps running, and a retry runs it twice at once; make the task timeout at least "
            "the function's",
            severity="info", check="task-timeout", at=state_path(machine, scope, name, "TimeoutSeconds"),
            related=[function], cases=(timeout,))
