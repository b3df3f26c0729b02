"""COG001 cognito-lambda-trigger."""
from linter.model import FUNCTION_TYPES, as_list, as_number, kinds, permission_allows, presence, rule

USER_POOL = "AWS::Cognito::UserPool"
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"
# Cognito waits this long for each synchronous trigger attempt (three attempts in all).
TRIGGER_WAIT = 5
# Custom sender triggers hand a message over to the function and are not part of the user's wait.
SENDER_TRIGGERS = ("CustomSMSSender", "CustomEmailSender")


@rule("COG001", "cognito-lambda-trigger", severity="error", tags=("correctness", "cognito", "lambda"),
      catalogue="R69")
def cognito_lambda_trigger(graph, ctx):
    """A Cognito user pool's Lambda triggers must be invocable by Cognito and answer within its 5-second wait.

    **What it checks.** For every function of the template that an `AWS::Cognito::UserPool` calls as a
    trigger — through `LambdaConfig` (`PreSignUp`, `PreAuthentication`, `PostConfirmation`,
    `PreTokenGeneration`, `CustomMessage`, `DefineAuthChallenge`, `UserMigration`, …) or a SAM
    `Cognito` event:

    - **error** (`permission`): some `AWS::Lambda::Permission` must let `cognito-idp.amazonaws.com` invoke
      the function, from this pool when it sets `SourceArn`. SAM `Cognito` events create that
      permission themselves.
    - **warning** (`timeout`): the function's `Timeout` (the resource's value, else
      `Globals.Function.Timeout`, else 3 s) above 5 s. Custom SMS and email sender triggers are not
      concerned.
    - **info** (`vpc`): the function runs in a VPC (`VpcConfig`); its network interfaces add latency
      against the same 5-second budget.

    A permission whose function, principal or source is known only at deploy time, or a trigger ARN
    that cannot be followed (an import, a function of another stack), makes the check not evaluated. How
    long the function really runs cannot be seen in the template; its timeout is what is compared.
    Overlaps: LAM003 checks the invoke permission of every push source, Cognito included.

    **Why it matters.** Cognito calls triggers synchronously during sign-up and sign-in. Without the
    permission every call fails with `AccessDeniedException` and the user flow behind the trigger stops.
    Cognito waits 5 s per attempt and tries three times; a trigger that needs longer fails the sign-in
    even though the function itself would have finished within its own timeout.

    **Example (fails).**

        UserPool:
          Type: AWS::Cognito::UserPool
          Properties:
            LambdaConfig:
              PreSignUp: !GetAtt CheckInvite.Arn
        CheckInvite:
          Type: AWS::Lambda::Function
          Properties:
            Timeout: 30
            # ... and no AWS::Lambda::Permission for cognito-idp.amazonaws.com

    **Fix.**

        CheckInvitePermission:
          Type: AWS::Lambda::Permission
          Properties:
            Action: lambda:InvokeFunction
            FunctionName: !GetAtt CheckInvite.Arn
            Principal: cognito-idp.amazonaws.com
            SourceArn: !GetAtt UserPool.Arn

    and keep the trigger's `Timeout` at 5 s or less (move slow work to an asynchronous step).
    """
    for link in graph.edges(kinds.INVOKES, source_type=USER_POOL, target_type=FUNCTION_TYPES):
        pool, function = link.source, link.target
        verdict = permission_allows(graph, function, COGNITO_PRINCIPAL, source_arn=pool)
        if verdict.unknown:
            ctx.not_evaluated(link, verdict.reason)
        elif verdict.no:
            yield ctx.finding(link, f"user pool {pool.describe()} calls {function.describe()} as a trigger, but no "
                                    f"AWS::Lambda::Permission lets {COGNITO_PRINCIPAL} invoke it from this pool "
                                    f"({verdict.reason}): the trigger fails with AccessDeniedException and so do "
                                    f"the sign-ups or sign-ins behind it; add a permission for {COGNITO_PRINCIPAL}",
                              check="permission", related=[function], cases=(link,))
        for (names, timeout) in ctx.cases(link, _trigger_names(link), function.get("Timeout"),
                                          convert=(as_list, as_number)):
            waited = [str(n) for n in names.value if n is not None and n not in SENDER_TRIGGERS]
            if names.value and not waited:
                continue  # only custom sender triggers: not part of the user's wait
            if timeout.value > TRIGGER_WAIT:
                trigger = f"the {', '.join(waited)} trigger" if waited else "a trigger"
                yield ctx.finding(link, f"{function.describe()} is {trigger} of user pool "
                                        f"{pool.describe()} with a timeout of {timeout.show('s')}: Cognito waits only "
                                        f"{TRIGGER_WAIT} s per attempt, so a slower run fails the user's sign-up or "
                                        f"sign-in; keep the trigger under {TRIGGER_WAIT} s",
                                  severity="warning", check="timeout", related=[function],
                                  cases=(names, timeout, link))
        for (in_vpc,) in ctx.cases(link, presence(function.get("VpcConfig.SubnetIds", default=False))):
            if in_vpc.value:
                yield ctx.finding(link, f"trigger {function.describe()} of user pool {pool.describe()} runs in a VPC: "
                                        f"its network setup adds latency against Cognito's {TRIGGER_WAIT}-second wait",
                                  severity="info", check="vpc", related=[function], cases=(in_vpc, link))
    for loose in graph.dangling_links(kinds.INVOKES):
        if loose.holder.type == USER_POOL:
            ctx.not_evaluated(loose.holder, f"the trigger at {loose.at} cannot be followed: {loose.reason}")


def _trigger_names(link):
    """The trigger names a link stands for, as a Value of lists: ``LambdaConfig.PreSignUp`` names one, a SAM
    Cognito event names its ``Trigger`` (one name or a list)."""
    path = link.at.split(".")
    if path[0] == "LambdaConfig" and len(path) > 1:
        name = path[1][:-len("Config")] if path[1].endswith("Config") else path[1]  # PreTokenGenerationConfig
        return link.source.get(link.at).map(lambda _arn: [name])
    return link.via.get(f"{link.at}.Properties.Trigger", default=False).map(
        lambda names: names if isinstance(names, list) else [names])
