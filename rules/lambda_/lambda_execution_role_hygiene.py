"""LAM016 lambda-execution-role-hygiene."""
from linter.model import FUNCTION_TYPES, as_text, function_role, role_allows, rule

_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
_TRACE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@rule("LAM016", "lambda-execution-role-hygiene", severity="warning", tags=("operations", "lambda", "iam"),
      catalogue="R88")
def execution_role_hygiene(graph, ctx):
    """A function's explicit execution role must let it write logs and traces, and should be its own.

    **What it checks.** For every function with an explicit execution role in the template (the role
    SAM generates always gets these permissions and is not checked):

    - *warning* (`no-logs`): the role does not allow `logs:CreateLogStream` and `logs:PutLogEvents`
      (for example through `AWSLambdaBasicExecutionRole`);
    - *warning* (`no-tracing-permission`): the function has `TracingConfig.Mode: Active` (SAM
      `Tracing: Active`, also from `Globals`) and the role does not allow `xray:PutTraceSegments` and
      `xray:PutTelemetryRecords` (for example through `AWSXRayDaemonWriteAccess`);
    - *info* (`shared-role`): one role is the execution role of several functions.

    A role outside the template, a policy whose grants are not known and a permissions boundary make a
    check not evaluated. Log permissions granted only on a specific log group ARN count when they match it.

    **Why it matters.** Without the log permissions the function runs but writes no logs, so failures
    are invisible; without the X-Ray permissions traces are silently dropped. A role shared by functions
    with different jobs grants each of them the others' permissions and widens the blast radius.

    **Example (fails).**

        WorkerRole:
          Type: AWS::IAM::Role
          Properties:
            Policies:
              - PolicyName: data
                PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}

    **Fix.** Add `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` (and
    `arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess` for traced functions) to `ManagedPolicyArns`, and
    give each function its own role.
    """
    users = {}
    for function in graph.of_type(*FUNCTION_TYPES):
        role, why = function_role(graph, function)
        if role is None:
            if "has no Role" not in why:
                ctx.not_evaluated(function, why)
            continue
        if role.implicit:
            continue
        users.setdefault(role.logical_id, (role, []))[1].append(function)
        at = "Role" if function.has("Role") else None
        missing = _missing(ctx, graph, function, role, _LOG_ACTIONS)
        if missing:
            yield ctx.finding(function, f"function {function.describe()} uses execution role {role.describe()}, which "
                                        f"does not allow {', '.join(missing)}: the function writes no logs; attach "
                                        "AWSLambdaBasicExecutionRole", check="no-logs", at=at, related=[role])
        path = "Tracing" if function.type == "AWS::Serverless::Function" else "TracingConfig.Mode"
        for (mode,) in ctx.cases(function, function.get(path, default=False), convert=as_text):
            if mode.value != "Active":
                continue
            missing = _missing(ctx, graph, function, role, _TRACE_ACTIONS)
            if missing:
                yield ctx.finding(function, f"function {function.describe()} has {mode.cite(path)} but its execution "
                                            f"role {role.describe()} does not allow {', '.join(missing)}: traces are "
                                            "dropped; attach AWSXRayDaemonWriteAccess",
                                  check="no-tracing-permission", at=path, related=[role], cases=(mode,))
    for role, functions in users.values():
        if len(functions) > 1:
            names = ", ".join(f.describe() for f in functions[:4]) + (
                f" and {len(functions) - 4} more" if len(functions) > 4 else "")
            yield ctx.finding(role, f"role {role.describe()} is the execution role of {len(functions)} functions "
                                    f"({names}): each gets the permissions all of them need; prefer one role per "
                                    "function", severity="info", check="shared-role", related=functions)


def _missing(ctx, graph, function, role, actions):
    """The actions the role does not allow; [] when all are allowed or some cannot be told (recorded)."""
    verdicts = [(a, role_allows(graph, role, a)) for a in actions]
    unsure = next((v for _a, v in verdicts if v.unknown), None)
    missing = [a for a, v in verdicts if v.no]
    if unsure is not None and not missing:
        ctx.not_evaluated(function, unsure.reason)
    return missing
