"""VPC006 vpc-peering-no-cidr-overlap."""
from linter.model import as_network, rule, vpc_cidr_values, vpc_of

PEERING = "AWS::EC2::VPCPeeringConnection"


@rule("VPC006", "vpc-peering-no-cidr-overlap", severity="error", tags=("correctness", "networking", "vpc"),
      catalogue="R52")
def peering_no_overlap(graph, ctx):
    """Two peered VPCs must not share addresses, and a peering route must lead into the peer VPC.

    **What it checks.**

    - An `AWS::EC2::VPCPeeringConnection` whose two VPCs (`VpcId`, `PeerVpcId`) have overlapping
      IPv4 ranges (each VPC's `CidrBlock` and its `AWS::EC2::VPCCidrBlock`s): **error**.
    - An `AWS::EC2::Route` through the peering (`VpcPeeringConnectionId`) whose destination lies outside
      every range of the VPC on the other side: warning. Peering is not transitive, so traffic for a
      third network sent through it is dropped.

    A peer VPC of another stack or account (a literal id, a parameter, an import) and ranges from
    `Fn::Cidr` or IPAM pools are *not evaluated*.

    **Why it matters.** EC2 refuses to peer VPCs with overlapping ranges: the peering connection fails
    and the stack rolls back. A route that expects the peer to forward traffic onwards (to an on-premises
    network or a third VPC) silently blackholes it.

    **Example (fails).**

        AppVpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
        SharedVpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.128.0/17}}
        Peering:
          Type: AWS::EC2::VPCPeeringConnection
          Properties: {VpcId: !Ref AppVpc, PeerVpcId: !Ref SharedVpc}

    **Fix.** Give the VPCs disjoint ranges (plan them from one address plan), and reach third networks
    through a transit gateway rather than through a peer.
    """
    peer_of = {}
    for peering in graph.of_type(PEERING):
        own, own_reason = vpc_of(graph, peering, "VpcId")
        peer, peer_reason = vpc_of(graph, peering, "PeerVpcId")
        if own is None or peer is None:
            ctx.not_evaluated(peering, own_reason or peer_reason)
            continue
        peer_of[peering.logical_id] = (own, peer)
        own_blocks, peer_blocks = vpc_cidr_values(graph, own), vpc_cidr_values(graph, peer)
        values = [v for _, v in own_blocks] + [v for _, v in peer_blocks]
        for combo in ctx.cases(peering, *values, convert=as_network):
            mine = [c for c in combo[:len(own_blocks)] if c.value is not None]
            theirs = [c for c in combo[len(own_blocks):] if c.value is not None]
            clash = next(((a, b) for a in mine for b in theirs
                          if a.value.version == b.value.version and a.value.overlaps(b.value)), None)
            if clash is not None:
                a, b = clash
                yield ctx.finding(peering, f"peering {peering.describe()} joins VPC {own.describe()} ({a.show()}) and "
                                           f"VPC {peer.describe()} ({b.show()}), whose ranges overlap; EC2 rejects "
                                           "the peering: give the VPCs disjoint ranges", at="PeerVpcId",
                                  check="overlap", related=[own, peer], cases=(a, b))
                break
    yield from _judge_routes(graph, ctx, peer_of)


def _judge_routes(graph, ctx, peer_of):
    for route in graph.of_type("AWS::EC2::Route"):
        if not route.has("VpcPeeringConnectionId") or not route.has("DestinationCidrBlock"):
            continue
        peering = None
        for case in route.get("VpcPeeringConnectionId"):
            peering, _ = graph.follow(case)
        if peering is None or peering.logical_id not in peer_of:
            continue
        table = None
        for case in route.get("RouteTableId"):
            table, _ = graph.follow(case)
        if table is None:
            ctx.not_evaluated(route, "its route table is not in this template")
            continue
        table_vpc, reason = vpc_of(graph, table)
        own, peer = peer_of[peering.logical_id]
        if table_vpc is None or table_vpc not in (own, peer):
            if table_vpc is None:
                ctx.not_evaluated(route, reason)
            continue
        far = peer if table_vpc is own else own
        blocks = vpc_cidr_values(graph, far)
        for combo in ctx.cases(route, route.get("DestinationCidrBlock"), *(v for _, v in blocks), convert=as_network):
            dest, ranges = combo[0], [c for c in combo[1:] if c.value is not None]
            if dest.value is None or not ranges:
                continue
            if any(dest.value.version == r.value.version and dest.value.overlaps(r.value) for r in ranges):
                continue
            shown = ", ".join(r.show() for r in ranges)
            yield ctx.finding(route, f"route {route.describe()} sends {dest.show()} through peering "
                                     f"{peering.describe()}, but the VPC on the other side, {far.describe()}, holds "
                                     f"only {shown}; peering is not transitive, so this traffic is dropped: use a "
                                     "transit gateway or peer with the destination directly",
                              severity="warning", at="DestinationCidrBlock", check="transitive",
                              related=[peering, far], cases=combo)
