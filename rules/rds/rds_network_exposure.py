"""RDS003 rds-network-exposure."""
from linter.model import (DATA_STORES, PUBLIC, INGRESS, as_bool, is_world, rule, rule_field, security_group_rules,
                          security_groups_of, store_subnets, subnet_class)

PUBLIC_CAPABLE = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::Redshift::Cluster")


@rule("RDS003", "rds-network-exposure", severity="warning", tags=("security", "networking", "rds"),
      catalogue="R58")
def rds_network_exposure(graph, ctx):
    """Databases and caches belong in private subnets, without public addresses or security group rules
    open to the internet.

    **What it checks.** For RDS instances and clusters, Redshift clusters, ElastiCache, MemoryDB, DAX,
    DocumentDB and Neptune (all warnings):

    - `PubliclyAccessible: true` (RDS, Redshift) (`public-flag`);
    - an RDS instance or cluster without `DBSubnetGroupName`: it is created in the default VPC, whose
      subnets are public (`default-vpc`); an instance of an Aurora cluster inherits the cluster's group;
    - a subnet group with a **public** subnet (default route to an internet gateway) (`public-subnet`);
    - a security group of the store with an ingress rule from `0.0.0.0/0` or `::/0` (`world-ingress`).

    Subnets whose route tables the template does not describe, and values from parameters without
    values, are *not evaluated*.

    **Why it matters.** A database with a public address in a public subnet can be reached from the
    internet; only its security group and password stand in the way. Private subnets and security
    groups that admit the application's group keep it out of reach.

    **Example (fails).**

        Db:
          Type: AWS::RDS::DBInstance
          Properties:
            Engine: mysql
            PubliclyAccessible: true
            DBSubnetGroupName: !Ref PublicSubnets

    **Fix.** Set `PubliclyAccessible: false`, give the store a subnet group of private subnets, and admit
    its port only from the application's security group; reach it from outside through a bastion or
    SSM port forwarding.
    """
    for store in graph.of_type(*DATA_STORES):
        if store.type in PUBLIC_CAPABLE:
            for (flag,) in ctx.cases(store, store.get("PubliclyAccessible", default=False), convert=as_bool):
                if flag.value is True:
                    yield ctx.finding(store, f"{store.describe()} has {flag.cite('PubliclyAccessible')}; it gets a "
                                             "public address: set it to false and reach it through the VPC",
                                      at="PubliclyAccessible", check="public-flag", cases=(flag,))
        yield from _judge_subnets(graph, ctx, store)
        yield from _judge_groups(graph, ctx, store)


def _judge_subnets(graph, ctx, store):
    group_key = DATA_STORES[store.type][0]
    if store.type.startswith("AWS::RDS::") and not store.has(group_key):
        if store.type == "AWS::RDS::DBInstance" and store.has("DBClusterIdentifier"):
            return  # an Aurora instance lives in its cluster's subnet group
        yield ctx.finding(store, f"{store.describe()} sets no {group_key}, so it is created in the account's "
                                 "default VPC, whose subnets are public: give it a subnet group of private subnets",
                          check="default-vpc")
        return
    members, reason = store_subnets(graph, store)
    if members is None:
        return
    if any(m.resource is None for m in members):
        ctx.not_evaluated(store, next(m.reason for m in members if m.resource is None))
        return
    classes = [subnet_class(graph, m.resource) for m in members]
    public = [c for c in classes if c.kind == PUBLIC]
    if public:
        yield ctx.finding(store, f"the subnets of {store.describe()} include public ones "
                                 f"({', '.join(f'{c.subnet.logical_id}: {c.reason}' for c in public)}); a data store "
                                 "belongs in private subnets", at=group_key, check="public-subnet",
                          related=[c.subnet for c in public])
    elif any(not c.settled for c in classes):
        ctx.not_evaluated(store, next(c.reason for c in classes if not c.settled))


def _judge_groups(graph, ctx, store):
    key = DATA_STORES[store.type][3]
    if not store.has(key):
        return
    for case in store.get(key):
        for member in security_groups_of(graph, case):
            if member.resource is None:
                continue
            for sg_rule in security_group_rules(graph, member.resource, direction=INGRESS):
                if not (sg_rule.has("CidrIp") or sg_rule.has("CidrIpv6")):
                    continue
                for cidr, cidr6 in ctx.cases(sg_rule.holder, sg_rule.get("CidrIp"), sg_rule.get("CidrIpv6"),
                                             convert=rule_field):
                    world = cidr if is_world(cidr.value) else cidr6 if is_world(cidr6.value) else None
                    if world is not None:
                        yield ctx.finding(store, f"security group {member.resource.describe()} of {store.describe()} "
                                                 f"admits traffic from {world.show()} ({sg_rule.describe()}); admit "
                                                 "only the application's security group", at=key,
                                          check="world-ingress", related=[member.resource], cases=(world,))
