"""ECH001 elasticache-ha-and-engine-features."""
from linter.model import as_bool, as_list, as_number, as_text, production, rule

CACHE_CLUSTER = "AWS::ElastiCache::CacheCluster"
REPLICATION_GROUP = "AWS::ElastiCache::ReplicationGroup"
PERSISTENT_ENGINES = ("redis", "valkey")


@rule("ECH001", "elasticache-ha-and-engine-features", severity="warning",
      tags=("reliability", "elasticache"), catalogue="R71")
def elasticache_ha(graph, ctx):
    """ElastiCache settings must match what the engine can do, and production caches need failover.

    **What it checks.**

    - **error** (`memcached-backup`): an `AWS::ElastiCache::CacheCluster` with engine `memcached` that
      sets `SnapshotRetentionLimit` above 0, `SnapshotArns` or `SnapshotName`: Memcached keeps nothing on
      disk and has no backup or restore.
    - **error** (`failover-config`): an `AWS::ElastiCache::ReplicationGroup` with `MultiAZEnabled: true`
      but automatic failover off (`AutomaticFailoverEnabled` false, the ElastiCache default), or with
      automatic failover on and a single node per shard (`NumCacheClusters` 1, or `ReplicasPerNodeGroup`
      0): ElastiCache rejects both.
    - **warning**, in production: a Redis or Valkey `CacheCluster` (always a single node; `single-node`),
      or a replication group without automatic failover (`no-failover`). Production means a scenario
      whose environment parameter (`Env`, `Environment`, `Stage`, …) is production-like (`prod`,
      `production`, `prd`, `live`), or the template as written when it has no such parameter.
    - **info** (`no-snapshots`): a Redis or Valkey cache with `SnapshotRetentionLimit` 0 (the default):
      no automatic backups.
    - **info** (`memcached-single-az`): a Memcached cluster with several nodes in `AZMode: single-az`
      (the default): one zone outage takes every node.

    Values from parameters without a value, imports or dynamic references are *not evaluated*.

    **Why it matters.** Snapshot settings on Memcached and inconsistent failover settings make the stack
    fail to create. A single Redis node loses its data and stops serving on a node or zone failure, and
    without failover a replication group waits for a human to promote a replica.

    **Example (fails).**

        SessionStore:
          Type: AWS::ElastiCache::ReplicationGroup
          Properties:
            ReplicationGroupDescription: sessions
            Engine: redis
            CacheNodeType: cache.r6g.large
            NumCacheClusters: 1
            MultiAZEnabled: true

    **Fix.** Give each shard a replica and turn on automatic failover with Multi-AZ:

        SessionStore:
          Type: AWS::ElastiCache::ReplicationGroup
          Properties:
            ReplicationGroupDescription: sessions
            Engine: redis
            CacheNodeType: cache.r6g.large
            NumCacheClusters: 2
            AutomaticFailoverEnabled: true
            MultiAZEnabled: true
            SnapshotRetentionLimit: 7

    See https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html.
    """
    in_production = production(graph)
    for cluster in graph.of_type(CACHE_CLUSTER):
        yield from _cache_cluster(ctx, cluster, in_production)
    for group in graph.of_type(REPLICATION_GROUP):
        yield from _replication_group(ctx, group, in_production)


def _cache_cluster(ctx, cluster, in_production):
    engine = cluster.get("Engine", default=False)
    for (name,) in ctx.cases(cluster, engine, convert=as_text):
        kind = (name.value or "").lower()
        if kind == "memcached":
            yield from _memcached(ctx, cluster, name)
        elif kind in PERSISTENT_ENGINES:
            for (prod,) in ctx.cases(cluster, in_production):
                if prod.value:
                    yield ctx.finding(cluster, f"{name.value} cache cluster {cluster.describe()} is a single node in "
                                               f"production ({prod.origin or 'production scenario'}); a node or zone "
                                               "failure loses its data: use a ReplicationGroup with a replica and "
                                               "automatic failover", at="Engine", check="single-node",
                                      cases=(name, prod))
            yield from _no_snapshots(ctx, cluster, name)


def _memcached(ctx, cluster, engine):
    settings = (cluster.get("SnapshotRetentionLimit", default=False), cluster.get("SnapshotArns", default=False),
                cluster.get("SnapshotName", default=False))
    for retention, arns, snapshot in ctx.cases(cluster, *settings, convert=(as_number, as_list, None)):
        used = [("SnapshotRetentionLimit", retention) if (retention.value or 0) > 0 else None,
                ("SnapshotArns", arns) if arns.value else None,
                ("SnapshotName", snapshot) if snapshot.value is not None else None]
        used = [u for u in used if u]
        if used:
            prop, case = used[0]
            yield ctx.finding(cluster, f"memcached cluster {cluster.describe()} sets {case.cite(prop)}; "
                                       "Memcached has no persistence, backup or restore, so ElastiCache rejects it: "
                                       "remove it or use Redis/Valkey", severity="error", at=prop,
                              check="memcached-backup", cases=(engine, retention, arns, snapshot))
    nodes, mode = cluster.get("NumCacheNodes", default=False), cluster.get("AZMode")
    for count, az_mode in ctx.cases(cluster, nodes, mode, convert=(as_number, as_text)):
        if (count.value or 0) > 1 and (az_mode.value or "").lower() == "single-az":
            yield ctx.finding(cluster, f"memcached cluster {cluster.describe()} has {count.cite('NumCacheNodes')} all "
                                       f"in one zone (AZMode {az_mode.show()}); use cross-az so a zone outage keeps "
                                       "part of the cache", severity="info",
                              at="AZMode" if cluster.has("AZMode") else "NumCacheNodes",
                              check="memcached-single-az", cases=(count, az_mode))


def _no_snapshots(ctx, resource, engine):
    for (retention,) in ctx.cases(resource, resource.get("SnapshotRetentionLimit"), convert=as_number):
        if retention.value == 0:
            yield ctx.finding(resource, f"{engine.value} cache {resource.describe()} keeps no automatic backups "
                                        f"({retention.cite('SnapshotRetentionLimit')}); set a retention of a few days",
                              severity="info", check="no-snapshots", cases=(engine, retention),
                              at="SnapshotRetentionLimit" if resource.has("SnapshotRetentionLimit") else None)


def _replication_group(ctx, group, in_production):
    engine = group.get("Engine")
    values = (engine, group.get("AutomaticFailoverEnabled"), group.get("MultiAZEnabled"),
              group.get("NumCacheClusters", default=False), group.get("ReplicasPerNodeGroup", default=False),
              in_production)
    for name, failover, multi_az, clusters, replicas, prod in ctx.cases(
            group, *values, convert=(as_text, as_bool, as_bool, as_number, as_number, None)):
        if multi_az.value and not failover.value:
            yield ctx.finding(group, f"replication group {group.describe()} enables Multi-AZ "
                                     f"({multi_az.cite('MultiAZEnabled')}) without automatic failover "
                                     f"({failover.cite('AutomaticFailoverEnabled')}); "
                                     "ElastiCache requires failover for Multi-AZ", severity="error",
                              at="MultiAZEnabled", check="failover-config", cases=(multi_az, failover))
        elif failover.value:
            per_shard = clusters.value if clusters.value is not None else \
                (replicas.value + 1 if replicas.value is not None else None)
            if per_shard is not None and per_shard < 2:
                source = clusters if clusters.value is not None else replicas
                prop = "NumCacheClusters" if clusters.value is not None else "ReplicasPerNodeGroup"
                yield ctx.finding(group, f"replication group {group.describe()} enables automatic failover but has "
                                         f"{source.cite(prop)}: one node per shard leaves nothing to fail over to; "
                                         "add a replica", severity="error", at=prop, check="failover-config",
                                  cases=(failover, source))
        if not failover.value and prod.value:
            yield ctx.finding(group, f"replication group {group.describe()} has no automatic failover "
                                     f"({failover.cite('AutomaticFailoverEnabled')}) in production ({prod.origin or 'production scenario'}); "
                                     "a primary failure stops writes until someone promotes a replica",
                              at="AutomaticFailoverEnabled" if group.has("AutomaticFailoverEnabled") else None,
                              check="no-failover", cases=(failover, prod))
    for (name,) in ctx.cases(group, engine, convert=as_text):
        if (name.value or "").lower() in PERSISTENT_ENGINES:
            yield from _no_snapshots(ctx, group, name)

