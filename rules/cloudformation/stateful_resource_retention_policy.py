"""TPL001 stateful-resource-retention-policy."""
from linter.model import as_bool, as_text, rule

# Resource types whose data a stack deletion or a replacing update destroys, and what is lost.
STATEFUL = {
    "AWS::RDS::DBInstance": "the database", "AWS::RDS::DBCluster": "the database",
    "AWS::DynamoDB::Table": "the table's items", "AWS::DynamoDB::GlobalTable": "the table's items",
    "AWS::Serverless::SimpleTable": "the table's items", "AWS::S3::Bucket": "the bucket's objects",
    "AWS::EFS::FileSystem": "the file system", "AWS::EC2::Volume": "the volume",
    "AWS::Cognito::UserPool": "every user and password (they cannot be exported)",
    "AWS::KMS::Key": "the key, and with it everything encrypted under it",
    "AWS::Kinesis::Stream": "the records in the stream", "AWS::SQS::Queue": "the messages in the queue",
    "AWS::ElastiCache::ReplicationGroup": "the cached data", "AWS::Logs::LogGroup": "the log events",
    "AWS::SecretsManager::Secret": "the secret",
}
KEEPING = ("Retain", "RetainExceptOnCreate", "Snapshot")
PROTECTABLE = {"AWS::RDS::DBInstance": "DeletionProtection", "AWS::RDS::DBCluster": "DeletionProtection"}


@rule("TPL001", "stateful-resource-retention-policy", severity="warning", tags=("reliability", "data-loss"),
      catalogue="R12")
def retention_policy(graph, ctx):
    """Resources that hold data should survive a stack deletion and a replacing update.

    **What it checks.** For every stateful resource — RDS instances and clusters, DynamoDB tables (and
    SAM `SimpleTable`), S3 buckets, EFS file systems, EBS volumes, Cognito user pools, KMS keys, Kinesis
    streams, SQS queues, ElastiCache replication groups, log groups and Secrets Manager secrets — whose
    `DeletionPolicy` or `UpdateReplacePolicy` is neither `Retain`, `RetainExceptOnCreate` nor `Snapshot`
    (**warning**). Both default to `Delete`, except `DeletionPolicy` on RDS instances outside a cluster and
    on RDS clusters, which defaults to `Snapshot` (cited as such). Policies written with `Fn::If` or a
    parameter are judged in every scenario. RDS without `DeletionProtection: true`: **info**.

    The resources SAM creates for you (queues of `SqsSubscription`, for example) are left out: their
    policies cannot be set in the template. Whether an update replaces a resource needs the previous
    template, which this check does not see.

    **Why it matters.** Deleting the stack, or an update that must replace the resource (a new name, a
    new key schema), deletes it with its data, and CloudFormation does not ask first. Cognito user pools
    are the hardest case: users and their passwords cannot be exported and recreated.

    **Example (fails).**

        OrdersTable:
          Type: AWS::DynamoDB::Table
          Properties:
            BillingMode: PAY_PER_REQUEST
            KeySchema: [{AttributeName: id, KeyType: HASH}]
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]

    **Fix.**

        OrdersTable:
          Type: AWS::DynamoDB::Table
          DeletionPolicy: Retain
          UpdateReplacePolicy: Retain
    """
    for resource in graph.of_type(*STATEFUL):
        if resource.implicit:
            continue
        deletion, replace = resource.attribute("DeletionPolicy"), resource.attribute("UpdateReplacePolicy")
        for d, r in ctx.cases(resource, deletion, replace, convert=as_text):
            weak = [(name, case) for name, case in (("DeletionPolicy", d), ("UpdateReplacePolicy", r))
                    if case.value not in KEEPING]
            if weak:
                what = " and ".join(case.cite(name) for name, case in weak)
                events = " or ".join({"DeletionPolicy": "deleting the stack",
                                      "UpdateReplacePolicy": "an update that replaces it"}[name] for name, _ in weak)
                yield ctx.finding(resource, f"{resource.type.split('::')[-1]} {resource.describe()} has {what}: "
                                            f"{events} destroys {STATEFUL[resource.type]}; set Retain (or Snapshot "
                                            "where the type supports it)",
                                  check="retention", cases=(d, r))
        protection = PROTECTABLE.get(resource.type)
        if protection:
            for (on,) in ctx.cases(resource, resource.get(protection), convert=as_bool):
                if not on.value:
                    yield ctx.finding(resource, f"{resource.describe()} has {on.cite(protection)}: anyone who can "
                                                "delete the stack or the instance can drop the database",
                                      severity="info", at=protection if resource.has(protection) else None,
                                      check="deletion-protection", cases=(on,))
