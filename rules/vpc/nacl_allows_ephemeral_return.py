"""VPC004 nacl-allows-ephemeral-return."""
from linter.model import as_network, follow_one, rule

ACL = "AWS::EC2::NetworkAcl"
ENTRY = "AWS::EC2::NetworkAclEntry"
# Ports clients pick for the return leg: NAT gateways and ELB use 1024-65535, Linux 32768-60999,
# Windows 49152-65535. A probe of each band's edges finds a rule that cuts one of them off.
EPHEMERAL_PROBES = (1024, 32768, 49152, 60999, 65535)
TCP = 6


@rule("VPC004", "nacl-allows-ephemeral-return", severity="warning", tags=("reliability", "networking", "vpc"),
      catalogue="R30")
def nacl_allows_ephemeral_return(graph, ctx):
    """A custom network ACL must let return traffic through on the ephemeral ports, both ways.

    **What it checks.** For every `AWS::EC2::NetworkAcl` associated with a subnet
    (`AWS::EC2::SubnetNetworkAclAssociation`), its `AWS::EC2::NetworkAclEntry` rules are evaluated in
    `RuleNumber` order, first match wins, everything unmatched is denied:

    - each inbound TCP allow for a service port (a range below 1024, or a single port) from a range
      must be answered by outbound TCP allowed to that range on the ephemeral ports (1024-65535): warning
      (`egress-return`);
    - each outbound TCP allow for a service port to a range must be answered by inbound TCP from that
      range on the ephemeral ports: warning (`ingress-return`).

    The ephemeral band is probed at 1024, 32768, 49152, 60999 and 65535 (NAT gateways and load
    balancers use 1024-65535, Linux 32768-60999, Windows 49152-65535). Entries whose fields come from
    parameters without values, or that exist only under a condition, make the ACL *not evaluated*.

    **Why it matters.** Network ACLs are stateless: a response is a new packet that must be allowed on
    its own. An ACL that admits HTTPS in but does not let the reply out to the client's ephemeral port
    makes every connection hang.

    **Example (fails).**

        InboundHttps:
          Type: AWS::EC2::NetworkAclEntry
          Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow,
                       CidrBlock: 0.0.0.0/0, PortRange: {From: 443, To: 443}}
        OutboundHttps:
          Type: AWS::EC2::NetworkAclEntry
          Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow, Egress: true,
                       CidrBlock: 0.0.0.0/0, PortRange: {From: 443, To: 443}}

    **Fix.** Add the return rules, e.g. an egress (and ingress) allow for TCP 1024-65535 to/from the
    ranges the service talks to.
    """
    associated = set()
    for assoc in graph.of_type("AWS::EC2::SubnetNetworkAclAssociation"):
        acl, _ = follow_one(graph, assoc, "NetworkAclId", ACL)
        if acl is not None:
            associated.add(acl.logical_id)
    entries_by_acl: dict[str, list] = {}
    for entry in graph.of_type(ENTRY):
        acl, _ = follow_one(graph, entry, "NetworkAclId", ACL)
        if acl is not None:
            entries_by_acl.setdefault(acl.logical_id, []).append(entry)
    for acl_id in sorted(associated):
        acl = graph.resources[acl_id]
        rules, reason = _read(entries_by_acl.get(acl_id, []))
        if rules is None:
            ctx.not_evaluated(acl, reason)
            continue
        for direction, answer, check in ((False, True, "egress-return"), (True, False, "ingress-return")):
            for r in rules:
                if r["egress"] != direction or r["action"] != "allow" or not _is_tcp(r["protocol"]):
                    continue
                if not _service_ports(r["ports"]):
                    continue
                blocked = next((p for p in EPHEMERAL_PROBES
                                if _decide(rules, answer, p, r["cidr"]) != "allow"), None)
                if blocked is not None:
                    way = ("in", "out", "to") if not direction else ("out", "in", "from")
                    low, high = r["ports"]
                    ports = f"port {low}" if low == high else f"ports {low}-{high}"
                    yield ctx.finding(r["resource"], f"network ACL {acl.describe()} lets TCP {ports} {way[0]} "
                                                     f"({'from' if not direction else 'to'} {r['cidr']}, rule "
                                                     f"{r['resource'].logical_id}), but not the replies {way[1]} "
                                                     f"{way[2]} {r['cidr']} on ephemeral port {blocked}; NACLs are "
                                                     "stateless, so connections hang: allow TCP 1024-65535 "
                                                     f"{'outbound' if not direction else 'inbound'} for that range",
                                      check=check, related=[acl])


def _read(entries):
    """Plain rules of an ACL (dicts), or (None, why) when one is not known."""
    out = []
    for entry in entries:
        if entry.existence:
            return None, f"entry {entry.logical_id} exists only under a condition"
        fields = {}
        for key in ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock", "Ipv6CidrBlock",
                    "PortRange.From", "PortRange.To"):
            value = entry.get(key, default=False)
            if len(value.cases) != 1 or value.single is None and value.cases[0].value is not None:
                return None, f"{key} of entry {entry.logical_id} is not known or depends on a condition"
            fields[key] = value.single
        if fields["Ipv6CidrBlock"] is not None and fields["CidrBlock"] is None:
            continue  # IPv6 rules do not decide IPv4 traffic
        cidr = as_network(entry.get("CidrBlock", default=False).cases[0])
        try:
            number, protocol = int(fields["RuleNumber"]), int(fields["Protocol"])
        except (TypeError, ValueError):
            return None, f"entry {entry.logical_id} has no numeric RuleNumber or Protocol"
        low, high = fields["PortRange.From"], fields["PortRange.To"]
        ports = (0, 65535) if protocol == -1 or low is None else (int(low), int(high))
        out.append({"resource": entry, "number": number, "protocol": protocol, "cidr": cidr,
                    "action": str(fields["RuleAction"]).lower(), "ports": ports,
                    "egress": str(fields["Egress"]).lower() == "true"})
    if any(r["cidr"] is None for r in out):
        return None, "an entry's CidrBlock is not an address range"
    return sorted(out, key=lambda r: r["number"]), ""


def _is_tcp(protocol) -> bool:
    return protocol in (TCP, -1)


def _service_ports(ports) -> bool:
    low, high = ports
    return high < 1024 or low == high


def _decide(rules, egress, port, cidr) -> str:
    """The first matching rule's action for TCP ``port`` to/from ``cidr``; deny when none matches."""
    for r in rules:
        if r["egress"] != egress or not _is_tcp(r["protocol"]):
            continue
        low, high = r["ports"]
        if not low <= port <= high or r["cidr"].version != cidr.version:
            continue
        if r["action"] == "allow" and cidr.subnet_of(r["cidr"]):
            return "allow"
        if r["action"] == "deny" and cidr.overlaps(r["cidr"]):
            return "deny"
    return "deny"
