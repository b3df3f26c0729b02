"""CFR001 cloudfront-viewer-https."""
from linter.model import DISTRIBUTION, DISTRIBUTION_CONFIG, as_text, behavior_paths, rule

# MinimumProtocolVersion values from weakest to strongest.
PROTOCOL_ORDER = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021",
                  "TLSv1.2_2025", "TLSv1.3_2025")
RECOMMENDED = "TLSv1.2_2021"
CERTIFICATE = f"{DISTRIBUTION_CONFIG}.ViewerCertificate"


@rule("CFR001", "cloudfront-viewer-https", severity="warning", tags=("security", "cloudfront"), catalogue="R62")
def cloudfront_viewer_https(graph, ctx):
    """CloudFront distributions should serve viewers over HTTPS only, with a current TLS policy and a web ACL.

    **What it checks.** Every `AWS::CloudFront::Distribution`, each scenario of parameters, mappings and
    conditions on its own:

    - **warning** (`allow-all`): a cache behavior (the default one or an entry of `CacheBehaviors`) with
      `ViewerProtocolPolicy: allow-all`: viewers may use plain HTTP.
    - **info** (`tls-policy`): a custom certificate (`AcmCertificateArn` or `IamCertificateId`) with a
      `MinimumProtocolVersion` older than `TLSv1.2_2021`.
    - **info** (`no-waf`): no `WebACLId`: no AWS WAF rules in front of the distribution.

    A value that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*. A distribution on the default `*.cloudfront.net` certificate always allows TLSv1; that is
    not reported.

    **Why it matters.** Plain HTTP exposes cookies, tokens and content to anyone on the network path and
    lets them alter responses. Old TLS versions and ciphers are weaker. WAF blocks common attacks before
    they reach the origin.

    **Example (fails).**

        Distribution:
          Type: AWS::CloudFront::Distribution
          Properties:
            DistributionConfig:
              DefaultCacheBehavior:
                TargetOriginId: site
                ViewerProtocolPolicy: allow-all

    **Fix.**

              DefaultCacheBehavior:
                TargetOriginId: site
                ViewerProtocolPolicy: redirect-to-https

    See https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html.
    """
    for distribution in graph.of_type(DISTRIBUTION):
        for behavior in behavior_paths(distribution, ctx):
            path = f"{behavior}.ViewerProtocolPolicy"
            for (policy,) in ctx.cases(distribution, distribution.get(path, default=False), convert=as_text):
                if policy.value == "allow-all":
                    which = "default cache behavior" if behavior.endswith("DefaultCacheBehavior") else \
                        f"cache behavior {behavior.rsplit('.', 1)[-1]}"
                    yield ctx.finding(
                        distribution, f"the {which} of distribution {distribution.describe()} has "
                                      f"{policy.cite('ViewerProtocolPolicy')}: viewers can use plain HTTP, exposing "
                                      "cookies and tokens; use redirect-to-https or https-only",
                        check="allow-all", at=path, cases=(policy,))
        yield from _tls_policy(distribution, ctx)
        if distribution.has(DISTRIBUTION_CONFIG) and not distribution.has(f"{DISTRIBUTION_CONFIG}.WebACLId"):
            yield ctx.finding(distribution, f"distribution {distribution.describe()} has no WebACLId: no AWS WAF "
                                            "rules filter requests before they reach the origin", severity="info",
                              check="no-waf", at=DISTRIBUTION_CONFIG)


def _tls_policy(distribution, ctx):
    if not distribution.has(f"{CERTIFICATE}.MinimumProtocolVersion"):
        return
    acm = distribution.get(f"{CERTIFICATE}.AcmCertificateArn", default=False)
    iam = distribution.get(f"{CERTIFICATE}.IamCertificateId", default=False)
    version = distribution.get(f"{CERTIFICATE}.MinimumProtocolVersion", default=False)
    for a, i, v in ctx.cases(distribution, acm, iam, version):
        if (a.value is None and i.value is None) or as_text(v) not in PROTOCOL_ORDER:
            continue
        if PROTOCOL_ORDER.index(as_text(v)) < PROTOCOL_ORDER.index(RECOMMENDED):
            yield ctx.finding(distribution, f"distribution {distribution.describe()} uses a custom certificate with "
                                            f"{v.cite('MinimumProtocolVersion')}: older TLS versions and ciphers are "
                                            f"allowed; use {RECOMMENDED} or newer", severity="info",
                              check="tls-policy", at=f"{CERTIFICATE}.MinimumProtocolVersion", cases=(v,))
