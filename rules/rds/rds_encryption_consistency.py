"""RDS004 rds-encryption-consistency."""
from linter.model import as_bool, as_text, rule

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
REPLICATION_GROUP = "AWS::ElastiCache::ReplicationGroup"


@rule("RDS004", "rds-encryption-consistency", severity="warning", tags=("security", "rds", "elasticache"),
      catalogue="R59")
def rds_encryption(graph, ctx):
    """Databases should be encrypted at rest from the start, and a read replica cannot differ from its source.

    **What it checks.**

    - **warning** (`not-encrypted`): an `AWS::RDS::DBInstance` or `AWS::RDS::DBCluster` with
      `StorageEncrypted` false (the RDS default when absent). Instances of an Aurora cluster
      (`DBClusterIdentifier`) and read replicas (`SourceDBInstanceIdentifier`) take their encryption from
      the cluster or the source and are not judged here; Aurora Serverless v1 clusters are always
      encrypted. A database restored from a snapshot (`DBSnapshotIdentifier`, `SnapshotIdentifier`) is
      encrypted exactly when the snapshot is, which the template does not show: *not evaluated*.
    - **error** (`replica-encryption`): a read replica of an unencrypted instance of the same template
      that sets `StorageEncrypted: true` or a `KmsKeyId`: RDS cannot create an encrypted replica of an
      unencrypted source in the same Region.
    - **info** (`elasticache-encryption`): an `AWS::ElastiCache::ReplicationGroup` with
      `AtRestEncryptionEnabled` or `TransitEncryptionEnabled` false (the ElastiCache defaults).

    Values from parameters without a value, imports or dynamic references are *not evaluated*; a source
    named by a literal identifier or ARN (outside the template) is not judged.

    **Why it matters.** Encryption at rest is chosen when the database is created; turning it on later
    means a snapshot, an encrypted copy and a new instance, with downtime. A replica that asks for
    encryption its source does not have fails the deployment.

    **Example (fails).**

        OrdersDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: postgres
            DBInstanceClass: db.m6g.large
            AllocatedStorage: "100"
            ManageMasterUserPassword: true
            MasterUsername: orders

    **Fix.**

        OrdersDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: postgres
            DBInstanceClass: db.m6g.large
            AllocatedStorage: "100"
            ManageMasterUserPassword: true
            MasterUsername: orders
            StorageEncrypted: true
            KmsKeyId: !Ref DatabaseKey

    See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html.
    """
    for database in graph.of_type(DB_INSTANCE, DB_CLUSTER):
        yield from _storage(graph, ctx, database)
    for group in graph.of_type(REPLICATION_GROUP):
        for prop, what in (("AtRestEncryptionEnabled", "at rest"), ("TransitEncryptionEnabled", "in transit")):
            for (enabled,) in ctx.cases(group, group.get(prop), convert=as_bool):
                if not enabled.value:
                    yield ctx.finding(group, f"replication group {group.describe()} is not encrypted {what} "
                                             f"({enabled.cite(prop)})", severity="info",
                                      at=prop if group.has(prop) else None, check=f"elasticache-{prop}",
                                      cases=(enabled,))


def _storage(graph, ctx, database):
    if database.type == DB_INSTANCE and database.has("DBClusterIdentifier"):
        return   # an Aurora member: the cluster's StorageEncrypted applies
    if database.type == DB_INSTANCE and database.has("SourceDBInstanceIdentifier"):
        yield from _replica(graph, ctx, database)
        return
    snapshot_key = "DBSnapshotIdentifier" if database.type == DB_INSTANCE else "SnapshotIdentifier"
    values = (database.get("StorageEncrypted"), database.get(snapshot_key, default=False),
              database.get("EngineMode", default=False))
    for encrypted, snapshot, mode in ctx.cases(database, *values, convert=(as_bool, None, None)):
        if encrypted.value or str(mode.value or "").lower() == "serverless":
            continue
        if snapshot.value is not None:
            ctx.not_evaluated(database, f"it is restored from snapshot {snapshot.show()}, whose encryption decides "
                                        "the database's")
            continue
        kind = "DB cluster" if database.type == DB_CLUSTER else "DB instance"
        yield ctx.finding(database, f"{kind} {database.describe()} is not encrypted at rest "
                                    f"({encrypted.cite('StorageEncrypted')}); encryption can only be chosen at "
                                    "creation, so adding it later means restoring into a new database",
                          at="StorageEncrypted" if database.has("StorageEncrypted") else None,
                          check="not-encrypted", cases=(encrypted, snapshot, mode))


def _replica(graph, ctx, replica):
    wants = (replica.get("StorageEncrypted", default=False), replica.get("KmsKeyId", default=False))
    for (source_name,) in ctx.cases(replica, replica.get("SourceDBInstanceIdentifier")):
        source, _why = graph.follow(source_name, types=(DB_INSTANCE,))
        if source is None or source.type != DB_INSTANCE:
            continue   # a source outside the template (often another Region): its encryption is unknown here
        for asked, key, source_encrypted in ctx.cases(replica, *wants, source.get("StorageEncrypted"),
                                                      convert=(as_bool, None, as_bool)):
            if source_encrypted.value:
                continue
            if asked.value or key.value is not None:
                prop = "StorageEncrypted" if asked.value else "KmsKeyId"
                shown = asked.cite("StorageEncrypted") if asked.value else key.cite("KmsKeyId")
                yield ctx.finding(replica, f"read replica {replica.describe()} asks for encryption ({shown}) but its "
                                           f"source {source.describe()} is unencrypted "
                                           f"({source_encrypted.cite('StorageEncrypted')}); a same-Region replica "
                                           "cannot be encrypted differently from its source", severity="error",
                                  at=prop, related=[source], check="replica-encryption",
                                  cases=(source_name, asked, key, source_encrypted))
