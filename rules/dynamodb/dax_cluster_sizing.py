"""DDB002 dax-cluster-sizing."""
from linter.model import as_bool, as_list, as_number, as_text, distinct_zones, production, rule, subnet_zone_values

DAX_CLUSTER = "AWS::DAX::Cluster"
DAX_SUBNET_GROUP = "AWS::DAX::SubnetGroup"


@rule("DDB002", "dax-cluster-sizing", severity="warning",
      options={"min_production_nodes": 3, "max_nodes": 11, "min_zones": 3},
      tags=("reliability", "security", "dax"), catalogue="R72")
def dax_cluster_sizing(graph, ctx):
    """A DAX cluster needs enough nodes, spread over enough zones, to survive a node or zone failure.

    **What it checks.** For each `AWS::DAX::Cluster`, in every scenario:

    - **error** (`node-range`): `ReplicationFactor` (the number of nodes: one primary plus read
      replicas) outside 1 to `max_nodes` (11) cannot be created.
    - **warning** (`production-nodes`), in production: fewer than `min_production_nodes` (3) nodes, the
      AWS recommendation for production clusters. Production means a scenario whose environment parameter
      (`Env`, `Environment`, `Stage`, …) is production-like (`prod`, `production`, `prd`, `live`), or the
      template as written when it has no such parameter.
    - **warning** (`subnet-zones`): the subnets of the cluster's `AWS::DAX::SubnetGroup` lie in fewer
      than `min_zones` (3) Availability Zones, so the nodes cannot be spread over three zones. Judged only
      when the template declares the subnet group and every subnet with its zone.
    - **info** (`encryption-at-rest`): `SSESpecification.SSEEnabled` is false (the DAX default).

    Values from parameters without a value, imports or dynamic references are *not evaluated*.

    **Why it matters.** A one- or two-node cluster loses its cache, or its only read capacity, when a node
    or a zone fails, and every read falls through to DynamoDB at once. Encryption at rest can only be
    chosen when the cluster is created.

    **Example (fails).**

        SessionCache:
          Type: AWS::DAX::Cluster
          Properties:
            NodeType: dax.r5.large
            ReplicationFactor: 1
            IAMRoleARN: !GetAtt DaxRole.Arn
            SubnetGroupName: !Ref DaxSubnets

    **Fix.** Run at least three nodes in a subnet group that spans three zones, encrypted:

        SessionCache:
          Type: AWS::DAX::Cluster
          Properties:
            NodeType: dax.r5.large
            ReplicationFactor: 3
            IAMRoleARN: !GetAtt DaxRole.Arn
            SubnetGroupName: !Ref DaxSubnets   # subnets in three Availability Zones
            SSESpecification: {SSEEnabled: true}

    See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DAX.concepts.cluster.html.
    """
    in_production = production(graph)
    for cluster in graph.of_type(DAX_CLUSTER):
        nodes = cluster.get("ReplicationFactor", default=False)
        for count, prod in ctx.cases(cluster, nodes, in_production, convert=(as_number, None)):
            if count.value is None:
                continue   # ReplicationFactor is required: CloudFormation rejects the template on its own
            if not 1 <= count.value <= ctx.options["max_nodes"]:
                yield ctx.finding(cluster, f"DAX cluster {cluster.describe()} has {count.cite('ReplicationFactor')}; "
                                           f"a cluster has 1 to {ctx.options['max_nodes']} nodes (a primary and up "
                                           "to 10 read replicas)", severity="error", at="ReplicationFactor",
                                  check="node-range", cases=(count,))
            elif prod.value and count.value < ctx.options["min_production_nodes"]:
                yield ctx.finding(cluster, f"DAX cluster {cluster.describe()} has {count.cite('ReplicationFactor')}, "
                                           f"in production ({prod.origin or 'production scenario'}); use at least "
                                           f"{ctx.options['min_production_nodes']} nodes in different zones so a node "
                                           "or zone failure does not empty the cache", at="ReplicationFactor",
                                  check="production-nodes", cases=(count, prod))
        yield from _subnet_zones(graph, ctx, cluster)
        for (enabled,) in ctx.cases(cluster, cluster.get("SSESpecification.SSEEnabled"), convert=as_bool):
            if not enabled.value:
                yield ctx.finding(cluster, f"DAX cluster {cluster.describe()} is not encrypted at rest "
                                           f"({enabled.show()}); it can only be turned on when the cluster is created",
                                  severity="info", check="encryption-at-rest", cases=(enabled,),
                                  at="SSESpecification" if cluster.has("SSESpecification") else None)


def _subnet_zones(graph, ctx, cluster):
    if not cluster.has("SubnetGroupName"):
        return
    minimum = ctx.options["min_zones"]
    for (name,) in ctx.cases(cluster, cluster.get("SubnetGroupName")):
        group, why = graph.follow(name, types=(DAX_SUBNET_GROUP,))
        if group is None or group.type != DAX_SUBNET_GROUP:
            ctx.not_evaluated(cluster, f"the subnet group {name.show()} cannot be followed: {why or 'not a DAX subnet group'}")
            continue
        for (subnet_ids,) in ctx.cases(cluster, group.get("SubnetIds"), convert=as_list):
            subnets, zones, why = subnet_zone_values(graph, subnet_ids)
            if why:
                ctx.not_evaluated(cluster, f"{group.describe()}: {why}")
                continue
            for picked in ctx.cases(cluster, *zones):
                distinct, why = distinct_zones(picked)
                if why:
                    ctx.not_evaluated(cluster, why)
                    continue
                if len(distinct) < minimum:
                    yield ctx.finding(cluster, f"the subnets of DAX subnet group {group.describe()} "
                                               f"({', '.join(s.logical_id for s in subnets)}) are in "
                                               f"{len(distinct)} Availability Zone(s) ({', '.join(distinct)}); spread "
                                               f"them over at least {minimum} zones", at="SubnetGroupName",
                                      related=[group, *subnets], check="subnet-zones",
                                      cases=(name, subnet_ids, *picked))
