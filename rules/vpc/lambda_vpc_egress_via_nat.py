"""VPC001 lambda-vpc-egress-via-nat."""
import re

from linter.model import FUNCTION_TYPES, Case, Unknown, Value, combinations, display, is_symbolic, rule

ROUTE = "AWS::EC2::Route"
DEFAULT_ROUTES = ("0.0.0.0/0",)
NAT_KEYS = ("NatGatewayId", "InstanceId", "NetworkInterfaceId")
ELSEWHERE_KEYS = ("TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId", "CoreNetworkArn",
                  "LocalGatewayId", "CarrierGatewayId")
ROUTE_TARGET_KEYS = NAT_KEYS + ELSEWHERE_KEYS + ("GatewayId",)
# Actions that need no route out of the function's subnets: Lambda performs them itself with the
# function's role (network interfaces, polling event sources, logs), or they reach a data plane that
# lives inside the VPC (file systems, databases, caches, search domains, VPC Lattice services).
NO_EGRESS_ACTIONS = re.compile(
    r"^(logs:(CreateLogGroup|CreateLogStream|PutLogEvents)|ec2:(Create|Describe|Delete|Detach|Attach)NetworkInterfaces?|ec2:(Assign|Unassign)PrivateIpAddresses|"
    r"sqs:(ReceiveMessage|DeleteMessage|GetQueueAttributes|ChangeMessageVisibility)|"
    r"kinesis:(GetRecords|GetShardIterator|DescribeStream|DescribeStreamSummary|ListShards|ListStreams|"
    r"SubscribeToShard)|dynamodb:(GetRecords|GetShardIterator|DescribeStream|ListStreams)|"
    r"elasticfilesystem:Client.*|s3files:Client.*|rds-db:.*|neptune-db:.*|memorydb:Connect|elasticache:Connect|"
    r"es:ESHttp.*|aoss:APIAccessAll|vpc-lattice-svcs:.*|kafka-cluster:.*)$", re.IGNORECASE)
# Managed policies whose permissions are used by the Lambda service, not by the function's code.
SERVICE_SIDE_POLICIES = re.compile(r"AWSLambda(BasicExecutionRole|VPCAccessExecutionRole|SQSQueueExecutionRole|"
                                   r"KinesisExecutionRole|DynamoDBExecutionRole|MSKExecutionRole|MQExecutionRole)$")
# SAM policy templates by name prefix → the service the function's code calls with them. The templates
# that serve Lambda's own polling, network interfaces or an in-VPC data plane need no route out (None).
SAM_POLICY_SERVICES = {
    "SQSPoller": None, "KinesisStreamRead": None, "DynamoDBStreamRead": None, "VPCAccess": None,
    "ElasticsearchHttp": None, "MSK": None,
    "DynamoDB": "dynamodb", "S3": "s3", "SQS": "sqs", "SNS": "sns", "SES": "ses", "KMS": "kms", "SSM": "ssm",
    "AWSSecretsManager": "secretsmanager", "SecretsManager": "secretsmanager", "StepFunctions": "states",
    "Lambda": "lambda", "Kinesis": "kinesis", "EventBridge": "events", "CloudWatch": "cloudwatch",
    "Firehose": "firehose", "Athena": "athena", "Rekognition": "rekognition", "Comprehend": "comprehend",
    "Polly": "polly", "CodePipeline": "codepipeline", "CodeCommit": "codecommit", "Textract": "textract",
    "AMIDescribe": "ec2", "EC2Describe": "ec2", "EKSDescribe": "eks", "Route53": "route53", "CostExplorer": "ce",
    "Organizations": "organizations", "FilterLogEvents": "logs", "CloudFormation": "cloudformation",
    "Acm": "acm", "Sagemaker": "sagemaker", "Glue": "glue", "Translate": "translate",
}
MANAGED_POLICY_SERVICES = {"S3": "s3", "DynamoDB": "dynamodb", "SQS": "sqs", "SNS": "sns", "Kinesis": "kinesis",
                           "SecretsManager": "secretsmanager", "SSM": "ssm", "KMS": "kms", "SES": "ses",
                           "XRay": "xray", "Xray": "xray", "EventBridge": "events", "StepFunctions": "states"}


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
    routes = _routes_by_table(graph)
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("VpcConfig"):
            continue
        for vpc_case in fn.get("VpcConfig"):
            if not vpc_case.known:
                ctx.not_evaluated(fn, vpc_case.describe())
                continue
            config = vpc_case.value
            if not isinstance(config, dict):
                continue
            subnets_given, groups_given = bool(config.get("SubnetIds")), bool(config.get("SecurityGroupIds"))
            if subnets_given != groups_given:
                present, missing = ("SubnetIds", "SecurityGroupIds") if subnets_given else ("SecurityGroupIds",
                                                                                           "SubnetIds")
                yield ctx.finding(fn, f"function {fn.describe()} has VpcConfig.{present} but no {missing}; Lambda "
                                      "needs both to attach the function to the VPC", severity="error",
                                  at="VpcConfig", check="incomplete", cases=(vpc_case,))
            if not subnets_given:
                continue
            yield from _judge_subnets(graph, ctx, fn, vpc_case, routes)
            yield from _judge_egress_rules(graph, ctx, fn, vpc_case)


# ---------------------------------------------------------------- subnets


def _routes_by_table(graph):
    out = {}
    for route in graph.of_type(ROUTE):
        for case in route.get("RouteTableId"):
            table, _ = graph.follow(case)
            if table is not None:
                out.setdefault(table.logical_id, []).append(route)
    return out


def _judge_subnets(graph, ctx, fn, vpc_case, routes):
    subnet_ids = vpc_case.value.get("SubnetIds")
    if isinstance(subnet_ids, Unknown):
        ctx.not_evaluated(fn, f"its subnets are unknown: {subnet_ids.reason}")
        return
    if not isinstance(subnet_ids, list):
        return
    classes = []   # (class, subnet resource or None, evidence text)
    for item in subnet_ids:
        subnet, reason = graph.follow(Case(item, vpc_case.origin, vpc_case.assumptions))
        if subnet is None or subnet.type != "AWS::EC2::Subnet":
            classes.append(("unknown", None, f"subnet {display(item)} is not described by this template"
                                             if not isinstance(item, Unknown) else item.reason))
            continue
        classes.append(_classify(graph, subnet, routes))
    names = {s.logical_id for _, s, _ in classes if s is not None}
    public = [(s, why) for c, s, why in classes if c == "public"]
    nat = [s for c, s, _ in classes if c == "nat"]
    isolated = [(s, why) for c, s, why in classes if c == "isolated"]
    open_questions = [why for c, _, why in classes if c in ("unknown", "elsewhere")]
    related = [s for _, s, _ in classes if s is not None]

    if public and len(public) == len(classes):
        yield ctx.finding(fn, f"every subnet of function {fn.describe()} is public ({_list(public)}); Lambda "
                              "network interfaces never get a public IP, so the function cannot reach the internet "
                              "or AWS APIs: use private subnets with a NAT route", severity="error",
                          at="VpcConfig.SubnetIds", related=related, check="public", cases=(vpc_case,))
    elif public:
        yield ctx.finding(fn, f"function {fn.describe()} uses public subnets ({_list(public)}) among its subnets; "
                              "invocations that land there have no route out", at="VpcConfig.SubnetIds",
                          related=related, check="public", cases=(vpc_case,))
    elif open_questions:
        ctx.not_evaluated(fn, open_questions[0])
    elif nat and isolated:
        yield ctx.finding(fn, f"function {fn.describe()} mixes subnets with a NAT route and isolated subnets "
                              f"({_list(isolated)}); invocations in the isolated ones cannot reach the internet",
                          at="VpcConfig.SubnetIds", related=related, check="mixed", cases=(vpc_case,))
    elif isolated:
        yield from _judge_isolated(graph, ctx, fn, vpc_case, isolated, related)

    if not open_questions and len(names) == len(classes):
        yield from _judge_zones(graph, ctx, fn, vpc_case, [s for _, s, _ in classes])


def _list(pairs) -> str:
    return ", ".join(f"{s.logical_id}: {why}" for s, why in pairs)


def _classify(graph, subnet, routes):
    tables = [e.target for e in graph.edges("routes-via", source=subnet) if e.role == "association"]
    if not tables:
        loose = [d for d in graph.dangling_links("routes-via")
                 if d.holder.type == "AWS::EC2::SubnetRouteTableAssociation" and _names(graph, d.holder, subnet)]
        if loose:
            return "unknown", subnet, f"the route table of subnet {subnet.logical_id} is not in this template"
        return ("unknown", subnet, f"subnet {subnet.logical_id} has no route table association, so it uses the "
                                   "VPC's main route table, which the template does not describe")
    verdicts = {_classify_table(graph, table, routes) for table in tables}
    if len(verdicts) != 1:
        return "unknown", subnet, f"subnet {subnet.logical_id} is associated with route tables of different kinds"
    kind, why = verdicts.pop()
    return kind, subnet, why


def _names(graph, holder, subnet) -> bool:
    for case in holder.get("SubnetId"):
        found, _ = graph.follow(case)
        if found is subnet:
            return True
    return False


def _classify_table(graph, table, routes):
    verdict = ("isolated", f"route table {table.logical_id} has no default route")
    for route in routes.get(table.logical_id, ()):
        dest = route.get("DestinationCidrBlock", default=False)
        values = {c.value if c.known else None for c in dest}
        if None in values and any(not c.known for c in dest):
            return "unknown", f"the destination of route {route.logical_id} is unknown"
        if not values & set(DEFAULT_ROUTES):
            continue
        present = [k for k in ROUTE_TARGET_KEYS if route.has(k)]
        if any(c.value is None or not c.known for k in present for c in route.get(k, default=False)):
            # The target itself depends on a condition (or is unknown): which kind of subnet it
            # makes is not settled.
            return "unknown", f"the target of route {route.logical_id} depends on a condition or is unknown"
        for key in NAT_KEYS:
            if route.has(key):
                return "nat", f"route {route.logical_id} sends 0.0.0.0/0 to a NAT"
        for key in ELSEWHERE_KEYS:
            if route.has(key):
                return "elsewhere", f"route {route.logical_id} sends 0.0.0.0/0 through {key}, which is not judged"
        if route.has("GatewayId"):
            for case in route.get("GatewayId"):
                target, _ = graph.follow(case)
                if target is not None and target.type == "AWS::EC2::InternetGateway":
                    return "public", f"route {route.logical_id} sends 0.0.0.0/0 to internet gateway {target.logical_id}"
                if target is None and case.known and isinstance(case.value, str) and case.value.startswith("igw-"):
                    return "public", f"route {route.logical_id} sends 0.0.0.0/0 to internet gateway {case.value}"
                return "unknown", f"the gateway of route {route.logical_id} is not known"
        return "unknown", f"route {route.logical_id} has a default route to a target this check does not know"
    return verdict


# ---------------------------------------------------------------- isolated subnets and endpoints


def _judge_isolated(graph, ctx, fn, vpc_case, isolated, related):
    needed = _services_used(graph, fn)
    if needed is None:
        ctx.not_evaluated(fn, "its subnets are isolated, and the services its role uses are unknown")
        return
    if not needed:
        return  # no AWS API use we can see: an isolated function may be intended
    endpoints = _endpoint_services(graph)
    missing = sorted(s for s in needed if s not in endpoints)
    if missing:
        yield ctx.finding(fn, f"function {fn.describe()} sits only in isolated subnets ({_list(isolated)}) and its "
                              f"role uses {', '.join(missing)}, which have no VPC endpoint in this template; calls to "
                              "them time out: add a NAT route or VPC endpoints", at="VpcConfig.SubnetIds",
                          related=related, check="isolated", cases=(vpc_case,))


def _services_used(graph, fn):
    """The AWS services the function's code may call, from its role; None when the role is unknown."""
    role = None
    for case in fn.get("Role", default=False):
        if not case.known or case.value is None:
            return None
        role, _ = graph.follow(case)
    if role is None or role.type != "AWS::IAM::Role":
        return None
    services: set = set()
    documents = []
    for case in role.get("Policies", default=False):
        if case.known and isinstance(case.value, list):
            documents.extend(p.get("PolicyDocument") for p in case.value if isinstance(p, dict))
    for policy in graph.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for case in policy.get("Roles", default=False):
            if case.known and isinstance(case.value, list):
                if any(graph.follow(Case(r))[0] is role for r in case.value):
                    documents.extend(c.value for c in policy.get("PolicyDocument") if c.known)
    for case in role.get("SamPolicies", default=False):
        entries = case.value if isinstance(case.value, list) else [case.value] if case.value else []
        for entry in entries:
            if isinstance(entry, str):
                found = _managed_service(entry)
                if found is None:
                    return None
                services |= found
            elif isinstance(entry, dict) and "Statement" in entry:
                documents.append(entry)
            elif isinstance(entry, dict):
                for name in entry:
                    prefix = next((p for p in sorted(SAM_POLICY_SERVICES, key=len, reverse=True)
                                   if str(name).startswith(p)), None)
                    if prefix is None:
                        return None
                    if SAM_POLICY_SERVICES[prefix]:
                        services.add(SAM_POLICY_SERVICES[prefix])
    for case in role.get("ManagedPolicyArns", default=False):
        for arn in case.value if case.known and isinstance(case.value, list) else []:
            if not isinstance(arn, str) or is_symbolic(arn):
                return None
            found = _managed_service(arn)
            if found is None:
                return None
            services |= found
    for document in documents:
        if not isinstance(document, dict):
            return None
        statements = document.get("Statement")
        statements = statements if isinstance(statements, list) else [statements]
        for statement in statements:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            for action in actions if isinstance(actions, list) else [actions]:
                if not isinstance(action, str):
                    return None
                if NO_EGRESS_ACTIONS.match(action):
                    continue
                services.add("*" if action == "*" else action.split(":", 1)[0].lower())
    return services


def _managed_service(arn: str):
    name = arn.rsplit("/", 1)[-1]
    if SERVICE_SIDE_POLICIES.search(name):
        return set()
    for key, service in MANAGED_POLICY_SERVICES.items():
        if key in name:
            return {service}
    return None


def _endpoint_services(graph) -> set:
    services = set()
    for endpoint in graph.of_type("AWS::EC2::VPCEndpoint"):
        for case in endpoint.get("ServiceName"):
            if case.known and isinstance(case.value, str):
                services.add(case.value.rsplit(".", 1)[-1].lower())
    return services


# ---------------------------------------------------------------- zones and security groups


def _judge_zones(graph, ctx, fn, vpc_case, subnets):
    zone_values = []
    for subnet in subnets:
        key = next((k for k in ("AvailabilityZone", "AvailabilityZoneId") if subnet.has(k)), None)
        if key is None:
            if len(subnets) > 1:
                return  # AWS picks the zone of a subnet without one: cannot tell
            continue
        zone_values.append(subnet.get(key))
    # Every scenario (Fn::If branch, mapping row, allowed value) consistent with this VpcConfig case;
    # the first one that puts every subnet in the same zone is reported, and names its scenario.
    for combo in combinations(Value([vpc_case]), *zone_values):
        zones = combo[1:]
        if any(not z.known or not isinstance(z.value, str) for z in zones):
            continue
        names = {z.value for z in zones}
        if len(names) <= 1:
            where = f" ({_zone_text(next(iter(names)))})" if names else ""
            yield ctx.finding(fn, f"all subnets of function {fn.describe()} are in one Availability Zone{where}; an "
                                  "outage of that zone stops the function: add a subnet in another zone",
                              at="VpcConfig.SubnetIds", related=subnets, check="one-zone", cases=combo)
            return


def _zone_text(zone: str) -> str:
    m = re.fullmatch(r"\$\{Fn::GetAZs\[(\d+)\]\}", display(zone))
    return f"!Select [{m.group(1)}, !GetAZs ''] for every subnet" if m else display(zone)


def _judge_egress_rules(graph, ctx, fn, vpc_case):
    groups = vpc_case.value.get("SecurityGroupIds")
    if not isinstance(groups, list) or not groups:
        return
    extra = {}
    for rule_resource in graph.of_type("AWS::EC2::SecurityGroupEgress"):
        for case in rule_resource.get("GroupId"):
            group, _ = graph.follow(case)
            if group is not None:
                extra.setdefault(group.logical_id, []).append(rule_resource)
    resources = []
    for item in groups:
        group, _ = graph.follow(Case(item))
        if group is None or group.type != "AWS::EC2::SecurityGroup":
            return  # a group we cannot see may allow it
        resources.append(group)
    for group in resources:
        entries = [_rule_dict(r) for r in extra.get(group.logical_id, ())]
        for case in group.get("SecurityGroupEgress", default=False):
            if case.value is None:
                return  # no SecurityGroupEgress: the group keeps its default allow-all egress rule
            entries.extend(case.value if case.known and isinstance(case.value, list) else [None])
        for entry in entries:
            verdict = _allows_https(entry) if isinstance(entry, dict) else None
            if verdict is None:
                ctx.not_evaluated(fn, f"an egress rule of security group {group.logical_id} is not known")
                return
            if verdict:
                return
    yield ctx.finding(fn, f"the security groups of function {fn.describe()} "
                          f"({', '.join(g.logical_id for g in resources)}) allow no TCP 443 out; calls to AWS APIs "
                          "and HTTPS services are blocked", at="VpcConfig.SecurityGroupIds", related=resources,
                      check="egress-443", cases=(vpc_case,))


def _rule_dict(resource):
    out = {}
    for key in ("IpProtocol", "FromPort", "ToPort"):
        value = resource.get(key, default=False).single
        if value is None and resource.has(key):
            return None
        out[key] = value
    return out


def _allows_https(entry):
    """True when a rule lets TCP 443 out; None when it cannot be told."""
    protocol = entry.get("IpProtocol")
    if isinstance(protocol, Unknown):
        return None
    protocol = str(protocol).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = entry.get("FromPort"), entry.get("ToPort")
    try:
        return int(low) <= 443 <= int(high)
    except (TypeError, ValueError):
        return None
