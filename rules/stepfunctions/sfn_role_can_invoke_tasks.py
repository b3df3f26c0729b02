"""SFN004 sfn-role-can-invoke-tasks."""
from linter.model import (FUNCTION_TYPES, STATE_MACHINE_TYPES, Case, connector_grants, connector_may_grant, parse_error, role_allows, rule, state_machine_definition,
                          state_machine_role, state_path, task_calls, trusts_service)

STATES_SERVICE = "states.amazonaws.com"
# The SAM connector permission that covers an action (every other task action needs Write).
_CONNECTOR_PERMISSION = {"dynamodb:GetItem": "Read"}


@rule("SFN004", "sfn-role-can-invoke-tasks", severity="warning", tags=("correctness", "stepfunctions", "iam"),
      catalogue="R79")
def sfn_role_can_invoke_tasks(graph, ctx):
    """A state machine's role must allow every call its Task states make, and must trust Step Functions.

    **What it checks.** For every `AWS::StepFunctions::StateMachine` (`RoleArn`) and
    `AWS::Serverless::StateMachine` (`Role`, or the role SAM generates from `Policies`, policy templates
    such as `LambdaInvokePolicy` included; no policy at all when `Policies` is absent):

    - `task-permission` (warning): each Task state whose target is a resource of the template must be
      allowed by the role: `lambda:InvokeFunction` for `arn:aws:states:::lambda:invoke` (its
      `Parameters.FunctionName`) and for a function ARN as `Resource`; `sns:Publish` (`TopicArn`),
      `sqs:SendMessage` (`QueueUrl`), `dynamodb:GetItem`/`PutItem`/`UpdateItem`/`DeleteItem`
      (`TableName`), `ecs:RunTask` (`TaskDefinition`), `batch:SubmitJob` (`JobQueue`) and
      `states:StartExecution` (`StateMachineArn`). One finding per state machine lists every missing grant.
    - `trust` (warning): the role's trust policy must let `states.amazonaws.com` assume it.

    A SAM connector (`AWS::Serverless::Connector` or an embedded `Connectors` entry) from the state
    machine to the target with the matching `Read`/`Write` permission counts as a grant.
    A role outside the template, a policy whose grants are not known (a managed policy this tool does
    not know, a permissions boundary, a condition), a definition in a separate file and a target chosen
    at run time (`FunctionName.$`) make the check not evaluated. A target outside the template (a
    literal ARN) is judged only when a wildcard grant covers it. The extra permissions of `.sync`
    integrations (`events:PutRule`, `iam:PassRole` for ECS task roles) and SDK integrations
    (`arn:aws:states:::aws-sdk:...`) are not checked.

    **Why it matters.** Step Functions calls each service with the state machine's role. A missing
    permission does not stop the deployment: every execution fails at that state with
    `States.TaskFailed` (AccessDenied), often only once the path is taken in production.

    **Example (fails).**

        OrderFlow:
          Type: AWS::Serverless::StateMachine
          Properties:
            Policies:
              - LambdaInvokePolicy: {FunctionName: !Ref Validate}
            Definition:
              StartAt: Validate
              States:
                Validate: {Type: Task, Resource: !GetAtt Validate.Arn, Next: Notify}
                Notify:
                  Type: Task
                  Resource: arn:aws:states:::sns:publish
                  Parameters: {TopicArn: !Ref Orders, "Message.$": "$"}
                  End: true

    **Fix.** Grant the missing action on the target, e.g. add
    `- SNSPublishMessagePolicy: {TopicName: !GetAtt Orders.TopicName}` to `Policies`.
    See https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html
    """
    for machine in graph.of_type(*STATE_MACHINE_TYPES):
        role, why = state_machine_role(graph, machine)
        definitions = state_machine_definition(machine)
        if role is None:
            if any(list(task_calls(case.value)) for case in definitions.known_cases()):
                ctx.not_evaluated(machine, why)
            continue
        if not role.implicit:
            yield from _trust(ctx, machine, role)
        for (definition,) in ctx.cases(machine, definitions):
            if parse_error(definition.value):
                continue  # SFN003 reports it
            yield from _tasks(graph, ctx, machine, role, definition)


def _trust(ctx, machine, role):
    for (document,) in ctx.cases(machine, role.get("AssumeRolePolicyDocument", default=False)):
        verdict = trusts_service(document.value, STATES_SERVICE)
        if verdict.unknown:
            ctx.not_evaluated(machine, verdict.reason)
        elif verdict.no:
            yield ctx.finding(machine, f"role {role.describe()} of state machine {machine.describe()} does not trust "
                                       f"{STATES_SERVICE} ({verdict.reason}): Step Functions cannot assume it and the "
                                       "state machine cannot be created; add states.amazonaws.com to its trust policy",
                              check="trust", at="RoleArn" if machine.has("RoleArn") else "Role", related=[role],
                              cases=(document,))


def _tasks(graph, ctx, machine, role, definition):
    missing = []   # (call, target resource, reason)
    for call in task_calls(definition.value):
        if call.target is None:
            ctx.not_evaluated(machine, f"Task state {call.name} chooses its target at run time ({call.key})")
            continue
        target, why = graph.follow(Case(call.target, definition.origin, definition.assumptions))
        if call.key == "Resource" and target is not None and target.type not in FUNCTION_TYPES:
            continue  # an activity or another resource given by reference: no function is invoked
        permission = _CONNECTOR_PERMISSION.get(call.action, "Write")
        if target is not None and connector_grants(graph, machine, target, permission):
            continue  # SAM adds the permission for the connector
        verdict = role_allows(graph, role, call.action, target if target is not None else call.target)
        if verdict.yes:
            continue
        if target is None:
            ctx.not_evaluated(machine, f"Task state {call.name}: {why}")
        elif verdict.unknown:
            ctx.not_evaluated(machine, f"Task state {call.name}: {verdict.reason}")
        elif connector_may_grant(graph, machine, target, permission):
            ctx.not_evaluated(machine, f"Task state {call.name}: a SAM connector to {target.logical_id} names a source "
                                       "this tool cannot pin to a resource")
        else:
            missing.append((call, target))
    if not missing:
        return
    grants = "; ".join(f"{call.action} on {target.describe()} (state {call.name})" for call, target in missing)
    first, _ = missing[0]
    yield ctx.finding(machine, f"role {role.describe()} of state machine {machine.describe()} does not allow "
                               f"{grants}: executions fail at {'these states' if len(missing) > 1 else 'that state'} "
                               "with AccessDenied; grant the action on the target",
                      check="task-permission", at=state_path(machine, first.scope, first.name, first.key.split(".")[0]),
                      related=[role] + [t for _, t in missing] if not role.implicit else [t for _, t in missing],
                      cases=(definition,))
