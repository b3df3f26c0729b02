"""BKT005 s3-enforce-tls."""
from linter.model import (BUCKET_PART, OBJECTS_PART, bucket_parts, denies_insecure_transport, opaque_resources,
                         resource_policies, rule, statements)

BUCKET = "AWS::S3::Bucket"


@rule("BKT005", "s3-enforce-tls", severity="warning", tags=("security", "s3"), security_severity="5.0",
      catalogue="R61")
def enforce_tls(graph, ctx):
    """Every bucket should have a bucket policy that denies requests made without TLS.

    **What it checks.** For every `AWS::S3::Bucket`, the bucket policies (`AWS::S3::BucketPolicy`) that
    apply to it, in every scenario, must hold a `Deny` statement for `Principal: "*"` and
    `Action: "s3:*"` (or `"*"`) with `Condition: {Bool: {"aws:SecureTransport": false}}`
    (`BoolIfExists` also counts) whose `Resource` names both the bucket and its objects
    (`${Bucket.Arn}` and `${Bucket.Arn}/*`, or `*`). **Warning** when the bucket has no bucket policy
    (`no-policy`), or its policies have no such `Deny`, or the `Deny` covers only the bucket, only its
    objects, only some actions or only some principals (`no-tls-deny`).

    Policies whose documents, statements or resources are known only at deploy time are *not
    evaluated*, and so is a bucket in a template with resources this tool cannot see into (modules,
    preprocessor types), which may hold its policy. A deny on `s3:TlsVersion` alone does not refuse
    plain HTTP.

    **Why it matters.** S3 answers plain-HTTP requests to its endpoints. Without a TLS-only policy a
    misconfigured client (or an `http://` website or SDK endpoint) sends data and credentials-signed
    requests unencrypted, and compliance checks (AWS Config `s3-bucket-ssl-requests-only`, Security
    Hub S3.5) fail.

    **Example (fails).**

        DataBucket:
          Type: AWS::S3::Bucket           # no AWS::S3::BucketPolicy names it

    **Fix.** Add the deny for both the bucket and its objects:

        DataBucketPolicy:
          Type: AWS::S3::BucketPolicy
          Properties:
            Bucket: !Ref DataBucket
            PolicyDocument:
              Statement:
                - Sid: DenyInsecureTransport
                  Effect: Deny
                  Principal: "*"
                  Action: "s3:*"
                  Resource: [!GetAtt DataBucket.Arn, !Sub "${DataBucket.Arn}/*"]
                  Condition:
                    Bool: {"aws:SecureTransport": false}

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html.
    """
    hidden = opaque_resources(graph)
    for bucket in graph.of_type(BUCKET):
        policies = resource_policies(graph, bucket)
        if not policies:
            if hidden:
                ctx.not_evaluated(bucket, f"{', '.join(hidden)} may hold a bucket policy for {bucket.describe()}, "
                                          "and this tool cannot see into it")
                continue
            yield ctx.finding(
                bucket, f"bucket {bucket.describe()} has no bucket policy, so S3 accepts plain-HTTP requests to it; "
                        "add an AWS::S3::BucketPolicy that denies s3:* when aws:SecureTransport is false",
                check="no-policy")
            continue
        yield from _judge_policies(ctx, bucket, policies)


def _judge_policies(ctx, bucket, policies):
    for combination in ctx.cases(bucket, *(document for _, document in policies)):
        covered, shortfalls, doubt = set(), [], None
        for document in combination:
            if document.value is None:
                continue   # this policy does not apply in this scenario
            for st in statements(document.value):
                if st.unresolved and st.effect != "Allow":
                    doubt = doubt or st.unresolved[0]
                    continue
                verdict = denies_insecure_transport(st)
                if verdict is False:
                    continue
                parts, unsure = bucket_parts(st, bucket)
                doubt = doubt or unsure
                if verdict is True:
                    covered |= parts
                elif parts:
                    shortfalls.append(verdict)
        if covered >= {BUCKET_PART, OBJECTS_PART}:
            continue
        if doubt:
            ctx.not_evaluated(bucket, f"whether a bucket policy of {bucket.describe()} denies insecure transport "
                                      f"is not known: {doubt}")
            continue
        named = " and ".join(sorted({p.logical_id for p, _ in policies}))
        if covered:
            missing = ({BUCKET_PART, OBJECTS_PART} - covered).pop()
            what = f"denies insecure transport for {covered.pop()} but not for {missing}"
        elif shortfalls:
            what = shortfalls[0]
        else:
            what = "has no Deny for requests where aws:SecureTransport is false"
        yield ctx.finding(
            bucket, f"the bucket policy {named} of bucket {bucket.describe()} {what}, so S3 accepts plain-HTTP "
                    "requests; deny s3:* to Principal \"*\" on the bucket ARN and ARN/* when aws:SecureTransport "
                    "is false", check="no-tls-deny", related=[p for p, _ in policies],
            cases=tuple(d for d in combination))
