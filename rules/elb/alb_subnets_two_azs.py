"""ELB001 alb-subnets-two-azs."""
from linter.model import (ISOLATED, PRIVATE_NAT, PUBLIC, as_list, as_text, rule, single_zone_scenario,
                          subnet_class, subnets_of)

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
PRIVATE = (PRIVATE_NAT, ISOLATED)


@rule("ELB001", "alb-subnets-two-azs", severity="error", tags=("correctness", "reliability", "elb"),
      catalogue="R27")
def load_balancer_subnets(graph, ctx):
    """A load balancer needs subnets in two zones, of the kind its scheme needs.

    **What it checks.** For every `AWS::ElasticLoadBalancingV2::LoadBalancer` (`Type` application,
    the default, or network), from `Subnets` or `SubnetMappings`:

    - **error**: an Application Load Balancer with fewer than two subnets, or with every subnet in one
      Availability Zone.
    - **warning**: a Network Load Balancer whose subnets are all in one zone (no high availability).
    - **error**: an `internet-facing` load balancer (the default `Scheme`) in a private subnet, one
      whose route table has no route to an internet gateway: its nodes there cannot be reached.
    - **info**: an `internal` load balancer in public subnets.

    Zones are compared per scenario; subnets from `!Select [i, !GetAZs '']` count as distinct zones when
    their indexes differ. Subnets the template does not describe (literal ids, imports, parameters),
    and subnets whose route table is not in the template, are *not evaluated*.

    **Why it matters.** Elastic Load Balancing refuses to create an ALB without two zones, failing the
    stack. A load balancer in one zone goes down with that zone. Internet-facing nodes in subnets without
    an internet gateway route accept no traffic from the internet.

    **Example (fails).**

        WebLoadBalancer:
          Type: AWS::ElasticLoadBalancingV2::LoadBalancer
          Properties:
            Scheme: internet-facing
            Subnets: [!Ref PublicSubnetA]

    **Fix.** Give it one public subnet in each of at least two zones (private subnets for an
    `internal` load balancer):

        WebLoadBalancer:
          Type: AWS::ElasticLoadBalancingV2::LoadBalancer
          Properties:
            Scheme: internet-facing
            Subnets: [!Ref PublicSubnetA, !Ref PublicSubnetB]
    """
    for lb in graph.of_type(LOAD_BALANCER):
        subnets, at = _subnets_value(lb)
        if subnets is None:
            continue   # neither Subnets nor SubnetMappings: the stack fails for another reason
        for kind, scheme, subnet_list in ctx.cases(lb, lb.get("Type"), lb.get("Scheme"), subnets,
                                                   convert=(as_text, as_text, as_list)):
            lb_type = (kind.value or "application").lower()
            if lb_type not in ("application", "network") or subnet_list.value is None:
                continue
            yield from _zones(ctx, graph, lb, lb_type, subnet_list, at, (kind,))
            yield from _scheme(ctx, graph, lb, (scheme.value or "internet-facing").lower(), subnet_list, at,
                               (scheme,))


def _subnets_value(lb):
    if lb.has("Subnets"):
        return lb.get("Subnets", default=False), "Subnets"
    if lb.has("SubnetMappings"):
        return lb.gather("SubnetMappings", "SubnetId"), "SubnetMappings"
    return None, ""


def _zones(ctx, graph, lb, lb_type, subnet_list, at, decided_by):
    count = len(subnet_list.value)
    if count == 0:
        return   # an empty list (a placeholder parameter default): nothing to judge
    if lb_type == "application" and count < 2:
        yield ctx.finding(lb, f"Application Load Balancer {lb.describe()} has {count} subnet"
                              f"{'s' * (count != 1)}; an ALB needs subnets in at least two Availability Zones, so "
                              "the stack fails to create it", at=at, check="two-zones", cases=(subnet_list, *decided_by))
        return
    members = subnets_of(graph, subnet_list)
    unknown = [m.reason for m in members if m.resource is None]
    if unknown:
        ctx.not_evaluated(lb, unknown[0])
        return
    subnets = [m.resource for m in members]
    found = single_zone_scenario(subnets, within=(subnet_list, *decided_by))
    if found is None:
        return
    zone, cases = found
    where = f" ({zone})" if isinstance(zone, str) and "\u27e6" not in zone else ""
    if lb_type == "application":
        yield ctx.finding(lb, f"all subnets of Application Load Balancer {lb.describe()} "
                              f"({', '.join(s.logical_id for s in subnets)}) are in one Availability Zone{where}; an "
                              "ALB needs two zones, so the stack fails to create it", at=at, related=subnets,
                          check="two-zones", cases=cases)
    else:
        yield ctx.finding(lb, f"all subnets of Network Load Balancer {lb.describe()} "
                              f"({', '.join(s.logical_id for s in subnets)}) are in one Availability Zone{where}; an "
                              "outage of that zone takes the load balancer down", severity="warning", at=at,
                          related=subnets, check="one-zone", cases=cases)


def _scheme(ctx, graph, lb, scheme, subnet_list, at, decided_by):
    members = subnets_of(graph, subnet_list)
    if any(m.resource is None for m in members):
        return   # reported as not evaluated by the zone check
    classes = [subnet_class(graph, m.resource) for m in members]
    if any(not c.settled for c in classes):
        ctx.not_evaluated(lb, next(c.reason for c in classes if not c.settled))
        return
    subnets = [m.resource for m in members]
    if scheme == "internet-facing":
        private = [c for c in classes if c.kind in PRIVATE]
        if private:
            yield ctx.finding(lb, f"internet-facing load balancer {lb.describe()} sits in private subnets "
                                  f"({'; '.join(f'{c.subnet.logical_id}: {c.reason}' for c in private)}); its nodes "
                                  "there cannot be reached from the internet: use public subnets",
                              at=at, related=subnets, check="scheme-private", cases=(subnet_list, *decided_by))
    elif scheme == "internal":
        public = [c for c in classes if c.kind == PUBLIC]
        if public and len(public) == len(classes):
            yield ctx.finding(lb, f"internal load balancer {lb.describe()} sits in public subnets "
                                  f"({', '.join(c.subnet.logical_id for c in public)}); internal load balancers "
                                  "usually belong in private subnets", severity="info", at=at, related=subnets,
                              check="internal-public", cases=(subnet_list, *decided_by))
