"""BKT003 s3-access-log-target-not-self."""
from linter.model import may_allow, opaque_resources, resource_policies, rule

BUCKET = "AWS::S3::Bucket"
LOGGING = "LoggingConfiguration"
DESTINATION = "LoggingConfiguration.DestinationBucketName"
LOG_DELIVERY = "logging.s3.amazonaws.com"


@rule("BKT003", "s3-access-log-target-not-self", severity="error", tags=("reliability", "cost", "s3"),
      catalogue="R39")
def access_log_target_not_self(graph, ctx):
    """A bucket must not write its server access logs into itself, and its log bucket must accept them.

    **What it checks.** For every `AWS::S3::Bucket` with a `LoggingConfiguration`, in each scenario of
    parameters, mappings and conditions:

    - **error** (`self-target`): the logs go to the bucket itself — `DestinationBucketName` is left out
      (S3 then logs into the source bucket), refers to the bucket, or resolves to the same name as the
      bucket's own `BucketName` (literal names and `!Sub` forms with the same parts).
    - **warning** (`log-loop`): the target bucket logs back into the source bucket (A → B → A).
    - **warning** (`no-delivery-grant`): the target bucket is in the template but neither has a bucket
      policy that allows `logging.s3.amazonaws.com` to `s3:PutObject` (conditions such as
      `aws:SourceArn` are fine) nor the legacy `AccessControl: LogDeliveryWrite`.

    A target named by a parameter without a value, an import or a dynamic reference is *not evaluated*;
    so is the grant of a target bucket outside the template (its policy cannot be seen), and the grant when
    the template has resources this tool cannot see into (modules, preprocessor types).

    **Why it matters.** Every log object written into the logged bucket is itself an access that is
    logged: the bucket grows without end and so does the bill. A log bucket that does not grant the
    logging service receives nothing, and the missing logs are noticed only when they are needed.

    **Example (fails).**

        DataBucket:
          Type: AWS::S3::Bucket
          Properties:
            LoggingConfiguration:
              LogFilePrefix: access/      # no DestinationBucketName: logs land in DataBucket

    **Fix.** Log into a separate bucket that grants the logging service:

        DataBucket:
          Type: AWS::S3::Bucket
          Properties:
            LoggingConfiguration:
              DestinationBucketName: !Ref AccessLogs
              LogFilePrefix: data/
        AccessLogsPolicy:
          Type: AWS::S3::BucketPolicy
          Properties:
            Bucket: !Ref AccessLogs
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Principal: {Service: logging.s3.amazonaws.com}
                  Action: s3:PutObject
                  Resource: !Sub "${AccessLogs.Arn}/*"
                  Condition:
                    ArnLike: {"aws:SourceArn": !GetAtt DataBucket.Arn}

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html.
    """
    for bucket in graph.of_type(BUCKET):
        if not bucket.has(LOGGING):
            continue
        at = DESTINATION if bucket.has(DESTINATION) else LOGGING
        logging = bucket.get(LOGGING, default=False)
        destination = bucket.get(DESTINATION, default=False)
        for config, target_case in ctx.cases(bucket, logging, destination):
            if config.value is None:
                continue   # AWS::NoValue in this scenario: no access logging
            if target_case.value is None:
                yield ctx.finding(
                    bucket, f"bucket {bucket.describe()} has a LoggingConfiguration without DestinationBucketName, "
                            "so S3 writes its access logs into the bucket itself: each log object is logged "
                            "again and the bucket grows without end; name a separate log bucket",
                    check="self-target", at=at, cases=(config,))
                continue
            target, _reason = graph.follow(target_case, (BUCKET,))
            if target is bucket or (target is None and _same_name(bucket, target_case, ctx)):
                yield ctx.finding(
                    bucket, f"bucket {bucket.describe()} writes its access logs into itself (DestinationBucketName "
                            f"{target_case.show()}): each log object is logged again and the bucket grows "
                            "without end; name a separate log bucket", check="self-target", at=at,
                    cases=(target_case,))
            elif target is not None:
                yield from _loop(graph, bucket, target, target_case, at, ctx)
                yield from _delivery_grant(graph, bucket, target, target_case, at, ctx)
            else:
                ctx.not_evaluated(bucket, f"the log bucket {target_case.show()} is not in this template, so "
                                          "whether it accepts S3 log delivery cannot be seen")


def _same_name(bucket, target_case, ctx) -> bool:
    """Whether a destination given by name is the bucket's own name (an unknown own name is recorded)."""
    if not bucket.has("BucketName"):
        return False   # a generated name cannot be written into the template
    same = False
    for (own,) in ctx.cases(bucket, bucket.get("BucketName", default=False)):
        if own.value == target_case.value and own.with_assumptions(target_case.assumptions) is not None:
            same = True
    return same


def _loop(graph, bucket, target, target_case, at, ctx):
    if not target.has(DESTINATION):
        return
    for back in target.get(DESTINATION, default=False):
        origin, _ = graph.follow(back, (BUCKET,))
        if origin is bucket and back.with_assumptions(target_case.assumptions) is not None:
            yield ctx.finding(
                bucket, f"bucket {bucket.describe()} logs into {target.describe()}, which logs back into "
                        f"{bucket.describe()}: each bucket's log objects are logged in the other without end; "
                        "give the log bucket no access logging of its own",
                severity="warning", check="log-loop", at=at, related=[target], cases=(target_case, back))
            return


def _delivery_grant(graph, bucket, target, target_case, at, ctx):
    if target.get("AccessControl", default=False).single == "LogDeliveryWrite":
        return
    policies = resource_policies(graph, target)
    verdicts = [(policy, may_allow(document, principal=LOG_DELIVERY, action="s3:PutObject", resource=target))
                for policy, document in policies]
    if any(v.yes for _, v in verdicts):
        return
    unsure = next((v for _, v in verdicts if v.unknown), None)
    if unsure is not None:
        ctx.not_evaluated(bucket, f"whether log bucket {target.describe()} accepts S3 log delivery is not known: "
                                  f"{unsure.reason}")
        return
    hidden = opaque_resources(graph)
    if hidden:
        ctx.not_evaluated(bucket, f"whether log bucket {target.describe()} accepts S3 log delivery is not known: "
                                  f"{', '.join(hidden)} may hold its bucket policy, and this tool cannot see into it")
        return
    named = ", ".join(p.logical_id for p, _ in verdicts)
    having = f"its bucket policy {named} does not allow" if named else "it has no bucket policy that allows"
    yield ctx.finding(
        bucket, f"bucket {bucket.describe()} logs into {target.describe()}, but {having} {LOG_DELIVERY} to "
                "s3:PutObject (and it has no LogDeliveryWrite ACL): S3 cannot deliver the access logs; add a bucket "
                f"policy for {LOG_DELIVERY}", severity="warning", check="no-delivery-grant", at=at,
        related=[target] + [p for p, _ in verdicts], cases=(target_case,))
