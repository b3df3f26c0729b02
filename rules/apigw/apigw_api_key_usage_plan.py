"""APG005 apigw-api-key-usage-plan."""
from linter.model import HTTP_API_TYPES, Value, as_bool, as_text, kinds, rest_api_of, rule


def _upper(case):
    text = as_text(case)
    return text.upper() if text is not None else None


@rule("APG005", "apigw-api-key-usage-plan", severity="warning", tags=("reliability", "apigateway"),
      catalogue="R67")
def api_key_usage_plan(graph, ctx):
    """API keys work only through a usage plan that covers the API and holds the keys, and only on REST APIs.

    **What it checks.**

    - `no-usage-plan` (warning): an `AWS::ApiGateway::Method` with `ApiKeyRequired: true`, or a SAM API
      with `Auth.ApiKeyRequired: true` (or an `Api` event with `Auth.ApiKeyRequired: true`), whose API no
      `AWS::ApiGateway::UsagePlan` lists in `ApiStages` and, for SAM, that has no
      `Auth.UsagePlan.CreateUsagePlan` other than `NONE` (the default).
    - `plan-without-keys` (warning): a usage plan that no `AWS::ApiGateway::UsagePlanKey` attaches a key
      to (keys added outside the template, by the console or a script, cannot be seen).
    - `http-api` (error): a usage plan or API key aimed at an HTTP API (`AWS::ApiGatewayV2::Api`,
      `AWS::Serverless::HttpApi`), which has neither.
    - `key-only-authorization` (info): a method that requires an API key and has `AuthorizationType: NONE`.

    A reference that cannot be followed is reported as not evaluated.

    **Why it matters.** A method that requires a key answers 403 Forbidden to every call unless a usage
    plan associates the API's stage with the caller's key. HTTP APIs reject usage plans and keys, so the
    deployment fails. API keys identify callers for throttling and quotas; they are not a secret and do
    not authenticate anyone.

    **Example (fails).**

        GetReport:
          Type: AWS::ApiGateway::Method
          Properties:
            ApiKeyRequired: true          # and no UsagePlan lists this API

    **Fix.** Add an `AWS::ApiGateway::UsagePlan` with `ApiStages` naming the API and stage, an
    `AWS::ApiGateway::ApiKey`, and an `AWS::ApiGateway::UsagePlanKey` joining them (SAM:
    `Auth.UsagePlan.CreateUsagePlan: PER_API`). Pair keys with IAM, Cognito or a Lambda authorizer.
    """
    planned, plan_apis = set(), {}
    for plan in graph.of_type("AWS::ApiGateway::UsagePlan"):
        for entry in plan.entries("ApiStages"):
            for case in entry.get("ApiId", default=False):
                api, reason = graph.follow(case)
                if api is None:
                    if case.value is not None:
                        ctx.not_evaluated(plan, f"the API of a usage plan stage cannot be followed: {reason}")
                        planned.add("?")
                    continue
                plan_apis.setdefault(plan.logical_id, []).append(api)
                planned.add(api.logical_id)
                if api.type in HTTP_API_TYPES:
                    yield ctx.finding(plan, f"usage plan {plan.describe()} names HTTP API {api.describe()}: HTTP "
                                            "APIs have no usage plans or API keys and the deployment fails",
                                      severity="error", check="http-api", at=entry.at, related=[api])
    for key in graph.of_type("AWS::ApiGateway::ApiKey"):
        for entry in key.entries("StageKeys"):
            for case in entry.get("RestApiId", default=False):
                api, _reason = graph.follow(case)
                if api is not None and api.type in HTTP_API_TYPES:
                    yield ctx.finding(key, f"API key {key.describe()} names HTTP API {api.describe()}, which "
                                           "has no API keys", severity="error", check="http-api", at=entry.at,
                                      related=[api])
    keyed = set()
    for link in graph.of_type("AWS::ApiGateway::UsagePlanKey"):
        for case in link.get("UsagePlanId", default=False):
            plan, _reason = graph.follow(case)
            keyed.add(plan.logical_id if plan is not None else "?")
    for plan in graph.of_type("AWS::ApiGateway::UsagePlan"):
        if plan.logical_id not in keyed and "?" not in keyed and plan_apis.get(plan.logical_id):
            yield ctx.finding(plan, f"no UsagePlanKey attaches an API key to usage plan {plan.describe()}: its "
                                    "throttle and quota apply to no caller, and a key-protected method admits "
                                    "nobody, unless keys are attached outside this template",
                              check="plan-without-keys")

    def uncovered(api):
        return "?" not in planned and api.logical_id not in planned

    for method in graph.of_type("AWS::ApiGateway::Method"):
        for required, auth in ctx.cases(method, method.get("ApiKeyRequired"), method.get("AuthorizationType"),
                                        convert=(as_bool, _upper)):
            if not required.value:
                continue
            if auth.value == "NONE":
                yield ctx.finding(method, f"method {method.describe()} relies on an API key alone "
                                          f"(AuthorizationType {auth.show()}): keys identify callers, they do not "
                                          "authenticate them", severity="info", check="key-only-authorization",
                                  at="ApiKeyRequired", cases=(required, auth))
            for _required, api in ctx.cases(method, Value([required]), rest_api_of(method)):
                if api.value is not None and uncovered(api.value):
                    yield ctx.finding(method, f"method {method.describe()} requires an API key "
                                              f"({required.cite('ApiKeyRequired')}) but no usage plan includes API "
                                              f"{api.value.describe()}: every call gets 403 Forbidden",
                                      check="no-usage-plan", at="ApiKeyRequired", related=[api.value],
                                      cases=(required, api))
    for api in graph.of_type("AWS::Serverless::Api"):
        events = [e for e in graph.edges(kinds.INVOKES, source=api) if e.via is not None and e.via is not api]
        required = [api.get("Auth.ApiKeyRequired")] + [
            e.via.get(f"{e.at}.Properties.Auth.ApiKeyRequired", default=False) for e in events]
        for value in required:
            for (needed,) in ctx.cases(api, value, convert=as_bool):
                if not needed.value or not uncovered(api):
                    continue
                for _needed, plan in ctx.cases(api, Value([needed]), api.get("Auth.UsagePlan.CreateUsagePlan"),
                                               convert=(None, _upper)):
                    if plan.value == "NONE":
                        yield ctx.finding(api, f"API {api.describe()} requires API keys "
                                               f"({needed.cite('ApiKeyRequired')}) but has no usage plan "
                                               f"(CreateUsagePlan {plan.show()}) and none lists it: every call "
                                               "gets 403 Forbidden", check="no-usage-plan", cases=(needed, plan))
