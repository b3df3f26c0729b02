"""CFR003 cloudfront-s3-website-origin-http-only."""
from linter.model import DISTRIBUTION, DISTRIBUTION_CONFIG, S3_WEBSITE, Value, as_text, origin_endpoint, rule


@rule("CFR003", "cloudfront-s3-website-origin-http-only", severity="error", tags=("correctness", "cloudfront", "s3"),
      catalogue="R64")
def website_origin_http_only(graph, ctx):
    """A CloudFront origin that is an S3 website endpoint must be a custom origin reached over plain HTTP.

    **What it checks.** Every origin of an `AWS::CloudFront::Distribution` whose `DomainName` is an S3
    static website endpoint: `<bucket>.s3-website-<region>.amazonaws.com` or
    `<bucket>.s3-website.<region>.amazonaws.com` written literally or with `!Sub`, or the host of a
    bucket's `WebsiteURL` (`!Select [2, !Split ["/", !GetAtt Site.WebsiteURL]]`), each scenario on its own:

    - **error** (`s3-origin-config`): the origin uses `S3OriginConfig`: CloudFront then talks to the
      endpoint as an S3 REST API, which a website endpoint is not.
    - **error** (`protocol`): its `CustomOriginConfig.OriginProtocolPolicy` is `https-only` or
      `match-viewer`: CloudFront connects over HTTPS, which website endpoints do not offer.

    An origin whose domain comes from a parameter without a value or an import is *not evaluated*.
    REST endpoints of buckets (`!GetAtt Site.RegionalDomainName`) are CFR002's concern.

    **Why it matters.** S3 website endpoints serve HTTP only. CloudFront's HTTPS connections to them
    fail and every viewer gets a 502 error; with `S3OriginConfig` the website features (index document,
    redirects, error pages) do not work.

    **Example (fails).**

        Origins:
          - Id: site
            DomainName: !Select [2, !Split ["/", !GetAtt SiteBucket.WebsiteURL]]
            CustomOriginConfig:
              OriginProtocolPolicy: https-only

    **Fix.** Reach the website endpoint over HTTP (viewers can still use HTTPS to CloudFront), or use
    the bucket's REST endpoint with an origin access control instead:

            CustomOriginConfig:
              OriginProtocolPolicy: http-only

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteEndpoints.html.
    """
    for distribution in graph.of_type(DISTRIBUTION):
        for origin in distribution.entries(f"{DISTRIBUTION_CONFIG}.Origins"):
            website = []
            for endpoint in origin_endpoint(graph, origin):
                if endpoint.kind is None:
                    ctx.not_evaluated(distribution, f"origin {origin.index}: {endpoint.reason}")
                elif endpoint.kind == S3_WEBSITE:
                    website.append(endpoint)
            if not website:
                continue
            yield from _judge(ctx, distribution, origin, website)


def _judge(ctx, distribution, origin, website):
    host = website[0]
    where = f"origin {origin.index} of distribution {distribution.describe()}"
    shown = f"the website endpoint of bucket {host.bucket.describe()}" if host.bucket is not None else \
        f"S3 website endpoint {host.case.show()}"
    if origin.has("S3OriginConfig"):
        yield ctx.finding(distribution, f"{where} is {shown} but uses S3OriginConfig: website endpoints are not S3 "
                                        "REST APIs and accept no HTTPS; use CustomOriginConfig with "
                                        "OriginProtocolPolicy http-only", check="s3-origin-config",
                          at=f"{origin.at}.S3OriginConfig", related=[host.bucket] if host.bucket else [],
                          cases=(host.case, origin))
        return
    if not origin.has("CustomOriginConfig"):
        return   # neither origin config: CloudFormation rejects the origin (not this rule's concern)
    policy = origin.get("CustomOriginConfig.OriginProtocolPolicy", default=False)
    for endpoint in website:
        for _, protocol in ctx.cases(distribution, Value([endpoint.case]), policy, convert=(None, as_text)):
            if protocol.value in ("https-only", "match-viewer"):
                yield ctx.finding(distribution, f"{where} is {shown} with {protocol.cite('OriginProtocolPolicy')}: "
                                                "S3 website endpoints serve plain HTTP only, so CloudFront's HTTPS "
                                                "connections fail and viewers get 502 errors; use http-only",
                                  check="protocol", at=f"{origin.at}.CustomOriginConfig.OriginProtocolPolicy",
                                  related=[endpoint.bucket] if endpoint.bucket else [],
                                  cases=(protocol, endpoint.case, origin))
