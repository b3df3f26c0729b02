"""APG007 apigw-logging-needs-account-role."""
from linter.model import allows, as_bool, as_text, depends_on, production, rule

STAGES = ("AWS::ApiGateway::Stage", "AWS::Serverless::Api")
ACCOUNT = "AWS::ApiGateway::Account"
ROLE = "AWS::IAM::Role"
PRINCIPAL = "apigateway.amazonaws.com"


def _upper(case):
    text = as_text(case)
    return text.upper() if text is not None else None


def _logging(graph, ctx, stage):
    """What CloudWatch logging the stage turns on, as (text, cases) pairs."""
    found = []
    for entry in stage.entries("MethodSettings"):
        for level, trace in ctx.cases(entry, entry.get("LoggingLevel", default=False),
                                      entry.get("DataTraceEnabled", default=False), convert=(_upper, as_bool)):
            if level.value in ("INFO", "ERROR"):
                found.append((f"execution logging ({level.cite('LoggingLevel')})", (level,)))
            elif trace.value:
                found.append((f"execution logging ({trace.cite('DataTraceEnabled')})", (trace,)))
    if stage.has("AccessLogSetting.DestinationArn"):
        found.append(("access logging (AccessLogSetting)", ()))
    return found


@rule("APG007", "apigw-logging-needs-account-role", severity="error", tags=("deployment", "observability",
                                                                             "apigateway"), catalogue="R105")
def logging_needs_account_role(graph, ctx):
    """REST API logging to CloudWatch needs the region's API Gateway account role, trusted by API Gateway and in place first.

    **What it checks.** For every `AWS::ApiGateway::Stage` and SAM `AWS::Serverless::Api` that turns on
    CloudWatch logging — a `MethodSettings[].LoggingLevel` of `INFO` or `ERROR`, `DataTraceEnabled: true`,
    or an `AccessLogSetting`:

    - `no-account` (not evaluated): the template has no `AWS::ApiGateway::Account`; whether the account
      already has a CloudWatch role cannot be seen.
    - `account-role` (error): the `AWS::ApiGateway::Account` has no `CloudWatchRoleArn`, or the role it
      names (defined in this template) does not let `apigateway.amazonaws.com` assume it.
    - `account-order` (warning): the stage does not `DependsOn` (directly or through what it depends on)
      the `AWS::ApiGateway::Account`, so CloudFormation may create it before the role is set (the API
      SAM creates for `Api` events cannot carry `DependsOn` and is not checked for this).
    - `data-trace-in-production` (info): `DataTraceEnabled: true` in a production scenario (catalogue
      convention): full requests and responses, personal data included, go to the logs.

    A role outside the template, or values that cannot be resolved, are reported as not evaluated.

    **Why it matters.** API Gateway writes logs with one role per account and region. Without it, the
    stage fails to deploy with "CloudWatch Logs role ARN must be set in account settings to enable
    logging".

    **Example (fails).**

        ApiAccount:
          Type: AWS::ApiGateway::Account
          Properties:
            CloudWatchRoleArn: !GetAtt LambdaRole.Arn    # trusted by lambda.amazonaws.com only

    **Fix.** A role that `apigateway.amazonaws.com` may assume, with the
    `AmazonAPIGatewayPushToCloudWatchLogs` managed policy, set in `AWS::ApiGateway::Account`, and
    `DependsOn: ApiAccount` on the stage (or the SAM API).
    """
    accounts = graph.of_type(ACCOUNT)
    in_production = production(graph)
    for stage in graph.of_type(*STAGES):
        logging = _logging(graph, ctx, stage)
        for entry in stage.entries("MethodSettings"):
            for trace, prod in ctx.cases(entry, entry.get("DataTraceEnabled", default=False), in_production,
                                         convert=as_bool):
                if trace.value and prod.value:
                    yield ctx.finding(entry, f"stage {stage.describe()} logs full requests and responses "
                                             f"({trace.cite('DataTraceEnabled')}) in production: personal data "
                                             "ends up in CloudWatch Logs", severity="info",
                                      check="data-trace-in-production", at="DataTraceEnabled", cases=(trace, prod))
        if not logging:
            continue
        what = logging[0][0]
        if not accounts:
            ctx.not_evaluated(stage, f"{what} needs the account's API Gateway CloudWatch role, and this template "
                                     "has no AWS::ApiGateway::Account: it depends on the account's settings")
            continue
        after = depends_on(stage, transitive=True)
        for account in accounts:
            if account.logical_id not in after and not stage.implicit:
                yield ctx.finding(stage, f"stage {stage.describe()} turns on {what} but does not DependsOn "
                                         f"{account.describe()}: CloudFormation may create the stage before the "
                                         "account's CloudWatch role is set, and the deployment fails",
                                  severity="warning", check="account-order", related=[account],
                                  cases=logging[0][1])
    for account in accounts:
        yield from _account_role(graph, ctx, account)


def _account_role(graph, ctx, account):
    for (arn,) in ctx.cases(account, account.get("CloudWatchRoleArn", default=False)):
        if arn.value is None:
            yield ctx.finding(account, f"{account.describe()} sets no CloudWatchRoleArn: API Gateway cannot "
                                       "write logs for any stage in this account and region", check="account-role")
            continue
        role, reason = graph.follow(arn)
        if role is None:
            ctx.not_evaluated(account, f"the CloudWatch role cannot be followed: {reason}")
            continue
        if role.type != ROLE:
            continue
        verdict = allows(role.get("AssumeRolePolicyDocument", default=False), principal=PRINCIPAL,
                         action="sts:AssumeRole")
        if verdict.unknown:
            ctx.not_evaluated(account, verdict.reason)
        elif verdict.no:
            yield ctx.finding(account, f"the CloudWatch role {role.describe()} of {account.describe()} does not let "
                                       f"{PRINCIPAL} assume it: stages with logging fail to deploy",
                              check="account-role", at="CloudWatchRoleArn", related=[role], cases=(arn,))
