"""ASG002 asg-multi-az."""
from linter.model import as_list, as_number, rule, single_zone_scenario, subnets_of

GROUP = "AWS::AutoScaling::AutoScalingGroup"


@rule("ASG002", "asg-multi-az", severity="warning", tags=("reliability", "autoscaling"), catalogue="R26")
def asg_multi_az(graph, ctx):
    """An Auto Scaling group should launch instances in more than one Availability Zone.

    **What it checks.** For each `AWS::AutoScaling::AutoScalingGroup`:

    - **warning**: every subnet of `VPCZoneIdentifier` is in the same Availability Zone, or
      `AvailabilityZones` lists a single zone. Subnets whose zones come from `!Select [i, !GetAZs '']`
      count as distinct zones only when their indexes differ; zones are compared per scenario
      (parameters with `AllowedValues`, mapping rows, `Fn::If` branches).
    - **info**: a group behind a load balancer (`TargetGroupARNs` or `LoadBalancerNames`) with
      `MaxSize` 1: the web tier can never run more than one instance, so it has one zone whatever
      its subnets.

    Subnets the template does not describe (literal ids, imports, parameters) and subnets without an
    `AvailabilityZone` are *not evaluated*: AWS chooses their zone at deployment.

    **Why it matters.** A group confined to one zone loses all its instances when that zone fails, and
    Auto Scaling cannot replace them elsewhere. Spreading the group over two or more zones keeps the
    application available.

    **Example (fails).**

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "4"
            VPCZoneIdentifier: [!Ref PrivateSubnetA, !Ref PrivateSubnetA2]   # both in zone 0

    **Fix.** Give the group one subnet in each of at least two zones:

        WebGroup:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            MinSize: "2"
            MaxSize: "4"
            VPCZoneIdentifier: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]

    See https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html.
    """
    for group in graph.of_type(GROUP):
        if group.has("VPCZoneIdentifier"):
            yield from _subnet_zones(ctx, graph, group)
        elif group.has("AvailabilityZones"):
            yield from _listed_zones(ctx, group)
        yield from _single_instance_web_tier(ctx, group)


def _subnet_zones(ctx, graph, group):
    for (subnet_list,) in ctx.cases(group, group.get("VPCZoneIdentifier"), convert=as_list):
        if not subnet_list.value:
            continue   # an empty placeholder list: nothing to judge
        members = subnets_of(graph, subnet_list)
        unknown = [m.reason for m in members if m.resource is None]
        if unknown:
            ctx.not_evaluated(group, unknown[0])
            continue
        subnets = [m.resource for m in members]
        if len(subnets) > 1 and not all(s.has("AvailabilityZone") or s.has("AvailabilityZoneId") for s in subnets):
            ctx.not_evaluated(group, "some subnets set no AvailabilityZone, so AWS picks their zones")
            continue
        found = single_zone_scenario(subnets, within=(subnet_list,))
        if found is None:
            continue
        zone, cases = found
        names = ", ".join(s.logical_id for s in subnets)
        yield ctx.finding(group, f"all subnets of Auto Scaling group {group.describe()} ({names}) are in one "
                                 f"Availability Zone{_zone_text(zone)}; an outage of that zone takes every instance "
                                 "down: add a subnet in a second zone",
                          at="VPCZoneIdentifier", related=subnets, check="one-zone", cases=cases)
        return


def _listed_zones(ctx, group):
    for (zones,) in ctx.cases(group, group.get("AvailabilityZones"), convert=as_list):
        if zones.value is not None and len(zones.value) == 1:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} lists one Availability Zone "
                                     f"({zones.cite('AvailabilityZones')}); an outage of that zone takes every instance down: "
                                     "list two or more zones",
                              at="AvailabilityZones", check="one-zone", cases=(zones,))
            return


def _single_instance_web_tier(ctx, group):
    if not (group.has("TargetGroupARNs") or group.has("LoadBalancerNames")):
        return
    for (maximum,) in ctx.cases(group, group.get("MaxSize", default=False), convert=as_number):
        if maximum.value == 1:
            yield ctx.finding(group, f"Auto Scaling group {group.describe()} serves a load balancer but has "
                                     f"{maximum.cite('MaxSize')}: it never runs more than one instance, so it "
                                     "lives in one zone; raise MaxSize to spread it",
                              severity="info", at="MaxSize", check="single-instance", cases=(maximum,))
            return


def _zone_text(zone) -> str:
    # a zone written as !Select [i, !GetAZs ''] shows as a token; name it only when it is plain text
    return f" ({zone})" if zone is not None and "\u27e6" not in str(zone) else ""
