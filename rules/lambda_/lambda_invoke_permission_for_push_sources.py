"""LAM003 lambda-invoke-permission-for-push-sources."""
from linter.model import FUNCTION_TYPES, kinds, permission_allows, rule, sam_connector_destinations

# The service principal each push invoker calls Lambda as, and where to find the resource a
# permission's SourceArn names (the API of a method or integration; else the invoker itself).
_PRINCIPALS = {
    "AWS::ApiGateway::Method": ("apigateway.amazonaws.com", "RestApiId"),
    "AWS::ApiGateway::RestApi": ("apigateway.amazonaws.com", None),
    "AWS::Serverless::Api": ("apigateway.amazonaws.com", None),
    "AWS::ApiGatewayV2::Integration": ("apigateway.amazonaws.com", "ApiId"),
    "AWS::ApiGatewayV2::Api": ("apigateway.amazonaws.com", None),
    "AWS::Serverless::HttpApi": ("apigateway.amazonaws.com", None),
    "AWS::S3::Bucket": ("s3.amazonaws.com", None),
    "AWS::SNS::Topic": ("sns.amazonaws.com", None),
    "AWS::Events::Rule": ("events.amazonaws.com", None),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("elasticloadbalancing.amazonaws.com", None),
    "AWS::Logs::SubscriptionFilter": ("logs.amazonaws.com", None),
    "AWS::IoT::TopicRule": ("iot.amazonaws.com", None),
}
_CONSEQUENCE = {
    "apigateway.amazonaws.com": "the API answers 500 for every call",
    "s3.amazonaws.com": "S3 rejects the notification configuration at deploy time",
    "elasticloadbalancing.amazonaws.com": "registering the function in the target group fails",
}


@rule("LAM003", "lambda-invoke-permission-for-push-sources", severity="error",
      tags=("correctness", "lambda", "iam"), catalogue="R11")
def invoke_permission_for_push_sources(graph, ctx):
    """Every service that pushes events to a function needs a Lambda permission (AWS::Lambda::Permission) for it.

    **What it checks.** For every push invoker of a function in the template — API Gateway REST methods
    and HTTP API integrations (and APIs whose OpenAPI body integrates the function), S3 notifications,
    SNS subscriptions, EventBridge rules, ALB target groups, CloudWatch Logs
    subscription filters and IoT rules — some `AWS::Lambda::Permission` whose `FunctionName` leads to
    the function must let that service's principal (`apigateway.amazonaws.com`, `s3.amazonaws.com`,
    `sns.amazonaws.com`, `events.amazonaws.com`, `elasticloadbalancing.amazonaws.com`,
    `logs.amazonaws.com`, `iot.amazonaws.com`) call
    `lambda:InvokeFunction`, from that source when the permission sets `SourceArn`. Missing: *error*.
    SAM events create these permissions themselves and are not flagged; neither is a function that a
    SAM connector (`AWS::Serverless::Connector`, embedded `Connectors`) names as its destination.
    Cognito user pool triggers are COG001's (cognito-lambda-trigger), which judges them with the rest of
    the trigger's contract, so one missing permission is reported once.

    A permission whose function, principal or source is known only at deploy time, or that exists only
    in some scenarios, makes the check not evaluated. The rule does not match the permission's
    qualifier (alias or version) with the one invoked, nor API stage variables; invokers that use an IAM
    role instead (Step Functions, EventBridge Scheduler, Pipes) are not concerned.

    **Why it matters.** A service may invoke a function only if the function's resource policy allows
    it. Without the permission, API Gateway returns 500, S3 refuses the notification at deploy time,
    and SNS or EventBridge deliveries fail silently.

    **Example (fails).**

        Rule:
          Type: AWS::Events::Rule
          Properties:
            ScheduleExpression: rate(1 hour)
            Targets: [{Id: cleanup, Arn: !GetAtt Cleanup.Arn}]
        # no AWS::Lambda::Permission for events.amazonaws.com

    **Fix.**

        CleanupPermission:
          Type: AWS::Lambda::Permission
          Properties:
            Action: lambda:InvokeFunction
            FunctionName: !Ref Cleanup
            Principal: events.amazonaws.com
            SourceArn: !GetAtt Rule.Arn
    """
    connected = sam_connector_destinations(graph)
    for link in graph.edges(kinds.INVOKES, target_type=FUNCTION_TYPES):
        invoker, function = link.source, link.target
        if invoker.type not in _PRINCIPALS or function.logical_id in connected:
            continue
        principal, api_path = _PRINCIPALS[invoker.type]
        source = invoker
        if api_path:
            apis = [graph.follow(c)[0] for c in invoker.get(api_path, default=False)]
            source = apis[0] if len(apis) == 1 and apis[0] is not None else None
        verdict = permission_allows(graph, function, principal, source_arn=source)
        if verdict.unknown:
            ctx.not_evaluated(link, verdict.reason)
        elif verdict.no:
            consequence = _CONSEQUENCE.get(principal, "its deliveries fail silently")
            yield ctx.finding(
                link, f"{invoker.describe()} invokes function {function.describe()} but no AWS::Lambda::Permission "
                      f"lets {principal} call it{' from ' + source.describe() if source is not None else ''} "
                      f"({verdict.reason}): {consequence}; add a permission for {principal}",
                related=[function], cases=(link,))
