"""Load balancer wiring several rules share: listeners, the target groups they forward to, the load
balancers in front of a target group, the security groups of EC2 targets, and whether a group admits a
whole port range.

Every lookup follows references of the template only; a reference it cannot follow is returned as a
:class:`~linter.network.Member` with the reason (or as an unknown verdict), never guessed.
"""
from __future__ import annotations

from .graph import Graph, Resource
from .network import Member, ingress_allows, security_groups_of
from .tri import Verdict, all_of, any_of
from .values import Case, Value

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
INSTANCE = "AWS::EC2::Instance"


def _names(graph: Graph, value: Value, target: Resource) -> bool:
    return any(graph.follow(case)[0] is target for case in value if case.known)


def listeners_of(graph: Graph, balancer: Resource) -> list[Resource]:
    """The template listeners whose ``LoadBalancerArn`` names ``balancer`` (in some scenario)."""
    return [listener for listener in graph.of_type(LISTENER)
            if _names(graph, listener.get("LoadBalancerArn", default=False), balancer)]


def _forwarded(graph: Graph, holder: Resource, path: str) -> list[Resource]:
    out = []
    for action in holder.entries(path):
        values = [action.get("TargetGroupArn", default=False)]
        values += [group.get("TargetGroupArn", default=False)
                   for group in holder.entries(f"{action.path}.ForwardConfig.TargetGroups")]
        for value in values:
            for case in value:
                found, _ = graph.follow(case) if case.known and case.value is not None else (None, "")
                if found is not None and found.type == TARGET_GROUP and found not in out:
                    out.append(found)
    return out


def listener_target_groups(graph: Graph, listener: Resource) -> list[Resource]:
    """The template target groups a listener forwards to: its ``DefaultActions`` and the ``Actions`` of
    the listener rules attached to it (``TargetGroupArn`` or ``ForwardConfig.TargetGroups``)."""
    groups = _forwarded(graph, listener, "DefaultActions")
    for listener_rule in graph.of_type(LISTENER_RULE):
        if _names(graph, listener_rule.get("ListenerArn", default=False), listener):
            groups += [g for g in _forwarded(graph, listener_rule, "Actions") if g not in groups]
    return groups


def balancers_of(graph: Graph, target_group: Resource) -> list[tuple[Resource, Resource]]:
    """(load balancer, listener) pairs of the template whose listener forwards to ``target_group``.

    Example: ``[lb.logical_id for lb, _ in balancers_of(graph, tg)]``.
    """
    out = []
    for listener in graph.of_type(LISTENER):
        if target_group not in listener_target_groups(graph, listener):
            continue
        for case in listener.get("LoadBalancerArn", default=False):
            found, _ = graph.follow(case) if case.known else (None, "")
            if found is not None and found.type == LOAD_BALANCER and (found, listener) not in out:
                out.append((found, listener))
    return out


def registered_targets(graph: Graph, target_group: Resource) -> list[tuple[Resource, str | None]]:
    """EC2 targets of a target group in the template: Auto Scaling groups that list it in
    ``TargetGroupARNs`` (with that path) and instances named in its ``Targets`` (path None)."""
    out: list[tuple[Resource, str | None]] = []
    for group in graph.of_type(AUTO_SCALING_GROUP):
        for case in group.get("TargetGroupARNs", default=False):
            items = case.value if case.known and isinstance(case.value, list) else []
            if any(graph.follow(Case(item, case.origin, case.assumptions))[0] is target_group for item in items):
                out.append((group, "TargetGroupARNs"))
                break
    for entry in target_group.entries("Targets"):
        for case in entry.get("Id", default=False):
            found, _ = graph.follow(case) if case.known and case.value is not None else (None, "")
            if found is not None and found.type == INSTANCE and all(found is not t for t, _ in out):
                out.append((found, None))
    return out


def _follow_one(graph, value, rtype):
    for case in value:
        if not case.known:
            return None, case.value.reason
        if case.value is None:
            continue
        found, reason = graph.follow(case)
        if found is None or found.type != rtype:
            return None, reason or f"{case.show()} is not a {rtype} of this template"
        return found, ""
    return None, "not set"


def launch_template_of(graph: Graph, group: Resource) -> tuple[Resource | None, str]:
    """The launch template or launch configuration an Auto Scaling group launches from, or (None, why)."""
    for path in ("LaunchTemplate.LaunchTemplateId", "LaunchTemplate.LaunchTemplateName",
                 "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId",
                 "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName"):
        if group.has(path):
            return _follow_one(graph, group.get(path, default=False), LAUNCH_TEMPLATE)
    if group.has("LaunchConfigurationName"):
        return _follow_one(graph, group.get("LaunchConfigurationName", default=False), LAUNCH_CONFIGURATION)
    if group.has("InstanceId"):
        return None, f"{group.describe()} copies the settings of an instance"
    return None, f"{group.describe()} names no launch template or configuration"


def _gathered(resource: Resource, paths: list[str], interface_path: str | None = None, field: str = "") -> Value | None:
    for path in paths:
        if resource.has(path):
            return resource.get(path, default=False)
    if interface_path and resource.has(interface_path):
        return resource.gather(interface_path, field).map(lambda lists: [g for sub in lists for g in (sub or [])]
                                                           if all(isinstance(s, list) or s is None for s in lists)
                                                           else None)
    return None


def instance_security_groups(graph: Graph, target: Resource) -> list[Member]:
    """The security groups of the EC2 instances an Auto Scaling group, launch template, launch
    configuration or instance starts, as :func:`~linter.network.security_groups_of` members.

    No group given at all: one member without a resource, saying the VPC's default group applies.
    Example: ``[m.resource for m in instance_security_groups(graph, asg)]``.
    """
    holder = target
    if target.type == AUTO_SCALING_GROUP:
        holder, reason = launch_template_of(graph, target)
        if holder is None:
            return [Member(None, reason, Case(None))]
    if holder.type == LAUNCH_TEMPLATE:
        value = _gathered(holder, ["LaunchTemplateData.SecurityGroupIds", "LaunchTemplateData.SecurityGroups"],
                          "LaunchTemplateData.NetworkInterfaces", "Groups")
    elif holder.type == LAUNCH_CONFIGURATION:
        value = _gathered(holder, ["SecurityGroups"])
    elif holder.type == INSTANCE:
        value = _gathered(holder, ["SecurityGroupIds", "SecurityGroups"], "NetworkInterfaces", "GroupSet")
    else:
        return [Member(None, f"{holder.describe()} is not an instance launch resource", Case(None))]
    if value is None:
        return [Member(None, f"{holder.describe()} names no security group, so its instances use the VPC's default "
                             "group, which the template does not show", Case(None))]
    return security_groups_of(graph, value)


def ingress_allows_span(graph: Graph, groups: list[Resource], *, low: int, high: int,
                        source_groups: list[Resource], probes: int = 5) -> Verdict:
    """Whether ``groups`` together admit TCP on every port from ``low`` to ``high`` from a member of
    ``source_groups``: every port must be admitted by some rule of some group.

    Checked at both ends and evenly spaced ports between (``probes`` in all): rule sets that open both
    ends of a range but not its middle do not occur in practice. Example:
    ``ingress_allows_span(graph, [instance_sg], low=49153, high=60999, source_groups=[alb_sg])``.
    """
    step = max(1, (high - low) // max(1, probes - 1))
    ports = sorted({low, high, *range(low, high, step)})
    names = ", ".join(g.logical_id for g in groups)
    sources = ", ".join(g.logical_id for g in source_groups)
    verdicts = []
    for port in ports:
        verdicts.append(any_of((ingress_allows(graph, g, port=port, source_group=s) for g in groups for s in source_groups),
                               f"no rule of {names} admits TCP {port} from {sources}"))
    return all_of(verdicts, f"{names} admit TCP {low}-{high} from {sources}")


CLUSTER = "AWS::ECS::Cluster"
CAPACITY_PROVIDER = "AWS::ECS::CapacityProvider"
PROVIDER_ASSOCIATIONS = "AWS::ECS::ClusterCapacityProviderAssociations"


def cluster_instances(graph: Graph, cluster: Resource) -> list[Resource]:
    """The template resources that start an ECS cluster's container instances: the Auto Scaling groups of
    its capacity providers (``CapacityProviders`` of the cluster or of an
    ``AWS::ECS::ClusterCapacityProviderAssociations``), and Auto Scaling groups, launch templates, launch
    configurations and instances whose properties (user data ``ECS_CLUSTER=${Cluster}``) name the cluster.
    """
    from .shapes import referrers

    providers = []
    for holder in [cluster] + [a for a in graph.of_type(PROVIDER_ASSOCIATIONS)
                               if _names(graph, a.get("Cluster", default=False), cluster)]:
        for case in holder.get("CapacityProviders", default=False):
            for item in case.value if case.known and isinstance(case.value, list) else []:
                found, _ = graph.follow(Case(item, case.origin, case.assumptions), (CAPACITY_PROVIDER,))
                if found is not None and found.type == CAPACITY_PROVIDER and found not in providers:
                    providers.append(found)
    out = []
    for provider in providers:
        group, _ = _follow_one(graph, provider.get("AutoScalingGroupProvider.AutoScalingGroupArn", default=False),
                               AUTO_SCALING_GROUP)
        if group is not None and group not in out:
            out.append(group)
    for logical_id in referrers(graph, cluster):
        found = graph.resources.get(logical_id)
        if found is not None and found.type in (AUTO_SCALING_GROUP, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION, INSTANCE) \
                and found not in out:
            out.append(found)
    return out
