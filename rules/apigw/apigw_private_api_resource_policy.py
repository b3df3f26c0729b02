"""APG002 apigw-private-api-resource-policy."""
from linter.model import REST_API_TYPES, RESTRICTS_VPC, Value, endpoint_types, resource_policy_restrictions, rule


def shown(types) -> str:
    """``PRIVATE (set on line 12)``: the endpoint types with their origin."""
    text = ", ".join(types.value)
    return f"{text} ({types.origin})" if types.origin else text


@rule("APG002", "apigw-private-api-resource-policy", severity="error",
      tags=("security", "deployment", "apigateway"), catalogue="R47")
def private_api_resource_policy(graph, ctx):
    """A private REST API needs a resource policy, and that policy should name the VPCs or endpoints allowed in.

    **What it checks.** For every `AWS::ApiGateway::RestApi` whose `EndpointConfiguration.Types` is
    `PRIVATE`, and every SAM `AWS::Serverless::Api` (including the one SAM creates for `Api` events, with
    `Globals.Api`) whose `EndpointConfiguration` is `PRIVATE`, it looks for a resource policy: `Policy`,
    SAM's `Auth.ResourcePolicy`, or `x-amazon-apigateway-policy` in the inline OpenAPI body. The endpoint
    type defaults to `EDGE` when absent.

    - `missing-policy` (error): a private API without any resource policy.
    - `no-vpc-condition` (warning): a policy that does not limit callers by `aws:SourceVpce` /
      `aws:SourceVpc` (or SAM's `SourceVpcWhitelist`, `IntrinsicVpceWhitelist` … shorthands).

    An endpoint type or policy that cannot be resolved, or an API definition kept in a separate file
    (`BodyS3Location`, `DefinitionUri`), is reported as not evaluated.

    **Why it matters.** API Gateway refuses to deploy a private API that has no resource policy, so the
    stack fails. A policy that lets in every VPC endpoint opens the API to endpoints in other VPCs and
    accounts, which is rarely what "private" was meant to say.

    **Example (fails).**

        PrivateApi:
          Type: AWS::ApiGateway::RestApi
          Properties:
            Name: internal
            EndpointConfiguration:
              Types: [PRIVATE]

    **Fix.**

        PrivateApi:
          Type: AWS::ApiGateway::RestApi
          Properties:
            Name: internal
            EndpointConfiguration:
              Types: [PRIVATE]
              VpcEndpointIds: [!Ref ApiEndpoint]
            Policy:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: "*"
                  Action: execute-api:Invoke
                  Resource: execute-api:/*
                  Condition:
                    StringEquals: {aws:SourceVpce: !Ref ApiEndpoint}

    See https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-create.html
    """
    for api in graph.of_type(*REST_API_TYPES):
        policy_at = next((p for p in ("Policy", "Auth.ResourcePolicy") if api.has(p)), None)
        advice = "Policy" if api.type == "AWS::ApiGateway::RestApi" else "Auth.ResourcePolicy"
        types_at = "EndpointConfiguration" if api.has("EndpointConfiguration") else None
        restrictions = resource_policy_restrictions(api)
        for (types,) in ctx.cases(api, endpoint_types(api)):
            if "PRIVATE" not in types.value:
                continue
            for _types, restricted in ctx.cases(api, Value([types]), restrictions):
                if restricted.value is None:
                    yield ctx.finding(
                        api, f"private API {api.describe()} (endpoint type {shown(types)}) has no resource "
                             f"policy: API Gateway refuses to deploy it; add {advice} allowing your VPC endpoint",
                        check="missing-policy", at=types_at, cases=(types, restricted))
                elif RESTRICTS_VPC not in restricted.value:
                    yield ctx.finding(
                        api, f"the resource policy of private API {api.describe()} does not limit callers by "
                             "aws:SourceVpce or aws:SourceVpc: any VPC endpoint, in any account, may reach it; "
                             "add a condition naming your endpoints or VPCs",
                        severity="warning", check="no-vpc-condition",
                        at=policy_at or types_at, cases=(types, restricted))
