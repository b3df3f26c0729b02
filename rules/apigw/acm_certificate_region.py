"""ACM001 acm-certificate-region."""
from linter.model import Value, arn_region, as_list, as_text, rule, stack_region

US_EAST_1 = "us-east-1"
CERTIFICATE = ("AWS::CertificateManager::Certificate",)


def _types(case):
    """An endpoint type, or a list of them, as an upper-case list."""
    items = as_list(case) if isinstance(case.value, list) else [as_text(case)]
    if items is None or any(not isinstance(i, str) for i in items):
        return None
    return [i.upper() for i in items]


@rule("ACM001", "acm-certificate-region", severity="error", tags=("deployment", "apigateway", "cloudfront", "acm"),
      catalogue="R46")
def certificate_region(graph, ctx):
    """A custom domain's ACM certificate must live in the region its endpoint reads it from.

    **What it checks.**

    - `edge-region` (error): an edge-optimized API Gateway domain (`AWS::ApiGateway::DomainName` with
      `EndpointConfiguration.Types` `EDGE`, the default; a SAM `Api` `Domain` with
      `EndpointConfiguration: EDGE`) and every CloudFront distribution
      (`ViewerCertificate.AcmCertificateArn`) need a certificate in `us-east-1`.
    - `regional-region` (error): a Regional domain (`RegionalCertificateArn`, SAM `Domain` of a `Api`
      (default `REGIONAL`) or `HttpApi`, `AWS::ApiGatewayV2::DomainName`) needs the certificate in the
      stack's own region.
    - `wrong-property` (error): `RegionalCertificateArn` alone on an edge domain, or `CertificateArn` alone
      on a Regional one.

    The region of a certificate comes from the region segment of a literal ARN; a certificate created in
    the template, or an ARN built with `${AWS::Region}`, lives in the stack's region, which is known only
    when given (`-p AWS::Region=eu-west-1`, or when auditing a deployed stack). Otherwise, and for
    certificate ARNs that are parameters without a value or imports, the check is not evaluated.

    **Why it matters.** Edge-optimized endpoints and CloudFront serve from CloudFront's global network,
    which only reads certificates from US East (N. Virginia); a Regional endpoint reads them from its own
    region. A certificate elsewhere makes the domain or distribution fail to create.

    **Example (fails).**

        Domain:
          Type: AWS::ApiGateway::DomainName
          Properties:
            DomainName: api.example.com
            CertificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/abc   # EDGE by default

    **Fix.** Request (or import) the certificate in `us-east-1` for edge domains and CloudFront, in the
    API's region for Regional domains; or make the domain Regional.
    """
    for domain in graph.of_type("AWS::ApiGateway::DomainName"):
        for (types,) in ctx.cases(domain, domain.get("EndpointConfiguration.Types"), convert=_types):
            edge, regional = "EDGE" in types.value, "REGIONAL" in types.value
            shown = f"{', '.join(types.value)} ({types.origin})"
            if edge and domain.has("RegionalCertificateArn") and not domain.has("CertificateArn"):
                yield ctx.finding(domain, f"domain {domain.describe()} is {shown} but names its certificate in "
                                          "RegionalCertificateArn: an edge domain reads CertificateArn",
                                  check="wrong-property", at="RegionalCertificateArn", cases=(types,))
            elif regional and domain.has("CertificateArn") and not domain.has("RegionalCertificateArn"):
                yield ctx.finding(domain, f"domain {domain.describe()} is {shown} but names its certificate in "
                                          "CertificateArn: a Regional domain reads RegionalCertificateArn",
                                  check="wrong-property", at="CertificateArn", cases=(types,))
            elif edge and domain.has("CertificateArn"):
                yield from _in_us_east_1(graph, ctx, domain, "CertificateArn", f"edge domain {domain.describe()}",
                                         types)
            elif regional and domain.has("RegionalCertificateArn"):
                yield from _in_stack_region(graph, ctx, domain, "RegionalCertificateArn",
                                            f"Regional domain {domain.describe()}", types)
    for api in graph.of_type("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
        if not api.has("Domain.CertificateArn"):
            continue
        kind = (api.get("Domain.EndpointConfiguration") if api.type == "AWS::Serverless::Api" else
                Value.known("REGIONAL", "HTTP APIs are Regional"))
        for (types,) in ctx.cases(api, kind, convert=_types):
            if "EDGE" in types.value:
                yield from _in_us_east_1(graph, ctx, api, "Domain.CertificateArn",
                                         f"the edge domain of {api.describe()}", types)
            elif "REGIONAL" in types.value:
                yield from _in_stack_region(graph, ctx, api, "Domain.CertificateArn",
                                            f"the Regional domain of {api.describe()}", types)
    for domain in graph.of_type("AWS::ApiGatewayV2::DomainName"):
        for entry in domain.entries("DomainNameConfigurations"):
            if entry.has("CertificateArn"):
                yield from _in_stack_region(graph, ctx, entry, "CertificateArn",
                                            f"Regional domain {domain.describe()}", None)
    for distribution in graph.of_type("AWS::CloudFront::Distribution"):
        path = "DistributionConfig.ViewerCertificate.AcmCertificateArn"
        if distribution.has(path):
            yield from _in_us_east_1(graph, ctx, distribution, path, f"CloudFront distribution "
                                                                      f"{distribution.describe()}", None)


def _in_us_east_1(graph, ctx, holder, path, what, kind):
    for (cert,) in ctx.cases(holder, holder.get(path, default=False)):
        if cert.value is None:
            continue
        for (region,) in ctx.cases(holder, arn_region(graph, cert, CERTIFICATE)):
            if region.value != US_EAST_1:
                yield ctx.finding(holder, f"{what} needs its ACM certificate in {US_EAST_1}, but the certificate "
                                          f"is in {region.show()}: the endpoint cannot use it",
                                  check="edge-region", at=path, cases=tuple(c for c in (kind, cert, region) if c))


def _in_stack_region(graph, ctx, holder, path, what, kind):
    for (cert,) in ctx.cases(holder, holder.get(path, default=False)):
        if cert.value is None:
            continue
        target, _reason = graph.follow(cert)
        if target is not None and target.type in CERTIFICATE:
            continue  # created by this stack, so in the stack's region
        for region, here in ctx.cases(holder, arn_region(graph, cert, CERTIFICATE), stack_region(graph)):
            if region.value != here.value:
                yield ctx.finding(holder, f"{what} needs its ACM certificate in the stack's region "
                                          f"{here.show()}, but the certificate is in {region.show()}",
                                  check="regional-region", at=path,
                                  cases=tuple(c for c in (kind, cert, region, here) if c))
