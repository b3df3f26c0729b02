"""APG004 apigw-method-authorization."""
from linter.model import (REST_API_TYPES, Value, as_text, endpoint_types, kinds, resource_policy_restrictions,
                         rest_api_of, rule)

SAM_APIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")


def _upper(case):
    text = as_text(case)
    return text.upper() if text is not None else None


@rule("APG004", "apigw-method-authorization", severity="warning", tags=("security", "apigateway"),
      catalogue="R66")
def method_authorization(graph, ctx):
    """API methods open to anyone should be a deliberate choice: require an authorizer, IAM or a resource policy.

    **What it checks.** Warns on every API route that anyone on the internet can call without
    credentials:

    - an `AWS::ApiGateway::Method` other than `OPTIONS` whose `AuthorizationType` is `NONE` (the default
      when absent), on a REST API that is not `PRIVATE` and whose resource policy (`Policy`, SAM
      `Auth.ResourcePolicy`, or `x-amazon-apigateway-policy` in the body) does not restrict callers by
      VPC, source IP, account or principal;
    - a SAM `Api` event without `Auth.Authorizer` on an API without `Auth.DefaultAuthorizer` (or with
      `Authorizer: NONE`), under the same policy conditions; a SAM `HttpApi` event likewise;
    - an `AWS::ApiGatewayV2::Route` of an HTTP API with `AuthorizationType: NONE` (the default), other
      than `OPTIONS` routes; on a WebSocket API only the `$connect` route is checked.

    A route that is meant to be public (a health check, a login endpoint) is silenced with a resource
    Metadata suppression (`Metadata: {cfn-arch-lint: {ignore: [APG004]}}`). An API that cannot be
    followed, a policy or body that cannot be read, or an unresolved authorization type is reported as
    not evaluated. A SAM API whose OpenAPI body sets `security` for the event's path (or globally) counts
    as authorized; methods written only inside an OpenAPI body are not checked.

    **Why it matters.** API Gateway does not authenticate anything by default. An unauthenticated write
    or data endpoint is open to the whole internet; IAM, Cognito or a Lambda authorizer keep identity at
    the edge instead of in hand-written code or shared keys.

    **Example (fails).**

        GetOrders:
          Type: AWS::ApiGateway::Method
          Properties:
            HttpMethod: GET
            AuthorizationType: NONE

    **Fix.** Set `AuthorizationType: AWS_IAM` (or `COGNITO_USER_POOLS` / `CUSTOM` with an `AuthorizerId`),
    a SAM `Auth.DefaultAuthorizer`, or a resource policy that limits callers.
    """
    for method in graph.of_type("AWS::ApiGateway::Method"):
        for auth, verb in ctx.cases(method, method.get("AuthorizationType"), method.get("HttpMethod"),
                                    convert=_upper):
            if auth.value != "NONE" or verb.value == "OPTIONS":
                continue
            for _auth, api in ctx.cases(method, Value([auth]), rest_api_of(method)):
                if api.value is None:
                    continue
                at = "AuthorizationType" if method.has("AuthorizationType") else "HttpMethod"
                yield from _open_rest(ctx, method, api.value, (auth, verb, api), at,
                                      f"method {verb.value} {method.describe()} has AuthorizationType "
                                      f"{auth.show()}")
    for edge in graph.edges(kinds.INVOKES, source_type=SAM_APIS):
        if edge.via is None or edge.via is edge.source:
            continue  # an integration written in the API's own body, not a SAM event
        api, owner = edge.source, edge.via
        event = f"{edge.at}.Properties"
        verb = owner.get(f"{event}.Method", default=False)
        own = owner.get(f"{event}.Auth.Authorizer", default=False)
        default = api.get("Auth.DefaultAuthorizer", default=False)
        for v, mine, fallback in ctx.cases(edge, verb, own, default):
            chosen = mine if mine.value is not None else fallback
            if str(v.value).upper() == "OPTIONS" or (chosen.value is not None and chosen.value != "NONE"):
                continue
            if _body_secures(ctx, edge, api, owner, event):
                continue
            what = (f"Auth.Authorizer {mine.show()}" if mine.value is not None else
                    "no Auth.Authorizer, and its API has no Auth.DefaultAuthorizer")
            text = f"SAM event {edge.at} of {owner.describe()} has {what}"
            if api.type == "AWS::Serverless::HttpApi":
                yield _finding(ctx, edge, text, None, (v, mine, fallback), [api])
            else:
                yield from _open_rest(ctx, edge, api, (v, mine, fallback), None, text)
    for route in graph.of_type("AWS::ApiGatewayV2::Route"):
        for auth, key in ctx.cases(route, route.get("AuthorizationType"), route.get("RouteKey"),
                                   convert=(_upper, as_text)):
            if auth.value != "NONE" or key.value.upper().startswith("OPTIONS "):
                continue
            for case in route.get("ApiId", default=False):
                api, _reason = graph.follow(case)
                if api is not None and api.type == "AWS::ApiGatewayV2::Api":
                    protocol = api.get("ProtocolType").single
                    if str(protocol).upper() == "WEBSOCKET" and key.value != "$connect":
                        break
            else:
                yield _finding(ctx, route, f"route {key.value} of {route.describe()} has AuthorizationType "
                                           f"{auth.show()}", "AuthorizationType" if route.has(
                                               "AuthorizationType") else "RouteKey", (auth, key), [])


def _body_secures(ctx, edge, api, owner, event) -> bool:
    """Whether the API's own OpenAPI body sets ``security`` (globally or on the event's path), which SAM keeps;
    True also when that cannot be told (then the edge is recorded as not evaluated)."""
    if api.has("DefinitionUri") and not api.has("DefinitionBody"):
        ctx.not_evaluated(edge, f"the definition of API {api.describe()} is in a separate file (DefinitionUri): "
                                "it may set security for this path")
        return True
    if not api.has("DefinitionBody"):
        return False
    path = owner.get(f"{event}.Path", default=False)
    for body, where in ctx.cases(edge, api.get("DefinitionBody", default=False), path):
        document = body.value
        if not isinstance(document, dict) or "Fn::Transform" in document:
            ctx.not_evaluated(edge, f"the OpenAPI body of API {api.describe()} cannot be read: it may set security")
            return True
        if document.get("security"):
            return True
        operations = (document.get("paths") or {}).get(where.value) if isinstance(document.get("paths"), dict) else None
        if isinstance(operations, dict) and any(isinstance(op, dict) and op.get("security")
                                                for op in operations.values()):
            return True
    return False


def _open_rest(ctx, subject, api, cases, at, text):
    """A finding when the REST API is public and its resource policy restricts no caller."""
    for types, restricted in ctx.cases(subject, endpoint_types(api), resource_policy_restrictions(api)):
        if "PRIVATE" in types.value or restricted.value:
            continue
        yield _finding(ctx, subject, f"{text}, and API {api.describe()} has "
                                     f"{'no resource policy' if restricted.value is None else 'a resource policy that restricts no caller'}",
                       at, (*cases, types, restricted), [api] if api is not subject else [])


def _finding(ctx, subject, text, at, cases, related):
    return ctx.finding(subject, f"{text}: anyone on the internet can call it without credentials; add IAM, "
                                "Cognito or a Lambda authorizer, or suppress it if it is public on purpose",
                       at=at, cases=cases, related=related)
