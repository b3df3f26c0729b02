"""ECS005 ecs-capacity-provider-scale-in-protection."""
from linter.model import as_bool, as_text, follow_one, rule

CAPACITY_PROVIDER = "AWS::ECS::CapacityProvider"
GROUP = "AWS::AutoScaling::AutoScalingGroup"
PROVIDER = "AutoScalingGroupProvider"


@rule("ECS005", "ecs-capacity-provider-scale-in-protection", severity="error",
      tags=("correctness", "ecs", "autoscaling"), catalogue="R50")
def capacity_provider_scale_in_protection(graph, ctx):
    """A capacity provider with managed termination protection needs an Auto Scaling group that protects new instances.

    **What it checks.** For each `AWS::ECS::CapacityProvider` whose
    `AutoScalingGroupProvider.ManagedTerminationProtection` is `ENABLED`, the Auto Scaling group it names
    (`AutoScalingGroupArn`, a group of the template) must set `NewInstancesProtectedFromScaleIn: true`
    (**error**). Groups outside the template, and values from parameters without a value, are *not
    evaluated*. Whether the provider is associated with a cluster, and services that bypass it with
    `LaunchType: EC2`, are not judged by this rule.

    **Why it matters.** ECS refuses to create a capacity provider with managed termination protection on
    a group that does not protect new instances from scale-in, so the stack fails.

    **Example (fails).**

        ClusterCapacityProvider:
          Type: AWS::ECS::CapacityProvider
          Properties:
            AutoScalingGroupProvider:
              AutoScalingGroupArn: !Ref ContainerInstances
              ManagedTerminationProtection: ENABLED

    **Fix.** Set `NewInstancesProtectedFromScaleIn: true` on `ContainerInstances`, or disable managed
    termination protection.

    See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html.
    """
    for provider in graph.of_type(CAPACITY_PROVIDER):
        if not provider.has(f"{PROVIDER}.AutoScalingGroupArn"):
            continue
        protection = provider.get(f"{PROVIDER}.ManagedTerminationProtection", default=False)
        for (enabled,) in ctx.cases(provider, protection, convert=as_text):
            if (enabled.value or "").upper() != "ENABLED":
                continue
            group, reason = follow_one(graph, provider, f"{PROVIDER}.AutoScalingGroupArn", GROUP)
            if group is None:
                ctx.not_evaluated(provider, reason)
                break
            for (protected,) in ctx.cases(provider, group.get("NewInstancesProtectedFromScaleIn", default=False),
                                          convert=as_bool):
                if protected.value is not True:
                    shown = protected.cite("NewInstancesProtectedFromScaleIn") if protected.value is not None \
                        else "no NewInstancesProtectedFromScaleIn"
                    yield ctx.finding(provider, f"capacity provider {provider.describe()} has "
                                                f"{enabled.cite('ManagedTerminationProtection')}, but its Auto "
                                                f"Scaling group {group.describe()} has {shown}; ECS rejects the "
                                                "provider: set NewInstancesProtectedFromScaleIn: true on the group",
                                      at=f"{PROVIDER}.ManagedTerminationProtection", related=[group],
                                      check="scale-in-protection", cases=(enabled, protected))
                    return
