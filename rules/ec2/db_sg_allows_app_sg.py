"""SG001 db-sg-allows-app-sg."""
from linter.model import (DATA_STORES, FUNCTION_TYPES, any_of, as_number, attribute_references, egress_allows,
                          follow_one, ingress_allows, rule, security_groups_of, store_port)


@rule("SG001", "db-sg-allows-app-sg", severity="warning", tags=("reliability", "networking", "ec2"),
      catalogue="R14")
def db_sg_allows_app_sg(graph, ctx):
    """The security groups of a database or cache must admit its port from the functions that use it.

    **What it checks.** For every Lambda function in a VPC whose properties name an attribute of a data
    store of the template (`!GetAtt Db.Endpoint.Address`, `${Cache.RedisEndpoint.Address}` …; the same
    stores as VPC002), with the store's port (its `Port`, else the engine's default: 3306 MySQL and
    Aurora MySQL, 5432 PostgreSQL, 1433, 1521, 6379 Redis, 11211 Memcached, 8111 DAX, 27017, 8182,
    5439):

    - no security group of the store admits that port from one of the function's security groups
      (`SourceSecurityGroupId`, inline or `AWS::EC2::SecurityGroupIngress`, or `0.0.0.0/0`): warning;
    - the function's security groups allow no egress on that port (absent egress rules allow all):
      warning.

    A store or function whose security groups the template does not hold, a store without security
    groups (it uses the VPC's default group), a port or rule from a parameter without a value, and a
    CIDR rule that may or may not hold the function's addresses are *not evaluated*.

    **Why it matters.** Security groups drop what they do not admit, silently: the function's
    connection attempts time out and the invocation fails after its full timeout, with no error that
    names the cause.

    **Example (fails).**

        DbSG:
          Type: AWS::EC2::SecurityGroup
          Properties:
            GroupDescription: database
            SecurityGroupIngress:
              - {IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: !Ref BastionSG}
        # the function's ApiSG is not admitted

    **Fix.** Admit the port from the function's security group:

        DbFromApi:
          Type: AWS::EC2::SecurityGroupIngress
          Properties: {GroupId: !Ref DbSG, IpProtocol: tcp, FromPort: 3306, ToPort: 3306,
                       SourceSecurityGroupId: !Ref ApiSG}
    """
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("VpcConfig"):
            continue
        seen = set()
        for store, attribute, path in attribute_references(fn, DATA_STORES):
            if store.logical_id in seen:
                continue
            seen.add(store.logical_id)
            yield from _judge(graph, ctx, fn, store, attribute)


def _store_groups(graph, store):
    key = DATA_STORES[store.type][3]
    holder = store
    if store.type == "AWS::RDS::DBInstance" and not store.has(key) and store.has("DBClusterIdentifier"):
        cluster, _ = follow_one(graph, store, "DBClusterIdentifier")
        holder = cluster if cluster is not None else store
        key = DATA_STORES.get(holder.type, (None,) * 4)[3] or key
    return holder, key


def _judge(graph, ctx, fn, store, attribute):
    holder, key = _store_groups(graph, store)
    if not holder.has(key):
        ctx.not_evaluated(fn, f"{holder.describe()} sets no {key}, so it uses its VPC's default security group, "
                              "which the template does not show")
        return
    for port, mine, theirs in ctx.cases(fn, store_port(store), fn.get("VpcConfig.SecurityGroupIds", default=False),
                                        holder.get(key), convert=(as_number, None, None)):
        if not mine.value:
            continue  # no security groups: VPC001 reports the incomplete VpcConfig
        app = security_groups_of(graph, mine)
        data = security_groups_of(graph, theirs)
        missing = next((m.reason for m in app + data if m.resource is None), None)
        if missing:
            ctx.not_evaluated(fn, missing)
            continue
        app_groups, data_groups = [m.resource for m in app], [m.resource for m in data]
        if not app_groups or not data_groups:
            continue
        names = ", ".join(g.logical_id for g in app_groups)
        inbound = any_of(ingress_allows(graph, d, port=port.value, source_group=s)
                         for d in data_groups for s in app_groups)
        if inbound.unknown:
            ctx.not_evaluated(fn, inbound.reason)
        elif inbound.no:
            yield ctx.finding(fn, f"function {fn.describe()} connects to {store.describe()}.{attribute} on port "
                                  f"{port.show()}, but no security group of the store "
                                  f"({', '.join(g.logical_id for g in data_groups)}) admits that port from the "
                                  f"function's groups ({names}); connections time out: admit TCP {port.value} from "
                                  f"{app_groups[0].logical_id}", at="VpcConfig.SecurityGroupIds", check="ingress",
                              related=[store] + data_groups, cases=(port, mine, theirs))
        outbound = any_of(egress_allows(graph, g, port=port.value) for g in app_groups)
        if outbound.unknown:
            ctx.not_evaluated(fn, outbound.reason)
        elif outbound.no:
            yield ctx.finding(fn, f"the security groups of function {fn.describe()} ({names}) allow no TCP "
                                  f"{port.value} out, the port of {store.describe()} ({port.show()}); connections "
                                  "time out: allow that egress", at="VpcConfig.SecurityGroupIds", check="egress",
                              related=[store] + app_groups, cases=(port, mine))
