"""VPC005 vpc-compute-egress-for-images."""
from linter.model import ISOLATED, PRIVATE_NAT, PUBLIC, endpoint_service, rule, subnet_class, subnets_of

IMAGE_ENDPOINTS = ("ecr.api", "ecr.dkr", "s3", "logs")
AWSVPC = "NetworkConfiguration.AwsvpcConfiguration"


@rule("VPC005", "vpc-compute-egress-for-images", severity="warning", tags=("reliability", "networking", "ecs"),
      catalogue="R32")
def compute_egress_for_images(graph, ctx):
    """Fargate tasks and CodeBuild projects in a VPC need a way to reach ECR, S3 and CloudWatch Logs.

    **What it checks.**

    - An `AWS::ECS::Service` on Fargate (`LaunchType: FARGATE` or a `FARGATE`/`FARGATE_SPOT` capacity
      provider) whose subnets are all **isolated** (no default route) while the template lacks VPC
      endpoints for `ecr.api`, `ecr.dkr`, `s3` and `logs`: warning (`isolated`).
    - The same service in **public** subnets with `AssignPublicIp` absent or `DISABLED`: warning
      (`public-no-ip`); the task has no address to reach the internet with.
    - `AssignPublicIp: ENABLED` in **private** subnets (NAT route): info (`ip-unused`); it has no effect.
    - An `AWS::CodeBuild::Project` whose `VpcConfig` names a public subnet: warning (`codebuild-public`);
      CodeBuild supports only private subnets with a NAT route.

    Subnets whose route tables the template does not describe are *not evaluated*. AWS Batch compute
    environments are not checked yet.

    **Why it matters.** A Fargate task pulls its image and sends its logs over the network before the
    container starts. Without a NAT route, a public IP in a public subnet, or the endpoints, the task
    stops with `CannotPullContainerError` and the service never becomes stable.

    **Example (fails).**

        Service:
          Type: AWS::ECS::Service
          Properties:
            LaunchType: FARGATE
            NetworkConfiguration:
              AwsvpcConfiguration:
                Subnets: [!Ref PublicSubnetA]     # AssignPublicIp absent: DISABLED

    **Fix.** Run tasks in private subnets with a NAT route, or set `AssignPublicIp: ENABLED` in public
    subnets, or add the `ecr.api`, `ecr.dkr` and `logs` interface endpoints and the `s3` gateway endpoint.
    """
    endpoints = {endpoint_service(e) for e in graph.of_type("AWS::EC2::VPCEndpoint")}
    for service in graph.of_type("AWS::ECS::Service"):
        if not service.has(AWSVPC):
            continue
        for launch, strategy, subnets, public_ip in ctx.cases(
                service, service.get("LaunchType", default=False), service.get("CapacityProviderStrategy",
                                                                                 default=False),
                service.get(f"{AWSVPC}.Subnets", default=False), service.get(f"{AWSVPC}.AssignPublicIp",
                                                                            default=False)):
            if not _fargate(launch.value, strategy.value):
                continue
            classes = _classes(graph, ctx, service, subnets)
            if classes is None:
                continue
            kinds = {c.kind for c in classes}
            ip = str(public_ip.value or "DISABLED").upper()
            cases = (launch, subnets, public_ip)
            if PUBLIC in kinds and ip != "ENABLED":
                yield ctx.finding(service, f"Fargate service {service.describe()} runs in public subnets "
                                           f"({_names(classes, PUBLIC)}) without a public IP (AssignPublicIp "
                                           f"{public_ip.show() if public_ip.value else 'absent: DISABLED'}); tasks "
                                           "cannot pull images or send logs: set AssignPublicIp: ENABLED or use "
                                           "private subnets with a NAT route", at=f"{AWSVPC}.Subnets",
                                  check="public-no-ip", cases=cases)
            if kinds == {ISOLATED}:
                missing = [e for e in IMAGE_ENDPOINTS if e not in endpoints]
                if missing:
                    yield ctx.finding(service, f"Fargate service {service.describe()} runs only in isolated subnets "
                                               f"({_names(classes, ISOLATED)}) and the template has no VPC endpoint for "
                                               f"{', '.join(missing)}; tasks fail with CannotPullContainerError: add "
                                               "a NAT route or the endpoints", at=f"{AWSVPC}.Subnets",
                                      check="isolated", cases=cases)
            if kinds == {PRIVATE_NAT} and ip == "ENABLED":
                yield ctx.finding(service, f"Fargate service {service.describe()} sets AssignPublicIp ENABLED in "
                                           f"private subnets ({_names(classes, PRIVATE_NAT)}); the address is never "
                                           "used (traffic leaves through the NAT): remove it", severity="info",
                                  at=f"{AWSVPC}.AssignPublicIp", check="ip-unused", cases=cases)
    for project in graph.of_type("AWS::CodeBuild::Project"):
        if not project.has("VpcConfig.Subnets"):
            continue
        for (subnets,) in ctx.cases(project, project.get("VpcConfig.Subnets")):
            classes = _classes(graph, ctx, project, subnets)
            if classes is not None and any(c.kind == PUBLIC for c in classes):
                yield ctx.finding(project, f"CodeBuild project {project.describe()} uses public subnets "
                                           f"({_names(classes, PUBLIC)}); builds in a VPC get no public IP and cannot "
                                           "reach the internet: use private subnets with a NAT route",
                                  at="VpcConfig.Subnets", check="codebuild-public", cases=(subnets,))


def _fargate(launch, strategy) -> bool:
    if isinstance(launch, str) and launch.upper() == "FARGATE":
        return True
    if isinstance(strategy, list):
        return any(isinstance(s, dict) and str(s.get("CapacityProvider", "")).upper().startswith("FARGATE")
                   for s in strategy)
    return False


def _classes(graph, ctx, subject, subnets):
    members = subnets_of(graph, subnets)
    if not members:
        return None
    if any(m.resource is None for m in members):
        ctx.not_evaluated(subject, next(m.reason for m in members if m.resource is None))
        return None
    classes = [subnet_class(graph, m.resource) for m in members]
    if any(not c.settled for c in classes):
        ctx.not_evaluated(subject, next(c.reason for c in classes if not c.settled))
        return None
    return classes


def _names(classes, kind) -> str:
    return ", ".join(c.subnet.logical_id for c in classes if c.kind == kind)
