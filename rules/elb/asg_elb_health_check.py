"""ASG001 asg-elb-health-check."""
from linter.model import as_bool, as_number, as_text, rule

GROUP = "AWS::AutoScaling::AutoScalingGroup"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
LIFECYCLE_HOOK = "AWS::AutoScaling::LifecycleHook"


@rule("ASG001", "asg-elb-health-check", severity="warning", tags=("reliability", "autoscaling", "elb"),
      catalogue="R25")
def asg_elb_health_check(graph, ctx):
    """An Auto Scaling group behind a load balancer should replace instances the load balancer finds unhealthy.

    **What it checks.**

    - **warning**: an `AWS::AutoScaling::AutoScalingGroup` with `TargetGroupARNs` or `LoadBalancerNames`
      whose `HealthCheckType` is `EC2` (the Auto Scaling default).
    - **warning**: a group with `HealthCheckType: ELB` whose `HealthCheckGracePeriod` is 0 (the Auto
      Scaling default in CloudFormation; the console uses 300) and that has no lifecycle hook (neither
      `LifecycleHookSpecificationList` nor an `AWS::AutoScaling::LifecycleHook` naming the group).
      The real boot time of the application cannot be seen in a template, so only 0 is reported.
    - **warning**: an `AWS::ElasticLoadBalancingV2::TargetGroup` with `HealthCheckEnabled: false`.

    Values from parameters without a value or imports are *not evaluated*.

    **Why it matters.** With EC2 health checks Auto Scaling only sees whether the virtual machine runs: an
    instance whose application hangs stays in service and keeps failing the load balancer's checks. With
    ELB health checks and no grace period, a new instance is judged before it has booted, marked
    unhealthy and replaced, again and again. A target group without health checks sends traffic to dead
    targets.

    **Example (fails).**

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "4"
            TargetGroupARNs: [!Ref WebTargetGroup]
            VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]

    **Fix.**

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "4"
            HealthCheckType: ELB
            HealthCheckGracePeriod: 300
            TargetGroupARNs: [!Ref WebTargetGroup]
            VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]

    See https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html.
    """
    hooks = graph.of_type(LIFECYCLE_HOOK)
    for group in graph.of_type(GROUP):
        if not (group.has("TargetGroupARNs") or group.has("LoadBalancerNames")):
            continue
        hooked = group.has("LifecycleHookSpecificationList") or any(
            graph.refers_to(hook.get("AutoScalingGroupName"), group) for hook in hooks)
        for kind, grace in ctx.cases(group, group.get("HealthCheckType"), group.get("HealthCheckGracePeriod"),
                                     convert=(as_text, as_number)):
            if (kind.value or "").upper() == "EC2":
                yield ctx.finding(group, f"Auto Scaling group {group.describe()} serves a load balancer but uses "
                                         f"{kind.cite('HealthCheckType')}: an instance whose application hangs is "
                                         "never replaced; set HealthCheckType: ELB",
                                  at="HealthCheckType", check="ec2-health-check", cases=(kind,))
            elif (kind.value or "").upper() == "ELB" and grace.value == 0 and not hooked:
                yield ctx.finding(group, f"Auto Scaling group {group.describe()} uses ELB health checks with "
                                         f"{grace.cite('HealthCheckGracePeriod', 's')}: new instances are judged "
                                         "before they boot and replaced in a loop; set a grace period longer "
                                         "than the boot time", at="HealthCheckGracePeriod", check="grace-period",
                                  cases=(kind, grace))
    for target_group in graph.of_type(TARGET_GROUP):
        for (enabled,) in ctx.cases(target_group, target_group.get("HealthCheckEnabled", default=False),
                                    convert=as_bool):
            if enabled.value is False:
                yield ctx.finding(target_group, f"target group {target_group.describe()} has "
                                                f"{enabled.cite('HealthCheckEnabled')}: the load balancer keeps "
                                                "sending requests to targets that are down; enable health checks",
                                  at="HealthCheckEnabled", check="health-check-disabled", cases=(enabled,))
                break
