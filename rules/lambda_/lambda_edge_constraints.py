"""LAM011 lambda-edge-constraints."""
from linter.model import (ALIAS, FUNCTION_TYPES, LATEST, UNQUALIFIED, VERSION, as_bool, as_number, as_text,
                          function_reference_kind, function_role, kinds, presence, reference_of, rule, stack_region,
                          trusts_service)

DISTRIBUTION = "AWS::CloudFront::Distribution"
EDGE_REGION = "us-east-1"
EDGE_PRINCIPAL = "edgelambda.amazonaws.com"
VIEWER_EVENTS = ("viewer-request", "viewer-response")
REQUEST_EVENTS = ("viewer-request", "origin-request")
# CloudFront quotas for Lambda@Edge: viewer triggers 5 s and 128 MB, origin triggers 30 s.
VIEWER_TIMEOUT, ORIGIN_TIMEOUT, VIEWER_MEMORY = 5, 30, 128
EDGE_EPHEMERAL_STORAGE = 512
EDGE_RUNTIMES = ("nodejs", "python")
# Function settings Lambda@Edge refuses: (property, what it is, the path whose presence decides).
UNSUPPORTED = (("VpcConfig", "a VPC configuration", "VpcConfig"),
               ("Environment", "environment variables", "Environment.Variables"),
               ("Layers", "layers", "Layers"),
               ("ProvisionedConcurrencyConfig", "provisioned concurrency", "ProvisionedConcurrencyConfig"))


@rule("LAM011", "lambda-edge-constraints", severity="error", tags=("correctness", "lambda", "cloudfront"),
      catalogue="R49")
def lambda_edge_constraints(graph, ctx):
    """A function a CloudFront distribution runs at the edge (Lambda@Edge) must meet the Lambda@Edge restrictions.

    **What it checks.** For every `LambdaFunctionAssociations` entry of an `AWS::CloudFront::Distribution`
    (default and per-path cache behaviours) that leads to a function of the template, all *errors*:

    - `LambdaFunctionARN` names a numbered version (`!Ref` an `AWS::Lambda::Version`, SAM's
      `!Ref Fn.Version` with `AutoPublishAlias`, or `${Fn.Arn}:<version>`), not the unqualified function
      (`!GetAtt Fn.Arn`), an alias or `$LATEST`;
    - the stack is deployed to us-east-1, where Lambda@Edge functions must live (known only when the
      region is given, `-p AWS::Region=us-east-1`; otherwise not evaluated);
    - the function's execution role trusts `edgelambda.amazonaws.com` as well as `lambda.amazonaws.com`
      (the role SAM generates trusts only Lambda);
    - the function has no `VpcConfig`, no environment variables (SAM `Globals` included), no `Layers`,
      no provisioned concurrency, is not a container image (`PackageType: Image`) and keeps
      `EphemeralStorage.Size` at 512 MB; its `Runtime` is Node.js or Python;
    - viewer-request and viewer-response triggers: `Timeout` at most 5 s (3 s, the Lambda default, when
      absent) and `MemorySize` at most 128 MB; origin triggers: `Timeout` at most 30 s;
    - `IncludeBody: true` only on viewer-request and origin-request events.

    Values from parameters with `AllowedValues`, mapping rows and `Fn::If` branches are checked in every
    scenario; a value known only at deploy time, a role outside the template, or a function named by a
    literal ARN of another stack makes the check not evaluated. The deployment package size limits (1 MB
    for viewer triggers, 50 MB for origin triggers) cannot be seen in the template.

    **Why it matters.** CloudFront replicates the function version to its edge locations when the
    distribution is created or updated; a function that breaks one of these restrictions makes the
    stack fail with `InvalidLambdaFunctionAssociation`. The trigger timeouts are hard caps: a viewer
    trigger cannot run longer than 5 s, whatever the function's own timeout says. Note that Lambda@Edge
    is not the place for long work: CloudFront Functions are the sub-millisecond option, and both have
    stricter limits than regional Lambda.

    **Example (fails).**

        EdgeAuth:
          Type: AWS::Serverless::Function
          Properties:
            Runtime: nodejs20.x
            Handler: index.handler
            Timeout: 10
            Environment: {Variables: {TABLE: sessions}}
        Site:
          Type: AWS::CloudFront::Distribution
          Properties:
            DistributionConfig:
              DefaultCacheBehavior:
                LambdaFunctionAssociations:
                  - EventType: viewer-request
                    LambdaFunctionARN: !GetAtt EdgeAuth.Arn

    **Fix.** Publish a version (`AutoPublishAlias: live` and `LambdaFunctionARN: !Ref EdgeAuth.Version`),
    give the function a role that trusts `edgelambda.amazonaws.com`, drop the environment variables, keep
    viewer triggers within 5 s and 128 MB, and deploy the stack to us-east-1. See
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html
    """
    for link in graph.edges(kinds.INVOKES, source_type=DISTRIBUTION, target_type=FUNCTION_TYPES):
        yield from _association(graph, ctx, link)
    for loose in graph.dangling_links(kinds.INVOKES):
        if loose.holder.type == DISTRIBUTION:
            ctx.not_evaluated(loose.holder, f"the Lambda@Edge function at {loose.at} cannot be followed: "
                                            f"{loose.reason}")


def _association(graph, ctx, link):
    distribution, function = link.source, link.target
    at = link.at
    arn = distribution.get(f"{at}.LambdaFunctionARN")
    event_type = distribution.get(f"{at}.EventType", default=False)
    yield from _version(graph, ctx, link, arn)
    for (region,) in ctx.cases(link, stack_region(graph)):
        if region.value != EDGE_REGION:
            yield ctx.finding(link, f"{distribution.describe()} runs {function.describe()} at the edge, but the stack "
                                    f"is deployed to {region.show()}: Lambda@Edge functions must be created in "
                                    f"{EDGE_REGION}; deploy this function from a stack in {EDGE_REGION}",
                              check="region", related=[function], cases=(region, link))
    yield from _trust(graph, ctx, link)
    yield from _unsupported(graph, ctx, link, arn)
    yield from _runtime(ctx, link)
    yield from _limits(ctx, link, event_type)
    include_body = distribution.get(f"{at}.IncludeBody", default=False)
    for body, kind in ctx.cases(link, include_body, event_type, convert=(as_bool, as_text)):
        if body.value and kind.value not in REQUEST_EVENTS:
            yield ctx.finding(link, f"{distribution.describe()} sets IncludeBody on its {kind.value} trigger "
                                    f"{function.describe()}: only viewer-request and origin-request events can "
                                    "receive the body; CloudFront rejects the association",
                              check="include-body", at=f"{at}.IncludeBody", related=[function],
                              cases=(body, kind, link))


def _version(graph, ctx, link, arn):
    distribution, function = link.source, link.target
    for (case,) in ctx.cases(link, arn):
        kind, written = function_reference_kind(graph, case)
        if kind is None:
            ctx.not_evaluated(link, f"cannot tell which version of {function.describe()} LambdaFunctionARN names: "
                                    f"{written}")
        elif kind in (UNQUALIFIED, ALIAS, LATEST):
            yield ctx.finding(link, f"{distribution.describe()} associates {kind} ({written}) of "
                                    f"{function.describe()}: Lambda@Edge needs a numbered version ARN; publish one "
                                    "(AutoPublishAlias and !Ref Function.Version, or an AWS::Lambda::Version)",
                              check="version", at=f"{link.at}.LambdaFunctionARN", related=[function],
                              cases=(case, link))
        elif kind != VERSION:
            ctx.not_evaluated(link, f"LambdaFunctionARN {written} is not a reference this rule can read")


def _trust(graph, ctx, link):
    function = link.target
    role, why = function_role(graph, function)
    if role is None:
        ctx.not_evaluated(link, f"the trust policy of the Lambda@Edge function cannot be read: {why}")
        return
    for (document,) in ctx.cases(link, role.get("AssumeRolePolicyDocument", default=False)):
        if document.value is None:
            continue
        verdict = trusts_service(document.value, EDGE_PRINCIPAL)
        if verdict.unknown:
            ctx.not_evaluated(link, f"the trust policy of role {role.describe()}: {verdict.reason}")
        elif verdict.no:
            yield ctx.finding(link, f"role {role.describe()} of Lambda@Edge function {function.describe()} does not "
                                    f"trust {EDGE_PRINCIPAL} ({verdict.reason}): CloudFront cannot replicate the "
                                    f"function; add {EDGE_PRINCIPAL} beside lambda.amazonaws.com",
                              check="edge-trust", related=[function, role], cases=(document, link))


def _unsupported(graph, ctx, link, arn):
    function = link.target
    holders = [function]
    for case in arn.known_cases():
        whole = reference_of(case)
        version = graph.resources.get(whole[0]) if whole else None
        if version is not None and version.type == "AWS::Lambda::Version" and version not in holders:
            holders.append(version)
    for holder in holders:
        for prop, what, path in UNSUPPORTED:
            if holder is not function and prop != "ProvisionedConcurrencyConfig":
                continue
            for (present,) in ctx.cases(link, presence(holder.get(path, default=False))):
                if present.value:
                    yield ctx.finding(link, f"Lambda@Edge function {function.describe()} has {what} ({prop} of "
                                            f"{holder.describe()}{', ' + present.origin if present.origin else ''}): Lambda@Edge does not support it and CloudFront "
                                            "rejects the association; remove it",
                                      check=f"unsupported-{prop.lower()}", related=[holder], cases=(present, link))
    for (package,) in ctx.cases(link, function.get("PackageType", default=False)):
        if package.value is not None and str(package.value).lower() == "image":
            yield ctx.finding(link, f"Lambda@Edge function {function.describe()} is a container image "
                                    f"({package.cite('PackageType')}): Lambda@Edge runs only .zip packages",
                              check="container-image", related=[function], cases=(package, link))
    for (size,) in ctx.cases(link, function.get("EphemeralStorage.Size"), convert=as_number):
        if size.value > EDGE_EPHEMERAL_STORAGE:
            yield ctx.finding(link, f"Lambda@Edge function {function.describe()} asks for {size.show('MB')} of "
                                    f"ephemeral storage: Lambda@Edge allows {EDGE_EPHEMERAL_STORAGE} MB",
                              check="ephemeral-storage", related=[function], cases=(size, link))


def _runtime(ctx, link):
    function = link.target
    for runtime, package in ctx.cases(link, function.get("Runtime", default=False),
                                      function.get("PackageType", default=False)):
        if runtime.value is None or (package.value is not None and str(package.value).lower() == "image"):
            continue
        if not str(runtime.value).lower().startswith(EDGE_RUNTIMES):
            yield ctx.finding(link, f"Lambda@Edge function {function.describe()} uses {runtime.cite('Runtime')}: "
                                    "Lambda@Edge runs only Node.js and Python functions",
                              check="runtime", related=[function], cases=(runtime, link))


def _limits(ctx, link, event_type):
    distribution, function = link.source, link.target
    for kind, timeout, memory in ctx.cases(link, event_type, function.get("Timeout"), function.get("MemorySize"),
                                           convert=(as_text, as_number, as_number)):
        viewer = kind.value in VIEWER_EVENTS
        cap = VIEWER_TIMEOUT if viewer else ORIGIN_TIMEOUT
        if timeout.value > cap:
            yield ctx.finding(link, f"{distribution.describe()} runs {function.describe()} as a {kind.value} "
                                    f"trigger with a timeout of {timeout.show('s')}: {'viewer' if viewer else 'origin'} "
                                    f"triggers allow at most {cap} s, so CloudFront rejects the association; "
                                    f"lower the Timeout to {cap} s or less",
                              check="timeout", related=[function], cases=(kind, timeout, link))
        if viewer and memory.value > VIEWER_MEMORY:
            yield ctx.finding(link, f"{distribution.describe()} runs {function.describe()} as a {kind.value} "
                                    f"trigger with {memory.show('MB')} of memory: viewer triggers allow at most "
                                    f"{VIEWER_MEMORY} MB; lower MemorySize or move it to an origin trigger",
                              check="memory", related=[function], cases=(kind, memory, link))
