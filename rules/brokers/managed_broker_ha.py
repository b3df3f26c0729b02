"""BRK001 managed-broker-ha."""
from linter.model import as_bool, as_list, as_number, as_text, production, rule, single_zone_scenario, subnets_of

MQ_BROKER = "AWS::AmazonMQ::Broker"
MSK_CLUSTER = "AWS::MSK::Cluster"
# Which engine each multi-AZ deployment mode exists for.
MODE_ENGINE = {"ACTIVE_STANDBY_MULTI_AZ": "ACTIVEMQ", "CLUSTER_MULTI_AZ": "RABBITMQ"}


@rule("BRK001", "managed-broker-ha", severity="warning", tags=("reliability", "security", "mq", "msk"),
      catalogue="R118")
def managed_broker_ha(graph, ctx):
    """Amazon MQ brokers and MSK clusters need a deployment mode and a network layout that survive a zone.

    **What it checks.** For `AWS::AmazonMQ::Broker`:

    - **warning**: `PubliclyAccessible: true`; the broker's endpoints get public addresses.
    - **warning**, in production: `DeploymentMode: SINGLE_INSTANCE`, one broker in one zone. Production
      means a scenario whose environment parameter (`Env`, `Environment`, `Stage`, …) is production-like
      (`prod`, `production`, `prd`, `live`), or the template as written when it has no such parameter.
    - **error**: `ACTIVE_STANDBY_MULTI_AZ` exists only for ActiveMQ and `CLUSTER_MULTI_AZ` only for
      RabbitMQ; an active/standby broker needs exactly two `SubnetIds`, in two different zones.

    For `AWS::MSK::Cluster`:

    - **error**: `NumberOfBrokerNodes` that is not a multiple of the number of
      `BrokerNodeGroupInfo.ClientSubnets` (MSK spreads brokers evenly over the zones).
    - **warning**: `EncryptionInfo.EncryptionInTransit.ClientBroker: PLAINTEXT` (the default is `TLS`).

    Values from parameters without a value, imports or dynamic references are *not evaluated*; subnet
    zones are judged only for subnets the template declares.

    **Why it matters.** A single-instance broker is down for every maintenance window and every zone
    outage, and its messages wait until it returns. Amazon MQ and MSK reject a deployment mode or a broker
    count that does not fit the engine or the subnets, so the stack fails to create. Plaintext between
    clients and brokers exposes every message on the network.

    **Example (fails).**

        OrdersBroker:
          Type: AWS::AmazonMQ::Broker
          Properties:
            EngineType: RABBITMQ
            DeploymentMode: ACTIVE_STANDBY_MULTI_AZ
            HostInstanceType: mq.m5.large
            PubliclyAccessible: false
            SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]

    **Fix.** Use the engine's multi-AZ mode (`CLUSTER_MULTI_AZ` for RabbitMQ, `ACTIVE_STANDBY_MULTI_AZ`
    with two subnets in different zones for ActiveMQ), keep brokers private, and give MSK a broker count
    that is a multiple of its client subnets:

        OrdersBroker:
          Type: AWS::AmazonMQ::Broker
          Properties:
            EngineType: RABBITMQ
            DeploymentMode: CLUSTER_MULTI_AZ
            HostInstanceType: mq.m5.large
            PubliclyAccessible: false
            SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB, !Ref PrivateSubnetC]

    See https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/amazon-mq-broker-architecture.html.
    """
    in_production = production(graph)
    for broker in graph.of_type(MQ_BROKER):
        yield from _mq_broker(graph, ctx, broker, in_production)
    for cluster in graph.of_type(MSK_CLUSTER):
        yield from _msk_cluster(ctx, cluster)


def _mq_broker(graph, ctx, broker, in_production):
    for (public,) in ctx.cases(broker, broker.get("PubliclyAccessible"), convert=as_bool):
        if public.value:
            yield ctx.finding(broker, f"broker {broker.describe()} is publicly accessible ({public.show()}); keep it "
                                      "in private subnets and reach it through the VPC", at="PubliclyAccessible",
                              check="public", cases=(public,))
    for mode, engine, prod in ctx.cases(broker, broker.get("DeploymentMode"), broker.get("EngineType"),
                                        in_production, convert=(as_text, as_text, None)):
        deployment, engine_type = (mode.value or "").upper(), (engine.value or "").upper()
        if deployment == "SINGLE_INSTANCE" and prod.value:
            yield ctx.finding(broker, f"broker {broker.describe()} runs as a single instance ({mode.show()}) in "
                                      f"production ({prod.origin or 'production scenario'}); a zone outage or a "
                                      "maintenance window stops it: use "
                                      f"{'CLUSTER_MULTI_AZ' if engine_type == 'RABBITMQ' else 'ACTIVE_STANDBY_MULTI_AZ'}",
                              at="DeploymentMode", check="single-instance", cases=(mode, engine, prod))
        needed = MODE_ENGINE.get(deployment)
        if needed and engine_type != needed:
            yield ctx.finding(broker, f"broker {broker.describe()} uses deployment mode {mode.show()} with engine "
                                      f"{engine.show()}; that mode exists only for {needed}, so the broker cannot be "
                                      "created", severity="error", at="DeploymentMode", check="mode-engine",
                              cases=(mode, engine))
        if deployment == "ACTIVE_STANDBY_MULTI_AZ" and engine_type == "ACTIVEMQ" and broker.has("SubnetIds"):
            yield from _standby_subnets(graph, ctx, broker, mode)


def _standby_subnets(graph, ctx, broker, mode):
    for (subnet_ids,) in ctx.cases(broker, broker.get("SubnetIds"), convert=as_list):
        if subnet_ids.value is None:
            continue   # AWS::NoValue in this scenario
        count = len(subnet_ids.value)
        if count != 2:
            yield ctx.finding(broker, f"active/standby broker {broker.describe()} has {count} SubnetIds "
                                      f"({subnet_ids.origin or 'as written'}); it needs exactly two, in different "
                                      "Availability Zones", severity="error", at="SubnetIds", check="standby-subnets",
                              cases=(mode, subnet_ids))
            continue
        members = subnets_of(graph, subnet_ids)
        subnets = [m.resource for m in members if m.resource is not None]
        if len(subnets) != count:
            continue   # a subnet the template does not describe: its zone is unknown
        found = single_zone_scenario(subnets, within=(mode, subnet_ids))
        if found is not None:
            zone, cases = found
            yield ctx.finding(broker, f"the two subnets of active/standby broker {broker.describe()} "
                                      f"({', '.join(s.logical_id for s in subnets)}) are in the same Availability "
                                      "Zone; the standby must sit in another zone", severity="error", at="SubnetIds",
                              related=subnets, check="standby-subnets", cases=cases)


def _msk_cluster(ctx, cluster):
    brokers = cluster.get("NumberOfBrokerNodes")
    subnets = cluster.get("BrokerNodeGroupInfo.ClientSubnets")
    for count, client_subnets in ctx.cases(cluster, brokers, subnets, convert=(as_number, as_list)):
        if count.value is None or client_subnets.value is None:
            continue   # not set in this scenario: MSK rejects the template for another reason
        zones = len(client_subnets.value)
        if zones and count.value % zones:
            yield ctx.finding(cluster, f"MSK cluster {cluster.describe()} has {count.cite('NumberOfBrokerNodes')} for "
                                       f"{zones} client subnets; the broker count must be a multiple of the number "
                                       "of subnets", severity="error", at="NumberOfBrokerNodes", check="broker-count",
                              cases=(count, client_subnets))
    transit = cluster.get("EncryptionInfo.EncryptionInTransit.ClientBroker", default=False)
    for (setting,) in ctx.cases(cluster, transit, convert=as_text):
        if (setting.value or "").upper() == "PLAINTEXT":
            yield ctx.finding(cluster, f"MSK cluster {cluster.describe()} lets clients talk to brokers in plaintext "
                                       f"({setting.show()}); use TLS", at="EncryptionInfo.EncryptionInTransit.ClientBroker",
                              check="plaintext", cases=(setting,))
