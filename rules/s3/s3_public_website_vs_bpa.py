"""BKT004 s3-public-website-vs-bpa."""
from linter.model import (DISTRIBUTION, DISTRIBUTION_CONFIG, as_bool, as_text, block_public_access, object_ownership,
                          origin_endpoint, public_grants, resource_policies, rule, website_kind)

BUCKET = "AWS::S3::Bucket"
PUBLIC_ACLS = ("PublicRead", "PublicReadWrite", "AuthenticatedRead")
OWNER_ONLY_ACLS = ("Private", "BucketOwnerFullControl")


@rule("BKT004", "s3-public-website-vs-bpa", severity="error", tags=("correctness", "s3"), catalogue="R60")
def public_website_vs_block_public_access(graph, ctx):
    """Public bucket policies and ACLs must agree with the bucket's Block Public Access and object ownership.

    **What it checks.** Every `AWS::S3::Bucket`, each scenario of parameters and conditions on its own.
    A bucket without `PublicAccessBlockConfiguration` has all four Block Public Access settings on, and
    one without `OwnershipControls` has ACLs disabled (`BucketOwnerEnforced`): the S3 defaults for new
    buckets since April 2023. A setting left out of a written `PublicAccessBlockConfiguration` is off.

    - **error** (`policy-blocked`): an `AWS::S3::BucketPolicy` statement that is public (an `Allow` to
      `Principal *` without a condition on `aws:SourceArn`, `aws:SourceIp`, `aws:PrincipalOrgID` and the
      like) while the bucket's `BlockPublicPolicy` is on.
    - **error** (`acl-disabled`): `AccessControl` other than `Private` or `BucketOwnerFullControl`
      while `ObjectOwnership` is `BucketOwnerEnforced`.
    - **error** (`public-acl-blocked`): `AccessControl` `PublicRead`, `PublicReadWrite` or
      `AuthenticatedRead` while ACLs are enabled but `BlockPublicAcls` is on.
    - **warning** (`website-403`): a `WebsiteConfiguration` (other than a redirect of all requests) on a
      bucket that no public policy lets anyone read (`s3:GetObject`), or whose `RestrictPublicBuckets`
      is on, and that no CloudFront distribution of the template uses as an origin. A bucket that keeps
      object ACLs working (`ObjectOwnership` other than `BucketOwnerEnforced`, `IgnorePublicAcls` off)
      may serve objects uploaded with a public ACL: *not evaluated*.

    A policy, setting or ACL that comes from a parameter without a value is *not evaluated*. The
    account-level Block Public Access settings are not in the template: an account that blocks public
    policies fails such a bucket policy even when the bucket allows it. Public buckets that are not
    websites are IAM003's concern.

    **Why it matters.** S3 refuses to store a public policy under `BlockPublicPolicy` and refuses ACLs on
    a bucket whose ACLs are disabled: the stack fails with Access Denied or
    `AccessControlListNotSupported`, a common break in templates written before April 2023. A website
    bucket nobody may read answers every visitor with 403 Forbidden.

    **Example (fails).**

        SiteBucket:
          Type: AWS::S3::Bucket
          Properties:
            AccessControl: PublicRead
            WebsiteConfiguration: {IndexDocument: index.html}
        SiteBucketPolicy:
          Type: AWS::S3::BucketPolicy
          Properties:
            Bucket: !Ref SiteBucket
            PolicyDocument:
              Statement:
                - {Effect: Allow, Principal: "*", Action: s3:GetObject, Resource: !Sub "${SiteBucket.Arn}/*"}

    **Fix.** Drop the ACL and allow public policies on this bucket, or better, keep the bucket private
    and serve it through CloudFront with an origin access control:

        SiteBucket:
          Type: AWS::S3::Bucket
          Properties:
            WebsiteConfiguration: {IndexDocument: index.html}
            PublicAccessBlockConfiguration:
              BlockPublicAcls: true
              IgnorePublicAcls: true
              BlockPublicPolicy: false
              RestrictPublicBuckets: false

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html.
    """
    fronted = {e.bucket.logical_id for d in graph.of_type(DISTRIBUTION) for o in d.entries(f"{DISTRIBUTION_CONFIG}.Origins")
               for e in origin_endpoint(graph, o) if e.bucket is not None}
    for bucket in graph.of_type(BUCKET):
        policies = resource_policies(graph, bucket)
        blocked = yield from _policies(ctx, bucket, policies)
        yield from _acl(ctx, bucket)
        if bucket.has("WebsiteConfiguration") and bucket.logical_id not in fronted and not blocked:
            yield from _website(ctx, bucket, policies)


def _statement_at(policy, index):
    path = f"PolicyDocument.Statement.{index}"
    return path if policy.has(path) else "PolicyDocument"


def _policies(ctx, bucket, policies):
    """Public statements under BlockPublicPolicy; returns whether one was reported."""
    reported = False
    for policy, documents in policies:
        for block, document in ctx.cases(policy, block_public_access(bucket, "BlockPublicPolicy"), documents,
                                          convert=(as_bool, None)):
            if document.value is None or not block.value:
                continue
            grants = public_grants(document.value)
            public = [st for st, verdict in grants if verdict.yes]
            if public:
                reported = True
                yield ctx.finding(policy, f"{public[0].label} of bucket policy {policy.describe()} is public "
                                          f"(Principal * without a narrowing condition), but bucket "
                                          f"{bucket.describe()} has {block.cite('BlockPublicPolicy')}: S3 "
                                          "rejects the policy with Access Denied and the stack fails; turn "
                                          "BlockPublicPolicy off for this bucket or serve it through CloudFront",
                                  check="policy-blocked", at=_statement_at(policy, public[0].index),
                                  related=[bucket], cases=(block, document))
            elif grants:
                ctx.not_evaluated(policy, grants[0][1].reason)
    return reported


def _acl(ctx, bucket):
    acl = bucket.get("AccessControl", default=False)
    ownership = bucket.get("OwnershipControls")
    block_acls = block_public_access(bucket, "BlockPublicAcls")
    for control, owner, block in ctx.cases(bucket, acl, ownership, block_acls, convert=(as_text, object_ownership, as_bool)):
        if control.value is None or control.value in OWNER_ONLY_ACLS:
            continue
        if owner.value == "BucketOwnerEnforced":
            yield ctx.finding(bucket, f"bucket {bucket.describe()} sets {control.cite('AccessControl')}, but its "
                                      f"object ownership is {owner.show()}: ACLs are disabled, so S3 rejects the "
                                      "ACL (AccessControlListNotSupported) and the stack fails; remove "
                                      "AccessControl and grant access with a bucket policy",
                              check="acl-disabled", at="AccessControl", cases=(control, owner))
        elif control.value in PUBLIC_ACLS and block.value:
            yield ctx.finding(bucket, f"bucket {bucket.describe()} sets the public {control.cite('AccessControl')}, "
                                      f"but has {block.cite('BlockPublicAcls')}: S3 rejects public ACLs and "
                                      "the stack fails; remove the ACL or turn BlockPublicAcls off",
                              check="public-acl-blocked", at="AccessControl", cases=(control, block))


def _website(ctx, bucket, policies):
    website = bucket.get("WebsiteConfiguration", default=False)
    documents = [d for _, d in policies]
    acl = bucket.get("AccessControl", default=False)
    convert = (website_kind, as_text, object_ownership, as_bool, as_bool, as_bool) + (None,) * len(documents)
    for site, control, owner, ignore_acls, block, restrict, *docs in ctx.cases(
            bucket, website, acl, bucket.get("OwnershipControls"), block_public_access(bucket, "IgnorePublicAcls"),
            block_public_access(bucket, "BlockPublicPolicy"), block_public_access(bucket, "RestrictPublicBuckets"),
            *documents, convert=convert):
        if site.value != "site":
            continue   # a redirect of every request needs nobody to read the bucket
        if control.value in PUBLIC_ACLS:
            continue   # a public ACL: readable, or rejected (acl-disabled, public-acl-blocked)
        if owner.value != "BucketOwnerEnforced" and not ignore_acls.value:
            ctx.not_evaluated(bucket, f"bucket {bucket.describe()} keeps ACLs enabled ({owner.show()}, "
                                      f"{ignore_acls.cite('IgnorePublicAcls')}): its objects may be public through "
                                      "their own ACLs, which the template does not show")
            continue
        grants = [g for d in docs if d.value is not None for g in public_grants(d.value, "s3:GetObject")]
        if any(verdict.yes for _, verdict in grants):
            if block.value:
                continue   # reported by policy-blocked
            if restrict.value:
                yield ctx.finding(bucket, f"bucket {bucket.describe()} is a website with a public read policy, but "
                                          f"has {restrict.cite('RestrictPublicBuckets')}: anonymous visitors "
                                          "are refused and get 403 Forbidden; turn RestrictPublicBuckets off",
                                  severity="warning", check="website-403", at="WebsiteConfiguration",
                                  cases=(site, restrict, *docs))
            continue
        if grants:
            ctx.not_evaluated(bucket, grants[0][1].reason)
            continue
        yield ctx.finding(bucket, f"bucket {bucket.describe()} is configured as a website, but no bucket policy lets "
                                  "everyone read its objects (s3:GetObject) and no CloudFront distribution of this "
                                  "template uses it: visitors get 403 Forbidden; add a public read policy, or serve "
                                  "it through CloudFront", severity="warning", check="website-403",
                          at="WebsiteConfiguration", cases=(site, *docs))
