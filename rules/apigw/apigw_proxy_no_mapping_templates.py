"""APG009 apigw-proxy-no-mapping-templates."""
from linter.model import REST_API_TYPES, as_text, rule

PROXY_TYPES = ("AWS_PROXY", "HTTP_PROXY")


def _upper(case):
    text = as_text(case)
    return text.upper() if text is not None else None


@rule("APG009", "apigw-proxy-no-mapping-templates", severity="warning", tags=("correctness", "apigateway"),
      catalogue="R107")
def proxy_without_mapping_templates(graph, ctx):
    """Mapping templates on a proxy integration are never applied; the transformation they describe does not happen.

    **What it checks.** For every `AWS::ApiGateway::Method` whose `Integration.Type` is `AWS_PROXY` or
    `HTTP_PROXY`, it warns when the integration has `RequestTemplates` or any
    `IntegrationResponses[].ResponseTemplates`. The same holds for `x-amazon-apigateway-integration`
    objects of type `aws_proxy` / `http_proxy` in the inline OpenAPI body of a REST API (`Body`, SAM
    `DefinitionBody`) with `requestTemplates` or `responses.*.responseTemplates`. Empty templates
    (`application/json: ''`) change nothing and are not flagged. An integration type
    that cannot be resolved is reported as not evaluated; bodies in separate files are not read.

    **Why it matters.** A proxy integration passes the request through and returns the backend's response
    as it is: API Gateway ignores the templates. The author expected a request or response shape that
    never reaches the backend or the client. Templates can be keyed by any media type, not only
    `application/json`.

    **Example (fails).**

        GetUser:
          Type: AWS::ApiGateway::Method
          Properties:
            Integration:
              Type: AWS_PROXY
              RequestTemplates:
                application/json: '{"id": "$input.params(''id'')"}'

    **Fix.** Remove the templates, or switch to a non-proxy integration (`Type: AWS` / `HTTP`) when the
    request or response really has to be transformed.
    """
    for method in graph.of_type("AWS::ApiGateway::Method"):
        if not method.has("Integration.Type"):
            continue
        responses = [e for e in method.entries("Integration.IntegrationResponses") if e.has("ResponseTemplates")]
        if not method.has("Integration.RequestTemplates") and not responses:
            continue
        for kind, request in ctx.cases(method, method.get("Integration.Type"),
                                       method.get("Integration.RequestTemplates", default=False),
                                       convert=(_upper, None)):
            if kind.value not in PROXY_TYPES:
                continue
            if _written(request.value):
                yield ctx.finding(method, f"method {method.describe()} has a {kind.show()} integration with "
                                          "RequestTemplates: API Gateway ignores mapping templates on proxy "
                                          "integrations, so the request reaches the backend untransformed",
                                  check="request-templates", at="Integration.RequestTemplates", cases=(kind,))
            for entry in responses:
                if any(_written(t.value) for t in entry.get("ResponseTemplates", default=False).known_cases()):
                    yield ctx.finding(method, f"method {method.describe()} has a {kind.show()} integration with "
                                              "ResponseTemplates in its IntegrationResponses: they are ignored and "
                                              "the backend's response is returned as it is",
                                      check="response-templates", at=f"{entry.at}.ResponseTemplates", cases=(kind,))
                    break
    for api in graph.of_type(*REST_API_TYPES):
        body_key = "Body" if api.type == "AWS::ApiGateway::RestApi" else "DefinitionBody"
        if not api.has(body_key):
            continue
        for (body,) in ctx.cases(api, api.get(body_key, default=False)):
            for where, integration in _integrations(body.value):
                kind = str(integration.get("type", "")).upper()
                if kind not in PROXY_TYPES:
                    continue
                responses = integration.get("responses")
                response_templates = isinstance(responses, dict) and any(
                    isinstance(r, dict) and _written(r.get("responseTemplates")) for r in responses.values())
                if _written(integration.get("requestTemplates")) or response_templates:
                    yield ctx.finding(api, f"the {kind.lower()} integration of {where} in the OpenAPI body of "
                                           f"{api.describe()} has mapping templates: API Gateway ignores them on "
                                           "proxy integrations", check=f"body {where}", at=body_key, cases=(body,))


def _written(templates) -> bool:
    """Whether a template map holds a real template; an empty one (``application/json: ''``) is a no-op."""
    return isinstance(templates, dict) and any(t != "" for t in templates.values())


def _integrations(body):
    """(``GET /path``, integration dict) for each ``x-amazon-apigateway-integration`` of an OpenAPI body."""
    paths = body.get("paths") if isinstance(body, dict) else None
    for route, operations in (paths.items() if isinstance(paths, dict) else ()):
        for verb, operation in (operations.items() if isinstance(operations, dict) else ()):
            integration = operation.get("x-amazon-apigateway-integration") if isinstance(operation, dict) else None
            if isinstance(integration, dict):
                yield f"{str(verb).upper()} {route}", integration
