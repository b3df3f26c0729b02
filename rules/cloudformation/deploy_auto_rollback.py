"""DPL001 deploy-auto-rollback."""
import re

from linter.model import (FUNCTION_TYPES, as_bool, as_list, as_text, function_role, presence, production, role_allows,
                          rule)

SAM_FUNCTION = "AWS::Serverless::Function"
DEPLOYMENT_GROUP = "AWS::CodeDeploy::DeploymentGroup"
APPLICATION = "AWS::CodeDeploy::Application"
DEPLOYMENT_CONFIG = "AWS::CodeDeploy::DeploymentConfig"
# The traffic-shifting types SAM knows; any other Type is taken as the name of a custom deployment configuration.
SAM_TYPES = ("Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
             "Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
             "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes", "AllAtOnce")
# A Type written like a predefined one (a typo of it), which no custom configuration would be named.
LOOKS_PREDEFINED = re.compile(r"(?i)^(canary|linear|allatonce)")
GRADUAL = re.compile(r"^(Canary|Linear)")
HOOK_ACTION = "codedeploy:PutLifecycleEventHookExecutionStatus"
ALL_AT_ONCE = "CodeDeployDefault.AllAtOnce"
LOAD_BALANCED_PLATFORMS = ("Server", "ECS")


@rule("DPL001", "deploy-auto-rollback", severity="warning", tags=("reliability", "deployment", "sam", "codedeploy"),
      catalogue="R87")
def deploy_auto_rollback(graph, ctx):
    """Gradual deployments must be able to roll back: SAM DeploymentPreference and CodeDeploy deployment groups.

    **What it checks.** For SAM functions with a `DeploymentPreference` that is not `Enabled: false`
    (`Globals.Function.DeploymentPreference` included):

    - **error** (`alias`): no `AutoPublishAlias`. SAM shifts traffic between versions of an alias, and
      the transform fails without one. A template without a `Transform` or without a `Globals` section
      is not evaluated: projects that assemble their template from several files keep the Globals
      elsewhere.
    - **error** (`type`): `Type` missing, or written like a predefined type but not one of
      `Canary10Percent5Minutes|10Minutes|15Minutes|30Minutes`, `Linear10PercentEvery1Minute|2Minutes|3Minutes|10Minutes`,
      `AllAtOnce`. Any other name is a custom deployment configuration: fine when it is an
      `AWS::CodeDeploy::DeploymentConfig` of the template, not evaluated otherwise.
    - **warning** (`alarms`): a canary or linear type with no `Alarms`, in production (the catalogue's
      production convention): nothing triggers a rollback, so the gradual shift only makes a bad release
      slower. Development stages that shift gradually without alarms are not reported.
    - **warning** (`hook-permission`): a `Hooks.PreTraffic`/`PostTraffic` function of the template whose
      role does not allow `codedeploy:PutLifecycleEventHookExecutionStatus`: the hook cannot report its
      result and the deployment fails after its timeout.

    For `AWS::CodeDeploy::DeploymentGroup`:

    - **error** (`blue-green-load-balancer`): `DeploymentStyle.DeploymentType: BLUE_GREEN` for an EC2/on-premises
      (`Server`, the default) or ECS application without `LoadBalancerInfo`.
    - **warning** (`auto-rollback`): `AutoRollbackConfiguration` missing or not enabled (no automatic
      rollback is the CodeDeploy default).
    - **warning** (`all-at-once`): `DeploymentConfigName: CodeDeployDefault.AllAtOnce` in production
      (the catalogue's production convention: an environment-like parameter or condition).

    Values known only at deploy time, an application or hook role outside the template make the check
    not evaluated. Whether the alarms watch the right metrics is not judged here.

    **Why it matters.** CodeDeploy rolls a deployment back only on a failed deployment or an alarm. A
    canary without alarms, or a deployment group without automatic rollback, leaves a bad release in
    place until someone notices; blue/green for instances needs a load balancer to reroute traffic.

    **Example (fails).**

        Api:
          Type: AWS::Serverless::Function
          Properties:
            AutoPublishAlias: live
            DeploymentPreference:
              Type: Canary10Percent5Minutes   # no Alarms: nothing rolls back

    **Fix.**

            DeploymentPreference:
              Type: Canary10Percent5Minutes
              Alarms:
                - !Ref ApiErrorsAlarm
              Hooks:
                PreTraffic: !Ref PreTrafficCheck
    """
    for function in graph.of_type(SAM_FUNCTION):
        if function.has("DeploymentPreference"):
            yield from _preference(graph, ctx, function)
    in_production = production(graph)
    for group in graph.of_type(DEPLOYMENT_GROUP):
        yield from _deployment_group(graph, ctx, group, in_production)


def _preference(graph, ctx, function):
    # An explicit null DeploymentPreference stays unknown (not evaluated), never a finding.
    declared = presence(function.get("DeploymentPreference", default=False))
    enabled = function.get("DeploymentPreference.Enabled")
    alias = presence(function.get("AutoPublishAlias", default=False))
    kind = function.get("DeploymentPreference.Type", default=False)
    alarms = function.get("DeploymentPreference.Alarms", default=False)
    custom = {c.value for r in graph.of_type(DEPLOYMENT_CONFIG)
              for c in r.get("DeploymentConfigName", default=False) if c.value is not None}
    # Projects that assemble their template from several files keep the Globals (AutoPublishAlias) elsewhere.
    fragment = not (graph.template.get("Transform") and graph.template.get("Globals"))
    for present, on, published in ctx.cases(function, declared, enabled, alias, convert=(None, as_bool, None)):
        if present.value and on.value and not published.value and fragment:
            ctx.not_evaluated(function, "the function has a DeploymentPreference but no AutoPublishAlias, and the "
                                        "template has no Transform or no Globals section: the alias may come from "
                                        "Globals in another file")
        elif present.value and on.value and not published.value:
            yield ctx.finding(function, f"function {function.describe()} has a DeploymentPreference but no "
                                        "AutoPublishAlias: SAM shifts traffic between versions of an alias, so the "
                                        "transform fails; add AutoPublishAlias (e.g. live)",
                              severity="error", check="alias", at="DeploymentPreference", cases=(on, published))
    for present, on, written, alarm_list, prod in ctx.cases(function, declared, enabled, kind, alarms, production(graph),
                                                            convert=(None, as_bool, None, None, None)):
        if not (present.value and on.value):
            continue
        if written.value is None:
            yield ctx.finding(function, f"the DeploymentPreference of function {function.describe()} has no Type: "
                                        "SAM rejects it; use e.g. Canary10Percent5Minutes",
                              severity="error", check="type", at="DeploymentPreference", cases=(on, written))
            continue
        text = as_text(written)
        if text is None:
            if graph.follow(written)[0] is None:
                ctx.not_evaluated(function, f"DeploymentPreference.Type {written.show()} is not a deployment type "
                                            "this rule can read")
            continue
        if text not in SAM_TYPES and text not in custom:
            if LOOKS_PREDEFINED.match(text):
                yield ctx.finding(function, f"function {function.describe()} uses deployment type "
                                            f"{written.show()}, which is not a SAM type: SAM takes it for a custom "
                                            "deployment configuration that does not exist and the deployment "
                                            "fails; valid are Canary10Percent5/10/15/30Minutes, "
                                            "Linear10PercentEvery1/2/3/10Minute(s) and AllAtOnce",
                                  severity="error", check="type", at="DeploymentPreference.Type",
                                  cases=(on, written))
            else:
                ctx.not_evaluated(function, f"DeploymentPreference.Type {written.show()} names a custom deployment "
                                            "configuration that is not in this template")
            continue
        no_alarms = alarm_list.value is None or as_list(alarm_list) == []
        if GRADUAL.match(text) and no_alarms and prod.value:
            yield ctx.finding(function, f"function {function.describe()} shifts traffic gradually with "
                                        f"{written.show()} in production ({prod.origin or 'production scenario'}) but its DeploymentPreference has no Alarms: nothing triggers a rollback, so a "
                                        "bad version only reaches everyone more slowly; add CloudWatch alarms on "
                                        "errors or latency",
                              check="alarms", at="DeploymentPreference", cases=(on, written, alarm_list, prod))
    yield from _hooks(graph, ctx, function)


def _hooks(graph, ctx, function):
    for stage in ("PreTraffic", "PostTraffic"):
        path = f"DeploymentPreference.Hooks.{stage}"
        if not function.has(path):
            continue
        for (hook_ref,) in ctx.cases(function, function.get(path)):
            hook, why = graph.follow(hook_ref)
            if hook is None or hook.type not in FUNCTION_TYPES:
                ctx.not_evaluated(function, f"the {stage} hook {hook_ref.show()} cannot be followed: "
                                            f"{why or 'it is not a function'}")
                continue
            role, why = function_role(graph, hook)
            if role is None:
                ctx.not_evaluated(function, f"the role of the {stage} hook cannot be read: {why}")
                continue
            verdict = role_allows(graph, role, HOOK_ACTION)
            if verdict.unknown:
                ctx.not_evaluated(function, f"the {stage} hook's role: {verdict.reason}")
            elif verdict.no:
                yield ctx.finding(function, f"the {stage} hook {hook.describe()} of function {function.describe()} "
                                            f"may not call {HOOK_ACTION} ({verdict.reason}): it cannot report its "
                                            "result and every deployment fails when the hook times out",
                                  check="hook-permission", at=path, related=[hook, role], cases=(hook_ref,))


def _deployment_group(graph, ctx, group, in_production):
    style = group.get("DeploymentStyle.DeploymentType")
    balancer = presence(group.get("LoadBalancerInfo", default=False))
    for (name,) in ctx.cases(group, group.get("ApplicationName")):
        application, why = graph.follow(name, types=(APPLICATION,))
        if application is None:  # a literal name: the application of this template that has it
            named = [a for a in graph.of_type(APPLICATION)
                     if as_text(name) is not None and a.get("ApplicationName", default=False).any(lambda v: v == as_text(name), unknown=False)]
            application = named[0] if len(named) == 1 else None
        if application is None or application.type != APPLICATION:
            ctx.not_evaluated(group, f"the application {name.show()} is not in this template: its compute platform "
                                     "is unknown")
            continue
        for platform, kind, lb in ctx.cases(group, application.get("ComputePlatform"), style, balancer,
                                            convert=(as_text, as_text, None)):
            if kind.value == "BLUE_GREEN" and platform.value in LOAD_BALANCED_PLATFORMS and not lb.value:
                yield ctx.finding(group, f"deployment group {group.describe()} deploys blue/green "
                                         f"({kind.cite('DeploymentType')}) to a {platform.show()} application without "
                                         "LoadBalancerInfo: CodeDeploy has no load balancer to move traffic to the "
                                         "new instances or tasks; add LoadBalancerInfo",
                                  severity="error", check="blue-green-load-balancer",
                                  at="DeploymentStyle" if group.has("DeploymentStyle") else None,
                                  related=[application], cases=(platform, kind, lb))
    for (enabled,) in ctx.cases(group, group.get("AutoRollbackConfiguration.Enabled"), convert=as_bool):
        if not enabled.value:
            yield ctx.finding(group, f"deployment group {group.describe()} has no automatic rollback "
                                     f"({enabled.show()}): a failed deployment stays in place; set "
                                     "AutoRollbackConfiguration Enabled: true with DEPLOYMENT_FAILURE (and "
                                     "DEPLOYMENT_STOP_ON_ALARM with alarms)",
                              check="auto-rollback",
                              at="AutoRollbackConfiguration" if group.has("AutoRollbackConfiguration") else None,
                              cases=(enabled,))
    for config, prod in ctx.cases(group, group.get("DeploymentConfigName", default=False), in_production,
                                  convert=(None, None)):
        if prod.value and as_text(config) == ALL_AT_ONCE:
            yield ctx.finding(group, f"deployment group {group.describe()} deploys {config.show()} in production "
                                     f"({prod.origin or 'production scenario'}): every instance takes the new "
                                     "release at once, so a bad release is an outage; use OneAtATime, HalfAtATime "
                                     "or a custom minimum-healthy configuration",
                              check="all-at-once", at="DeploymentConfigName", cases=(config, prod))
