"""RDS001 rds-high-availability."""
from linter.model import as_bool, as_list, as_text, distinct_zones, rule, subnet_zone_values

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
DB_SUBNET_GROUP = "AWS::RDS::DBSubnetGroup"


@rule("RDS001", "rds-high-availability", severity="warning", tags=("reliability", "rds"), catalogue="R23")
def rds_high_availability(graph, ctx):
    """An RDS database needs a standby in another Availability Zone to survive an instance or zone failure.

    **What it checks.**

    - **warning** (`single-az`): an `AWS::RDS::DBInstance` that is not part of an Aurora cluster and not a
      read replica, with `MultiAZ` false (the RDS default when absent): there is no synchronous standby to
      fail over to.
    - **warning** (`single-instance-cluster`): an Aurora `AWS::RDS::DBCluster` with exactly one
      `DBInstance` in the template: a failover has to create a new instance, which takes minutes. Clusters
      with no instance in the template (instances managed elsewhere) and Aurora Serverless v1 are not
      judged.
    - **error** (`subnet-group-zones`): an `AWS::RDS::DBSubnetGroup` whose subnets are all in one
      Availability Zone; RDS requires subnets in at least two. Judged only when the template declares
      every subnet with its zone.

    Values from parameters without a value, imports or dynamic references are *not evaluated*. Read
    replicas are not a substitute: they replicate asynchronously and are not promoted automatically.

    **Why it matters.** A single-AZ instance is unavailable during a zone outage, a host failure and many
    maintenance events; Multi-AZ fails over in about a minute without changing the endpoint.

    **Example (fails).**

        OrdersDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: mysql
            DBInstanceClass: db.m6g.large
            AllocatedStorage: "100"
            MasterUsername: orders
            ManageMasterUserPassword: true

    **Fix.** Set `MultiAZ: true` (or, for Aurora, add a reader instance in another zone):

        OrdersDb:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: mysql
            DBInstanceClass: db.m6g.large
            AllocatedStorage: "100"
            MasterUsername: orders
            ManageMasterUserPassword: true
            MultiAZ: true

    See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html.
    """
    members = {}
    for instance in graph.of_type(DB_INSTANCE):
        if instance.has("DBClusterIdentifier"):
            for case in instance.get("DBClusterIdentifier"):
                cluster, _why = graph.follow(case)
                if cluster is not None:
                    members.setdefault(cluster.logical_id, {})[instance.logical_id] = instance
            continue
        if instance.has("SourceDBInstanceIdentifier"):
            continue   # a read replica: the source's availability is what matters
        values = (instance.get("MultiAZ"), instance.get("Engine", default=False))
        for multi_az, engine in ctx.cases(instance, *values, convert=(as_bool, as_text)):
            if not multi_az.value and not (engine.value or "").lower().startswith("aurora"):
                yield ctx.finding(instance, f"DB instance {instance.describe()} runs in one Availability Zone "
                                            f"({multi_az.cite('MultiAZ')}); an instance or zone failure takes it down "
                                            "with no standby to fail over to: set MultiAZ true",
                                  at="MultiAZ" if instance.has("MultiAZ") else None, check="single-az",
                                  cases=(multi_az, engine))
    for cluster in graph.of_type(DB_CLUSTER):
        found = list(members.get(cluster.logical_id, {}).values())
        if len(found) != 1:
            continue
        values = (cluster.get("Engine", default=False), cluster.get("EngineMode", default=False))
        for engine, mode in ctx.cases(cluster, *values, convert=(as_text, None)):
            if (engine.value or "").lower().startswith("aurora") and str(mode.value or "").lower() != "serverless":
                yield ctx.finding(cluster, f"Aurora cluster {cluster.describe()} has a single instance "
                                           f"({found[0].logical_id}); a failover must first create a new instance, "
                                           "which takes minutes: add a reader in another Availability Zone",
                                  related=found, check="single-instance-cluster", cases=(engine, mode))
    for group in graph.of_type(DB_SUBNET_GROUP):
        for (subnet_ids,) in ctx.cases(group, group.get("SubnetIds"), convert=as_list):
            subnets, zones, why = subnet_zone_values(graph, subnet_ids)
            if why:
                ctx.not_evaluated(group, why)
                continue
            for picked in ctx.cases(group, *zones):
                distinct, why = distinct_zones(picked)
                if why:
                    ctx.not_evaluated(group, why)
                    continue
                if len(distinct) < 2:
                    yield ctx.finding(group, f"DB subnet group {group.describe()} has its subnets "
                                             f"({', '.join(s.logical_id for s in subnets)}) in one Availability Zone "
                                             f"({', '.join(distinct) or 'none'}); RDS requires subnets in at least two",
                                      severity="error", at="SubnetIds", related=subnets, check="subnet-group-zones",
                                      cases=(subnet_ids, *picked))
