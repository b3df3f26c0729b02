"""ELB002 alb-sg-allows-listener."""
from linter.model import (ELB_LOAD_BALANCER, any_of, as_list, as_number, as_text, ingress_allows,
                          instance_security_groups, listener_target_groups, listeners_of, registered_targets, rule,
                          security_groups_of)

WORLD = ("0.0.0.0/0", "::/0")


@rule("ELB002", "alb-sg-allows-listener", severity="warning", tags=("reliability", "networking", "elb"),
      catalogue="R31")
def alb_sg_allows_listener(graph, ctx):
    """An Application Load Balancer's security groups must admit its listeners, and its targets' groups must admit it.

    **What it checks.** Every `AWS::ElasticLoadBalancingV2::LoadBalancer` of `Type` application (the
    default) with `SecurityGroups` of the template, each scenario on its own:

    - **warning** (`listener-ingress`): an `internet-facing` load balancer (the default `Scheme`) whose
      security groups admit a listener's `Port` from no address range at all (neither `0.0.0.0/0`
      nor `::/0`; inline rules and `AWS::EC2::SecurityGroupIngress` count).
    - **warning** (`target-ingress`): an Auto Scaling group (through its launch template or launch
      configuration) or an instance registered in a target group the load balancer forwards to
      (`DefaultActions`, listener rules, `ForwardConfig`), of `TargetType` instance, whose security
      groups do not admit the target group's `Port` from the load balancer's groups.
    - **info** (`target-open-to-world`): such a target that also admits that port from `0.0.0.0/0`,
      which lets clients bypass the load balancer.

    A listener port range of a narrower CIDR than the world (a corporate range, a prefix list), groups or
    ports from parameters without a value, load balancers without `SecurityGroups` (they use the VPC's
    default group) and targets whose security groups the template does not hold are *not evaluated*.
    ECS services behind the load balancer are ECS001's concern.

    **Why it matters.** Security groups drop what they do not admit: clients of a listener the group
    does not open time out, and targets that refuse the load balancer fail every health check, so the
    load balancer answers 503.

    **Example (fails).**

        AlbSecurityGroup:
          Type: AWS::EC2::SecurityGroup
          Properties:
            GroupDescription: web
            SecurityGroupIngress:
              - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
        HttpsListener:
          Type: AWS::ElasticLoadBalancingV2::Listener
          Properties:
            LoadBalancerArn: !Ref WebLoadBalancer
            Port: 443          # not admitted by AlbSecurityGroup

    **Fix.** Admit every listener port, and the target port from the load balancer's group only:

              - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
        AppFromAlb:
          Type: AWS::EC2::SecurityGroupIngress
          Properties: {GroupId: !Ref AppSecurityGroup, IpProtocol: tcp, FromPort: 8080, ToPort: 8080,
                       SourceSecurityGroupId: !Ref AlbSecurityGroup}
    """
    for balancer in graph.of_type(ELB_LOAD_BALANCER):
        listeners = listeners_of(graph, balancer)
        if not listeners:
            continue
        for kind, scheme, groups_case in ctx.cases(balancer, balancer.get("Type"), balancer.get("Scheme"),
                                                   balancer.get("SecurityGroups", default=False),
                                                   convert=(as_text, as_text, as_list)):
            if (kind.value or "application").lower() != "application":
                continue
            if groups_case.value is None:
                ctx.not_evaluated(balancer, f"load balancer {balancer.describe()} sets no SecurityGroups, so it uses "
                                            "its VPC's default security group, which the template does not show")
                continue
            members = security_groups_of(graph, groups_case)
            missing = next((m.reason for m in members if m.resource is None), None)
            if missing or not members:
                ctx.not_evaluated(balancer, missing or f"load balancer {balancer.describe()} lists no security group")
                continue
            groups = [m.resource for m in members]
            if (scheme.value or "internet-facing").lower() == "internet-facing":
                yield from _listeners(ctx, graph, balancer, listeners, groups, (kind, scheme, groups_case))
            yield from _targets(ctx, graph, balancer, listeners, groups, (kind, groups_case))


def _listeners(ctx, graph, balancer, listeners, groups, decided_by):
    names = ", ".join(g.logical_id for g in groups)
    for listener in listeners:
        for (port,) in ctx.cases(listener, listener.get("Port"), convert=as_number):
            if port.value is None:
                continue
            verdict = any_of(ingress_allows(graph, g, port=int(port.value), cidr=cidr) for g in groups for cidr in WORLD)
            if verdict.unknown:
                ctx.not_evaluated(listener, verdict.reason)
            elif verdict.no:
                yield ctx.finding(listener, f"listener {listener.describe()} of internet-facing load balancer "
                                            f"{balancer.describe()} listens on {port.show()}, but its security groups "
                                            f"({names}) admit that port from no address range: clients time out; "
                                            f"admit TCP {port.value:g} from 0.0.0.0/0 (or your clients' range)",
                                  check="listener-ingress", at="Port", related=[balancer] + groups,
                                  cases=(port, *decided_by))


def _targets(ctx, graph, balancer, listeners, alb_groups, decided_by):
    seen = set()
    for listener in listeners:
        for target_group in listener_target_groups(graph, listener):
            if target_group.logical_id in seen:
                continue
            seen.add(target_group.logical_id)
            for target, at in registered_targets(graph, target_group):
                yield from _target(ctx, graph, balancer, target_group, target, at, alb_groups, decided_by)


def _target(ctx, graph, balancer, target_group, target, at, alb_groups, decided_by):
    members = instance_security_groups(graph, target)
    missing = next((m.reason for m in members if m.resource is None), None)
    if missing or not members:
        ctx.not_evaluated(target, missing or f"{target.describe()} lists no security group")
        return
    groups = [m.resource for m in members]
    names, alb_names = ", ".join(g.logical_id for g in groups), ", ".join(g.logical_id for g in alb_groups)
    for kind, port in ctx.cases(target, target_group.get("TargetType"), target_group.get("Port"),
                                convert=(as_text, as_number)):
        if (kind.value or "instance").lower() != "instance" or port.value is None:
            continue
        number = int(port.value)
        verdict = any_of(ingress_allows(graph, g, port=number, source_group=s) for g in groups for s in alb_groups)
        if verdict.unknown:
            ctx.not_evaluated(target, verdict.reason)
        elif verdict.no:
            yield ctx.finding(target, f"{target.describe()} is a target of {target_group.describe()} on port "
                                      f"{port.show()} behind load balancer {balancer.describe()}, but its security "
                                      f"groups ({names}) do not admit that port from the load balancer's groups "
                                      f"({alb_names}): health checks fail and the load balancer answers 503; admit "
                                      f"TCP {number} from {alb_groups[0].logical_id}",
                              check="target-ingress", at=at, related=[target_group, balancer] + groups,
                              cases=(kind, port, *decided_by))
            continue
        world = any_of(ingress_allows(graph, g, port=number, cidr="0.0.0.0/0") for g in groups)
        if world.yes:
            yield ctx.finding(target, f"{target.describe()} sits behind load balancer {balancer.describe()} but "
                                      f"also admits its port {port.show()} from 0.0.0.0/0 ({world.reason}): clients "
                                      "can bypass the load balancer; admit it from the load balancer's group only",
                              severity="info", check="target-open-to-world", at=at,
                              related=[target_group, balancer] + groups, cases=(kind, port, *decided_by))
