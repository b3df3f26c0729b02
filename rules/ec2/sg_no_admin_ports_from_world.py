"""SG002 sg-no-admin-ports-from-world."""
from linter.model import (ADMIN_PORTS, DATABASE_PORTS, INGRESS, Value, is_world, port_span, rule, rule_field,
                          security_group_rules)

ALL_PORTS = (0, 65535)


@rule("SG002", "sg-no-admin-ports-from-world", severity="warning",
      options={"admin_ports": sorted(ADMIN_PORTS), "database_ports": sorted(DATABASE_PORTS)},
      tags=("security", "networking", "ec2"), catalogue="R57")
def admin_ports_from_world(graph, ctx):
    """A security group must not open SSH, RDP, database ports or every port to the whole internet.

    **What it checks.** Every ingress rule, inline in an `AWS::EC2::SecurityGroup` or a standalone
    `AWS::EC2::SecurityGroupIngress`, whose source is `0.0.0.0/0` or `::/0`:

    - it opens an administration port (option `admin_ports`, by default 22 and 3389): warning;
    - it opens a database or cache port (option `database_ports`: 3306, 5432, 1433, 1521, 6379,
      11211, 27017, 2049 and the other data-store defaults): warning;
    - it opens every port (`IpProtocol: -1`, or TCP/UDP 0–65535): warning.

    Source ranges and ports from parameters are judged for every allowed value, and a parameter
    `Default` of `0.0.0.0/0` counts (it is what a deploy without overrides gets). A rule whose range or
    port is not known (a parameter without a default, an import) is *not evaluated*. Rules that admit a
    security group or a prefix list are never flagged.

    **Why it matters.** Ports open to every address are scanned within minutes of creation. SSH and
    RDP invite password guessing and exploits; a database reachable from the internet relies on its
    password alone. A bastion security group, or SSM Session Manager (no inbound port at all), limits
    who can log in.

    **Example (fails).**

        WebServerSG:
          Type: AWS::EC2::SecurityGroup
          Properties:
            GroupDescription: web server
            SecurityGroupIngress:
              - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}

    **Fix.** Admit the port from a known range or a bastion security group, or drop SSH and use
    SSM Session Manager:

        SecurityGroupIngress:
          - {IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupId: !Ref BastionSG}
    """
    admin = {int(p) for p in ctx.options["admin_ports"]}
    databases = {int(p) for p in ctx.options["database_ports"]}
    for sg_rule in security_group_rules(graph, direction=INGRESS):
        if not (sg_rule.has("CidrIp") or sg_rule.has("CidrIpv6")):
            continue  # a group or prefix-list source: not the world
        # Ports first: a rule that opens no port of interest needs no source range to be judged.
        for protocol, low, high in ctx.cases(sg_rule.holder, sg_rule.get("IpProtocol"), sg_rule.get("FromPort"),
                                             sg_rule.get("ToPort"), convert=rule_field):
            if protocol.value is None:
                continue
            span = port_span(protocol.value, low.value, high.value)
            if span is None or not any(span[0] <= p <= span[1] for p in admin | databases):
                continue
            for _p, _l, _h, cidr, cidr6 in ctx.cases(sg_rule.holder, Value([protocol]), Value([low]), Value([high]),
                                                    sg_rule.get("CidrIp"), sg_rule.get("CidrIpv6"),
                                                    convert=rule_field):
                yield from _judge(ctx, sg_rule, protocol, low, high, cidr, cidr6, span, admin, databases)


def _judge(ctx, sg_rule, protocol, low, high, cidr, cidr6, span, admin, databases):
    world = cidr if is_world(cidr.value) else cidr6 if is_world(cidr6.value) else None
    if world is None:
        return
    cases = (protocol, low, high, world)
    at = sg_rule.path("CidrIp" if world is cidr else "CidrIpv6")
    source = f"from {world.show()}"
    if span == ALL_PORTS or (span[0] <= 0 and span[1] >= 65535):
        what = "all traffic" if str(protocol.value) in ("-1", "all") else f"every {protocol.value} port"
        yield ctx.finding(sg_rule.holder, f"{sg_rule.describe()} admits {what} {source}: anyone on the "
                          "internet reaches every service on its members; admit only the ports and sources "
                          "needed", at=at, check="all-ports", cases=cases, related=_related(sg_rule))
        return
    opened = sorted(p for p in admin | databases if span[0] <= p <= span[1])
    admin_open = [p for p in opened if p in admin]
    db_open = [p for p in opened if p in databases and p not in admin]
    ports = _port_text(low, high)
    if admin_open:
        names = ", ".join(f"{p} ({ADMIN_PORTS.get(p, 'administration')})" for p in admin_open)
        yield ctx.finding(sg_rule.holder, f"{sg_rule.describe()} opens {ports} {source}, which includes "
                          f"{names}: log-in ports open to the internet are scanned and attacked; admit a "
                          "bastion security group or a known range, or use SSM Session Manager",
                          at=at, check="admin-port", cases=cases, related=_related(sg_rule))
    if db_open:
        names = ", ".join(f"{p} ({DATABASE_PORTS.get(p, 'database')})" for p in db_open)
        yield ctx.finding(sg_rule.holder, f"{sg_rule.describe()} opens {ports} {source}, which includes "
                          f"{names}: a data store reachable from the internet relies on its password "
                          "alone; admit the application's security group instead",
                          at=at, check="database-port", cases=cases, related=_related(sg_rule))


def _port_text(low, high) -> str:
    if low.value == high.value:
        return f"port {low.show()}"
    return f"ports {low.value}-{high.value}"


def _related(sg_rule):
    return [sg_rule.group] if sg_rule.group is not None and sg_rule.group is not sg_rule.holder else []
