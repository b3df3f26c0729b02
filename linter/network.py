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

from .graph import Graph, Resource, own_graph
from .kinds import ASSOCIATION, ROUTES_VIA
from .refs import referenced_ids
from .tri import Verdict, across_cases, any_of
from .values import Case, Unknown, Value, combinations, display, is_symbolic, merge_assumptions

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
    graph = own_graph(graph, subnet)
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
    graph = own_graph(graph, group)   # a resource of another template: judged there
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
    graph = own_graph(graph, group)   # a resource of another template: judged there
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
    for endpoint in (e for g in graph.family() for e in g.of_type("AWS::EC2::VPCEndpoint")):
        for case in endpoint.get("ServiceName"):
            if case.known and isinstance(case.value, str):
                services.add(case.value.rsplit(".", 1)[-1].lower())
    return services


# ---------------------------------------------------------------- security group rules one by one

INGRESS, EGRESS = "ingress", "egress"
RULE_FIELDS = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId",
               "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId", "Description")
ALL_TRAFFIC_PROTOCOLS = ("-1", "all")
WORLD = ("0.0.0.0/0", "::/0")


class SecurityGroupRule(NamedTuple):
    """One ingress or egress rule: inline in a group (``at`` is its path there) or a standalone
    ``AWS::EC2::SecurityGroupIngress``/``Egress`` resource (``at`` is None); ``group`` is the group it
    belongs to when the template holds it."""

    holder: Resource
    at: str | None
    group: Resource | None

    def get(self, key: str) -> Value:
        """A field of the rule (``CidrIp``, ``FromPort`` …): its Value; absent reads as None ("not set")."""
        return self.holder.get(f"{self.at}.{key}" if self.at else key, default=False)

    def has(self, key: str) -> bool:
        return self.holder.has(f"{self.at}.{key}" if self.at else key)

    def path(self, key: str | None = None) -> str | None:
        """The property path of the rule (or of one of its fields), for a finding's ``at=``."""
        if key is None:
            return self.at
        return f"{self.at}.{key}" if self.at else key

    def describe(self) -> str:
        if self.at:
            return f"{self.at.replace('.', '[', 1)}] of security group {self.holder.describe()}"
        return f"rule {self.holder.describe()}"


def security_group_rules(graph: Graph, group: Resource | None = None, *,
                         direction: str = INGRESS) -> list[SecurityGroupRule]:
    """The ingress (or egress) rules of one group, or of every group and standalone rule when None.

    Inline entries come once per list index (an entry a scenario drops reads as None in that scenario);
    standalone rules are matched to the group through their ``GroupId``.
    Example: ``for r in security_group_rules(graph, direction="ingress"): r.get("CidrIp")``.
    """
    key = "SecurityGroupIngress" if direction == INGRESS else "SecurityGroupEgress"
    groups = [group] if group is not None else graph.of_type(SECURITY_GROUP)
    out = []
    for g in groups:
        longest = max((len(c.value) for c in g.get(key, default=False) if isinstance(c.value, list)), default=0)
        out.extend(SecurityGroupRule(g, f"{key}.{i}", g) for i in range(longest))
    standalone_type = "AWS::EC2::SecurityGroupIngress" if direction == INGRESS else "AWS::EC2::SecurityGroupEgress"
    for r in graph.of_type(standalone_type):
        owner = None
        for case in r.get("GroupId", default=False):
            found, _ = graph.follow(case)
            owner = found if found is not None and found.type == SECURITY_GROUP else owner
        if group is None or owner is group:
            out.append(SecurityGroupRule(r, None, owner))
    return out


def rule_field(case: Case):
    """A security group rule field as a plain comparable value, for ``ctx.cases(convert=...)``.

    Numbers written as strings become ints, protocol names lower case; a value known only at deploy
    time (a token) converts to None, so the rule reports it as not evaluated.
    """
    value = case.value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        if is_symbolic(value):
            return None
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return text.lower() if "/" not in text else text
    return value


def port_span(protocol, from_port, to_port) -> tuple[int, int] | None:
    """The TCP/UDP ports a rule opens, ``(low, high)``: every port for protocol ``-1``; None for a rule
    of another protocol (ICMP) or whose ports are not numbers."""
    protocol = str(protocol).lower()
    if protocol in ALL_TRAFFIC_PROTOCOLS:
        return (0, 65535)
    if _PROTOCOL_NUMBERS.get(protocol, protocol) not in ("6", "17"):
        return None
    if from_port is None and to_port is None:
        return None
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return None
    if low == -1:
        return (0, 65535)
    return (low, high)


def is_world(cidr) -> bool:
    """True for a range that holds every address (``0.0.0.0/0``, ``::/0``, or any ``/0``)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


# Default ports of data stores, for rules that check who may connect (catalogue R14, R57, R58).
DATABASE_PORTS = {
    3306: "MySQL/MariaDB/Aurora MySQL", 5432: "PostgreSQL", 1433: "SQL Server", 1521: "Oracle",
    6379: "Redis/Valkey", 11211: "Memcached", 27017: "MongoDB/DocumentDB", 9200: "OpenSearch",
    5439: "Redshift", 8182: "Neptune", 8111: "DAX", 2049: "NFS (EFS)", 5671: "AMQP over TLS (Amazon MQ)",
    61617: "OpenWire over TLS (Amazon MQ)", 9092: "Kafka", 9094: "Kafka over TLS",
}
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


# ---------------------------------------------------------------- VPCs and address ranges

VPC = "AWS::EC2::VPC"


def vpc_of(graph: Graph, resource: Resource, key: str = "VpcId") -> tuple[Resource | None, str]:
    """The template's VPC a resource names in ``VpcId`` (or ``key``), or (None, why not)."""
    graph = own_graph(graph, resource)   # a resource of another template: judged there
    found = None
    for case in resource.get(key, default=False):
        if case.value is None:
            return None, f"{resource.describe()} sets no {key}"
        target, reason = graph.follow(case)
        if target is None or target.type != VPC:
            return None, reason or f"{key} of {resource.describe()} ({display(case.value)}) is not a VPC of this template"
        if found is not None and found is not target:
            return None, f"the VPC of {resource.describe()} depends on a condition"
        found = target
    return (found, "") if found is not None else (None, f"{resource.describe()} names no VPC")


def vpc_cidr_values(graph: Graph, vpc: Resource) -> list[tuple[Resource, Value]]:
    """The IPv4 ranges of a VPC: its ``CidrBlock`` and every ``AWS::EC2::VPCCidrBlock`` added to it, each
    as (the resource that sets it, its Value). A range from an IPAM pool is an unknown Value."""
    out = []
    for holder in [vpc] + [r for r in graph.of_type("AWS::EC2::VPCCidrBlock") if vpc_of(graph, r)[0] is vpc]:
        if holder.has("CidrBlock"):
            out.append((holder, holder.get("CidrBlock", default=False)))
        elif holder.has("Ipv4IpamPoolId"):
            out.append((holder, Value.unknown(f"{holder.describe()} takes its range from an IPAM pool")))
        elif holder.has("AmazonProvidedIpv6CidrBlock") or holder.has("Ipv6CidrBlock") or holder.has("Ipv6IpamPoolId"):
            continue
        else:
            out.append((holder, Value.known(None, "not set")))
    return out


def as_network(case: Case):
    """An address range (``ipaddress`` network) from a CIDR string, for ``ctx.cases(convert=...)``; None
    when the value is not a range (a token, a bare address is a /32)."""
    value = case.value
    if not isinstance(value, str) or is_symbolic(value):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


_ZONE_NAME = None


def zone_region(zone) -> str | None:
    """The region a literal zone name belongs to (``us-east-1a`` → ``us-east-1``; local zones
    ``us-west-2-lax-1a`` → ``us-west-2``); None for anything else (a zone id, a token, GetAZs)."""
    import re

    global _ZONE_NAME
    if _ZONE_NAME is None:
        _ZONE_NAME = re.compile(r"^([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)(?:[a-z]|-[a-z]+-\d+[a-z])$")
    if not isinstance(zone, str) or is_symbolic(zone):
        return None
    m = _ZONE_NAME.match(zone.strip())
    return m.group(1) if m else None


def existence_value(resource: Resource) -> Value:
    """The scenarios in which a resource exists, as a Value to pass to ``ctx.cases`` beside the values
    compared: a combination then holds only where the resource exists. The cases carry the assumptions
    the resource's Condition rests on (a parameter's allowed value), so two resources under opposite
    conditions never meet in one combination. Each case's value is None."""
    if not resource.condition or resource.graph is None:
        return Value.known(None)
    holds = resource.graph.resolver.condition_holds(resource.condition)
    cases = [Case(None, "", c.assumptions) for c in holds if c.known and c.value is True]
    # A condition that is never true (or unknown) leaves the resource's own existence assumption.
    return Value(cases) if cases else Value.known(None, "", resource.existence)


def endpoint_service(endpoint: Resource) -> str | None:
    """The short service name of a VPC endpoint (``s3``, ``ecr.dkr``), or None when not known."""
    for case in endpoint.get("ServiceName"):
        if case.known and isinstance(case.value, str):
            name = display(case.value)
            if name.startswith("com.amazonaws."):
                parts = name.split(".", 3)
                return parts[3].lower() if len(parts) == 4 else None
            return name.rsplit(".", 1)[-1].lower()
    return None


def gateway_endpoint_serves(graph: Graph, route_table: Resource, service: str) -> Verdict:
    """Is a gateway endpoint for ``service`` (``s3``, ``dynamodb``) associated with the route table?"""
    unknown = None
    for endpoint in graph.of_type("AWS::EC2::VPCEndpoint"):
        kind = endpoint.get("VpcEndpointType", default=False).single
        if kind not in (None, "Gateway") or endpoint_service(endpoint) != service:
            continue
        for case in endpoint.get("RouteTableIds", default=False):
            if not case.known:
                unknown = f"the route tables of endpoint {endpoint.logical_id} are not known"
                continue
            for item in case.value if isinstance(case.value, list) else []:
                found, _ = graph.follow(Case(item, case.origin, case.assumptions))
                if found is route_table:
                    if case.assumptions or endpoint.existence:
                        unknown = f"endpoint {endpoint.logical_id} serves route table {route_table.logical_id} " \
                                  "only under a condition"
                        continue
                    return Verdict.true(f"gateway endpoint {endpoint.logical_id} serves route table "
                                        f"{route_table.logical_id}")
                if found is None:
                    unknown = f"a route table of endpoint {endpoint.logical_id} is not in this template"
    if unknown:
        return Verdict.unknown(unknown)
    return Verdict.false(f"no {service} gateway endpoint serves route table {route_table.logical_id}")


def referencing_resources(graph: Graph, target: Resource) -> list[Resource]:
    """The resources whose properties name ``target`` by ``Ref``, ``Fn::GetAtt`` or ``${Id}`` in
    ``Fn::Sub``: who uses it, whatever the property. Outputs do not count."""
    name = target.logical_id

    def names(node) -> bool:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" and arg == name:
                    return True
                if key == "Fn::GetAtt" and ((isinstance(arg, list) and arg and arg[0] == name) or
                                            (isinstance(arg, str) and arg.split(".", 1)[0] == name)):
                    return True
                if key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str) and ("${" + name + "}" in text or "${" + name + "." in text):
                        return True
            return any(names(v) for v in node.values())
        if isinstance(node, list):
            return any(names(v) for v in node)
        return False

    return [r for r in graph.resources.values() if r is not target and names(r.props)]


def depends_on(resource: Resource, transitive: bool = False) -> set[str]:
    """The logical ids a resource names in its ``DependsOn`` attribute (a string or a list) and, when
    ``transitive``, those they name in turn.

    A resource SAM generates reads the ``DependsOn`` of the template resource it comes from: judging
    ordering, the lenient reading never invents a missing dependency.
    """
    graph = resource.graph
    resources = graph.template.get("Resources") if graph is not None and isinstance(graph.template, dict) else None
    if not isinstance(resources, dict):
        return set()
    seen: set[str] = set()
    todo = [resource.anchor[0]]
    while todo:
        raw = resources.get(todo.pop())
        value = raw.get("DependsOn") if isinstance(raw, dict) else None
        names = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
            if isinstance(value, list) else []
        for name in names:
            if name not in seen:
                seen.add(name)
                if transitive:
                    todo.append(name)
    return seen


def follow_one(graph: Graph, resource: Resource, key: str, rtype: str | None = None) -> tuple[Resource | None, str]:
    """The one template resource a reference property names in every scenario (of type ``rtype``
    when given), or (None, why not): absent, unknown, outside the template, or depending on a condition."""
    found = None
    for case in resource.get(key, default=False):
        if case.value is None:
            return None, f"{resource.describe()} sets no {key}"
        target, reason = graph.follow(case)
        if target is None or (rtype and target.type != rtype):
            return None, reason or f"{key} of {resource.describe()} ({display(case.value)}) is not in this template"
        if found is not None and found is not target:
            return None, f"{key} of {resource.describe()} depends on a condition"
        found = target
    return (found, "") if found is not None else (None, f"{resource.describe()} names nothing in {key}")


def waits_for(graph: Graph, resource: Resource, target: Resource) -> bool:
    """True when CloudFormation creates ``target`` before ``resource``: ``resource`` depends on it
    through ``DependsOn`` or a reference, directly or through other resources."""
    seen, todo = set(), [resource]
    while todo:
        current = todo.pop()
        for name in depends_on(current) | referenced_ids(current.props):
            if name == target.logical_id:
                return True
            nxt = graph.resources.get(name)
            if nxt is not None and name not in seen:
                seen.add(name)
                todo.append(nxt)
    return False


# ---------------------------------------------------------------- data stores in a VPC

# type → (the property naming its subnet group, that group's type, the group's subnet list property,
#         the property naming its security groups, whether it can ever be reached from outside its VPC)
DATA_STORES = {
    "AWS::RDS::DBInstance": ("DBSubnetGroupName", "AWS::RDS::DBSubnetGroup", "SubnetIds", "VPCSecurityGroups", True),
    "AWS::RDS::DBCluster": ("DBSubnetGroupName", "AWS::RDS::DBSubnetGroup", "SubnetIds", "VpcSecurityGroupIds", True),
    "AWS::ElastiCache::CacheCluster": ("CacheSubnetGroupName", "AWS::ElastiCache::SubnetGroup", "SubnetIds",
                                       "VpcSecurityGroupIds", False),
    "AWS::ElastiCache::ReplicationGroup": ("CacheSubnetGroupName", "AWS::ElastiCache::SubnetGroup", "SubnetIds",
                                           "SecurityGroupIds", False),
    "AWS::ElastiCache::ServerlessCache": ("SubnetIds", None, None, "SecurityGroupIds", False),
    "AWS::MemoryDB::Cluster": ("SubnetGroupName", "AWS::MemoryDB::SubnetGroup", "SubnetIds", "SecurityGroupIds", False),
    "AWS::DAX::Cluster": ("SubnetGroupName", "AWS::DAX::SubnetGroup", "SubnetIds", "SecurityGroupIds", False),
    "AWS::DocDB::DBCluster": ("DBSubnetGroupName", "AWS::DocDB::DBSubnetGroup", "SubnetIds", "VpcSecurityGroupIds",
                              False),
    "AWS::Neptune::DBCluster": ("DBSubnetGroupName", "AWS::Neptune::DBSubnetGroup", "SubnetIds",
                                "VpcSecurityGroupIds", False),
    "AWS::Redshift::Cluster": ("ClusterSubnetGroupName", "AWS::Redshift::ClusterSubnetGroup", "SubnetIds",
                               "VpcSecurityGroupIds", True),
}

# Default port per data store type (engine-specific types are resolved by store_port).
_ENGINE_PORTS = [("aurora-postgresql", 5432), ("postgres", 5432), ("aurora-mysql", 3306), ("aurora", 3306),
                 ("mysql", 3306), ("mariadb", 3306), ("sqlserver", 1433), ("oracle", 1521), ("db2", 50000)]
_TYPE_PORTS = {"AWS::ElastiCache::ReplicationGroup": 6379, "AWS::MemoryDB::Cluster": 6379,
               "AWS::DAX::Cluster": 8111, "AWS::DocDB::DBCluster": 27017, "AWS::Neptune::DBCluster": 8182,
               "AWS::Redshift::Cluster": 5439, "AWS::ElastiCache::ServerlessCache": 6379}


def store_port(store: Resource) -> Value:
    """The port clients connect to: the store's ``Port`` when set, else its engine's default port (cited)."""
    key = "Port"
    if store.type == "AWS::ElastiCache::CacheCluster" and not store.has(key):
        return Value([Case(11211 if str(c.value).lower() == "memcached" else 6379,
                           f"the default port of engine {display(c.value)}", c.assumptions) if c.known else c
                      for c in store.get("Engine")])
    if store.has(key):
        return store.get(key)
    if store.type in _TYPE_PORTS:
        return Value.known(_TYPE_PORTS[store.type], f"the {store.type.split('::')[1]} default port")
    out = []
    for case in store.get("Engine", default=False):
        if not case.known:
            out.append(case)
            continue
        engine = str(case.value or "").lower()
        port = next((p for prefix, p in _ENGINE_PORTS if engine.startswith(prefix)), None)
        if port is None:
            out.append(Case(Unknown(f"the default port of engine {display(case.value)} is not known"), "",
                            case.assumptions))
        else:
            out.append(Case(port, f"the default port of engine {display(case.value)}", case.assumptions))
    return Value(out)


def store_subnets(graph: Graph, store: Resource) -> tuple[list[Member] | None, str]:
    """The subnets a data store lives in, through its subnet group; (None, why) when the store names
    no subnet group (it then lives in the default VPC) or the group is not in the template."""
    spec = DATA_STORES.get(store.type)
    if spec is None:
        return None, f"{store.describe()} is not a data store this check knows"
    group_key, group_type, list_key, _sg, _public = spec
    if group_type is None:
        return subnets_of(graph, store.get(group_key, default=False)), ""
    if store.type == "AWS::RDS::DBInstance" and store.has("DBClusterIdentifier") and not store.has(group_key):
        cluster, reason = _follow_one(graph, store, "DBClusterIdentifier")
        if cluster is None:
            return None, reason
        return store_subnets(graph, cluster)
    if not store.has(group_key):
        return None, f"{store.describe()} sets no {group_key}, so it lives in the default VPC"
    group, reason = _follow_one(graph, store, group_key)
    if group is None or group.type != group_type:
        return None, reason or f"the {group_key} of {store.describe()} is not in this template"
    return subnets_of(graph, group.get(list_key, default=False)), ""


def _follow_one(graph, resource, key):
    found = None
    for case in resource.get(key, default=False):
        target, reason = graph.follow(case)
        if target is None:
            return None, reason or f"{key} of {resource.describe()} is not in this template"
        if found is not None and found is not target:
            return None, f"{key} of {resource.describe()} depends on a condition"
        found = target
    return found, "" if found is not None else f"{resource.describe()} sets no {key}"


def store_is_private(graph: Graph, store: Resource) -> Verdict:
    """Yes when the data store can be reached only from inside its VPC.

    Caches, DAX, DocumentDB and Neptune always are. An RDS instance or cluster, or a Redshift cluster,
    is when ``PubliclyAccessible`` is false, or when it is absent and every subnet of its subnet group
    is private or isolated (no route in from the internet either way). An Aurora cluster is public
    when one of its instances sets ``PubliclyAccessible: true``.
    """
    graph = own_graph(graph, store)   # a resource of another template: judged there
    spec = DATA_STORES.get(store.type)
    if spec is None:
        return Verdict.unknown(f"{store.describe()} is not a data store this check knows")
    if not spec[4]:
        return Verdict.true(f"{store.type} is reachable only inside its VPC")
    holders = [store]
    if store.type == "AWS::RDS::DBCluster":
        holders = [i for i in graph.of_type("AWS::RDS::DBInstance")
                   if _follow_one(graph, i, "DBClusterIdentifier")[0] is store] + ([store] if store.has(
                       "PubliclyAccessible") else [])
    explicit = []
    for holder in holders:
        for case in holder.get("PubliclyAccessible", default=False):
            if not case.known:
                return Verdict.unknown(f"PubliclyAccessible of {holder.describe()} is not known: {case.value.reason}")
            flag = case.value if isinstance(case.value, bool) else \
                str(case.value).lower() == "true" if case.value is not None else None
            if flag is True:
                return Verdict.false(f"{holder.describe()} sets PubliclyAccessible true ({case.origin})")
            if flag is False:
                explicit.append(holder)
    if explicit and len(explicit) == len(holders):
        return Verdict.true(f"{store.describe()} sets PubliclyAccessible false")
    members, reason = store_subnets(graph, store)
    if members is None:
        return Verdict.unknown(reason)
    if any(m.resource is None for m in members):
        return Verdict.unknown(next(m.reason for m in members if m.resource is None))
    classes = [subnet_class(graph, m.resource) for m in members]
    if any(not c.settled for c in classes):
        return Verdict.unknown(next(c.reason for c in classes if not c.settled))
    if any(c.kind == PUBLIC for c in classes):
        return Verdict.false(f"{store.describe()} leaves PubliclyAccessible unset and has public subnets")
    return Verdict.true(f"the subnets of {store.describe()} are private or isolated")


def attribute_references(resource: Resource, types=None) -> list[tuple[Resource, str, str]]:
    """The template resources a resource's properties name through ``Fn::GetAtt`` or ``${X.Attr}`` in
    ``Fn::Sub``: (the resource named, the attribute, the property path of the reference)."""
    import re

    out = []
    graph = resource.graph

    def add(name, attribute, path):
        target = graph.resources.get(name)
        if target is not None and (types is None or target.type in types):
            out.append((target, attribute, path))

    def walk(node, path):
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Fn::GetAtt":
                    parts = arg if isinstance(arg, list) else arg.split(".", 1) if isinstance(arg, str) else []
                    if len(parts) == 2 and isinstance(parts[0], str) and isinstance(parts[1], str):
                        add(parts[0], parts[1], path)
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(text, str):
                        for m in re.findall(r"\$\{([^!}.][^}.]*)\.([^}]+)\}", text):
                            add(m[0], m[1], path)
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path and not str(k).startswith("Fn::") else (path or k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path)

    walk(resource.props, "")
    return out
