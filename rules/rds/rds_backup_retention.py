"""RDS002 rds-backup-retention."""
from linter.model import as_number, production, rule

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
MAX_DAYS = 35


@rule("RDS002", "rds-backup-retention", severity="warning", tags=("reliability", "data-loss", "rds"),
      catalogue="R24")
def rds_backup_retention(graph, ctx):
    """RDS databases need automated backups, and a read replica's source must keep them.

    **What it checks.** `BackupRetentionPeriod` of `AWS::RDS::DBInstance` and `AWS::RDS::DBCluster`, whose
    CloudFormation default is **1 day** (the console's 7 does not apply to templates):

    - **error** (`replica-source-backups`): 0 on an instance that another instance of the template
      replicates (`SourceDBInstanceIdentifier`): RDS creates read replicas only of sources with
      automated backups.
    - **error** (`range`): outside 0 to 35 days for an instance, 1 to 35 for a cluster.
    - **warning** (`no-backups`), in production: 0, which turns automated backups and point-in-time
      restore off. Production means a scenario whose environment parameter (`Env`, `Environment`,
      `Stage`, …) is production-like (`prod`, `production`, `prd`, `live`), or the template as written
      when it has no such parameter.
    - **info** (`one-day`): 1 day, usually by default: a problem noticed after a day cannot be undone.

    Instances of an Aurora cluster (`DBClusterIdentifier`) take the cluster's retention and are not
    judged; read replicas are judged only for the range. Values from parameters without a value,
    imports or dynamic references are *not evaluated*.

    **Why it matters.** Without automated backups there is no point-in-time restore after a bad migration
    or a deleted table, and a replica of such a source fails to create.

    **Example (fails).**

        CatalogueDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: mysql
            DBInstanceClass: db.m6g.large
            AllocatedStorage: "100"
            BackupRetentionPeriod: 0

        CatalogueReplica:
          Type: AWS::RDS::DBInstance
          Properties:
            SourceDBInstanceIdentifier: !Ref CatalogueDb
            DBInstanceClass: db.m6g.large

    **Fix.** Keep backups for as long as you may need to go back, e.g. `BackupRetentionPeriod: 14`.

    See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html.
    """
    in_production = production(graph)
    replicated = {}
    for instance in graph.of_type(DB_INSTANCE):
        if instance.has("SourceDBInstanceIdentifier"):
            for case in instance.get("SourceDBInstanceIdentifier"):
                source, _why = graph.follow(case)
                if source is not None and source.type == DB_INSTANCE:
                    replicated.setdefault(source.logical_id, []).append(instance)
    for database in graph.of_type(DB_INSTANCE, DB_CLUSTER):
        if database.type == DB_INSTANCE and database.has("DBClusterIdentifier"):
            continue
        replica = database.type == DB_INSTANCE and database.has("SourceDBInstanceIdentifier")
        replicas = replicated.get(database.logical_id, [])
        minimum = 1 if database.type == DB_CLUSTER else 0
        at = "BackupRetentionPeriod" if database.has("BackupRetentionPeriod") else None
        kind = "DB cluster" if database.type == DB_CLUSTER else "DB instance"
        for days, prod in ctx.cases(database, database.get("BackupRetentionPeriod"), in_production,
                                    convert=(as_number, None)):
            shown = days.cite("BackupRetentionPeriod", "days")
            if not minimum <= days.value <= MAX_DAYS:
                yield ctx.finding(database, f"{kind} {database.describe()} has {shown}; RDS accepts {minimum} to {MAX_DAYS}",
                                  severity="error", at=at, check="range", cases=(days,))
            elif replica:
                continue
            elif days.value == 0 and replicas:
                yield ctx.finding(database, f"DB instance {database.describe()} has {shown}, but "
                                            f"{', '.join(r.logical_id for r in replicas)} replicates it; read replicas "
                                            "need a source with automated backups", severity="error", at=at,
                                  related=replicas, check="replica-source-backups", cases=(days,))
            elif days.value == 0 and prod.value:
                yield ctx.finding(database, f"{kind} {database.describe()} has {shown} in production "
                                            f"({prod.origin or 'production scenario'}): no automated backups and no "
                                            "point-in-time restore", at=at, check="no-backups", cases=(days, prod))
            elif days.value == 1:
                yield ctx.finding(database, f"{kind} {database.describe()} keeps automated backups for {shown}; a mistake "
                                            "noticed after a day cannot be restored: keep 7 days or more",
                                  severity="info", at=at, check="one-day", cases=(days,))
