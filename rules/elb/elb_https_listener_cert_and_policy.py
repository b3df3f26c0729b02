"""ELB003 elb-https-listener-cert-and-policy."""
from linter.model import as_text, follow_one, rule

LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
# Predefined policies that still accept TLS 1.0 or 1.1.
LEGACY_POLICIES = frozenset({
    "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
})


@rule("ELB003", "elb-https-listener-cert-and-policy", severity="error", tags=("correctness", "security", "elb"),
      catalogue="R98")
def https_listener(graph, ctx):
    """An HTTPS or TLS listener needs a default certificate, a current security policy, and HTTP should redirect.

    **What it checks.** For each `AWS::ElasticLoadBalancingV2::Listener`:

    - **error**: `Protocol` HTTPS or TLS without `Certificates`: Elastic Load Balancing requires a default
      certificate (an `AWS::ElasticLoadBalancingV2::ListenerCertificate` only adds SNI certificates).
    - **info**: an `SslPolicy` that still accepts TLS 1.0 or 1.1, such as `ELBSecurityPolicy-2016-08`.
    - **info**: an `HTTP` listener on port 80 of an internet-facing Application Load Balancer in the
      template whose default action is not a `redirect`: clients can stay on plain HTTP.

    Values from parameters without a value or imports are *not evaluated*; listeners of load balancers
    outside the template are judged without the redirect advice.

    **Why it matters.** A secure listener without a certificate fails to create, failing the stack. Old
    TLS versions have known weaknesses and are refused by many compliance standards. Serving the site on
    plain HTTP exposes sessions and credentials.

    **Example (fails).**

        HttpsListener:
          Type: AWS::ElasticLoadBalancingV2::Listener
          Properties:
            LoadBalancerArn: !Ref WebLoadBalancer
            Port: 443
            Protocol: HTTPS
            DefaultActions:
              - Type: forward
                TargetGroupArn: !Ref WebTargetGroup

    **Fix.**

        HttpsListener:
          Type: AWS::ElasticLoadBalancingV2::Listener
          Properties:
            LoadBalancerArn: !Ref WebLoadBalancer
            Port: 443
            Protocol: HTTPS
            SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
            Certificates:
              - CertificateArn: !Ref CertificateArn
            DefaultActions:
              - Type: forward
                TargetGroupArn: !Ref WebTargetGroup

    See https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html.
    """
    for listener in graph.of_type(LISTENER):
        for (protocol,) in ctx.cases(listener, listener.get("Protocol", default=False), convert=as_text):
            kind = (protocol.value or "").upper()
            if kind in ("HTTPS", "TLS"):
                if not listener.has("Certificates"):
                    yield ctx.finding(listener, f"{kind} listener {listener.describe()} ({protocol.cite('Protocol')}) "
                                                "has no Certificates; a secure listener needs a default certificate, "
                                                "so the stack fails", at="Protocol", check="certificate",
                                      cases=(protocol,))
                yield from _policy(ctx, listener, protocol)
            elif kind == "HTTP":
                yield from _redirect(ctx, graph, listener, protocol)


def _policy(ctx, listener, protocol):
    for (policy,) in ctx.cases(listener, listener.get("SslPolicy", default=False), convert=as_text):
        if policy.value in LEGACY_POLICIES:
            yield ctx.finding(listener, f"listener {listener.describe()} uses {policy.cite('SslPolicy')}, which "
                                        "still accepts TLS 1.0/1.1; use a TLS 1.2+ policy such as "
                                        "ELBSecurityPolicy-TLS13-1-2-2021-06", severity="info", at="SslPolicy",
                              check="legacy-policy", cases=(protocol, policy))
            return


def _redirect(ctx, graph, listener, protocol):
    balancer, _ = follow_one(graph, listener, "LoadBalancerArn", LOAD_BALANCER)
    if balancer is None:
        return
    actions = listener.gather("DefaultActions", "Type")
    for port, lb_type, scheme, action in ctx.cases(
            listener, listener.get("Port", default=False), balancer.get("Type"), balancer.get("Scheme"), actions):
        if str(port.value) != "80" or (lb_type.value or "application").lower() != "application":
            continue
        if (scheme.value or "internet-facing").lower() != "internet-facing":
            continue
        types = [str(t).lower() for t in (action.value or [])]
        if types and "redirect" not in types:
            yield ctx.finding(listener, f"HTTP listener {listener.describe()} on port 80 of internet-facing "
                                        f"load balancer {balancer.describe()} answers with a {'/'.join(types)} "
                                        "action; redirect HTTP to HTTPS instead", severity="info",
                              at="DefaultActions", related=[balancer], check="http-redirect",
                              cases=(port, scheme, action))
            return
