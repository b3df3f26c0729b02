"""VPC003 vpc-internet-path-valid."""
from linter.model import PUBLIC, follow_one, kinds, rule, subnet_class, subnet_zone, vpc_of, waits_for

NAT = "AWS::EC2::NatGateway"
IGW = "AWS::EC2::InternetGateway"
ATTACHMENT = "AWS::EC2::VPCGatewayAttachment"


@rule("VPC003", "vpc-internet-path-valid", severity="error", tags=("reliability", "networking", "vpc"),
      catalogue="R22")
def internet_path_valid(graph, ctx):
    """The path to the internet must be wired right: NAT gateways in public subnets with an Elastic
    IP, internet gateways attached to the route's VPC, and one NAT gateway per zone.

    **What it checks.**

    - A public NAT gateway (`ConnectivityType` absent or `public`) whose subnet is not public (its
      route table sends `0.0.0.0/0` to a NAT or nowhere): **error** (`nat-subnet`).
    - A public NAT gateway without `AllocationId`: **error** (`nat-allocation`).
    - A route to an internet gateway that has no `AWS::EC2::VPCGatewayAttachment` to the route
      table's VPC: **error** (`igw-attachment`).
    - A route to an internet gateway that CloudFormation may create before that attachment (no
      `DependsOn` on it, directly or through the resources the route refers to): warning (`depends-on`).
    - Private subnets in several Availability Zones whose default routes all lead to the same NAT
      gateway: warning (`single-nat`).

    Subnets whose route table the template does not describe, gateways and VPCs of other stacks, and
    routes whose target depends on a condition are *not evaluated*.

    **Why it matters.** A NAT gateway in a private subnet has no way out itself, so every subnet routed
    to it loses internet access. Without an Elastic IP a public NAT gateway cannot be created. A route
    to an unattached gateway fails, and without `DependsOn` CloudFormation may create the route before
    the attachment ("route table ... and network gateway ... belong to different networks"). A single
    NAT gateway is zonal: when its zone fails, every zone loses egress.

    **Example (fails).**

        Nat:
          Type: AWS::EC2::NatGateway
          Properties:
            AllocationId: !GetAtt NatIp.AllocationId
            SubnetId: !Ref PrivateSubnetA      # routed to the NAT itself, not to the IGW

    **Fix.** Put each NAT gateway (with an Elastic IP) in a public subnet of its zone, route each
    zone's private subnets to the NAT of that zone, and give routes to the internet gateway
    `DependsOn: <the VPCGatewayAttachment>`.
    """
    for nat in graph.of_type(NAT):
        yield from _judge_nat(graph, ctx, nat)
    for route in graph.of_type("AWS::EC2::Route"):
        if route.has("GatewayId"):
            yield from _judge_igw_route(graph, ctx, route)
    yield from _judge_single_nat(graph, ctx)


def _judge_nat(graph, ctx, nat):
    for kind, allocation in ctx.cases(nat, nat.get("ConnectivityType"), nat.get("AllocationId", default=False)):
        if kind.value != "public":
            continue
        if allocation.value is None:
            yield ctx.finding(nat, f"NAT gateway {nat.describe()} has {kind.cite('ConnectivityType')} but has no AllocationId; "
                                   "a public NAT gateway needs an Elastic IP: add one, or set ConnectivityType: private",
                              check="nat-allocation", cases=(kind, allocation))
        subnet, reason = follow_one(graph, nat, "SubnetId", "AWS::EC2::Subnet")
        if subnet is None:
            ctx.not_evaluated(nat, f"whether its subnet is public is unknown: {reason}")
            continue
        cls = subnet_class(graph, subnet)
        if not cls.settled:
            ctx.not_evaluated(nat, cls.reason)
        elif cls.kind != PUBLIC:
            yield ctx.finding(nat, f"NAT gateway {nat.describe()} ({kind.cite('ConnectivityType')}) sits in subnet {subnet.describe()}, which is not "
                                   f"public ({cls.reason}); the NAT has no way out, so every subnet routed to it loses "
                                   "internet access: put it in a subnet whose default route is the internet gateway",
                              at="SubnetId", check="nat-subnet", related=[subnet], cases=(kind,))


def _judge_igw_route(graph, ctx, route):
    gateway, _ = follow_one(graph, route, "GatewayId")
    if gateway is None or gateway.type != IGW:
        return
    table, reason = follow_one(graph, route, "RouteTableId", "AWS::EC2::RouteTable")
    vpc = None
    if table is not None:
        vpc, reason = vpc_of(graph, table)
    if vpc is None:
        ctx.not_evaluated(route, f"the VPC of its route table is unknown: {reason}")
        return
    attachments = [a for a in graph.of_type(ATTACHMENT)
                   if follow_one(graph, a, "InternetGatewayId")[0] is gateway]
    same_vpc = [a for a in attachments if vpc_of(graph, a)[0] is vpc]
    if not same_vpc:
        if any(vpc_of(graph, a)[0] is None for a in attachments):
            ctx.not_evaluated(route, f"the VPC internet gateway {gateway.describe()} is attached to is not known")
            return
        where = f"is attached to {', '.join(vpc_of(graph, a)[0].describe() for a in attachments)}" if attachments \
            else "has no VPCGatewayAttachment"
        yield ctx.finding(route, f"route {route.describe()} sends traffic to internet gateway {gateway.describe()}, which "
                                 f"{where}, not to VPC {vpc.describe()} of route table {table.describe()}; the route "
                                 "cannot be created: attach the gateway to that VPC", at="GatewayId",
                          check="igw-attachment", related=[gateway, table])
        return
    if not any(waits_for(graph, route, a) for a in same_vpc):
        yield ctx.finding(route, f"route {route.describe()} to internet gateway {gateway.describe()} has no DependsOn "
                                 f"on its attachment {same_vpc[0].describe()}; CloudFormation may create the route first "
                                 "and fail: add DependsOn: " + same_vpc[0].logical_id,
                          severity="warning", at="GatewayId", check="depends-on", related=same_vpc)


def _judge_single_nat(graph, ctx):
    served: dict[str, list] = {}
    for route in graph.of_type("AWS::EC2::Route"):
        if not route.has("NatGatewayId") or route.existence:
            continue
        if not any(c.value == "0.0.0.0/0" for c in route.get("DestinationCidrBlock", default=False)):
            continue
        nat, _ = follow_one(graph, route, "NatGatewayId", NAT)
        table, _ = follow_one(graph, route, "RouteTableId", "AWS::EC2::RouteTable")
        if nat is None or table is None:
            continue
        for edge in graph.edges(kinds.ROUTES_VIA, target=table):
            if edge.role == kinds.ASSOCIATION and not edge.assumptions:
                served.setdefault(nat.logical_id, []).append(edge.source)
    for nat_id, subnets in served.items():
        zones = {}
        for subnet in subnets:
            zone = subnet_zone(subnet).single
            if zone is not None:
                zones.setdefault(str(zone), subnet)
        nat = graph.resources[nat_id]
        if len(zones) >= 2 and len(served) == 1:
            names = ", ".join(s.logical_id for s in dict.fromkeys(subnets))
            yield ctx.finding(nat, f"private subnets in {len(zones)} Availability Zones ({names}) all send their "
                                   f"internet traffic through NAT gateway {nat.describe()}; when its zone fails, every "
                                   "zone loses egress: add one NAT gateway per zone", severity="warning",
                              check="single-nat", related=list(dict.fromkeys(subnets)))
