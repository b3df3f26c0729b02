"""DNS002 route53-routing-policy-health."""
from linter.model import as_bool, as_list, rule

RECORD = "AWS::Route53::RecordSet"
GROUP = "AWS::Route53::RecordSetGroup"


@rule("DNS002", "route53-routing-policy-health", severity="warning", tags=("reliability", "route53"),
      catalogue="R113")
def routing_policy_health(graph, ctx):
    """Records with a routing policy need health information, and geolocation sets need a default.

    **What it checks.** For every `AWS::Route53::RecordSet` and every entry of a `RecordSetGroup`:

    - **warning** (`failover-primary`): `Failover: PRIMARY` with no `HealthCheckId` and no alias with
      `AliasTarget.EvaluateTargetHealth: true`: Route 53 never considers the primary unhealthy, so it
      never fails over.
    - **warning** (`no-health-check`): a weighted (`Weight`), latency (`Region`) or multivalue
      (`MultiValueAnswer: true`) record with neither: Route 53 keeps answering with a dead endpoint
      (a multivalue record without a health check always counts as healthy).
    - **warning** (`geo-default`): geolocation records (`GeoLocation`) for a name and type, none of them
      the default location (`CountryCode: "*"`): resolvers in other locations get no answer.

    Values known only at deploy time are *not evaluated*; the geolocation check compares literal names
    and types only.

    **Why it matters.** A routing policy is chosen for resilience or locality; without health checks
    it routes to endpoints that are down, and a failover pair is a single point of failure.

    **Example (fails).**

        PrimaryRecord:
          Type: AWS::Route53::RecordSet
          Properties:
            Name: api.example.com.
            Type: A
            SetIdentifier: primary
            Failover: PRIMARY
            TTL: 60
            ResourceRecords: [203.0.113.10]     # no HealthCheckId

    **Fix.** Attach a health check (`HealthCheckId: !Ref ApiHealthCheck`) or, for an alias, set
    `EvaluateTargetHealth: true`; add a geolocation record with `CountryCode: "*"`.

    See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-complex-configs.html.
    """
    geo: dict = {}
    for holder, prefix in _records(graph, ctx):
        yield from _health(ctx, holder, prefix)
        if holder.has(prefix + "GeoLocation"):
            name, rtype = holder.get(prefix + "Name").single, holder.get(prefix + "Type").single
            country = holder.get(prefix + "GeoLocation.CountryCode", default=False)
            is_default = country.any(lambda code: code == "*", unknown=False)
            if name is None or rtype is None or is_default != country.any(lambda code: code == "*", unknown=True):
                ctx.not_evaluated(holder, "the name, type or location of a geolocation record is known only at "
                                          "deploy time, so whether its set has a default location is not known")
                continue
            geo.setdefault((str(name).rstrip(".").lower(), rtype), []).append((holder, prefix, is_default))
    for (name, rtype), members in geo.items():
        if not any(default for _, _, default in members):
            holder, prefix, _ = members[0]
            yield ctx.finding(holder, f"the geolocation records for {name} ({rtype}) have no default location "
                                      "(CountryCode \"*\"): queries from other locations get no answer; add a "
                                      "record with GeoLocation: {CountryCode: \"*\"}", check="geo-default",
                              at=prefix + "GeoLocation", related=[h for h, _, _ in members[1:]])


def _records(graph, ctx):
    for record in graph.of_type(RECORD):
        yield record, ""
    for group in graph.of_type(GROUP):
        if not group.has("RecordSets"):
            continue
        for (entries,) in ctx.cases(group, group.get("RecordSets", default=False), convert=as_list):
            for i in range(len(entries.value or ())):
                yield group, f"RecordSets.{i}."
            break


def _health(ctx, holder, prefix):
    def get(key):
        return holder.get(prefix + key, default=False)

    label = f"record {holder.describe()}" + (f" entry {prefix.split('.')[1]}" if prefix else "")
    for failover, weight, region, multi, check, evaluate in ctx.cases(
            holder, get("Failover"), get("Weight"), get("Region"), get("MultiValueAnswer"), get("HealthCheckId"),
            get("AliasTarget.EvaluateTargetHealth"), convert=(None, None, None, as_bool, None, as_bool)):
        if check.value is not None or evaluate.value:
            continue
        if failover.value == "PRIMARY":
            yield ctx.finding(holder, f"{label} is the failover PRIMARY but has no HealthCheckId and no alias "
                                      "with EvaluateTargetHealth: true: Route 53 never sees it fail, so it never "
                                      "fails over; attach a health check", check="failover-primary",
                              at=prefix + "Failover", cases=(failover, check, evaluate))
            return
        policy = ("weighted" if weight.value is not None else "latency" if region.value is not None
                  else "multivalue" if multi.value else None)
        if policy:
            yield ctx.finding(holder, f"{label} uses {policy} routing without a HealthCheckId (or an alias with "
                                      "EvaluateTargetHealth: true): Route 53 keeps answering with it when its "
                                      "endpoint is down; attach a health check", check="no-health-check",
                              at=prefix + {"weighted": "Weight", "latency": "Region",
                                           "multivalue": "MultiValueAnswer"}[policy],
                              cases=(weight, region, multi, check, evaluate))
            return
