"""DNS001 route53-record-shape."""
from linter.model import as_bool, as_items, as_number, as_text, rule

RECORD = "AWS::Route53::RecordSet"
GROUP = "AWS::Route53::RecordSetGroup"
ZONE = "AWS::Route53::HostedZone"
HEALTH_CHECK = "AWS::Route53::HealthCheck"
# Routing-policy properties: a record that sets one is one of several answers for its name.
ROUTING = {"Weight": "weighted", "Region": "latency", "Failover": "failover", "GeoLocation": "geolocation",
           "MultiValueAnswer": "multivalue answer", "CidrRoutingConfig": "IP-based",
           "GeoProximityLocation": "geoproximity"}
REQUEST_INTERVALS = (10, 30)


def _dns_name(case):
    name = as_text(case)
    return name.rstrip(".").lower() if name is not None else None


@rule("DNS001", "route53-record-shape", severity="error", tags=("correctness", "route53"), catalogue="R112")
def route53_record_shape(graph, ctx):
    """Route 53 records and health checks that Route 53 rejects.

    **What it checks.** Every `AWS::Route53::RecordSet`, every entry of an `AWS::Route53::RecordSetGroup`
    and every `AWS::Route53::HealthCheck`, each scenario of parameters, mappings and conditions on its own;
    all sub-checks are **errors**:

    - `apex-cname`: a `CNAME` whose `Name` is the zone apex (the `HostedZoneName`, or the `Name` of the
      `AWS::Route53::HostedZone` its `HostedZoneId` refers to). Use an alias record instead.
    - `alias-ttl`: an `AliasTarget` together with `TTL`: an alias takes its target's TTL.
    - `missing-ttl`: a record with `ResourceRecords` and no `TTL`.
    - `missing-set-identifier`: a weighted, latency, failover, geolocation, geoproximity, IP-based or
      multivalue-answer record without `SetIdentifier`.
    - `health-check-range`: `RequestInterval` other than 10 or 30 seconds (default 30), or
      `FailureThreshold` outside 1–10 (default 3).

    A name or zone that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*; a zone outside the template is known only by its `HostedZoneName`.

    **Why it matters.** Route 53 rejects each of these in the change batch, so the stack fails to create
    or update. A CNAME at the apex is not allowed by DNS itself: it would hide the zone's SOA and NS records.

    **Example (fails).**

        ApexRecord:
          Type: AWS::Route53::RecordSet
          Properties:
            HostedZoneName: example.com.
            Name: example.com.
            Type: CNAME
            ResourceRecords: [my-alb-123.eu-west-1.elb.amazonaws.com]

    **Fix.** An alias record works at the apex and needs no TTL:

        ApexRecord:
          Type: AWS::Route53::RecordSet
          Properties:
            HostedZoneName: example.com.
            Name: example.com.
            Type: A
            AliasTarget:
              DNSName: !GetAtt LoadBalancer.DNSName
              HostedZoneId: !GetAtt LoadBalancer.CanonicalHostedZoneID

    See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html.
    """
    for record in graph.of_type(RECORD):
        yield from _record(graph, ctx, record, "", record)
    for group in graph.of_type(GROUP):
        if not group.has("RecordSets"):
            continue
        for (entries,) in ctx.cases(group, group.get("RecordSets", default=False), convert=as_items):
            for i in range(len(entries.value or ())):
                yield from _record(graph, ctx, group, f"RecordSets.{i}.", group)
            break
    for check in graph.of_type(HEALTH_CHECK):
        yield from _health_check(ctx, check)


def _record(graph, ctx, holder, prefix, zone_holder):
    def has(key):
        return holder.has(prefix + key)

    def get(key):
        return holder.get(prefix + key, default=False)

    label = f"record {holder.describe()}" + (f" entry {prefix.split('.')[1]}" if prefix else "")
    at_record = prefix.rstrip(".") or None
    if has("AliasTarget") and has("TTL"):
        for alias, ttl in ctx.cases(holder, get("AliasTarget"), get("TTL")):
            if alias.value is not None and ttl.value is not None:
                yield ctx.finding(holder, f"{label} is an alias record with {ttl.cite('TTL')}: an alias takes the "
                                          "TTL of its target and Route 53 rejects a TTL; remove TTL",
                                  check="alias-ttl", at=prefix + "TTL", cases=(alias, ttl))
    if has("ResourceRecords") and not has("AliasTarget"):
        for records, ttl in ctx.cases(holder, get("ResourceRecords"), get("TTL")):
            if records.value is not None and ttl.value is None:
                yield ctx.finding(holder, f"{label} has ResourceRecords but no TTL: Route 53 requires a TTL on "
                                          "every non-alias record; set TTL (300 s is common)",
                                  check="missing-ttl", at=prefix + "ResourceRecords", cases=(records,))
    yield from _set_identifier(ctx, holder, prefix, label, has, get)
    if has("Type") and has("Name"):
        yield from _apex_cname(graph, ctx, holder, prefix, label, get, zone_holder)


def _set_identifier(ctx, holder, prefix, label, has, get):
    present = [key for key in ROUTING if has(key)]
    if not present or has("SetIdentifier"):
        return
    for key in present:
        for (value,) in ctx.cases(holder, get(key)):
            if value.value is None or (key == "MultiValueAnswer" and as_bool(value) is not True):
                continue
            yield ctx.finding(holder, f"{label} is a {ROUTING[key]} record ({key} is set) without SetIdentifier: "
                                      "records that share a name and type under a routing policy need a "
                                      "SetIdentifier each, and Route 53 rejects the record",
                              check="missing-set-identifier", at=prefix + key, cases=(value,))
            return


def _apex_cname(graph, ctx, holder, prefix, label, get, zone_holder):
    record_type = get("Type")
    for (rtype,) in ctx.cases(holder, record_type, convert=as_text):
        if (rtype.value or "").upper() != "CNAME":
            continue
        zone = _zone_name(graph, zone_holder)
        if zone is None:
            return
        for name, zone_name in ctx.cases(holder, get("Name"), zone, convert=_dns_name):
            if name.value and name.value == zone_name.value:
                yield ctx.finding(holder, f"{label} is a CNAME at the zone apex (Name {name.show()} is the name of "
                                          f"the hosted zone, {zone_name.show()}): DNS forbids a CNAME beside the "
                                          "zone's SOA and NS records and Route 53 rejects it; use an alias A/AAAA "
                                          "record", check="apex-cname", at=prefix + "Name",
                                  cases=(rtype, name, zone_name))
        return


def _zone_name(graph, holder):
    """The value of the zone's name: HostedZoneName, or the Name of the zone HostedZoneId refers to."""
    if holder.has("HostedZoneName"):
        return holder.get("HostedZoneName", default=False)
    for case in holder.get("HostedZoneId", default=False):
        zone, _ = graph.follow(case, (ZONE,))
        if zone is not None and zone.type == ZONE:
            return zone.get("Name", default=False)
    return None   # a zone outside the template, by id: its name is not known


def _health_check(ctx, check):
    config = "HealthCheckConfig"
    interval = check.get(f"{config}.RequestInterval")
    threshold = check.get(f"{config}.FailureThreshold")
    for (i,) in ctx.cases(check, interval, convert=as_number):
        if i.value is not None and i.value not in REQUEST_INTERVALS:
            yield ctx.finding(check, f"health check {check.describe()} has {i.cite('RequestInterval', 's')}: "
                                     "Route 53 accepts only 10 or 30 seconds", check="health-check-range",
                              at=f"{config}.RequestInterval", cases=(i,))
    for (t,) in ctx.cases(check, threshold, convert=as_number):
        if t.value is not None and not 1 <= t.value <= 10:
            yield ctx.finding(check, f"health check {check.describe()} has {t.cite('FailureThreshold')}: "
                                     "Route 53 accepts 1 to 10", check="health-check-range",
                              at=f"{config}.FailureThreshold", cases=(t,))
