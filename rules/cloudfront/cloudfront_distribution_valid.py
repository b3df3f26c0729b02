"""CFR004 cloudfront-distribution-valid."""
from linter.model import (DISTRIBUTION, DISTRIBUTION_CONFIG, as_items, as_number, as_text, behavior_paths, display,
                         get_entry, list_paths, rule)

CERTIFICATE = f"{DISTRIBUTION_CONFIG}.ViewerCertificate"


@rule("CFR004", "cloudfront-distribution-valid", severity="error", tags=("correctness", "cloudfront"),
      catalogue="R65")
def cloudfront_distribution_valid(graph, ctx):
    """CloudFront distribution settings that CloudFront rejects at deploy time.

    **What it checks.** Every `AWS::CloudFront::Distribution`, each scenario of parameters, mappings and
    conditions on its own; all sub-checks are **errors**:

    - `alias-certificate`: `Aliases` without a `ViewerCertificate` that has `AcmCertificateArn` or
      `IamCertificateId` (the default CloudFront certificate covers only `*.cloudfront.net`).
    - `certificate-settings`: a custom certificate without `SslSupportMethod` or `MinimumProtocolVersion`.
    - `ttl-order`: on a behavior with the legacy cache settings (no `CachePolicyId`), `MinTTL` ≤
      `DefaultTTL` ≤ `MaxTTL` does not hold (defaults 0, 86400 and 31536000 s).
    - `unknown-origin`: a cache behavior's `TargetOriginId` that names no entry of `Origins` or
      `OriginGroups`.
    - `origin-group-failover`: an `OriginGroups` entry without `FailoverCriteria.StatusCodes`.

    A value that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*. Whether the certificate is in us-east-1 is another rule's concern.

    **Why it matters.** CloudFront validates the whole configuration when the distribution is created
    or updated; one inconsistent setting fails the stack, and distribution updates take minutes to roll
    back.

    **Example (fails).**

        Distribution:
          Type: AWS::CloudFront::Distribution
          Properties:
            DistributionConfig:
              Aliases: [www.example.com]
              Origins:
                - {Id: site, DomainName: site.example.com, CustomOriginConfig: {OriginProtocolPolicy: https-only}}
              DefaultCacheBehavior:
                TargetOriginId: web
                ViewerProtocolPolicy: redirect-to-https
                ForwardedValues: {QueryString: false}
                MinTTL: 600
                DefaultTTL: 300

    **Fix.** Give the aliases a certificate, point behaviors at existing origins, keep the TTLs ordered:

              ViewerCertificate:
                AcmCertificateArn: !Ref Certificate
                SslSupportMethod: sni-only
                MinimumProtocolVersion: TLSv1.2_2021
              DefaultCacheBehavior:
                TargetOriginId: site
                MinTTL: 0
                DefaultTTL: 300
    """
    for distribution in graph.of_type(DISTRIBUTION):
        if not distribution.has(DISTRIBUTION_CONFIG):
            continue
        yield from _certificate(distribution, ctx)
        origin_ids = _origin_ids(distribution, ctx)
        for behavior in behavior_paths(distribution, ctx):
            yield from _ttls(distribution, behavior, ctx)
            if origin_ids is not None:
                yield from _target(distribution, behavior, origin_ids, ctx)
        for group in list_paths(distribution, f"{DISTRIBUTION_CONFIG}.OriginGroups.Items", ctx):
            codes = distribution.get(f"{group}.FailoverCriteria.StatusCodes.Items", default=False)
            for (items,) in ctx.cases(distribution, codes, convert=as_items):
                if not items.value:
                    yield ctx.finding(distribution, f"origin group {group.rsplit('.', 1)[-1]} of distribution "
                                                    f"{distribution.describe()} has no FailoverCriteria.StatusCodes: "
                                                    "CloudFront needs the status codes that trigger failover",
                                      check="origin-group-failover", at=group, cases=(items,))


def _certificate(distribution, ctx):
    aliases = distribution.get(f"{DISTRIBUTION_CONFIG}.Aliases", default=False)
    acm = distribution.get(f"{CERTIFICATE}.AcmCertificateArn", default=False)
    iam = distribution.get(f"{CERTIFICATE}.IamCertificateId", default=False)
    for names, a, i in ctx.cases(distribution, aliases, acm, iam):
        custom = a.value is not None or i.value is not None
        if as_items(names) and not custom:
            shown = ", ".join(display(name) for name in as_items(names))
            where = f" ({names.origin})" if names.origin else ""
            yield ctx.finding(distribution, f"distribution {distribution.describe()} has Aliases "
                                            f"{shown}{where} but no ViewerCertificate with AcmCertificateArn or "
                                            "IamCertificateId: CloudFront rejects alternate domain names without a "
                                            "certificate that covers them", check="alias-certificate",
                              at=f"{DISTRIBUTION_CONFIG}.Aliases", cases=(names, a, i))
        if custom:
            for key in ("SslSupportMethod", "MinimumProtocolVersion"):
                for (setting,) in ctx.cases(distribution, distribution.get(f"{CERTIFICATE}.{key}", default=False)):
                    if setting.value is None:
                        which = a if a.value is not None else i
                        yield ctx.finding(distribution, f"distribution {distribution.describe()} has a custom "
                                                        f"certificate ({which.show()}) but no {key}: CloudFront "
                                                        "requires both SslSupportMethod (sni-only) and "
                                                        "MinimumProtocolVersion with it",
                                          check="certificate-settings", at=CERTIFICATE, cases=(which,))


def _ttls(distribution, behavior, ctx):
    if distribution.has(f"{behavior}.CachePolicyId") or not any(
            distribution.has(f"{behavior}.{k}") for k in ("MinTTL", "DefaultTTL", "MaxTTL")):
        return
    values = [get_entry(distribution, f"{behavior}.{k}") for k in ("MinTTL", "DefaultTTL", "MaxTTL")]
    for low, default, high in ctx.cases(distribution, *values, convert=as_number):
        if None in (low.value, default.value, high.value):
            continue
        if not low.value <= default.value <= high.value:
            yield ctx.finding(distribution, f"cache behavior {_name(behavior)} of distribution "
                                            f"{distribution.describe()} has {low.cite('MinTTL', 's')}, "
                                            f"{default.cite('DefaultTTL', 's')}, {high.cite('MaxTTL', 's')}: "
                                            "CloudFront requires MinTTL <= DefaultTTL <= MaxTTL",
                              check="ttl-order", at=_ttl_at(distribution, behavior), cases=(low, default, high))


def _ttl_at(distribution, behavior):
    return next((f"{behavior}.{k}" for k in ("MinTTL", "DefaultTTL", "MaxTTL") if distribution.has(f"{behavior}.{k}")),
                behavior)


def _name(behavior):
    return "default" if behavior.endswith("DefaultCacheBehavior") else behavior.rsplit(".", 1)[-1]


def _origin_ids(distribution, ctx):
    """The Ids of the origins and origin groups, or None when one of them is not known.

    Without any ``Origins`` the distribution is incomplete (a schema error, not this rule's): None.
    """
    if not distribution.has(f"{DISTRIBUTION_CONFIG}.Origins"):
        return None
    ids = set()
    for path in (list_paths(distribution, f"{DISTRIBUTION_CONFIG}.Origins", ctx)
                 + list_paths(distribution, f"{DISTRIBUTION_CONFIG}.OriginGroups.Items", ctx)):
        for case in distribution.get(f"{path}.Id", default=False):
            word = as_text(case)
            if word is None:
                ctx.not_evaluated(distribution, f"the Id of {path} is {case.describe()}")
                return None
            ids.add(word)
    return ids


def _target(distribution, behavior, origin_ids, ctx):
    path = f"{behavior}.TargetOriginId"
    for (target,) in ctx.cases(distribution, distribution.get(path, default=False), convert=as_text):
        if target.value is not None and target.value not in origin_ids:
            known = ", ".join(sorted(origin_ids)) or "none"
            yield ctx.finding(distribution, f"cache behavior {_name(behavior)} of distribution "
                                            f"{distribution.describe()} targets origin {target.show()}, which is not "
                                            f"an origin or origin group of the distribution (Ids: {known}): "
                                            "CloudFront rejects the distribution", check="unknown-origin", at=path,
                              cases=(target,))
