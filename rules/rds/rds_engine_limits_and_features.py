"""RDS005 rds-engine-limits-and-features."""
from linter.model import as_bool, as_number, as_text, rule

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
# Engines (by name prefix) that support IAM database authentication.
IAM_AUTH_ENGINES = ("mysql", "mariadb", "postgres", "aurora")
# Read replicas one source instance may have, by engine name prefix.
REPLICA_LIMITS = (("mysql", 15), ("mariadb", 15), ("postgres", 15), ("oracle", 5), ("sqlserver", 5))
MAX_AURORA_READERS = 15


@rule("RDS005", "rds-engine-limits-and-features", severity="error", tags=("correctness", "deploy", "rds"),
      catalogue="R104")
def rds_engine_limits(graph, ctx):
    """RDS settings must stay within what the database engine supports.

    **What it checks.**

    - **error** (`replica-count`): more read replicas of one source instance of the template
      (`SourceDBInstanceIdentifier`) than its engine allows: 15 for MySQL, MariaDB and PostgreSQL, 5 for
      Oracle and SQL Server. Replicas that exist only under a condition are counted as if present.
    - **error** (`aurora-readers`): an Aurora cluster with more than 15 reader instances (instances
      naming it in `DBClusterIdentifier`, less the writer).
    - **error** (`iam-auth-engine`): `EnableIAMDatabaseAuthentication: true` on an engine other than
      MySQL, MariaDB, PostgreSQL or Aurora MySQL/PostgreSQL.
    - **error** (`max-storage`): `MaxAllocatedStorage` not above `AllocatedStorage`: storage
      autoscaling needs room to grow.
    - **info** (`storage-autoscaling`): a non-Aurora instance with `AllocatedStorage` and no
      `MaxAllocatedStorage`: storage does not grow on its own, and a full volume stops writes.

    Values from parameters without a value, imports or dynamic references are *not evaluated*. The
    parameter-group settings that force TLS (`rds.force_ssl`, `require_secure_transport`) and literal
    master passwords are not judged by this rule.

    **Why it matters.** RDS rejects a replica beyond the engine's limit, IAM authentication on an engine
    without it and an autoscaling ceiling below the storage, so the stack fails to deploy. A database
    without storage autoscaling fails its writes when the volume fills.

    **Example (fails).**

        LegacyDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: sqlserver-se
            LicenseModel: license-included
            DBInstanceClass: db.m6i.xlarge
            AllocatedStorage: "200"
            MaxAllocatedStorage: 200
            EnableIAMDatabaseAuthentication: true

    **Fix.** Use IAM authentication only where the engine supports it, and leave autoscaling room:

        LegacyDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: sqlserver-se
            LicenseModel: license-included
            DBInstanceClass: db.m6i.xlarge
            AllocatedStorage: "200"
            MaxAllocatedStorage: 1000

    See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html.
    """
    instances = graph.of_type(DB_INSTANCE)
    replicas, members = {}, {}
    for instance in instances:
        yield from _iam_auth(ctx, instance)
        yield from _storage(ctx, instance)
        for key, index in (("SourceDBInstanceIdentifier", replicas), ("DBClusterIdentifier", members)):
            if instance.has(key):
                for case in instance.get(key):
                    target, _why = graph.follow(case)
                    if target is not None:
                        index.setdefault(target.logical_id, {})[instance.logical_id] = instance
    for cluster in graph.of_type(DB_CLUSTER):
        yield from _iam_auth(ctx, cluster)
        readers = len(members.get(cluster.logical_id, {})) - 1
        if readers > MAX_AURORA_READERS:
            yield ctx.finding(cluster, f"DB cluster {cluster.describe()} has {readers} reader instances besides its "
                                       f"writer; Aurora allows at most {MAX_AURORA_READERS}",
                              related=list(members[cluster.logical_id].values()), check="aurora-readers")
    for source in instances:
        found = replicas.get(source.logical_id)
        if found:
            yield from _replica_count(ctx, source, list(found.values()))


def _iam_auth(ctx, database):
    if not database.has("EnableIAMDatabaseAuthentication"):
        return
    values = (database.get("EnableIAMDatabaseAuthentication"), database.get("Engine", default=False))
    for enabled, engine in ctx.cases(database, *values, convert=(as_bool, as_text)):
        name = (engine.value or "").lower()
        if enabled.value and name and not name.startswith(IAM_AUTH_ENGINES):
            yield ctx.finding(database, f"{database.describe()} enables IAM database authentication "
                                        f"({enabled.cite('EnableIAMDatabaseAuthentication')}) on engine {engine.show()}, "
                                        "which supports it only for MySQL, MariaDB and PostgreSQL (and Aurora)",
                              at="EnableIAMDatabaseAuthentication", check="iam-auth-engine", cases=(enabled, engine))


def _storage(ctx, instance):
    if instance.has("DBClusterIdentifier") or not instance.has("AllocatedStorage"):
        return   # Aurora storage grows by itself; replicas and restores size from their source
    values = (instance.get("AllocatedStorage"), instance.get("MaxAllocatedStorage", default=False),
              instance.get("Engine", default=False))
    for allocated, maximum, engine in ctx.cases(instance, *values, convert=(as_number, as_number, as_text)):
        if (engine.value or "").lower().startswith("aurora"):
            continue
        if maximum.value is None:
            yield ctx.finding(instance, f"DB instance {instance.describe()} has {allocated.cite('AllocatedStorage', 'GiB')} "
                                        "and no MaxAllocatedStorage, so storage does not grow when it fills; set "
                                        "MaxAllocatedStorage to turn on storage autoscaling", severity="info",
                              at="AllocatedStorage", check="storage-autoscaling", cases=(allocated, maximum))
        elif maximum.value <= allocated.value:
            yield ctx.finding(instance, f"DB instance {instance.describe()} has {maximum.cite('MaxAllocatedStorage', 'GiB')}, "
                                        f"not above {allocated.cite('AllocatedStorage', 'GiB')}; the autoscaling "
                                        "ceiling must be greater than the allocated storage", at="MaxAllocatedStorage",
                              check="max-storage", cases=(allocated, maximum))


def _replica_count(ctx, source, replicas):
    for (engine,) in ctx.cases(source, source.get("Engine", default=False), convert=as_text):
        name = (engine.value or "").lower()
        limit = next((n for prefix, n in REPLICA_LIMITS if name.startswith(prefix)), None)
        if limit is not None and len(replicas) > limit:
            yield ctx.finding(source, f"DB instance {source.describe()} ({engine.show()}) has {len(replicas)} read "
                                      f"replicas in this template ({', '.join(r.logical_id for r in replicas)}); the "
                                      f"engine allows at most {limit}", related=replicas, check="replica-count",
                              cases=(engine,))
