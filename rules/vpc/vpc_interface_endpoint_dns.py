"""VPC007 vpc-interface-endpoint-dns."""
from linter.model import all_of, as_bool, ingress_allows, rule, security_groups_of, vpc_of

ENDPOINT = "AWS::EC2::VPCEndpoint"
HTTPS = 443
OTHER_TYPES = (None, "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork")


@rule("VPC007", "vpc-interface-endpoint-dns", severity="error", tags=("correctness", "networking", "vpc"),
      catalogue="R53")
def interface_endpoint_dns(graph, ctx):
    """An interface endpoint with private DNS needs a VPC with DNS support and DNS hostnames, and a
    security group that admits HTTPS.

    **What it checks.** For every `AWS::EC2::VPCEndpoint` with `VpcEndpointType: Interface`:

    - `PrivateDnsEnabled: true` while its VPC has `EnableDnsSupport` (default true) or
      `EnableDnsHostnames` (default **false**) off: **error**;
    - its security groups (`SecurityGroupIds`) admit no TCP 443 at all: warning.

    A VPC or security group the template does not declare (a parameter, an import) is *not
    evaluated*; an endpoint without `SecurityGroupIds` uses the VPC's default group, which the
    template cannot show, so the second check is skipped for it.

    **Why it matters.** With private DNS the service's public name (`sqs.eu-west-1.amazonaws.com`)
    resolves to the endpoint inside the VPC, which needs both DNS attributes; with
    `EnableDnsHostnames` at its default of false, CloudFormation fails to create the endpoint. An
    endpoint whose security group blocks 443 accepts no API calls: clients time out.

    **Example (fails).**

        Vpc:
          Type: AWS::EC2::VPC
          Properties: {CidrBlock: 10.0.0.0/16}        # EnableDnsHostnames absent: false
        SqsEndpoint:
          Type: AWS::EC2::VPCEndpoint
          Properties:
            VpcId: !Ref Vpc
            ServiceName: !Sub com.amazonaws.${AWS::Region}.sqs
            VpcEndpointType: Interface
            PrivateDnsEnabled: true

    **Fix.** Set `EnableDnsSupport: true` and `EnableDnsHostnames: true` on the VPC, and admit TCP 443
    from the clients' security groups or subnets on the endpoint's security group.
    """
    for endpoint in graph.of_type(ENDPOINT):
        kinds = [c.value for c in endpoint.get("VpcEndpointType", default=False)]
        if all(k in OTHER_TYPES for k in kinds):
            continue  # a gateway endpoint (the default type) has no DNS names and no security groups
        yield from _judge_dns(graph, ctx, endpoint)
        if all(k == "Interface" for k in kinds):
            yield from _judge_https(graph, ctx, endpoint)


def _judge_dns(graph, ctx, endpoint):
    private_dns = endpoint.get("PrivateDnsEnabled", default=False)
    if not any(c.value is not None for c in private_dns):
        return
    vpc, reason = vpc_of(graph, endpoint)
    if vpc is None:
        ctx.not_evaluated(endpoint, f"private DNS needs the VPC's DNS attributes, and {reason}")
        return
    for kind, dns, support, hostnames in ctx.cases(endpoint, endpoint.get("VpcEndpointType"), private_dns,
                                                   vpc.get("EnableDnsSupport"), vpc.get("EnableDnsHostnames"),
                                                   convert=_bool_or_text):
        if kind.value != "Interface" or dns.value is not True:
            continue
        off = [c.cite(name) for name, c in (("EnableDnsSupport", support), ("EnableDnsHostnames", hostnames))
               if c.value is not True]
        if off:
            yield ctx.finding(endpoint, f"interface endpoint {endpoint.describe()} has {dns.cite('PrivateDnsEnabled')}, "
                                        f"but its VPC {vpc.describe()} has {' and '.join(off)}; CloudFormation cannot "
                                        "create the endpoint: turn on both DNS attributes of the VPC",
                              at="PrivateDnsEnabled", check="private-dns", related=[vpc],
                              cases=(kind, dns, support, hostnames))


def _bool_or_text(case):
    if isinstance(case.value, str) and case.value.lower() not in ("true", "false"):
        return case.value
    return as_bool(case)


def _judge_https(graph, ctx, endpoint):
    if not endpoint.has("SecurityGroupIds"):
        return
    for case in endpoint.get("SecurityGroupIds"):
        members = security_groups_of(graph, case)
        unknown = next((m.reason for m in members if m.resource is None), None)
        if unknown:
            ctx.not_evaluated(endpoint, unknown)
            continue
        groups = [m.resource for m in members]
        if not groups:
            continue
        verdict = all_of(ingress_allows(graph, g, port=HTTPS).negate() for g in groups)
        if verdict.unknown:
            ctx.not_evaluated(endpoint, verdict.reason)
        elif verdict.yes:
            yield ctx.finding(endpoint, f"no security group of interface endpoint {endpoint.describe()} "
                                        f"({', '.join(g.logical_id for g in groups)}) admits TCP 443; API calls "
                                        "through the endpoint time out: admit 443 from the clients",
                              severity="warning", at="SecurityGroupIds", check="https-ingress", related=groups,
                              cases=(case,))
