"""Networking questions rules share: subnet class, subnet zone, security group reachability, endpoints.

Every answer is three-valued or carries its reason: a subnet whose route table the template does not
describe is of class ``UNKNOWN`` (never guessed public or private), a security group rule whose port
comes from a parameter without a value makes :func:`egress_allows` answer unknown.

Subnet class (catalogue §B): follow the subnet's ``SubnetRouteTableAssociation`` to its route table,
then the table's ``AWS::EC2::Route`` for ``0.0.0.0/0``:

- ``GatewayId`` of an internet gateway: ``PUBLIC``
- ``NatGatewayId``, or ``InstanceId`` / ``NetworkInterfaceId`` of a NAT instance: ``PRIVATE_NAT``
- transit gateway, peering, endpoint, core network, local or carrier gateway: ``ELSEWHERE``
- no default route: ``ISOLATED``
- no association (the VPC's main route table, which a template cannot declare), a table outside the
  template, a route target or destination that depends on a condition or is unknown: ``UNKNOWN``

The IPv6 default route (``::/0``) is reported separately in ``SubnetClass.ipv6``: an egress-only
internet gateway gives IPv6 egress, never IPv4, so it does not change the subnet's class.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import NamedTuple

from .graph import Graph, Resource
from .kinds import ASSOCIATION, ROUTES_VIA
from .tri import Verdict, across_cases, any_of
from .values import Case, Unknown, Value, combinations, display, merge_assumptions

SUBNET = "AWS::EC2::Subnet"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
ROUTE = "AWS::EC2::Route"

PUBLIC = "public"
PRIVATE_NAT = "private-nat"
ISOLATED = "isolated"
ELSEWHERE = "elsewhere"
UNKNOWN = "unknown"
EGRESS_ONLY = "egress-only"   # SubnetClass.ipv6 only: ::/0 to an egress-only internet gateway
SUBNET_CLASSES = (PUBLIC, PRIVATE_NAT, ISOLATED, ELSEWHERE, UNKNOWN)

IPV4_DEFAULT = "0.0.0.0/0"
IPV6_DEFAULT = "::/0"
NAT_KEYS = ("NatGatewayId", "InstanceId", "NetworkInterfaceId")
ELSEWHERE_KEYS = ("TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId", "CoreNetworkArn",
                  "LocalGatewayId", "CarrierGatewayId")
ROUTE_TARGET_KEYS = NAT_KEYS + ELSEWHERE_KEYS + ("GatewayId", "EgressOnlyInternetGatewayId")


@dataclass(frozen=True)
class SubnetClass:
    """The class of a subnet for IPv4 egress, the reason (naming the route or table), and its table."""

    kind: str                              # PUBLIC, PRIVATE_NAT, ISOLATED, ELSEWHERE or UNKNOWN
    reason: str
    subnet: Resource | None = None
    route_table: Resource | None = None
    ipv6: str = ISOLATED                   # PUBLIC, EGRESS_ONLY, ISOLATED, ELSEWHERE or UNKNOWN for ::/0

    @property
    def settled(self) -> bool:
        """False for UNKNOWN and ELSEWHERE: no rule can judge egress through such a subnet."""
        return self.kind not in (UNKNOWN, ELSEWHERE)


class Member(NamedTuple):
    """One entry of a list of references (subnets, security groups): the resource of the template, or
    None with the reason it cannot be followed, and the case (scenario) the entry came from."""

    resource: Resource | None
    reason: str
    case: Case


# ---------------------------------------------------------------- subnets


def subnets_of(graph: Graph, value) -> list[Member]:
    """The subnets a ``SubnetIds`` value names: a :class:`Value` or one :class:`Case` of a list.

    Each entry is a subnet resource of the template, or None with why (a literal id, an import, a
    parameter without a value). A list that is itself unknown gives one entry with the reason. Entries
    of every case of a Value are returned, each with its case (its scenario).
    Example: ``[m.resource for m in subnets_of(graph, fn.get("VpcConfig.SubnetIds"))]``.
    """
    return _members(graph, value, SUBNET, "subnet")


def security_groups_of(graph: Graph, value) -> list[Member]:
    """The security groups a ``SecurityGroupIds`` value names, as :func:`subnets_of` does for subnets."""
    return _members(graph, value, SECURITY_GROUP, "security group")


def _members(graph, value, rtype, noun) -> list[Member]:
    cases = [value] if isinstance(value, Case) else list(value)
    out = []
    for case in cases:
        if isinstance(case.value, Unknown):
            out.append(Member(None, f"the {noun} list is unknown: {case.value.reason}", case))
            continue
        if not isinstance(case.value, list):
            continue
        for item in case.value:
            item_case = Case(item, case.origin, case.assumptions)
            found, _ = graph.follow(item_case)
            if found is None or found.type != rtype:
                why = item.reason if isinstance(item, Unknown) else \
                    f"{noun} {display(item)} is not described by this template"
                out.append(Member(None, why, item_case))
            else:
                out.append(Member(found, "", item_case))
    return out


def subnet_class(graph: Graph, subnet: Resource) -> SubnetClass:
    """Public, private with NAT, isolated, egress elsewhere or unknown (see the module docstring)."""
    edges = [e for e in graph.edges(ROUTES_VIA, source=subnet) if e.role == ASSOCIATION]
    if not edges:
        loose = [d for d in graph.dangling_links(ROUTES_VIA)
                 if d.holder.type == "AWS::EC2::SubnetRouteTableAssociation" and _names(graph, d.holder, subnet)]
        if loose:
            return SubnetClass(UNKNOWN, f"the route table of subnet {subnet.logical_id} is not in this template",
                               subnet)
        return SubnetClass(UNKNOWN, f"subnet {subnet.logical_id} has no route table association, so it uses the "
                                    "VPC's main route table, which the template does not describe", subnet)
    if any(e.assumptions for e in edges):
        return SubnetClass(UNKNOWN, f"the route table association of subnet {subnet.logical_id} depends on a "
                                    "condition (without it the subnet uses the VPC's main route table)", subnet)
    routes = _routes_by_table(graph)
    classes = {}
    for edge in edges:
        kind, why, ipv6 = _classify_table(graph, edge.target, routes.get(edge.target.logical_id, ()))
        classes[(kind, why, ipv6)] = edge.target
    if len({k for k, _, _ in classes}) != 1:
        return SubnetClass(UNKNOWN, f"subnet {subnet.logical_id} is associated with route tables of different "
                                    "kinds", subnet)
    (kind, why, ipv6), table = next(iter(classes.items()))
    return SubnetClass(kind, why, subnet, table, ipv6)


def _names(graph, holder, subnet) -> bool:
    return any(graph.follow(case)[0] is subnet for case in holder.get("SubnetId"))


_ROUTES_CACHE: dict = {"graph": None, "routes": None}


def _routes_by_table(graph) -> dict:
    """Routes per route table id; kept for the last graph asked about (rules ask per subnet)."""
    if _ROUTES_CACHE["graph"] is graph:
        return _ROUTES_CACHE["routes"]
    out: dict[str, list] = {}
    for route in graph.of_type(ROUTE):
        for case in route.get("RouteTableId"):
            table, _ = graph.follow(case)
            if table is not None:
                out.setdefault(table.logical_id, []).append(route)
    _ROUTES_CACHE.update(graph=graph, routes=out)
    return out


def _classify_table(graph, table, routes):
    """(kind, reason, ipv6 kind) of one route table."""
    ipv4 = _default_route_kind(graph, table, routes, "DestinationCidrBlock", IPV4_DEFAULT)
    ipv6 = _default_route_kind(graph, table, routes, "DestinationIpv6CidrBlock", IPV6_DEFAULT)
    return ipv4[0], ipv4[1], ipv6[0]


def _default_route_kind(graph, table, routes, destination_key, default):
    for route in routes:
        dest = route.get(destination_key, default=False)
        # A destination that is not a CIDR string (a mapping or list written by mistake) is unknown too.
        if any(not c.known or (c.value is not None and not isinstance(c.value, str)) for c in dest):
            return UNKNOWN, f"the destination of route {route.logical_id} is unknown"
        values = {c.value for c in dest}
        if default not in values:
            continue
        if route.existence or len(values) > 1:
            return UNKNOWN, f"route {route.logical_id} exists only under a condition"
        targets = {k: route.get(k, default=False) for k in ROUTE_TARGET_KEYS if route.has(k)}
        # A target key that is AWS::NoValue in every scenario is absent.
        targets = {k: v for k, v in targets.items() if any(c.value is not None for c in v)}
        if any(c.value is None or not c.known for v in targets.values() for c in v):
            # The target itself depends on a condition (or is unknown): which kind of subnet it
            # makes is not settled.
            return UNKNOWN, f"the target of route {route.logical_id} depends on a condition or is unknown"
        for key in NAT_KEYS:
            if key in targets:
                return PRIVATE_NAT, f"route {route.logical_id} sends {default} to a NAT"
        for key in ELSEWHERE_KEYS:
            if key in targets:
                return ELSEWHERE, f"route {route.logical_id} sends {default} through {key}, which is not judged"
        if "EgressOnlyInternetGatewayId" in targets:
            return EGRESS_ONLY, f"route {route.logical_id} sends {default} to an egress-only internet gateway"
        if "GatewayId" in targets:
            for case in targets["GatewayId"]:
                target, _ = graph.follow(case)
                if target is not None and target.type == "AWS::EC2::InternetGateway":
                    return PUBLIC, f"route {route.logical_id} sends {default} to internet gateway {target.logical_id}"
                if target is None and isinstance(case.value, str) and case.value.startswith("igw-"):
                    return PUBLIC, f"route {route.logical_id} sends {default} to internet gateway {case.value}"
                return UNKNOWN, f"the gateway of route {route.logical_id} is not known"
        return UNKNOWN, f"route {route.logical_id} has a default route to a target this check does not know"
    return ISOLATED, f"route table {table.logical_id} has no default route"


def subnet_zone(subnet: Resource) -> Value:
    """The subnet's ``AvailabilityZone`` (or ``AvailabilityZoneId``); unknown when absent (AWS picks one)."""
    for key in ("AvailabilityZone", "AvailabilityZoneId"):
        if subnet.has(key):
            return subnet.get(key)
    return Value.unknown(f"subnet {subnet.logical_id} sets no AvailabilityZone, so AWS picks one")


def single_zone_scenario(subnets, *, within=()):
    """The first scenario in which every subnet is in the same zone: ``(zone, cases)``, else None.

    ``zone`` is the zone value (None when a lone subnet sets no zone; one subnet is always one zone);
    ``cases`` are the cases that make the scenario, for a finding's ``cases=``. Scenarios whose zone is
    unknown are skipped; subnets without a zone among several make the answer None (AWS picks).
    ``within`` (cases, of a VpcConfig say) restricts scenarios to those consistent with them.
    """
    subnets = list(subnets)
    base = [Value([c]) for c in within]
    zones = [subnet_zone(s) for s in subnets if s.has("AvailabilityZone") or s.has("AvailabilityZoneId")]
    if len(zones) < len(subnets) and len(subnets) > 1:
        return None
    for combo in combinations(*base, *zones):
        picked = combo[len(base):]
        if any(not c.known or not isinstance(c.value, str) for c in picked):
            continue
        names = {c.value for c in picked}
        if len(names) <= 1:
            return (next(iter(names)) if names else None), combo
    return None


# ---------------------------------------------------------------- security groups

_PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


def egress_allows(graph: Graph, group: Resource, *, protocol: str = "tcp", port: int) -> Verdict:
    """Whether the group's egress rules (inline and ``AWS::EC2::SecurityGroupEgress``) let ``port`` out.

    A group without ``SecurityGroupEgress`` keeps its default allow-all egress rule. The destination is
    not considered: any rule that admits the protocol and port answers yes.
    """
    standalone = [_standalone_verdict(r, group, protocol, port, None, None)
                  for r in _standalone_rules(graph, "AWS::EC2::SecurityGroupEgress", group)]
    per_case = []
    for case in group.get("SecurityGroupEgress", default=False):
        if case.known and case.value is None:
            per_case.append((case, Verdict.true(f"security group {group.logical_id} sets no egress rules and "
                                                "keeps the default rule that allows all traffic out")))
            continue
        entries = case.value if case.known and isinstance(case.value, list) else [None]
        verdicts = [_entry_verdict(graph, group, e, protocol, port, None, None, "egress") for e in entries]
        per_case.append((case, any_of(standalone + verdicts, f"no egress rule of security group "
                                                            f"{group.logical_id} allows {protocol}/{port}")))
    return across_cases(per_case)


def ingress_allows(graph: Graph, group: Resource, *, port: int, protocol: str = "tcp",
                   source_group: Resource | None = None, cidr: str | None = None) -> Verdict:
    """Whether the group's ingress rules (inline and ``AWS::EC2::SecurityGroupIngress``) admit traffic.

    ``source_group``: traffic from members of that group (a rule naming the group, or 0.0.0.0/0; a
    narrower CIDR may or may not hold the members: unknown). ``cidr``: traffic from that range (a rule
    whose range contains it). Neither: any rule that admits the protocol and port.
    """
    standalone = [_standalone_verdict(r, group, protocol, port, source_group, cidr)
                  for r in _standalone_rules(graph, "AWS::EC2::SecurityGroupIngress", group)]
    what = f"{protocol}/{port}" + (f" from {source_group.logical_id}" if source_group is not None else "") + \
        (f" from {cidr}" if cidr else "")
    none_reason = f"no ingress rule of security group {group.logical_id} admits {what}"
    per_case = []
    for case in group.get("SecurityGroupIngress", default=False):
        if case.known and case.value is None:
            per_case.append((case, any_of(standalone, none_reason)))
            continue
        entries = case.value if case.known and isinstance(case.value, list) else [None]
        verdicts = [_entry_verdict(graph, group, e, protocol, port, source_group, cidr, "ingress") for e in entries]
        per_case.append((case, any_of(standalone + verdicts, none_reason)))
    return across_cases(per_case)


def _standalone_rules(graph, rtype, group):
    out = []
    for rule_resource in graph.of_type(rtype):
        if any(graph.follow(case)[0] is group for case in rule_resource.get("GroupId")):
            out.append(rule_resource)
    return out


_RULE_KEYS = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId",
              "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId")


def _standalone_verdict(resource, group, protocol, port, source_group, cidr) -> Verdict:
    keys = [k for k in _RULE_KEYS if resource.has(k)]
    direction = "egress" if resource.type.endswith("Egress") else "ingress"
    pairs = []
    for combo in combinations(*(resource.get(k, default=False) for k in keys)):
        entry = {k: c.value for k, c in zip(keys, combo)}
        assumptions: tuple | None = ()
        for c in combo:
            assumptions = merge_assumptions(assumptions, c.assumptions)
        scenario = Case(None, "", assumptions or ())
        verdict = _entry_verdict(resource.graph, group, entry, protocol, port, source_group, cidr, direction,
                                 name=resource.logical_id)
        pairs.append((scenario, verdict))
    if existence := resource.existence:
        pairs.append((Case(None, "", tuple((k, not v) for k, v in existence)),
                      Verdict.false(f"rule {resource.logical_id} does not exist")))
    return across_cases(pairs)


def _entry_verdict(graph, group, entry, protocol, port, source_group, cidr, direction, name=None) -> Verdict:
    """One rule (a dict of resolved values): does it admit protocol/port (and the source, for ingress)?"""
    label = f"rule {name}" if name else f"an {direction} rule of security group {group.logical_id}"
    unknown = Verdict.unknown(f"{label} is not known" if name is None
                              else f"the {direction} rule {name} of security group {group.logical_id} is not known")
    if not isinstance(entry, dict):
        return Verdict.unknown(f"an {direction} rule of security group {group.logical_id} is not known")
    rule_protocol = entry.get("IpProtocol")
    if isinstance(rule_protocol, Unknown) or rule_protocol is None:
        return unknown
    rule_protocol = str(rule_protocol).lower()
    if rule_protocol not in ("-1", "all"):
        wanted = str(protocol).lower()
        if _PROTOCOL_NUMBERS.get(rule_protocol, rule_protocol) != _PROTOCOL_NUMBERS.get(wanted, wanted):
            return Verdict.false(f"{label} is for protocol {rule_protocol}")
        low, high = entry.get("FromPort"), entry.get("ToPort")
        try:
            low, high = int(low), int(high)
        except (TypeError, ValueError):
            return unknown
        if not (low == -1 or low <= port <= high):
            return Verdict.false(f"{label} covers ports {low}-{high}")
    if direction == "egress" or (source_group is None and cidr is None):
        return Verdict.true(f"{label} allows {protocol}/{port}")
    return _source_verdict(graph, entry, label, source_group, cidr)


def _source_verdict(graph, entry, label, source_group, cidr) -> Verdict:
    if "SourceSecurityGroupId" in entry:
        value = entry["SourceSecurityGroupId"]
        if source_group is None:
            return Verdict.false(f"{label} admits a security group, not a CIDR range")
        found, reason = graph.follow(Case(value))
        if found is source_group:
            return Verdict.true(f"{label} admits security group {source_group.logical_id}")
        if found is not None:
            return Verdict.false(f"{label} admits security group {found.logical_id}")
        return Verdict.unknown(f"the source group of {label} is not known: {reason}")
    for key in ("CidrIp", "CidrIpv6"):
        if key not in entry:
            continue
        value = entry[key]
        if isinstance(value, Unknown) or not isinstance(value, str):
            return Verdict.unknown(f"the {key} of {label} is not known")
        try:
            allowed = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return Verdict.unknown(f"the {key} of {label} ({display(value)}) is not an address range")
        if source_group is not None:
            if allowed.prefixlen == 0:
                return Verdict.true(f"{label} admits {value}, every address")
            return Verdict.unknown(f"{label} admits {value}, which may hold the members of "
                                   f"{source_group.logical_id}")
        try:
            wanted = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return Verdict.unknown(f"{cidr!r} is not an address range")
        if wanted.version != allowed.version:
            return Verdict.false(f"{label} admits {value}, another IP version")
        if wanted.subnet_of(allowed):
            return Verdict.true(f"{label} admits {value}, which contains {cidr}")
        if wanted.overlaps(allowed):
            return Verdict.unknown(f"{label} admits {value}, which holds part of {cidr}")
        return Verdict.false(f"{label} admits {value}, outside {cidr}")
    if "SourcePrefixListId" in entry:
        return Verdict.unknown(f"{label} admits a prefix list, whose ranges the template does not show")
    return Verdict.unknown(f"{label} names no source")


# ---------------------------------------------------------------- VPC endpoints


def endpoint_services(graph: Graph) -> set:
    """Short names of the services with a VPC endpoint in the template (``s3``, ``sqs`` …)."""
    services = set()
    for endpoint in graph.of_type("AWS::EC2::VPCEndpoint"):
        for case in endpoint.get("ServiceName"):
            if case.known and isinstance(case.value, str):
                services.add(case.value.rsplit(".", 1)[-1].lower())
    return services
