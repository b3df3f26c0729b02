"""VPC008 vpc-subnet-cidr-valid."""
from linter.model import as_network, combinations, existence_value, rule, subnet_zone, vpc_cidr_values, vpc_of, zone_region

SUBNET = "AWS::EC2::Subnet"
SMALLEST_PREFIX, LARGEST_PREFIX = 28, 16


@rule("VPC008", "vpc-subnet-cidr-valid", severity="error", tags=("correctness", "networking", "vpc"),
      catalogue="R110")
def subnet_cidr_valid(graph, ctx):
    """A subnet's address range must be a /16 to /28 inside its VPC's ranges, not overlap a sibling
    subnet, and its zone must belong to the same region as the template's other zones.

    **What it checks.** For every `AWS::EC2::Subnet` with an IPv4 `CidrBlock`:

    - the prefix length is between /16 and /28: **error** otherwise;
    - the range lies inside one of the VPC's ranges (`AWS::EC2::VPC` `CidrBlock` plus every
      `AWS::EC2::VPCCidrBlock` of that VPC): **error** otherwise;
    - it does not overlap another subnet of the same VPC in any scenario where both exist: **error**;
    - two subnets with hard-coded `AvailabilityZone` names (`us-east-1a`) of different regions in the
      same scenario: **error**.

    Ranges computed with `Fn::Cidr`, taken from IPAM pools, parameters without values or imports, and
    subnets of a VPC the template does not declare, are *not evaluated*. Which region the stack is
    deployed to is not known statically: a template whose zones all name one region passes, even if it
    is deployed elsewhere (the deploy then fails on the zone).

    **Why it matters.** EC2 rejects each of these subnets, and the stack rolls back: a range outside the
    VPC, overlapping another subnet, larger than /16 or smaller than /28, or a zone of another region.
    The usual cause is a VPC range changed without its subnets, or subnets copied between templates.

    **Example (fails).**

        Vpc:
          Type: AWS::EC2::VPC
          Properties: {CidrBlock: 10.0.0.0/16}
        SubnetA:
          Type: AWS::EC2::Subnet
          Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.0.0/24}   # outside 10.0.0.0/16

    **Fix.** Carve subnets out of the VPC range without overlap, for example with
    `!Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]`, and take zones from `!GetAZs ''`.
    """
    subnets = [s for s in graph.of_type(SUBNET) if s.has("CidrBlock")]
    by_vpc: dict[str, list] = {}
    for subnet in subnets:
        cidr = subnet.get("CidrBlock")
        yield from _judge_prefix(ctx, subnet, cidr)
        vpc, reason = vpc_of(graph, subnet)
        if vpc is None:
            ctx.not_evaluated(subnet, f"whether its range lies in its VPC is unknown: {reason}")
            continue
        by_vpc.setdefault(vpc.logical_id, []).append(subnet)
        yield from _judge_inside(graph, ctx, subnet, cidr, vpc)
    for members in by_vpc.values():
        for i, later in enumerate(members):
            for earlier in members[:i]:
                yield from _judge_overlap(ctx, earlier, later)
    yield from _judge_regions(ctx, graph.of_type(SUBNET))


def _judge_prefix(ctx, subnet, cidr):
    for (net,) in ctx.cases(subnet, cidr, convert=as_network):
        if net.value is None or net.value.version != 4:
            continue
        if not LARGEST_PREFIX <= net.value.prefixlen <= SMALLEST_PREFIX:
            yield ctx.finding(subnet, f"subnet {subnet.describe()} has range {net.show()}, a /{net.value.prefixlen}; "
                                      "EC2 accepts subnets from /16 to /28 only", at="CidrBlock", check="prefix",
                              cases=(net,))


def _judge_inside(graph, ctx, subnet, cidr, vpc):
    blocks = vpc_cidr_values(graph, vpc)
    holders = [h for h, _ in blocks]
    for combo in ctx.cases(subnet, cidr, *(v for _, v in blocks), convert=as_network):
        net, ranges = combo[0], [c for c in combo[1:] if c.value is not None]
        if net.value is None or net.value.version != 4 or not ranges:
            continue
        if any(net.value.version == r.value.version and net.value.subnet_of(r.value) for r in ranges):
            continue
        shown = ", ".join(r.show() for r in ranges)
        yield ctx.finding(subnet, f"subnet {subnet.describe()} has range {net.show()}, outside the ranges of VPC "
                                  f"{vpc.describe()} ({shown}); EC2 rejects the subnet: pick a range inside the VPC "
                                  "or add a VPCCidrBlock", at="CidrBlock", check="outside-vpc",
                          related=holders, cases=combo)


def _judge_overlap(ctx, earlier, later):
    for a, b, *_ in ctx.cases(later, earlier.get("CidrBlock"), later.get("CidrBlock"), existence_value(earlier),
                              existence_value(later), convert=_network_or_none):
        if a.value is None or b.value is None or a.value.version != b.value.version:
            continue
        if a.value.overlaps(b.value):
            yield ctx.finding(later, f"subnet {later.describe()} has range {b.show()}, which overlaps range "
                                     f"{a.show()} of subnet {earlier.describe()} in the same VPC; EC2 rejects the "
                                     "second subnet", at="CidrBlock", check="overlap", related=[earlier],
                              cases=(a, b, *_))


def _network_or_none(case):
    # The existence markers carry None; the ranges convert.
    return None if case.value is None else as_network(case)


def _judge_regions(ctx, subnets):
    # Pairwise, so zones picked per region from a mapping (one row per scenario) are only compared
    # within the same scenario.
    zoned = [s for s in subnets if s.has("AvailabilityZone")]
    for i, later in enumerate(zoned):
        found = next(((earlier, a, b) for earlier in zoned[:i]
                      for a, b in combinations(subnet_zone(earlier), subnet_zone(later))
                      if zone_region(a.value) and zone_region(b.value)
                      and zone_region(a.value) != zone_region(b.value)), None)
        if found is not None:
            earlier, a, b = found
            first, second = zone_region(a.value), zone_region(b.value)
            yield ctx.finding(later, f"subnet {later.describe()} is in zone {b.show()} of region {second}, "
                                     f"while subnet {earlier.describe()} is in zone {a.show()} of region "
                                     f"{first}; a stack lives in one region, so one of them cannot be "
                                     "created: take zones from !GetAZs ''", at="AvailabilityZone",
                              check="zone-region", related=[earlier], cases=(a, b))
