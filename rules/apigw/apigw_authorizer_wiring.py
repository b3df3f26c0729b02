"""APG006 apigw-authorizer-wiring."""
from linter.model import Case, FUNCTION_TYPES, as_bool, as_list, as_number, as_text, permission_allows, rule

PRINCIPAL = "apigateway.amazonaws.com"
USER_POOL = "AWS::Cognito::UserPool"
NESTED_STACKS = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")


def _upper(case):
    text = as_text(case)
    return text.upper() if text is not None else None


@rule("APG006", "apigw-authorizer-wiring", severity="error", tags=("security", "deployment", "apigateway"),
      catalogue="R68")
def authorizer_wiring(graph, ctx):
    """API Gateway authorizers must be complete: methods name them, Cognito authorizers name user pools, Lambda authorizers may be invoked.

    **What it checks.**

    - `missing-authorizer-id` (error): an `AWS::ApiGateway::Method` with `AuthorizationType`
      `COGNITO_USER_POOLS` or `CUSTOM` and no `AuthorizerId`.
    - `provider-arns` (error): an `AWS::ApiGateway::Authorizer` of `Type: COGNITO_USER_POOLS` without
      `ProviderARNs`, or naming a resource of this template that is not an `AWS::Cognito::UserPool`
      (literal ARNs of pools elsewhere, and outputs of nested stacks, are not evaluated).
    - `invoke-permission` (error): a Lambda authorizer (`AWS::ApiGateway::Authorizer` of `Type`
      `TOKEN`/`REQUEST`, `AWS::ApiGatewayV2::Authorizer` of `AuthorizerType: REQUEST`, or a SAM `HttpApi`
      Lambda authorizer without `EnableFunctionDefaultPermissions: true`, whose default is false) whose
      function, defined in this template, no `AWS::Lambda::Permission` lets `apigateway.amazonaws.com`
      invoke, and that sets no role for API Gateway to call it with (`AuthorizerCredentials`,
      `AuthorizerCredentialsArn`, SAM `FunctionInvokeRole`). SAM REST `Api` authorizers get their
      permission from SAM and are not checked; neither is a function for which another SAM HttpApi
      authorizer enables the default permission (that permission serves every authorizer).
    - `ttl-range` (error): `AuthorizerResultTtlInSeconds` outside 0–3600.

    A permission limited by `SourceArn`, or any value that cannot be resolved, is reported as not
    evaluated.

    **Why it matters.** CloudFormation rejects a Cognito or custom method without an authorizer. An
    authorizer that API Gateway may not invoke fails every request with 500 / 401 at run time, although
    the deployment succeeds. Authorizer results are cached (300 s by default) keyed by the token, so a
    Lambda authorizer's policy must cover every method the caller may use in that time.

    **Example (fails).**

        HttpApi:
          Type: AWS::Serverless::HttpApi
          Properties:
            Auth:
              Authorizers:
                TokenCheck:
                  FunctionArn: !GetAtt AuthFunction.Arn     # no permission for API Gateway

    **Fix.** Add `EnableFunctionDefaultPermissions: true` (SAM HttpApi), or an `AWS::Lambda::Permission`
    with `Principal: apigateway.amazonaws.com` for the authorizer function.
    """
    for method in graph.of_type("AWS::ApiGateway::Method"):
        for kind, authorizer in ctx.cases(method, method.get("AuthorizationType"),
                                          method.get("AuthorizerId", default=False), convert=(_upper, None)):
            if kind.value in ("COGNITO_USER_POOLS", "CUSTOM") and authorizer.value is None:
                yield ctx.finding(method, f"method {method.describe()} has AuthorizationType {kind.show()} but no "
                                          "AuthorizerId: CloudFormation rejects it; name the authorizer",
                                  check="missing-authorizer-id", at="AuthorizationType", cases=(kind, authorizer))
    for authorizer in graph.of_type("AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer"):
        v2 = authorizer.type == "AWS::ApiGatewayV2::Authorizer"
        type_key = "AuthorizerType" if v2 else "Type"
        ttl_key = "AuthorizerResultTtlInSeconds"
        if authorizer.has(ttl_key):
            for (ttl,) in ctx.cases(authorizer, authorizer.get(ttl_key), convert=as_number):
                if not 0 <= ttl.value <= 3600:
                    yield ctx.finding(authorizer, f"authorizer {authorizer.describe()} caches results for "
                                                  f"{ttl.show('s')}; it must be within 0-3600 s", check="ttl-range",
                                      at=ttl_key, cases=(ttl,))
        for (kind,) in ctx.cases(authorizer, authorizer.get(type_key, default=False), convert=_upper):
            if kind.value == "COGNITO_USER_POOLS" and not v2:
                yield from _cognito(graph, ctx, authorizer, kind)
            elif kind.value in ("TOKEN", "REQUEST") and not authorizer.has(
                    "AuthorizerCredentialsArn" if v2 else "AuthorizerCredentials"):
                yield from _lambda_authorizer(graph, ctx, authorizer, "AuthorizerUri", kind, kind.cite(type_key))
    # SAM adds a permission for a function when one HttpApi authorizer enables it; it serves every authorizer.
    permitted = set()
    for api in graph.of_type("AWS::Serverless::HttpApi"):
        authorizers = api.get("Auth.Authorizers", default=False).single
        for name in (authorizers if isinstance(authorizers, dict) else {}):
            path = f"Auth.Authorizers.{name}"
            if api.get(f"{path}.EnableFunctionDefaultPermissions", default=False).any(
                    lambda v: str(v).lower() == "true", unknown=False):
                permitted.update(graph.follow(c)[0]
                                 for c in api.get(f"{path}.FunctionArn", default=False).known_cases())
    for api in graph.of_type("AWS::Serverless::HttpApi"):
        for (authorizers,) in ctx.cases(api, api.get("Auth.Authorizers", default=False)):
            for name in (authorizers.value if isinstance(authorizers.value, dict) else {}):
                path = f"Auth.Authorizers.{name}"
                if not api.has(f"{path}.FunctionArn") or api.has(f"{path}.FunctionInvokeRole"):
                    continue  # no Lambda authorizer, or API Gateway calls it with a role instead of a permission
                for (enabled,) in ctx.cases(api, api.get(f"{path}.EnableFunctionDefaultPermissions", default=False),
                                            convert=as_bool):
                    if not enabled.value:
                        said = ("EnableFunctionDefaultPermissions false, the SAM default" if enabled.value is None
                                else enabled.cite("EnableFunctionDefaultPermissions"))
                        yield from _lambda_authorizer(graph, ctx, api, f"{path}.FunctionArn", enabled, said,
                                                      check=f"invoke-permission {name}", permitted=permitted)


def _cognito(graph, ctx, authorizer, kind):
    if not authorizer.has("ProviderARNs"):
        yield ctx.finding(authorizer, f"Cognito authorizer {authorizer.describe()} ({kind.cite('Type')}) has no "
                                      "ProviderARNs: name the user pools whose tokens it accepts",
                          check="provider-arns", at="Type", cases=(kind,))
        return
    for (arns,) in ctx.cases(authorizer, authorizer.get("ProviderARNs"), convert=as_list):
        for arn in arns.value:
            from_case = Case(arn, arns.origin, arns.assumptions)
            target, _reason = graph.follow(from_case)
            if target is not None and target.type in NESTED_STACKS:
                ctx.not_evaluated(authorizer, f"ProviderARNs names an output of {target.describe()}, not seen here")
            elif target is not None and target.type != USER_POOL:
                yield ctx.finding(authorizer, f"Cognito authorizer {authorizer.describe()} lists {target.describe()} "
                                              f"({target.type}) in ProviderARNs, which is not a user pool",
                                  check="provider-arns", at="ProviderARNs", related=[target], cases=(arns,))


def _lambda_authorizer(graph, ctx, holder, path, because, said, check="invoke-permission", permitted=()):
    for case in holder.get(path, default=False):
        if case.value is None:  # not written
            continue
        function, reason = graph.follow(case, FUNCTION_TYPES)
        if function is None or function.type not in FUNCTION_TYPES:
            if "not a resource of this template" not in reason:
                ctx.not_evaluated(holder, f"the authorizer function at {path} cannot be followed: {reason}")
            continue
        if function in permitted:
            continue
        verdict = permission_allows(graph, function, PRINCIPAL)
        if verdict.unknown:
            ctx.not_evaluated(holder, verdict.reason)
        elif verdict.no:
            yield ctx.finding(holder, f"Lambda authorizer {holder.describe()} calls {function.describe()}, but no "
                                      f"Lambda permission lets {PRINCIPAL} invoke it ({said}): every "
                                      "request is refused at run time; add an AWS::Lambda::Permission",
                              check=check, at=path, related=[function], cases=(because, case))
