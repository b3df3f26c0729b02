"""VPC002 private-data-store-reachability."""
from linter.model import (DATA_STORES, FUNCTION_TYPES, attribute_references, rule, store_is_private, store_subnets,
                          subnets_of, vpc_of)


@rule("VPC002", "private-data-store-reachability", severity="error", tags=("reliability", "networking", "lambda"),
      catalogue="R13")
def private_data_store_reachability(graph, ctx):
    """A Lambda function that uses a database or cache reachable only inside a VPC must run in that VPC.

    **What it checks.** For every Lambda function whose properties (environment variables, `Fn::Sub`
    strings) name an attribute of a data store of the template (`!GetAtt Db.Endpoint.Address`,
    `${Cache.RedisEndpoint.Address}`, …): RDS instances and clusters, ElastiCache clusters, replication
    groups and serverless caches, MemoryDB, DAX, DocumentDB, Neptune and Redshift clusters.

    When the store can be reached only inside its VPC — caches, DAX, DocumentDB and Neptune always;
    RDS and Redshift when `PubliclyAccessible` is false, or unset while all its subnets are private
    or isolated — it is an **error** if the function has no `VpcConfig` (on the resource or in
    `Globals.Function`), or if its subnets are in another VPC of the template than the store's.

    Stores without a subnet group (default VPC), subnets the template does not describe and
    `PubliclyAccessible` values from parameters without values are *not evaluated*. Security groups are
    checked by SG001.

    **Why it matters.** A function without `VpcConfig` runs outside every VPC: it cannot open a
    connection to a private database, so each invocation waits until its timeout.

    **Example (fails).**

        Api:
          Type: AWS::Serverless::Function
          Properties:
            Environment:
              Variables:
                DB_HOST: !GetAtt OrdersDb.Endpoint.Address     # no VpcConfig

    **Fix.** Give the function a `VpcConfig` with subnets of the store's VPC (private subnets with a NAT
    route if it also calls the internet) and a security group the store admits.
    """
    for fn in graph.of_type(*FUNCTION_TYPES):
        seen = set()
        for store, attribute, path in attribute_references(fn, DATA_STORES):
            if store.logical_id in seen:
                continue
            seen.add(store.logical_id)
            verdict = store_is_private(graph, store)
            if verdict.unknown:
                ctx.not_evaluated(fn, f"whether {store.describe()} is reachable from outside its VPC is unknown: "
                                      f"{verdict.reason}")
                continue
            if verdict.no:
                continue
            yield from _judge(graph, ctx, fn, store, attribute, path, verdict)


def _judge(graph, ctx, fn, store, attribute, path, verdict):
    use = f"{store.describe()}.{attribute}"
    for (subnets,) in ctx.cases(fn, fn.get("VpcConfig.SubnetIds", default=False)):
        if not subnets.value:
            yield ctx.finding(fn, f"function {fn.describe()} uses {use} (in {path}), but has no VpcConfig; "
                                  f"{verdict.reason}, so every connection times out: attach the function to the "
                                  "store's VPC", at=path, check="no-vpc", related=[store], cases=(subnets,))
            continue
        store_members, reason = store_subnets(graph, store)
        mine = [m.resource for m in subnets_of(graph, subnets)]
        theirs = [m.resource for m in store_members or ()]
        if store_members is None or None in mine or None in theirs or not mine or not theirs:
            continue  # the VPCs cannot be compared; nothing is claimed
        my_vpcs = {vpc_of(graph, s)[0] for s in mine}
        their_vpcs = {vpc_of(graph, s)[0] for s in theirs}
        if None in my_vpcs or None in their_vpcs or len(my_vpcs) != 1 or len(their_vpcs) != 1:
            continue
        if my_vpcs != their_vpcs:
            mine_vpc, their_vpc = next(iter(my_vpcs)), next(iter(their_vpcs))
            yield ctx.finding(fn, f"function {fn.describe()} uses {use} (in {path}), but runs in VPC "
                                  f"{mine_vpc.describe()} while the store is in VPC {their_vpc.describe()}; "
                                  f"{verdict.reason}, so connections time out: use subnets of "
                                  f"{their_vpc.describe()}", at="VpcConfig.SubnetIds", check="other-vpc",
                              related=[store, their_vpc], cases=(subnets,))
