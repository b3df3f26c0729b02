"""APG001 apigw-integration-timeout-vs-lambda."""
from linter.model import FUNCTION_TYPES, as_number, kinds, rule

# Resources whose `invokes` edges are API Gateway integrations (methods, HTTP API integrations, OpenAPI
# bodies, and the APIs of SAM Api / HttpApi events).
API_INVOKERS = ("AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Integration", "AWS::ApiGateway::RestApi",
                "AWS::Serverless::Api", "AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi")
REST_INVOKERS = ("AWS::ApiGateway::Method", "AWS::ApiGateway::RestApi", "AWS::Serverless::Api")
# Above this, a REST integration timeout needs a quota increase (and a Regional or private API).
REST_TIMEOUT_QUOTA_MS = 29000


@rule("APG001", "apigw-integration-timeout-vs-lambda", severity="warning",
      tags=("reliability", "apigateway", "lambda"), catalogue="R10")
def integration_timeout_vs_function(graph, ctx):
    """A Lambda function behind API Gateway should finish within the integration timeout.

    **What it checks.** For every synchronous API Gateway integration of a Lambda function — an
    `AWS::ApiGateway::Method` with a Lambda `Integration.Uri`, an `AWS::ApiGatewayV2::Integration`, an
    `x-amazon-apigateway-integration` in an OpenAPI body, or a SAM `Api` / `HttpApi` event (including the
    API SAM creates for events that name none) — it compares the function's `Timeout` (the resource's
    value, else `Globals.Function.Timeout`, else 3 s) with the integration's `TimeoutInMillis`
    (29000 ms for REST and WebSocket APIs, 30000 ms for HTTP APIs when absent).

    - `function-outlives-integration` (warning): the function may run longer than API Gateway waits.
    - `rest-timeout-above-quota` (info): a REST integration timeout above 29 s, which only works with a
      raised quota and only on Regional or private APIs.

    Integrations that invoke the function asynchronously (`X-Amz-Invocation-Type: 'Event'`) are not
    compared. A timeout or invocation type that cannot be resolved, or an API definition kept in a
    separate file, is reported as not evaluated. How long the function really runs cannot be seen in
    the template: only the configured limits are compared.

    **Why it matters.** When the integration times out, the client gets a 504 while the function keeps
    running: it may still commit work the client believes failed (and retries), and it keeps holding
    concurrency. Long work belongs behind an asynchronous pattern (a queue or a Step Functions
    execution) that the API only starts.

    **Example (fails).**

        Globals:
          Function:
            Timeout: 60
        Resources:
          Report:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                Get: {Type: Api, Properties: {Path: /report, Method: get}}   # REST: 29 s

    **Fix.** Keep the function's timeout within the integration's (e.g. `Timeout: 25`), or accept the
    request, queue the work and return at once.
    """
    for function in graph.of_type(*FUNCTION_TYPES):
        timeout = function.get("Timeout")
        for edge in graph.invokers(function):
            if edge.kind != kinds.INVOKES or edge.source.type not in API_INVOKERS:
                continue
            if not edge.mode:
                ctx.not_evaluated(edge, f"the invocation type of {edge.source.describe()}'s integration of "
                                        f"{function.describe()} cannot be resolved")
                continue
            if edge.mode != kinds.SYNC:
                continue
            related = [function] if edge.via is not function else [edge.source]
            rest = edge.source.type in REST_INVOKERS
            for t, limit in ctx.cases(edge, timeout, edge.get("TimeoutInMillis"), convert=as_number,
                                      worst=(max, min)):
                if t.value * 1000 > limit.value:
                    yield ctx.finding(
                        edge,
                        f"function {function.describe()} may run {t.show('s')}, longer than the API Gateway "
                        f"integration of {edge.source.describe()} waits, {limit.show('ms')}: the client gets a "
                        "504 while the function keeps running; shorten the function timeout or make the "
                        "work asynchronous",
                        check="function-outlives-integration", related=related, cases=(t, limit, edge))
                if rest and limit.value > REST_TIMEOUT_QUOTA_MS:
                    yield ctx.finding(
                        edge,
                        f"the REST integration of {edge.source.describe()} with {function.describe()} waits "
                        f"{limit.show('ms')}, above the 29000 ms quota: this needs a quota increase and a "
                        "Regional or private API",
                        severity="info", check="rest-timeout-above-quota", related=related, cases=(limit, edge))
    for loose in graph.dangling_links(kinds.INVOKES):
        if loose.holder.type in API_INVOKERS:
            ctx.not_evaluated(loose.holder, f"the integration at {loose.at} cannot be followed: {loose.reason}")
