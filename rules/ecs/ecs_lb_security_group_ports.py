"""ECS001 ecs-lb-security-group-ports."""
from linter.model import (ECS_CLUSTER, ELB_TARGET_GROUP, any_of, as_number, as_text, balancers_of, cluster_instances,
                          follow_one, ingress_allows, ingress_allows_span, instance_security_groups, rule,
                          security_groups_of, task_definition_of)

SERVICE = "AWS::ECS::Service"


@rule("ECS001", "ecs-lb-security-group-ports", severity="error", options={"dynamic_ports": [49153, 60999]},
      tags=("reliability", "networking", "ecs", "elb"), catalogue="R28")
def ecs_lb_security_group_ports(graph, ctx):
    """The security groups of an ECS service's tasks or container instances must admit its load balancer.

    **What it checks.** Every `AWS::ECS::Service` entry of `LoadBalancers` with a `TargetGroupArn` of the
    template, behind a load balancer with `SecurityGroups` (found through the listeners and listener rules
    that forward to the target group), each scenario on its own:

    - **error** (`target-type`): the task definition uses `NetworkMode: awsvpc` (every Fargate task does)
      but the target group's `TargetType` is `instance` (the default): awsvpc tasks register by IP.
    - **error** (`task-ingress`): awsvpc tasks whose security groups
      (`NetworkConfiguration.AwsvpcConfiguration.SecurityGroups`) do not admit the `ContainerPort` from
      the load balancer's groups.
    - **error** (`instance-ingress`): `bridge` (the default on EC2) or `host` tasks whose container
      instances' security groups do not admit the host port from the load balancer's groups. With a
      dynamic host port (`HostPort` 0 or absent in bridge mode) that is the ephemeral range: every port
      of `dynamic_ports` (49153-60999 by default, the ports both the Linux and the Docker ephemeral ranges
      contain) must be admitted. Container instances are the Auto Scaling groups of the cluster's capacity
      providers and the launch templates, launch configurations, groups and instances whose user data
      names the cluster.

    Target groups no listener of the template forwards to, load balancers or tasks without security
    groups (the VPC's default group applies), clusters outside the template or without instances the
    template starts, and values from parameters without a value are *not evaluated*.

    **Why it matters.** Security groups drop what they do not admit. The load balancer's health checks
    cannot reach the tasks, every target is unhealthy and clients get 503 errors; ECS keeps replacing
    the tasks. A rule for the container port alone does not admit the random host ports of bridge mode.
    An `instance` target group cannot register awsvpc tasks at all, so the service fails to create.

    **Example (fails).**

        TaskSecurityGroup:
          Type: AWS::EC2::SecurityGroup
          Properties:
            GroupDescription: tasks
            SecurityGroupIngress:
              - {IpProtocol: tcp, FromPort: 443, ToPort: 443, SourceSecurityGroupId: !Ref AlbSecurityGroup}
        Service:
          Type: AWS::ECS::Service
          Properties:
            LaunchType: FARGATE
            LoadBalancers:
              - {ContainerName: web, ContainerPort: 8080, TargetGroupArn: !Ref WebTargetGroup}
            NetworkConfiguration:
              AwsvpcConfiguration: {SecurityGroups: [!Ref TaskSecurityGroup], Subnets: [!Ref SubnetA]}

    **Fix.** Admit the container port (awsvpc) or the ephemeral range (bridge with dynamic ports) from the
    load balancer's security group, and use `TargetType: ip` for awsvpc tasks:

        TaskFromAlb:
          Type: AWS::EC2::SecurityGroupIngress
          Properties: {GroupId: !Ref TaskSecurityGroup, IpProtocol: tcp, FromPort: 8080, ToPort: 8080,
                       SourceSecurityGroupId: !Ref AlbSecurityGroup}
    """
    low, high = (int(p) for p in ctx.options["dynamic_ports"])
    for service in graph.of_type(SERVICE):
        for entry in service.entries("LoadBalancers"):
            if not entry.has("TargetGroupArn"):
                continue   # a Classic Load Balancer (LoadBalancerName)
            for group_case, port, name, task_case in ctx.cases(
                    service, entry.get("TargetGroupArn"), entry.get("ContainerPort"), entry.get("ContainerName"),
                    service.get("TaskDefinition"), convert=(None, as_number, as_text, None)):
                target_group, why = graph.follow(group_case)
                if target_group is None or target_group.type != ELB_TARGET_GROUP:
                    ctx.not_evaluated(service, why or f"{group_case.show()} is not a target group of this template")
                    continue
                task, why = task_definition_of(graph, service, task_case)
                if task is None:
                    ctx.not_evaluated(service, why)
                    continue
                alb_groups = _balancer_groups(ctx, graph, service, target_group)
                if alb_groups is None or port.value is None:
                    continue
                decided = (group_case, port, name, task_case, entry)
                for (mode,) in ctx.cases(service, task.get("NetworkMode"), convert=as_text):
                    shown = f"network mode {mode.show()}"
                    if mode.value == "awsvpc":
                        yield from _awsvpc(ctx, graph, service, entry, target_group, int(port.value), alb_groups,
                                           shown, decided + (mode,))
                    elif mode.value in ("bridge", "host"):
                        yield from _instances(ctx, graph, service, entry, task, mode.value, name.value,
                                              int(port.value), alb_groups, (low, high), shown, decided + (mode,))


def _balancer_groups(ctx, graph, service, target_group):
    balancers = balancers_of(graph, target_group)
    if not balancers:
        ctx.not_evaluated(service, f"no listener of this template forwards to {target_group.describe()}")
        return None
    groups = []
    for balancer, _ in balancers:
        if not balancer.has("SecurityGroups"):
            ctx.not_evaluated(service, f"load balancer {balancer.describe()} sets no SecurityGroups (the VPC's "
                                       "default group, or a Network Load Balancer passing client addresses through)")
            return None
        members = security_groups_of(graph, balancer.get("SecurityGroups", default=False))
        missing = next((m.reason for m in members if m.resource is None), None)
        if missing or not members:
            ctx.not_evaluated(service, missing or f"load balancer {balancer.describe()} lists no security group")
            return None
        groups += [m.resource for m in members if m.resource not in groups]
    return groups


def _names(groups):
    return ", ".join(g.logical_id for g in groups)


def _awsvpc(ctx, graph, service, entry, target_group, port, alb_groups, shown, decided):
    for (kind,) in ctx.cases(service, target_group.get("TargetType"), convert=as_text):
        if (kind.value or "").lower() == "instance":
            yield ctx.finding(service, f"service {service.describe()} runs awsvpc tasks ({shown}) behind "
                                       f"{target_group.describe()}, whose target type is {kind.show()}: awsvpc tasks "
                                       "register by IP address, so the service cannot register them; use "
                                       "TargetType ip", check="target-type", at=f"{entry.at}.TargetGroupArn",
                              related=[target_group], cases=(kind, *decided))
    path = "NetworkConfiguration.AwsvpcConfiguration.SecurityGroups"
    if not service.has(path):
        ctx.not_evaluated(service, f"service {service.describe()} sets no {path}, so its tasks use the VPC's default "
                                   "security group, which the template does not show")
        return
    members = security_groups_of(graph, service.get(path, default=False))
    missing = next((m.reason for m in members if m.resource is None), None)
    if missing or not members:
        ctx.not_evaluated(service, missing or f"service {service.describe()} lists no security group")
        return
    groups = [m.resource for m in members]
    verdict = any_of(ingress_allows(graph, g, port=port, source_group=s) for g in groups for s in alb_groups)
    if verdict.unknown:
        ctx.not_evaluated(service, verdict.reason)
    elif verdict.no:
        yield ctx.finding(service, f"the task security groups of service {service.describe()} ({_names(groups)}) do "
                                   f"not admit container port {port} from the load balancer's groups "
                                   f"({_names(alb_groups)}): health checks fail, every task is unhealthy and clients "
                                   f"get 503; admit TCP {port} from {alb_groups[0].logical_id}",
                          check="task-ingress", at=f"{entry.at}.ContainerPort", related=alb_groups + groups,
                          cases=decided)


def _host_port(ctx, service, task, container_name, port):
    """The host port the container's mapping of ``port`` uses: a number, 0 for dynamic, or None if unknown."""
    for container in task.entries("ContainerDefinitions"):
        if container.get("Name", default=False).single != container_name:
            continue
        for mapping in task.entries(f"{container.at}.PortMappings"):
            if as_number(mapping.get("ContainerPort", default=False).cases[0]) != port:
                continue
            if not mapping.has("HostPort"):
                return 0, "HostPort absent, so a dynamic host port"
            for (host,) in ctx.cases(service, mapping.get("HostPort"), convert=as_number):
                return int(host.value), host.cite("HostPort")
            return None, ""
    return 0, f"no port mapping of container {container_name} for port {port} in {task.describe()}"


def _instances(ctx, graph, service, entry, task, mode, container_name, port, alb_groups, dynamic, shown, decided):
    if mode == "host":
        host, how = port, f"{shown}, so host port {port}"
    else:
        host, how = _host_port(ctx, service, task, container_name, port)
        if host is None:
            return
        how = f"{shown}; {how}"
    cluster, why = follow_one(graph, service, "Cluster", ECS_CLUSTER)
    if cluster is None:
        ctx.not_evaluated(service, f"{why} (the default cluster when absent)" if "sets no" in why else why)
        return
    holders = cluster_instances(graph, cluster)
    if not holders:
        ctx.not_evaluated(service, f"no Auto Scaling group, launch template or instance of this template joins cluster "
                                   f"{cluster.describe()}, so its instances' security groups are not known")
        return
    groups = []
    for holder in holders:
        members = instance_security_groups(graph, holder)
        missing = next((m.reason for m in members if m.resource is None), None)
        if missing:
            ctx.not_evaluated(service, missing)
            return
        groups += [m.resource for m in members if m.resource not in groups]
    if not groups:
        return
    if host:
        verdict = any_of(ingress_allows(graph, g, port=host, source_group=s) for g in groups for s in alb_groups)
        wanted = f"host port {host}"
    else:
        verdict = ingress_allows_span(graph, groups, low=dynamic[0], high=dynamic[1], source_groups=alb_groups)
        wanted = f"the ephemeral host ports ({dynamic[0]}-{dynamic[1]} at least)"
    if verdict.unknown:
        ctx.not_evaluated(service, verdict.reason)
    elif verdict.no:
        yield ctx.finding(service, f"service {service.describe()} runs on the container instances of "
                                   f"{cluster.describe()} ({how}), but their security groups ({_names(groups)}) do not "
                                   f"admit {wanted} from the load balancer's groups ({_names(alb_groups)}): "
                                   f"{verdict.reason}; health checks fail, every task is unhealthy and clients get "
                                   f"503; admit TCP {'32768-65535' if not host else host} from "
                                   f"{alb_groups[0].logical_id}", check="instance-ingress",
                          at=f"{entry.at}.ContainerPort", related=alb_groups + groups + holders, cases=decided)
