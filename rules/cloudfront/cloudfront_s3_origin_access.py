"""CFR002 cloudfront-s3-origin-access."""
from linter.model import (DISTRIBUTION, DISTRIBUTION_CONFIG, S3_REST, Value, any_condition_unknown, bucket_grant,
                          cloudfront_service_principal, identity_principal, origin_endpoint, rule, source_arn_is)


@rule("CFR002", "cloudfront-s3-origin-access", severity="warning", tags=("security", "correctness", "cloudfront", "s3"),
      catalogue="R63")
def s3_origin_access(graph, ctx):
    """CloudFront should reach an S3 bucket through an origin access control that the bucket policy admits.

    **What it checks.** Every origin of an `AWS::CloudFront::Distribution` whose `DomainName` is a
    bucket's REST endpoint (`!GetAtt Bucket.RegionalDomainName`, `!GetAtt Bucket.DomainName`,
    `${Bucket}.s3.amazonaws.com`, `<name>.s3.<region>.amazonaws.com`), each scenario on its own:

    - **warning** (`no-origin-access`): neither `OriginAccessControlId` nor a non-empty
      `S3OriginConfig.OriginAccessIdentity`: CloudFront sends anonymous requests, so the bucket works
      only if it is public.
    - **error** (`policy-missing`): with an origin access control (OAC), no bucket policy statement of a
      bucket in the template allows `s3:GetObject` to the service principal `cloudfront.amazonaws.com`
      (when it tests `AWS:SourceArn`, it must name this distribution); with an origin access identity
      (OAI), no statement allows it to that identity (its `arn:aws:iam::cloudfront:user/…` ARN or its
      `S3CanonicalUserId`). A `Principal *` grant counts. Only `Allow` statements are read: denies
      with a condition (TLS-only, source IPs) concern other requests.
    - **info** (`oai-legacy`): an origin access identity: AWS recommends origin access control, which
      also signs requests to SSE-KMS objects and works in every Region.

    Buckets outside the template, policies or principals that come from parameters without a value,
    `AWS:SourceArn` values written as literal ARNs and conditions on other keys are *not evaluated*.
    S3 website endpoints are CFR003's concern: they support neither OAC nor OAI.

    **Why it matters.** Without an origin access control the bucket has to be public and anyone can
    bypass CloudFront (its WAF, signed URLs, logging). With one but no matching bucket policy, S3 refuses
    CloudFront's signed requests and every viewer gets 403 Access Denied.

    **Example (fails).**

        Origins:
          - Id: assets
            DomainName: !GetAtt AssetsBucket.RegionalDomainName
            OriginAccessControlId: !GetAtt AssetsOac.Id
            S3OriginConfig: {OriginAccessIdentity: ""}
        # and no AWS::S3::BucketPolicy for AssetsBucket

    **Fix.** Let the distribution read the bucket:

        AssetsBucketPolicy:
          Type: AWS::S3::BucketPolicy
          Properties:
            Bucket: !Ref AssetsBucket
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Principal: {Service: cloudfront.amazonaws.com}
                  Action: s3:GetObject
                  Resource: !Sub "${AssetsBucket.Arn}/*"
                  Condition:
                    StringEquals:
                      AWS:SourceArn: !Sub "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}"

    See https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html.
    """
    for distribution in graph.of_type(DISTRIBUTION):
        for origin in distribution.entries(f"{DISTRIBUTION_CONFIG}.Origins"):
            for endpoint in origin_endpoint(graph, origin):
                if endpoint.kind == S3_REST:
                    yield from _judge(graph, ctx, distribution, origin, endpoint)


def _text(case) -> str | None:
    """The written access control or identity, None when absent or empty ("" turns OAI off)."""
    return case.value if case.value not in (None, "") else None


def _judge(graph, ctx, distribution, origin, endpoint):
    bucket = endpoint.bucket
    shown = f"bucket {bucket.describe()}" if bucket is not None else f"S3 endpoint {endpoint.case.show()}"
    where = f"origin {origin.index} of distribution {distribution.describe()}"
    related = [bucket] if bucket is not None else []
    oac = origin.get("OriginAccessControlId", default=False)
    oai = origin.get("S3OriginConfig.OriginAccessIdentity", default=False)
    for _, control, identity in ctx.cases(distribution, Value([endpoint.case]), oac, oai):
        if _text(control) is None and _text(identity) is None:
            yield ctx.finding(distribution, f"{where} reads {shown} without an origin access control or identity: "
                                            "CloudFront's requests are anonymous, so the bucket must be public and "
                                            "can be read around CloudFront; add an OriginAccessControl",
                              check="no-origin-access", at=origin.at, related=related,
                              cases=(endpoint.case, control, identity, origin))
            continue
        if _text(control) is None:
            yield ctx.finding(distribution, f"{where} uses origin access identity {identity.show()}, the legacy "
                                            "mechanism: origin access control also serves SSE-KMS objects and all "
                                            "Regions", severity="info", check="oai-legacy",
                              at=f"{origin.at}.S3OriginConfig.OriginAccessIdentity", related=related,
                              cases=(endpoint.case, identity, origin))
        if bucket is None:
            ctx.not_evaluated(distribution, f"{where}: {shown} is not in this template, so its bucket policy "
                                            "cannot be read")
            continue
        if _text(control) is not None:
            verdict = bucket_grant(graph, bucket, principal=cloudfront_service_principal,
                                   condition=source_arn_is(distribution))
            access = f"origin access control {control.show()}"
        else:
            verdict = bucket_grant(graph, bucket, principal=identity_principal(graph, identity),
                                   condition=any_condition_unknown)
            access = f"origin access identity {identity.show()}"
        if verdict.unknown:
            ctx.not_evaluated(distribution, f"{where}: {verdict.reason}")
        elif verdict.no:
            yield ctx.finding(distribution, f"{where} reads {shown} through {access}, but no bucket policy lets "
                                            f"it read objects ({verdict.reason}): S3 refuses CloudFront's requests and viewers get 403 Access Denied; allow "
                                            "s3:GetObject to it in the bucket policy", severity="error",
                              check="policy-missing", at=origin.at, related=related,
                              cases=(endpoint.case, control, identity, origin))
