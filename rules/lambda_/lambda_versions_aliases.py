"""LAM015 lambda-versions-aliases."""
from linter.model import (FV_ALIAS, FV_DEPLOY_TIME, FV_INVALID, FV_LATEST, FV_VERSION_ARN, as_bool, as_list,
                          as_name, as_number, as_text, function_version_kind, is_function_resource_id, presence, rule,
                          scaling_target_qualifier)

ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"
SAM_FUNCTION = "AWS::Serverless::Function"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
PROVISIONED_DIMENSION = "lambda:function:ProvisionedConcurrency"


@rule("LAM015", "lambda-versions-aliases", severity="error", tags=("correctness", "lambda", "sam"),
      catalogue="R86")
def lambda_versions_aliases(graph, ctx):
    """Lambda aliases must point at published versions, and provisioned concurrency needs a version or alias.

    **What it checks.** All sub-checks are *errors*:

    - `alias-version`: an `AWS::Lambda::Alias` `FunctionVersion` (and each
      `RoutingConfig.AdditionalVersionWeights` entry) must be `$LATEST` or a published version: a number
      or `!GetAtt <Version>.Version`. Another alias, `!Ref <Version>` (which returns the version's ARN)
      and the function itself are rejected.
    - `latest-routing`: an alias on `$LATEST` cannot have weighted routing.
    - `routing-weights`: at most one additional version, with a weight between 0.0 and 1.0.
    - `latest-provisioned`: provisioned concurrency cannot be configured on an alias that points at `$LATEST`.
    - `provisioned-over-reserved`: `ProvisionedConcurrentExecutions` (on an alias, a version or a SAM
      function) above the function's `ReservedConcurrentExecutions`, when that is set.
    - `sam-needs-alias`: a SAM function with `ProvisionedConcurrencyConfig`, or an enabled
      `DeploymentPreference`, but no `AutoPublishAlias` (Globals merged): the SAM transform fails. A
      template without a `Transform` is taken for a fragment of a larger project (its Globals may live in
      another file) and is not evaluated.
    - `scaling-target`: an `AWS::ApplicationAutoScaling::ScalableTarget` for
      `lambda:function:ProvisionedConcurrency` whose `ResourceId` (`function:<name>:<qualifier>`) has no
      qualifier, or `$LATEST`.

    Values known only at deploy time (an alias SAM creates, a parameter without a value, a custom
    resource) are reported as not evaluated. Whether the published version numbers exist is not visible
    in a template.

    **Why it matters.** Lambda rejects these configurations, so the stack fails to create or update the
    alias, the version or the scaling target; with SAM the transform itself fails before anything deploys.

    **Example (fails).**

        LiveAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: !Ref Api
            FunctionVersion: !Ref ApiVersion     # the version's ARN, not its number
            Name: live

    **Fix.** Use `FunctionVersion: !GetAtt ApiVersion.Version`; with SAM, set `AutoPublishAlias: live`
    and let SAM publish versions. See
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
    """
    for alias in graph.of_type(ALIAS):
        yield from _alias(graph, ctx, alias)
    for version in graph.of_type(VERSION):
        yield from _provisioned_vs_reserved(graph, ctx, version, version)
    for function in graph.of_type(SAM_FUNCTION):
        yield from _sam_function(graph, ctx, function)
    for target in graph.of_type(SCALABLE_TARGET):
        yield from _scaling_target(ctx, target)


def _alias(graph, ctx, alias):
    weights_path = "RoutingConfig.AdditionalVersionWeights"
    latest = []
    for (version,) in ctx.cases(alias, alias.get("FunctionVersion")):
        kind, text = function_version_kind(graph, version)
        if kind == FV_DEPLOY_TIME:
            ctx.not_evaluated(alias, f"FunctionVersion: {text}")
        elif kind in (FV_ALIAS, FV_VERSION_ARN, FV_INVALID):
            yield ctx.finding(alias, f"alias {alias.describe()} points at {text} ({version.origin}): FunctionVersion "
                                     "must be $LATEST or a published version number (an alias cannot point at "
                                     "another alias); use !GetAtt <Version>.Version",
                              check="alias-version", at="FunctionVersion", cases=(version,))
        elif kind == FV_LATEST:
            latest.append(version)
    for entry in alias.entries(weights_path):
        for (version,) in ctx.cases(entry, entry.get("FunctionVersion")):
            kind, text = function_version_kind(graph, version)
            if kind == FV_DEPLOY_TIME:
                ctx.not_evaluated(entry, f"FunctionVersion: {text}")
            elif kind in (FV_ALIAS, FV_VERSION_ARN, FV_INVALID, FV_LATEST):
                yield ctx.finding(entry, f"a routing entry of alias {alias.describe()} names {text}: additional "
                                         "versions must be published version numbers",
                                  check="alias-version", at=f"{entry.at}.FunctionVersion", cases=(version,))
        for (weight,) in ctx.cases(entry, entry.get("FunctionWeight"), convert=as_number):
            if weight.value is not None and not 0 <= weight.value <= 1:
                yield ctx.finding(entry, f"routing weight of alias {alias.describe()} is {weight.show()}, outside "
                                         "0.0-1.0: Lambda rejects the alias",
                                  check="routing-weights", at=f"{entry.at}.FunctionWeight", cases=(weight,))
    if alias.has(weights_path):
        for (weights,) in ctx.cases(alias, alias.get(weights_path, default=False), convert=as_list):
            if weights.value and len(weights.value) > 1:
                yield ctx.finding(alias, f"alias {alias.describe()} routes to {len(weights.value)} additional "
                                         "versions: Lambda allows at most one",
                                  check="routing-weights", at=weights_path, cases=(weights,))
            if weights.value:
                for version in latest:
                    yield ctx.finding(alias, f"alias {alias.describe()} points at {version.show()} and has weighted "
                                             "routing: routing needs a published version, not $LATEST",
                                      check="latest-routing", at=weights_path, cases=(version, weights))
    if alias.has("ProvisionedConcurrencyConfig"):
        for version in latest:
            yield ctx.finding(alias, f"alias {alias.describe()} points at {version.show()} and sets provisioned "
                                     "concurrency: Lambda cannot provision $LATEST; point the alias at a version",
                              check="latest-provisioned", at="ProvisionedConcurrencyConfig", cases=(version,))
    yield from _provisioned_vs_reserved(graph, ctx, alias, alias)


def _provisioned_vs_reserved(graph, ctx, holder, subject):
    """Provisioned concurrency of an alias, version or SAM function against the function's reserved concurrency."""
    path = "ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions"
    if not holder.has(path):
        return
    if holder.type == SAM_FUNCTION:
        function = holder
    else:
        targets = {graph.follow(case)[0] for case in holder.get("FunctionName")}
        function = targets.pop() if len(targets) == 1 else None
        if function is None or function.type not in ("AWS::Lambda::Function", SAM_FUNCTION):
            ctx.not_evaluated(subject, f"the function of {holder.describe()} is not a function of this template")
            return
    reserved = function.get("ReservedConcurrentExecutions", default=False)
    for provisioned, limit in ctx.cases(subject, holder.get(path), reserved, convert=as_number):
        if limit.value is not None and provisioned.value > limit.value:
            yield ctx.finding(subject, f"{holder.describe()} provisions {provisioned.show()} concurrent executions, "
                                       f"more than the reserved concurrency of function {function.describe()}, "
                                       f"{limit.show()}: Lambda rejects the configuration",
                              check="provisioned-over-reserved", at=path, related=[function] if function is not holder
                              else [], cases=(provisioned, limit))


def _sam_function(graph, ctx, function):
    if not graph.template.get("Transform") and (function.has("ProvisionedConcurrencyConfig")
                                                or function.has("DeploymentPreference")):
        # Projects assembled from several files (merged before the transform) keep Globals elsewhere.
        ctx.not_evaluated(function, "the template declares no SAM Transform: it is a fragment, and "
                                    "AutoPublishAlias may come from Globals in another file")
        yield from _provisioned_vs_reserved(graph, ctx, function, function)
        return
    alias = presence(function.get("AutoPublishAlias", default=False))
    if function.has("ProvisionedConcurrencyConfig"):
        for (has_alias,) in ctx.cases(function, alias):
            if not has_alias.value:
                yield ctx.finding(function, f"SAM function {function.describe()} sets ProvisionedConcurrencyConfig "
                                            "without AutoPublishAlias: the SAM transform fails; add AutoPublishAlias",
                                  check="sam-needs-alias", at="ProvisionedConcurrencyConfig", cases=(has_alias,))
    if function.has("DeploymentPreference"):
        enabled = function.get("DeploymentPreference.Enabled", default=False)
        for has_alias, on in ctx.cases(function, alias, enabled, convert=(None, _enabled)):
            if not has_alias.value and on.value:
                origin = function.provenance.get("DeploymentPreference")
                where = f" (from {origin})" if origin else ""
                yield ctx.finding(function, f"SAM function {function.describe()} has a DeploymentPreference{where} "
                                            "without AutoPublishAlias: the SAM transform fails, since CodeDeploy "
                                            "shifts traffic between alias versions; add AutoPublishAlias",
                                  check="sam-needs-alias", at="DeploymentPreference", cases=(has_alias, on))
    yield from _provisioned_vs_reserved(graph, ctx, function, function)


def _enabled(case):
    """DeploymentPreference.Enabled: absent means enabled."""
    return True if case.value is None else as_bool(case)


def _scaling_target(ctx, target):
    dimension = target.get("ScalableDimension", default=False)
    if not dimension.any(lambda v: v == PROVISIONED_DIMENSION, unknown=True):
        return
    resource_id = target.get("ResourceId", default=False)
    for dim, rid in ctx.cases(target, dimension, resource_id, convert=(as_text, as_name)):
        if dim.value != PROVISIONED_DIMENSION:
            continue
        text = rid.value
        if text is None or not is_function_resource_id(text):
            ctx.not_evaluated(target, f"ResourceId {rid.show()} is not written as function:<name>:<qualifier>")
            continue
        qualifier = scaling_target_qualifier(text)
        if qualifier is None or qualifier == "$LATEST":
            problem = "has no qualifier" if qualifier is None else "names $LATEST"
            yield ctx.finding(target, f"scalable target {target.describe()} for provisioned concurrency {problem} "
                                      f"(ResourceId {rid.show()}): provisioned concurrency applies only to an alias "
                                      "or a published version; write function:<name>:<alias>",
                              check="scaling-target", at="ResourceId", cases=(dim, rid))
