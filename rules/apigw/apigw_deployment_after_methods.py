"""APG003 apigw-deployment-after-methods."""
import re

from linter.model import defined_in_body, depends_on, rest_api_of, rule

# A logical ID that ends in a content hash (the AWS CDK appends one to deployments) changes with the API.
HASHED_ID = re.compile(r"[0-9a-fA-F]{16,}$")


@rule("APG003", "apigw-deployment-after-methods", severity="error", tags=("deployment", "apigateway"),
      catalogue="R48")
def deployment_after_methods(graph, ctx):
    """A REST API deployment written in plain CloudFormation must come after the API's methods.

    **What it checks.** For every `AWS::ApiGateway::Deployment` of a REST API defined in this template
    by `AWS::ApiGateway::Method` resources (not by an OpenAPI `Body` / `BodyS3Location`, and not a SAM
    API, whose deployments SAM orders and renames itself):

    - `no-depends-on-method` (error): the deployment does not `DependsOn` (directly or through the
      resources it depends on) any method of the API.
    - `stale-deployment` (info): the deployment has a fixed logical ID, so CloudFormation does not create
      a new one when methods change; the stage keeps serving the old API until a new deployment is made.
      A logical ID ending in a content hash (as the AWS CDK writes them) is taken to change with the API.

    A `RestApiId` that cannot be followed is reported as not evaluated. Methods that exist only under a
    condition count as methods.

    **Why it matters.** Nothing orders a deployment after methods it does not reference: CloudFormation may
    create it first, and API Gateway rejects a deployment of an API without methods ("The REST API
    doesn't contain any methods"). Later changes to methods are not live until the API is deployed again.

    **Example (fails).**

        Deployment:
          Type: AWS::ApiGateway::Deployment
          Properties:
            RestApiId: !Ref Api        # no DependsOn: [GetItems]

    **Fix.** Add `DependsOn` with every method of the API, and change the deployment's logical ID (or a
    property such as `Description`) when methods change; or let SAM or an OpenAPI `Body` manage it.
    """
    methods_by_api = {}
    for method in graph.of_type("AWS::ApiGateway::Method"):
        for case in rest_api_of(method).known_cases():
            if case.value is not None:
                methods_by_api.setdefault(case.value.logical_id, []).append(method)
    for deployment in graph.of_type("AWS::ApiGateway::Deployment"):
        for (api,) in ctx.cases(deployment, rest_api_of(deployment)):
            if api.value is None or defined_in_body(api.value):
                continue
            methods = methods_by_api.get(api.value.logical_id, [])
            if not methods:
                continue
            after = depends_on(deployment, transitive=True)
            names = ", ".join(m.logical_id for m in methods[:3]) + (" …" if len(methods) > 3 else "")
            if not any(m.logical_id in after for m in methods):
                yield ctx.finding(
                    deployment, f"deployment {deployment.describe()} of REST API {api.value.describe()} does not "
                                f"DependsOn any of its methods ({names}): CloudFormation may create it before them "
                                "and API Gateway rejects a deployment of an API without methods",
                    check="no-depends-on-method", related=[api.value], cases=(api,))
            elif not HASHED_ID.search(deployment.logical_id):
                yield ctx.finding(
                    deployment, f"deployment {deployment.describe()} has a fixed logical ID: when methods of "
                                f"{api.value.describe()} change, CloudFormation does not deploy the API again and "
                                "the stage keeps serving the old version; rename the deployment on changes",
                    severity="info", check="stale-deployment", cases=(api,))
