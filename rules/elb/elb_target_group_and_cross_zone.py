"""ELB004 elb-target-group-and-cross-zone."""
from linter.model import as_bool, as_number, as_text, rule

TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"
DELAY = "deregistration_delay.timeout_seconds"


@rule("ELB004", "elb-target-group-and-cross-zone", severity="error", tags=("correctness", "reliability", "elb"),
      catalogue="R99")
def target_group_settings(graph, ctx):
    """Target group and Classic Load Balancer drain and health settings must be in range and fit the traffic.

    **What it checks.**

    - **error**: an `AWS::ElasticLoadBalancingV2::TargetGroup` whose
      `deregistration_delay.timeout_seconds` attribute is outside 0–3600 (300, the ELB default, when
      absent).
    - **error**: an `AWS::ElasticLoadBalancing::LoadBalancer` with `ConnectionDrainingPolicy.Timeout`
      outside 1–3600.
    - **info**: a deregistration delay of 0: in-flight requests are cut when a target leaves.
    - **info**: `stickiness.enabled` true (false is the ELB default): sessions pin clients to targets
      and load spreads unevenly.
    - **info**: an HTTP or HTTPS target group whose `HealthCheckPath` is `/` (the ELB default): the home
      page says little about the application's health; a dedicated path such as `/health` does.

    Whether cross-zone balancing is needed depends on how many targets each zone runs, which a template
    does not show, and access logs are a matter of policy: this rule does not judge them. Values from
    parameters without a value or imports are *not evaluated*.

    **Why it matters.** Elastic Load Balancing rejects attribute values out of range, so the stack fails.
    A zero delay drops requests during deployments and scale-in; stickiness and a shallow health check
    hide failing or overloaded targets.

    **Example (fails).**

        ApiTargetGroup:
          Type: AWS::ElasticLoadBalancingV2::TargetGroup
          Properties:
            Port: 8080
            Protocol: HTTP
            VpcId: !Ref VpcId
            TargetGroupAttributes:
              - Key: deregistration_delay.timeout_seconds
                Value: "7200"

    **Fix.**

        ApiTargetGroup:
          Type: AWS::ElasticLoadBalancingV2::TargetGroup
          Properties:
            Port: 8080
            Protocol: HTTP
            VpcId: !Ref VpcId
            HealthCheckPath: /health
            TargetGroupAttributes:
              - Key: deregistration_delay.timeout_seconds
                Value: "30"

    See https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html.
    """
    for target_group in graph.of_type(TARGET_GROUP):
        yield from _delay(ctx, target_group)
        for (sticky,) in ctx.cases(target_group, target_group.setting("TargetGroupAttributes", "stickiness.enabled"),
                                   convert=as_bool):
            if sticky.value is True:
                yield ctx.finding(target_group, f"target group {target_group.describe()} has stickiness.enabled "
                                                f"{sticky.show()}: sticky sessions can load some targets far more "
                                                "than others", severity="info", at="TargetGroupAttributes",
                                  check="stickiness", cases=(sticky,))
                break
        yield from _health_path(ctx, target_group)
    for balancer in graph.of_type(CLASSIC):
        if not balancer.has("ConnectionDrainingPolicy.Timeout"):
            continue
        for (timeout,) in ctx.cases(balancer, balancer.get("ConnectionDrainingPolicy.Timeout"), convert=as_number):
            if not 1 <= timeout.value <= 3600:
                yield ctx.finding(balancer, f"Classic Load Balancer {balancer.describe()} has connection "
                                            f"draining {timeout.cite('Timeout', 's')}; it must be 1 to 3600 s, "
                                            "so the stack fails", at="ConnectionDrainingPolicy.Timeout",
                                  check="draining-range", cases=(timeout,))
                break


def _delay(ctx, target_group):
    for (delay,) in ctx.cases(target_group, target_group.setting("TargetGroupAttributes", DELAY), convert=as_number):
        if not 0 <= delay.value <= 3600:
            yield ctx.finding(target_group, f"target group {target_group.describe()} has {DELAY} {delay.show('s')}; "
                                            "it must be 0 to 3600 s, so the stack fails",
                              at="TargetGroupAttributes", check="deregistration-range", cases=(delay,))
            return
        if delay.value == 0:
            yield ctx.finding(target_group, f"target group {target_group.describe()} has {DELAY} {delay.show('s')}: "
                                            "in-flight requests are dropped when a target is deregistered; allow "
                                            "a few seconds longer than your longest request",
                              severity="info", at="TargetGroupAttributes", check="deregistration-zero",
                              cases=(delay,))
            return


def _health_path(ctx, target_group):
    protocol = target_group.get("Protocol", default=False)
    path = target_group.get("HealthCheckPath")
    for proto, checked in ctx.cases(target_group, protocol, path, convert=as_text):
        if (proto.value or "").upper() in ("HTTP", "HTTPS") and checked.value == "/":
            yield ctx.finding(target_group, f"target group {target_group.describe()} checks health on "
                                            f"{checked.cite('HealthCheckPath')}: the home page says little "
                                            "about the application; use a dedicated path such as /health",
                              severity="info", at="HealthCheckPath", check="default-health-path",
                              cases=(proto, checked))
            return
