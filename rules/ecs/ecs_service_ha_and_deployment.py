"""ECS002 ecs-service-ha-and-deployment."""
from linter.model import as_bool, as_list, as_number, as_text, production, rule, single_zone_scenario, subnets_of

SERVICE = "AWS::ECS::Service"
AZ_ATTRIBUTE = "attribute:ecs.availability-zone"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


@rule("ECS002", "ecs-service-ha-and-deployment", severity="warning", tags=("reliability", "ecs"), catalogue="R29")
def ecs_service_ha_and_deployment(graph, ctx):
    """An ECS service should be able to roll out new versions and keep running when a zone fails.

    **What it checks.** For each `AWS::ECS::Service` (replica services; `DAEMON` services are skipped):

    - **warning**: `DeploymentConfiguration.MinimumHealthyPercent` 100 with `MaximumPercent` 100 (the
      defaults are 100 and 200): ECS may neither stop an old task nor start a new one, so a rolling
      deployment cannot progress.
    - **warning**, in production: `DesiredCount` 1 (the ECS default when not set; 0 is a service switched
      off on purpose, and an Application Auto Scaling target with `MinCapacity` 2 or more overrides it); awsvpc
      `Subnets` of the template that all sit in one Availability Zone; an EC2 service whose
      `PlacementStrategies` are given without a `spread` on `attribute:ecs.availability-zone`. Production
      follows the catalogue's convention (a production-like environment parameter or condition, or the
      template as written when it has none).
    - **info**: a service with `LoadBalancers` and no `HealthCheckGracePeriodSeconds`: a slow-starting task
      is killed by failing load balancer health checks before it is ready.
    - **info**: no `DeploymentConfiguration.DeploymentCircuitBreaker` with `Enable` and `Rollback`, so a
      broken release keeps retrying instead of rolling back (ECS deployment controller only).

    Values from parameters without a value or imports are *not evaluated*; subnets outside the template
    are not judged. Whether the application starts slowly cannot be seen in the template.

    **Why it matters.** A service is how ECS keeps a number of tasks running. With one task, or all tasks
    in one zone, a task or zone failure is an outage. With no room to start or stop tasks, deployments
    hang until CloudFormation times out.

    **Example (fails).**

        ApiService:
          Type: AWS::ECS::Service
          Properties:
            Cluster: !Ref Cluster
            TaskDefinition: !Ref ApiTask
            DesiredCount: 1
            DeploymentConfiguration:
              MinimumHealthyPercent: 100
              MaximumPercent: 100

    **Fix.**

        ApiService:
          Type: AWS::ECS::Service
          Properties:
            Cluster: !Ref Cluster
            TaskDefinition: !Ref ApiTask
            DesiredCount: 2
            HealthCheckGracePeriodSeconds: 60
            DeploymentConfiguration:
              MinimumHealthyPercent: 100
              MaximumPercent: 200
              DeploymentCircuitBreaker: {Enable: true, Rollback: true}

    See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html.
    """
    in_production = production(graph)
    for service in graph.of_type(SERVICE):
        for (strategy,) in ctx.cases(service, service.get("SchedulingStrategy", default=False), convert=as_text):
            if (strategy.value or "REPLICA").upper() != "REPLICA":
                break
        else:
            yield from _deployment(ctx, service)
            yield from _redundancy(graph, ctx, service, in_production)
            yield from _advice(ctx, service)


def _deployment(ctx, service):
    low = service.get("DeploymentConfiguration.MinimumHealthyPercent")
    high = service.get("DeploymentConfiguration.MaximumPercent")
    for minimum, maximum in ctx.cases(service, low, high, convert=as_number):
        if minimum.value >= 100 and maximum.value <= 100:
            yield ctx.finding(service, f"ECS service {service.describe()} has {minimum.cite('MinimumHealthyPercent')} "
                                       f"and {maximum.cite('MaximumPercent')}; a rolling deployment can neither stop "
                                       "an old task nor start a new one: raise MaximumPercent or lower "
                                       "MinimumHealthyPercent", at="DeploymentConfiguration", check="deployment-stuck",
                              cases=(minimum, maximum))


def _redundancy(graph, ctx, service, in_production):
    scaled = _scaling_minimum(graph, ctx, service)
    for count, prod in ctx.cases(service, service.get("DesiredCount"), in_production, convert=(as_number, None)):
        # 0 is a service switched off on purpose; Application Auto Scaling with a minimum of 2 or more
        # overrides the desired count.
        if prod.value and count.value == 1 and not scaled:
            yield ctx.finding(service, f"ECS service {service.describe()} runs {count.cite('DesiredCount')} in "
                                       f"production ({prod.origin}); one task failure or zone outage stops it: run at "
                                       "least 2 tasks", at="DesiredCount" if service.has("DesiredCount") else None,
                              check="single-task", cases=(count, prod))
    subnets = service.get("NetworkConfiguration.AwsvpcConfiguration.Subnets", default=False)
    for ids, prod in ctx.cases(service, subnets, in_production, convert=(as_list, None)):
        if not prod.value or not ids.value:
            continue
        members = subnets_of(graph, ids)
        declared = [m.resource for m in members if m.resource is not None]
        if len(declared) != len(ids.value):
            continue   # a subnet outside the template: its zone is unknown
        found = single_zone_scenario(declared, within=(ids, prod))
        if found is not None:
            _zone, cases = found
            yield ctx.finding(service, f"the subnets of ECS service {service.describe()} "
                                       f"({', '.join(s.logical_id for s in declared)}) are all in one Availability "
                                       f"Zone in production ({prod.origin}); use subnets in at least two zones",
                              at="NetworkConfiguration.AwsvpcConfiguration.Subnets", related=declared,
                              check="single-zone", cases=cases)
    if service.has("PlacementStrategies"):
        yield from _placement(ctx, service, in_production)


def _scaling_minimum(graph, ctx, service) -> bool:
    """Whether an Application Auto Scaling target of this template keeps the service at 2 tasks or more."""
    for target in graph.of_type(SCALABLE_TARGET):
        if not graph.refers_to(target.get("ResourceId", default=False), service):
            continue
        for (minimum,) in ctx.cases(service, target.get("MinCapacity", default=False), convert=as_number):
            if minimum.value is not None and minimum.value >= 2:
                return True
    return False


def _placement(ctx, service, in_production):
    spread = False
    for entry in service.entries("PlacementStrategies"):
        for kind, field in ctx.cases(entry, entry.get("Type", default=False), entry.get("Field", default=False),
                                     convert=as_text):
            if (kind.value or "").lower() == "spread" and (field.value or "").lower() in (AZ_ATTRIBUTE, "availabilityzone"):
                spread = True
    if spread or not ctx.all_judged(service):
        return
    for launch, prod in ctx.cases(service, service.get("LaunchType", default=False), in_production,
                                  convert=(as_text, None)):
        if prod.value and (launch.value or "").upper() == "EC2":
            yield ctx.finding(service, f"ECS service {service.describe()} on EC2 sets PlacementStrategies without a "
                                       f"spread on {AZ_ATTRIBUTE} in production ({prod.origin}); its tasks may pack "
                                       "into one zone: put a spread by zone first", at="PlacementStrategies",
                              check="no-zone-spread", cases=(launch, prod))


def _advice(ctx, service):
    if service.has("LoadBalancers") and not service.has("HealthCheckGracePeriodSeconds"):
        yield ctx.finding(service, f"ECS service {service.describe()} is behind a load balancer and sets no "
                                   "HealthCheckGracePeriodSeconds; a task that starts slowly is stopped by failed "
                                   "health checks before it is ready", severity="info", at="LoadBalancers",
                          check="grace-period")
    controller = service.get("DeploymentController.Type", default=False)
    breaker = "DeploymentConfiguration.DeploymentCircuitBreaker"
    for kind, enable, rollback in ctx.cases(service, controller, service.get(f"{breaker}.Enable", default=False),
                                            service.get(f"{breaker}.Rollback", default=False),
                                            convert=(as_text, as_bool, as_bool)):
        if (kind.value or "ECS").upper() == "ECS" and not (enable.value and rollback.value):
            yield ctx.finding(service, f"ECS service {service.describe()} has no deployment circuit breaker with "
                                       "rollback; a release whose tasks never become healthy keeps retrying: set "
                                       "DeploymentCircuitBreaker Enable and Rollback to true", severity="info",
                              at=breaker if service.has(breaker) else None, check="circuit-breaker",
                              cases=(kind, enable, rollback))
