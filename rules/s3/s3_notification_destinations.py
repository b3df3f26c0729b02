"""BKT001 s3-notification-destinations."""
from linter.model import (NOTIFICATION_KINDS, allows, as_bool, as_text, connector_may_write, events_overlap,
                         filters_overlap, key_filter, permission_allows, resource_policies, rule)

BUCKET = "AWS::S3::Bucket"
S3 = "s3.amazonaws.com"
SEND_ACTION = {"Queue": ("sqs:SendMessage", "AWS::SQS::Queue", "FifoQueue"),
               "Topic": ("sns:Publish", "AWS::SNS::Topic", "FifoTopic")}


@rule("BKT001", "s3-notification-destinations", severity="error", tags=("correctness", "s3"), catalogue="R35")
def notification_destinations(graph, ctx):
    """A bucket's event notifications must not overlap, must go to destinations S3 may write to, and never to FIFO queues or topics.

    **What it checks.** For every `AWS::S3::Bucket` `NotificationConfiguration` (Lambda, queue and topic
    configurations alike), in every scenario:

    - **error** (`overlap`): two configurations whose event types overlap (`s3:ObjectCreated:*` covers
      `s3:ObjectCreated:Put`) and whose key filters can match the same key (one prefix starts the other,
      one suffix ends the other; no filter matches every key).
    - **error** (`fifo-destination`): a queue with `FifoQueue: true` or a topic with `FifoTopic: true`.
    - **error** (`no-permission`): a function of this template that no `AWS::Lambda::Permission` lets
      `s3.amazonaws.com` invoke from this bucket, or a queue or topic of this template whose policy does
      not let `s3.amazonaws.com` send or publish. A SAM connector with `Write` from the bucket grants it.

    Filters, event types and destinations known only at deploy time are *not evaluated*, and so are
    destinations outside the template. Not checked yet: whether the bucket `DependsOn` the permission
    (S3 validates destinations when the configuration is written) and KMS-encrypted destinations.

    **Why it matters.** S3 validates the whole notification configuration when it is written: an
    overlap ("Configurations overlap"), a FIFO destination or a missing permission ("Unable to validate
    the following destination configurations") fails the bucket, and the stack rolls back.

    **Example (fails).**

        Uploads:
          Type: AWS::S3::Bucket
          Properties:
            NotificationConfiguration:
              LambdaConfigurations:
                - {Event: "s3:ObjectCreated:*", Function: !GetAtt Resize.Arn}
              QueueConfigurations:
                - {Event: "s3:ObjectCreated:Put", Queue: !GetAtt Audit.Arn}   # same events, same keys

    **Fix.** Send the event to one SNS topic and fan out from it, or give the configurations disjoint
    prefixes or suffixes; grant S3 with an `AWS::Lambda::Permission` (SourceArn the bucket) or a queue
    or topic policy for `s3.amazonaws.com`.

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html.
    """
    for bucket in graph.of_type(BUCKET):
        configured = []
        for list_key, target_key in NOTIFICATION_KINDS:
            for entry in bucket.entries(f"NotificationConfiguration.{list_key}"):
                configured.append((entry, target_key))
                yield from _destination(graph, ctx, bucket, entry, target_key)
        yield from _overlaps(ctx, bucket, configured)


def _overlaps(ctx, bucket, configured):
    for i, (first, _) in enumerate(configured):
        for second, _ in configured[i + 1:]:
            values = (first.get("Event"), first.get("Filter", default=False),
                      second.get("Event"), second.get("Filter", default=False))
            for e1, f1, e2, f2 in ctx.cases(bucket, *values, convert=(as_text, None, as_text, None)):
                (k1, why1), (k2, why2) = key_filter(f1.value), key_filter(f2.value)
                doubt = why1 or why2
                if doubt:
                    ctx.not_evaluated(bucket, f"whether notifications of {bucket.logical_id} overlap is not known: {doubt}")
                    continue
                if events_overlap(e1.value, e2.value) and filters_overlap(k1, k2):
                    yield ctx.finding(
                        bucket, f"bucket {bucket.describe()} has two notifications for overlapping events "
                                f"({e1.show()} at {first.at}, {e2.show()} at {second.at}) whose key filters can match "
                                "the same object: S3 rejects the configuration; fan out through one SNS topic or "
                                "use disjoint prefixes or suffixes", check="overlap", at=second.at,
                        cases=(e1, f1, e2, f2))
                    return


def _destination(graph, ctx, bucket, entry, target_key):
    for case in entry.get(target_key):
        target, reason = graph.follow(case)
        if target is None:
            ctx.not_evaluated(bucket, f"a notification destination of {bucket.logical_id} is not in this template "
                                      f"({reason or case.show()})")
            continue
        granted_by_connector = connector_may_write(graph, bucket, target)   # a SAM connector adds the grant
        if target_key == "Function":
            verdict = permission_allows(graph, target, S3, source_arn=bucket)
        else:
            action, expected_type, fifo_property = SEND_ACTION[target_key]
            if target.type != expected_type:
                continue
            for (fifo,) in ctx.cases(target, target.get(fifo_property, default=False), convert=as_bool):
                if fifo.value:
                    yield ctx.finding(bucket, f"bucket {bucket.describe()} notifies {target.describe()}, a FIFO "
                                              f"{target_key.lower()} ({fifo.cite(fifo_property)}): S3 cannot deliver to "
                                              "FIFO destinations; use a standard queue or topic",
                                      check="fifo-destination", at=f"{entry.at}.{target_key}", related=[target],
                                      cases=(case, fifo))
            policies = resource_policies(graph, target)
            verdicts = [allows(document, principal=S3, action=action, resource=target) for _, document in policies]
            verdict = next((v for v in verdicts if v.yes), next((v for v in verdicts if v.unknown), None))
            if verdict is None and not granted_by_connector:
                yield ctx.finding(bucket, f"bucket {bucket.describe()} notifies {target.describe()}, but no "
                                          f"{target_key.lower()} policy lets {S3} call {action}: S3 cannot validate "
                                          "the destination and the bucket fails to deploy; add a policy for "
                                          f"{S3} with aws:SourceArn the bucket", check="no-permission",
                                  at=f"{entry.at}.{target_key}", related=[target], cases=(case,))
                continue
        if verdict is None or granted_by_connector:
            continue
        if verdict.unknown:
            ctx.not_evaluated(bucket, f"whether {S3} may deliver to {target.logical_id} is not known: {verdict.reason}")
        elif verdict.no:
            yield ctx.finding(bucket, f"bucket {bucket.describe()} notifies {target.describe()}, but {verdict.reason}: "
                                      "S3 cannot validate the destination and the bucket fails to deploy; grant "
                                      f"{S3} (SourceArn the bucket)", check="no-permission",
                              at=f"{entry.at}.{target_key}", related=[target], cases=(case,))
