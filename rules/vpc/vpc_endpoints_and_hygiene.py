"""VPC009 vpc-endpoints-and-hygiene."""
from linter.model import (FUNCTION_TYPES, ISOLATED, PRIVATE_NAT, function_role, gateway_endpoint_serves,
                          referencing_resources, rule,
                          services_used, subnet_class, subnets_of, vpc_of)

GATEWAY_SERVICES = ("s3", "dynamodb")
SERVICE_NAMES = {"s3": "S3", "dynamodb": "DynamoDB"}


@rule("VPC009", "vpc-endpoints-and-hygiene", severity="info", options={"max_eips": 5},
      tags=("cost", "networking", "vpc"), catalogue="R111")
def endpoints_and_hygiene(graph, ctx):
    """Advice for VPCs: gateway endpoints for S3 and DynamoDB, flow logs, and few Elastic IPs.

    **What it checks.** All sub-checks are advice (info):

    - a Lambda function in private or isolated subnets whose role uses S3 or DynamoDB, while no
      gateway endpoint for that service is associated with the subnets' route tables (`s3-endpoint`,
      `dynamodb-endpoint`);
    - an `AWS::EC2::VPC` without an `AWS::EC2::FlowLog` whose `ResourceId` is that VPC (`flow-log`);
    - more Elastic IPs (`AWS::EC2::EIP`) than option `max_eips` (5, the default quota per region)
      in the template (`eip-count`), and an Elastic IP that nothing uses: it has no `InstanceId` and
      no resource of the template (a NAT gateway, an `AWS::EC2::EIPAssociation`, a load balancer's
      subnet mapping) refers to it (`eip-unused`).

    Subnets whose route tables the template does not describe, and roles whose policies are not known,
    are *not evaluated*. A flow log created by another stack cannot be seen.

    **Why it matters.** Without a gateway endpoint, S3 and DynamoDB traffic from private subnets goes
    through the NAT gateway and is billed per GB; from isolated subnets it does not go anywhere. Gateway
    endpoints are free. Flow logs are the only record of who talked to what in a VPC. Elastic IPs count
    against a small regional quota and every public IPv4 address is billed, attached or not.

    **Example (fails).**

        Reports:
          Type: AWS::Serverless::Function
          Properties:
            Policies: [S3ReadPolicy: {BucketName: !Ref Archive}]
            VpcConfig: {SubnetIds: [!Ref PrivateSubnetA], SecurityGroupIds: [!Ref ReportsSG]}
        # no AWS::EC2::VPCEndpoint for com.amazonaws.<region>.s3 on PrivateSubnetA's route table

    **Fix.**

        S3Endpoint:
          Type: AWS::EC2::VPCEndpoint
          Properties:
            VpcId: !Ref Vpc
            ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
            RouteTableIds: [!Ref PrivateRouteTable]
    """
    yield from _judge_gateway_endpoints(graph, ctx)
    yield from _judge_flow_logs(graph, ctx)
    yield from _judge_eips(graph, ctx)


def _judge_gateway_endpoints(graph, ctx):
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("VpcConfig"):
            continue
        members = subnets_of(graph, fn.get("VpcConfig.SubnetIds"))
        classes = [subnet_class(graph, m.resource) for m in members if m.resource is not None]
        inside = [c for c in classes if c.kind in (PRIVATE_NAT, ISOLATED)]
        if not inside:
            continue
        role, reason = function_role(graph, fn)
        used = services_used(graph, role) if role is not None else None
        if used is None:
            ctx.not_evaluated(fn, reason or "the services its role uses are not known")
            continue
        for service in GATEWAY_SERVICES:
            if service not in used:
                continue
            tables = {c.route_table.logical_id: c.route_table for c in inside if c.route_table is not None}
            lacking = set()
            for table_id, table in tables.items():
                verdict = gateway_endpoint_serves(graph, table, service)
                if verdict.unknown:
                    ctx.not_evaluated(fn, verdict.reason)
                elif verdict.no:
                    lacking.add(table_id)
            missing = [c for c in inside if c.route_table is not None and c.route_table.logical_id in lacking]
            if missing:
                name = SERVICE_NAMES[service]
                via = "the NAT gateway, billed per GB" if any(c.kind == PRIVATE_NAT for c in missing) else \
                    "no route at all (the subnets are isolated)"
                yield ctx.finding(fn, f"function {fn.describe()} uses {name} from subnets "
                                      f"{', '.join(c.subnet.logical_id for c in missing)} whose route tables "
                                      f"({', '.join(sorted({c.route_table.logical_id for c in missing}))}) have no "
                                      f"{name} gateway endpoint, so its {name} traffic takes {via}: add a free "
                                      f"gateway endpoint for {service}", at="VpcConfig.SubnetIds",
                                  check=f"{service}-endpoint",
                                  related=[tables[t] for t in sorted(lacking)])


def _judge_flow_logs(graph, ctx):
    logged = set()
    for flow_log in graph.of_type("AWS::EC2::FlowLog"):
        target, _ = vpc_of(graph, flow_log, "ResourceId")
        if target is not None:
            logged.add(target.logical_id)
    for vpc in graph.of_type("AWS::EC2::VPC"):
        if vpc.logical_id not in logged:
            yield ctx.finding(vpc, f"VPC {vpc.describe()} has no flow log in this template; without one there is no "
                                   "record of the traffic in it: add an AWS::EC2::FlowLog with ResourceType VPC",
                              check="flow-log")


def _judge_eips(graph, ctx):
    eips = graph.of_type("AWS::EC2::EIP")
    limit = ctx.options["max_eips"]
    if len(eips) > limit:
        yield ctx.finding(eips[limit], f"the template allocates {len(eips)} Elastic IPs, more than {limit}, the "
                                       "default quota per region; the stack fails unless the quota was raised: use "
                                       "fewer public addresses (one NAT gateway per zone, load balancers)",
                          check="eip-count", related=eips[:limit])
    for eip in eips:
        if eip.has("InstanceId") or referencing_resources(graph, eip):
            continue  # attached, or used by a NAT gateway, an association, a load balancer mapping …
        yield ctx.finding(eip, f"Elastic IP {eip.describe()} is not attached to a NAT gateway or instance in this "
                               "template; an idle public address is billed and uses quota: remove it or attach it",
                          check="eip-unused")
