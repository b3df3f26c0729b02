"""BKT002 s3-replication-needs-versioning."""
from linter.model import as_text, role_allows, rule

BUCKET = "AWS::S3::Bucket"
REPLICATION = "ReplicationConfiguration"
STATUS = "VersioningConfiguration.Status"
SOURCE_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
DESTINATION_ACTIONS = ("s3:ReplicateObject", "s3:ReplicateDelete")


@rule("BKT002", "s3-replication-needs-versioning", severity="error", tags=("correctness", "s3"),
      catalogue="R38")
def replication_needs_versioning(graph, ctx):
    """A replicating bucket, and every bucket it replicates into, must be versioned, and the replication role must have the replication permissions.

    **What it checks.** For every `AWS::S3::Bucket` with a `ReplicationConfiguration`, in every scenario:

    - **error** (`source-versioning`): the bucket's `VersioningConfiguration.Status` is not `Enabled`
      (absent means versioning was never enabled, the S3 default).
    - **error** (`destination-versioning`): a rule's `Destination.Bucket` is a bucket of this template
      whose versioning is not `Enabled`.
    - **error** (`role-permissions`): the replication `Role`, when it is a role of this template, is not
      allowed `s3:GetReplicationConfiguration` and `s3:ListBucket` on the source bucket, or
      `s3:ReplicateObject` and `s3:ReplicateDelete` on a destination bucket of this template.
      Whether the role trusts `s3.amazonaws.com` is checked by IAM001.

    Destination buckets and roles outside the template, and values known only at deploy time, are *not
    evaluated*. Statically invisible: replication copies only objects written after it is set up (use
    S3 Batch Replication for existing ones) and is not transitive (A → B → C does not copy A's objects to C).

    **Why it matters.** S3 refuses a replication configuration on an unversioned bucket, so the stack
    fails to create or update the bucket; an unversioned destination makes the replication of every
    object fail. A role without the replication actions leaves objects in `FAILED` replication status
    without any error at deploy time.

    **Example (fails).**

        Source:
          Type: AWS::S3::Bucket
          Properties:
            ReplicationConfiguration:          # no VersioningConfiguration on this bucket
              Role: !GetAtt ReplicationRole.Arn
              Rules:
                - Status: Enabled
                  Destination: {Bucket: !GetAtt Replica.Arn}

    **Fix.** Enable versioning on both buckets and grant the role the replication actions:

        Source:
          Type: AWS::S3::Bucket
          Properties:
            VersioningConfiguration: {Status: Enabled}
            ReplicationConfiguration: ...
        Replica:
          Type: AWS::S3::Bucket
          Properties:
            VersioningConfiguration: {Status: Enabled}

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html.
    """
    for bucket in graph.of_type(BUCKET):
        if not bucket.has(REPLICATION):
            continue
        replication = bucket.get(REPLICATION, default=False)
        for config, status in ctx.cases(bucket, replication, bucket.get(STATUS), convert=(None, as_text)):
            if config.value is not None and status.value != "Enabled":
                yield ctx.finding(
                    bucket, f"bucket {bucket.describe()} replicates its objects but its versioning is "
                            f"{_shown(status)}: S3 rejects replication on an unversioned bucket; set "
                            "VersioningConfiguration: {Status: Enabled}",
                    check="source-versioning", at="VersioningConfiguration" if bucket.has(STATUS) else REPLICATION,
                    cases=(config, status))
        destinations = []
        for entry in bucket.entries(f"{REPLICATION}.Rules"):
            for target_case in entry.get("Destination.Bucket"):
                target, reason = graph.follow(target_case, (BUCKET,))
                if target is None:
                    ctx.not_evaluated(bucket, f"replication destination {target_case.show()} is not a bucket of this "
                                              f"template ({reason}), so its versioning cannot be seen")
                    continue
                destinations.append(target)
                for (status,) in ctx.cases(target, target.get(STATUS), convert=as_text):
                    if status.value != "Enabled" and target_case.with_assumptions(status.assumptions) is not None:
                        yield ctx.finding(
                            bucket, f"bucket {bucket.describe()} replicates into {target.describe()}, whose "
                                    f"versioning is {_shown(status)}: replication needs a versioned destination; "
                                    f"enable versioning on {target.logical_id}",
                            check="destination-versioning", at=f"{entry.at}.Destination.Bucket", related=[target],
                            cases=(target_case, status))
        yield from _role_permissions(graph, ctx, bucket, destinations)


def _role_permissions(graph, ctx, bucket, destinations):
    for role_case in bucket.get(f"{REPLICATION}.Role", default=False):
        if role_case.value is None:
            continue
        role, reason = graph.follow(role_case, ("AWS::IAM::Role",))
        if role is None or role.type != "AWS::IAM::Role":
            ctx.not_evaluated(bucket, f"the replication role {role_case.show()} is not a role of this template "
                                      f"({reason or 'another resource type'}), so its permissions cannot be seen")
            continue
        missing = []
        for target, actions in [(bucket, SOURCE_ACTIONS)] + [(d, DESTINATION_ACTIONS) for d in dict.fromkeys(destinations)]:
            for action in actions:
                verdict = role_allows(graph, role, action, target)
                if verdict.unknown:
                    ctx.not_evaluated(bucket, f"whether replication role {role.logical_id} may call {action} on "
                                              f"{target.logical_id} is not known: {verdict.reason}")
                elif verdict.no:
                    missing.append(f"{action} on {target.logical_id}")
        if missing:
            yield ctx.finding(
                bucket, f"the replication role {role.describe()} of bucket {bucket.describe()} is not allowed "
                        f"{', '.join(missing)}: S3 cannot replicate the objects; grant these actions to the role",
                check="role-permissions", at=f"{REPLICATION}.Role", related=[role], cases=(role_case,))


def _shown(status) -> str:
    """The versioning status with its origin; an absent one reads "off (…the S3 default)"."""
    return status.show() if status.value is not None else f"off ({status.origin})"
