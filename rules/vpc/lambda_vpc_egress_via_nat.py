"""VPC001 lambda-vpc-egress-via-nat."""
import re

from linter.model import (FUNCTION_TYPES, ISOLATED, PRIVATE_NAT, PUBLIC, any_of, display, egress_allows,
                          endpoint_services, function_role, rule, security_groups_of, services_used,
                          single_zone_scenario, subnet_class, subnets_of)

HTTPS = 443


@rule("VPC001", "lambda-vpc-egress-via-nat", severity="warning", tags=("reliability", "networking", "lambda"),
      catalogue="R6")
def vpc_lambda_egress(graph, ctx):
    """A Lambda function in a VPC reaches the internet and AWS APIs only through a NAT in a private subnet.

    **What it checks.** For every function with `VpcConfig` (on the resource or in
    `Globals.Function`), each subnet is classed by its route table's default route (`0.0.0.0/0`):
    *public* (an internet gateway), *private with NAT* (a NAT gateway or a NAT instance), *isolated* (no
    default route) or *elsewhere* (transit gateway, peering: not judged).

    - Every subnet public: **error**. Some public: warning.
    - NAT subnets mixed with isolated ones: warning.
    - Only isolated subnets, while the function's role uses AWS services that have no VPC endpoint in
      the template: warning.
    - All subnets in one Availability Zone: warning.
    - `SubnetIds` without `SecurityGroupIds`, or the reverse: **error**.
    - Security groups whose egress rules do not allow TCP 443 out: warning.

    Subnets that come from parameters without values, imports or literal ids, and subnets without a
    route table association (they use the VPC's main route table), are *not evaluated*.

    **Why it matters.** Lambda's network interfaces never get a public IP. In a public subnet the
    function has no route out at all: calls to the internet and to AWS APIs hang until the function
    times out. VPC endpoints give private access to AWS services only, never to the internet. When only
    some subnets have a NAT route, invocations fail or succeed depending on the zone they land in.

    **Example (fails).**

        PublicRouteTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
        DefaultRoute:
          Type: AWS::EC2::Route
          Properties:
            RouteTableId: !Ref PublicRouteTable
            DestinationCidrBlock: 0.0.0.0/0
            GatewayId: !Ref InternetGateway
        Worker:
          Type: AWS::Lambda::Function
          Properties:
            VpcConfig:
              SubnetIds: [!Ref PublicSubnetA, !Ref PublicSubnetB]
              SecurityGroupIds: [!Ref WorkerSG]

    **Fix.** Put the function in private subnets whose route table sends `0.0.0.0/0` to a NAT gateway
    that sits in a public subnet (one per zone), or add VPC endpoints for the AWS services it calls.
    """
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("VpcConfig"):
            continue
        subnet_ids = fn.get("VpcConfig.SubnetIds", default=False)
        group_ids = fn.get("VpcConfig.SecurityGroupIds", default=False)
        for scenario in ctx.cases(fn, subnet_ids, group_ids):
            subnets_case, groups_case = scenario
            subnets_given, groups_given = bool(subnets_case.value), bool(groups_case.value)
            if subnets_given != groups_given:
                present, missing = ("SubnetIds", "SecurityGroupIds") if subnets_given else ("SecurityGroupIds",
                                                                                           "SubnetIds")
                yield ctx.finding(fn, f"function {fn.describe()} has VpcConfig.{present} but no {missing}; Lambda "
                                      "needs both to attach the function to the VPC", severity="error",
                                  at="VpcConfig", check="incomplete", cases=scenario)
            if not subnets_given:
                continue
            yield from _judge_subnets(graph, ctx, fn, scenario)
            yield from _judge_egress_rules(graph, ctx, fn, scenario)


# ---------------------------------------------------------------- subnets


def _judge_subnets(graph, ctx, fn, scenario):
    members = subnets_of(graph, scenario[0])
    classes = [subnet_class(graph, m.resource) for m in members if m.resource is not None]
    open_questions = [m.reason for m in members if m.resource is None] + [c.reason for c in classes if not c.settled]
    public = [c for c in classes if c.kind == PUBLIC]
    nat = [c for c in classes if c.kind == PRIVATE_NAT]
    isolated = [c for c in classes if c.kind == ISOLATED]
    related = [c.subnet for c in classes]

    if public and len(public) == len(members):
        yield ctx.finding(fn, f"every subnet of function {fn.describe()} is public ({_list(public)}); Lambda "
                              "network interfaces never get a public IP, so the function cannot reach the internet "
                              "or AWS APIs: use private subnets with a NAT route", severity="error",
                          at="VpcConfig.SubnetIds", related=related, check="public", cases=scenario)
    elif public:
        yield ctx.finding(fn, f"function {fn.describe()} uses public subnets ({_list(public)}) among its subnets; "
                              "invocations that land there have no route out", at="VpcConfig.SubnetIds",
                          related=related, check="public", cases=scenario)
    elif open_questions:
        ctx.not_evaluated(fn, open_questions[0])
    elif nat and isolated:
        yield ctx.finding(fn, f"function {fn.describe()} mixes subnets with a NAT route and isolated subnets "
                              f"({_list(isolated)}); invocations in the isolated ones cannot reach the internet",
                          at="VpcConfig.SubnetIds", related=related, check="mixed", cases=scenario)
    elif isolated:
        yield from _judge_isolated(graph, ctx, fn, scenario, isolated, related)

    distinct = {s.logical_id for s in related}
    if not open_questions and len(distinct) == len(members):
        yield from _judge_zones(ctx, fn, scenario, related)


def _list(classes) -> str:
    return ", ".join(f"{c.subnet.logical_id}: {c.reason}" for c in classes)


def _judge_isolated(graph, ctx, fn, scenario, isolated, related):
    role, _ = function_role(graph, fn)
    needed = services_used(graph, role) if role is not None else None
    if needed is None:
        ctx.not_evaluated(fn, "its subnets are isolated, and the services its role uses are unknown")
        return
    if not needed:
        return  # no AWS API use we can see: an isolated function may be intended
    endpoints = endpoint_services(graph)
    missing = sorted(s for s in needed if s not in endpoints)
    if missing:
        yield ctx.finding(fn, f"function {fn.describe()} sits only in isolated subnets ({_list(isolated)}) and its "
                              f"role uses {', '.join(missing)}, which have no VPC endpoint in this template; calls to "
                              "them time out: add a NAT route or VPC endpoints", at="VpcConfig.SubnetIds",
                          related=related, check="isolated", cases=scenario)


# ---------------------------------------------------------------- zones and security groups


def _judge_zones(ctx, fn, scenario, subnets):
    # The first scenario (Fn::If branch, mapping row, allowed value) that puts every subnet in the
    # same zone is reported, and names its scenario.
    found = single_zone_scenario(subnets, within=scenario)
    if found is None:
        return
    zone, cases = found
    where = f" ({_zone_text(zone)})" if zone is not None else ""
    yield ctx.finding(fn, f"all subnets of function {fn.describe()} are in one Availability Zone{where}; an "
                          "outage of that zone stops the function: add a subnet in another zone",
                      at="VpcConfig.SubnetIds", related=subnets, check="one-zone", cases=cases)


def _zone_text(zone) -> str:
    m = re.fullmatch(r"\$\{Fn::GetAZs\[(\d+)\]\}", display(zone))
    return f"!Select [{m.group(1)}, !GetAZs ''] for every subnet" if m else display(zone)


def _judge_egress_rules(graph, ctx, fn, scenario):
    members = security_groups_of(graph, scenario[1])
    if not members or any(m.resource is None for m in members):
        return  # a group we cannot see may allow it
    groups = [m.resource for m in members]
    verdict = any_of(egress_allows(graph, group, port=HTTPS) for group in groups)
    if verdict.unknown:
        ctx.not_evaluated(fn, verdict.reason)
    elif verdict.no:
        yield ctx.finding(fn, f"the security groups of function {fn.describe()} "
                              f"({', '.join(g.logical_id for g in groups)}) allow no TCP 443 out; calls to AWS APIs "
                              "and HTTPS services are blocked", at="VpcConfig.SecurityGroupIds", related=groups,
                          check="egress-443", cases=scenario)
