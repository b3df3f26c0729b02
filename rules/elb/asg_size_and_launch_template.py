"""ASG004 asg-size-and-launch-template."""
from linter.model import as_number, production, rule

GROUP = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
_TEMPLATE_PATHS = ("LaunchTemplate", "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification")


@rule("ASG004", "asg-size-and-launch-template", severity="error", tags=("correctness", "reliability", "autoscaling"),
      catalogue="R93")
def asg_size_and_launch_template(graph, ctx):
    """An Auto Scaling group's sizes must be ordered, and it should launch from a launch template that follows the stack.

    **What it checks.** For each `AWS::AutoScaling::AutoScalingGroup`:

    - **error**: `MinSize` greater than `MaxSize`, or `DesiredCapacity` outside `MinSize`..`MaxSize`.
    - **warning**: `LaunchConfigurationName`: launch configurations are deprecated and accounts created
      since October 2024 cannot create them; use a launch template.
    - **warning**: `LaunchTemplate.Version` (or the mixed instances policy's) pinned to a literal number
      for a launch template declared in the same stack: a change to the template creates a new version the
      group never uses. Use `!GetAtt LaunchTemplate.LatestVersionNumber`.
    - **info**, in production: a `MixedInstancesPolicy` that is all Spot (`OnDemandBaseCapacity` 0, the
      default, and `OnDemandPercentageAboveBaseCapacity` 0; the default is 100). Production is the
      catalogue's convention: a production-like environment parameter or condition, or the template as
      written when it has none. Whether the tier is stateful cannot be seen in the template.

    Values from parameters without a value or imports are *not evaluated*.

    **Why it matters.** Auto Scaling rejects sizes out of order, so the stack fails. A deprecated launch
    configuration blocks the stack in new accounts. A pinned version silently keeps old AMIs and user data
    after every update. An all-Spot group can lose every instance at once when Spot capacity is reclaimed.

    **Example (fails).**

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "4"
            DesiredCapacity: "6"
            LaunchConfigurationName: !Ref WebLaunchConfiguration
            VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]

    **Fix.**

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "6"
            DesiredCapacity: "4"
            LaunchTemplate:
              LaunchTemplateId: !Ref WebLaunchTemplate
              Version: !GetAtt WebLaunchTemplate.LatestVersionNumber
            VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]

    See https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-templates.html.
    """
    in_production = production(graph)
    for group in graph.of_type(GROUP):
        yield from _sizes(ctx, group)
        for (configuration,) in ctx.cases(group, group.get("LaunchConfigurationName", default=False)):
            if configuration.value is not None:
                yield ctx.finding(group, f"Auto Scaling group {group.describe()} launches from a launch configuration "
                                         f"({configuration.show()}); launch configurations are deprecated and new "
                                         "accounts cannot create them: use a LaunchTemplate",
                                  severity="warning", at="LaunchConfigurationName", check="launch-configuration",
                                  cases=(configuration,))
                break
        for path in _TEMPLATE_PATHS:
            yield from _pinned_version(graph, ctx, group, path)
        yield from _all_spot(ctx, group, in_production)


def _sizes(ctx, group):
    low, high = group.get("MinSize", default=False), group.get("MaxSize", default=False)
    desired = group.get("DesiredCapacity", default=False)
    for minimum, maximum, wanted in ctx.cases(group, low, high, desired, convert=as_number):
        if minimum.value is None or maximum.value is None:
            continue   # CloudFormation requires both; the template fails validation for that reason
        if minimum.value > maximum.value:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} has {minimum.cite('MinSize')} greater "
                                     f"than {maximum.cite('MaxSize')}; the group cannot be created",
                              at="MinSize", check="size-order", cases=(minimum, maximum))
        elif wanted.value is not None and not minimum.value <= wanted.value <= maximum.value:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} has {wanted.cite('DesiredCapacity')} "
                                     f"outside {minimum.cite('MinSize')} .. {maximum.cite('MaxSize')}; the group "
                                     "cannot be created or updated", at="DesiredCapacity", check="size-order",
                              cases=(minimum, maximum, wanted))


def _pinned_version(graph, ctx, group, path):
    if not group.has(f"{path}.Version"):
        return
    template = None
    for key in ("LaunchTemplateId", "LaunchTemplateName"):
        for case in group.get(f"{path}.{key}", default=False):
            found, _ = graph.follow(case, (LAUNCH_TEMPLATE,))
            if found is not None and found.type == LAUNCH_TEMPLATE:
                template = found
    if template is None:
        return   # a launch template managed elsewhere: pinning a version is a deliberate choice
    for (version,) in ctx.cases(group, group.get(f"{path}.Version")):
        if as_number(version) is not None:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} pins launch template "
                                     f"{template.logical_id} of this stack to version {version.show()}; stack "
                                     "updates to the template are never used: set Version to "
                                     f"!GetAtt {template.logical_id}.LatestVersionNumber", severity="warning",
                              at=f"{path}.Version", related=[template], check="pinned-version", cases=(version,))


def _all_spot(ctx, group, in_production):
    if not group.has("MixedInstancesPolicy"):
        return
    distribution = "MixedInstancesPolicy.InstancesDistribution"
    base = group.get(f"{distribution}.OnDemandBaseCapacity")
    above = group.get(f"{distribution}.OnDemandPercentageAboveBaseCapacity")
    for on_demand_base, on_demand_share, prod in ctx.cases(group, base, above, in_production,
                                                           convert=(as_number, as_number, None)):
        if prod.value and on_demand_base.value == 0 and on_demand_share.value == 0:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} runs only Spot instances "
                                     f"({on_demand_base.cite('OnDemandBaseCapacity')}, "
                                     f"{on_demand_share.cite('OnDemandPercentageAboveBaseCapacity')}) in production "
                                     f"({prod.origin}); a Spot reclaim can take every instance at once: keep an "
                                     "On-Demand base for stateful or critical tiers", severity="info",
                              at="MixedInstancesPolicy", check="all-spot", cases=(on_demand_base, on_demand_share, prod))
