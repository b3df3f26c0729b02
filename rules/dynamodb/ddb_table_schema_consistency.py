"""DDB004 ddb-table-schema-consistency."""
from linter.model import as_list, as_text, fully_resolved, rule

TABLE = "AWS::DynamoDB::Table"


@rule("DDB004", "ddb-table-schema-consistency", severity="error",
      options={"max_local_indexes": 5, "max_global_indexes": 20},
      tags=("correctness", "deploy", "dynamodb"), catalogue="R74")
def table_schema_consistency(graph, ctx):
    """A DynamoDB table's attribute definitions, keys, indexes and capacity settings must fit together.

    **What it checks.** For each `AWS::DynamoDB::Table`, in every scenario:

    - **error** (`key-attributes`, `unused-attributes`): every attribute named in the `KeySchema` of the table, of a global
      secondary index or of a local secondary index is declared in `AttributeDefinitions`, and every
      attribute declared there is used by some key. DynamoDB rejects both a missing and an unused
      definition.
    - **error** (`capacity`, `capacity-index`): with `BillingMode: PROVISIONED` (the DynamoDB default when absent) the
      table and every global secondary index need `ProvisionedThroughput`; with `PAY_PER_REQUEST` neither
      may set it.
    - **error** (`local-indexes`, `local-index-keys`): at most `max_local_indexes` (5) local secondary indexes; each one needs
      a table with a sort key, the table's partition key and a sort key of its own.
    - **warning** (`global-index-count`): more than `max_global_indexes` (20, the default quota) global
      secondary indexes need a quota increase first.

    A key schema with a part that cannot be resolved (an attribute name from a parameter without a
    value) is *not evaluated*. What the rule cannot see statically: adding, removing or changing a local
    secondary index or the table's `KeySchema` on a deployed table replaces the table (and its data);
    that needs the previous template.
    `AWS::Serverless::SimpleTable` is not checked: SAM writes its schema from `PrimaryKey` itself.

    **Why it matters.** Each of these mistakes makes CloudFormation fail the create or update, usually
    after the rest of the stack was already built, and rolls everything back.

    **Example (fails).**

        Orders:
          Type: AWS::DynamoDB::Table
          Properties:
            AttributeDefinitions:
              - {AttributeName: orderId, AttributeType: S}
              - {AttributeName: customerId, AttributeType: S}
            KeySchema:
              - {AttributeName: orderId, KeyType: HASH}
            # no BillingMode and no ProvisionedThroughput; customerId is used by no key

    **Fix.** Declare exactly the key attributes, and choose the capacity mode explicitly:

        Orders:
          Type: AWS::DynamoDB::Table
          Properties:
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions:
              - {AttributeName: orderId, AttributeType: S}
            KeySchema:
              - {AttributeName: orderId, KeyType: HASH}

    See https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html.
    """
    for table in graph.of_type(TABLE):
        values = (fully_resolved(table.get("AttributeDefinitions", default=False)),
                  fully_resolved(table.get("KeySchema", default=False)),
                  fully_resolved(table.get("GlobalSecondaryIndexes", default=False)),
                  fully_resolved(table.get("LocalSecondaryIndexes", default=False)),
                  table.get("BillingMode"),
                  table.get("ProvisionedThroughput", default=False))
        for cases in ctx.cases(table, *values, convert=(as_list, as_list, as_list, as_list, as_text, None)):
            yield from _judge(ctx, table, *cases)


def _judge(ctx, table, definitions, keys, globals_, locals_, billing, throughput):
    gsis = [g for g in (globals_.value or []) if isinstance(g, dict)]
    lsis = [i for i in (locals_.value or []) if isinstance(i, dict)]
    all_cases = (definitions, keys, globals_, locals_, billing, throughput)
    yield from _key_attributes(ctx, table, definitions, keys, gsis, lsis, all_cases)
    yield from _capacity(ctx, table, billing, throughput, gsis, (billing, throughput, globals_))
    yield from _local_indexes(ctx, table, keys, lsis, (keys, locals_))
    limit = ctx.options["max_global_indexes"]
    if len(gsis) > limit:
        yield ctx.finding(table, f"table {table.describe()} has {len(gsis)} global secondary indexes; the default "
                                 f"quota is {limit} per table, so request an increase before deploying",
                          severity="warning", at="GlobalSecondaryIndexes", check="global-index-count",
                          cases=(globals_,))


def _key_names(key_schema) -> dict:
    """{KeyType: AttributeName} of a KeySchema list."""
    return {str(k.get("KeyType", "")).upper(): k.get("AttributeName")
            for k in (key_schema if isinstance(key_schema, list) else []) if isinstance(k, dict)}


def _key_attributes(ctx, table, definitions, keys, gsis, lsis, cases):
    declared = [d.get("AttributeName") for d in (definitions.value or []) if isinstance(d, dict)]
    used = {}   # attribute → the first key that uses it
    for owner, schema in [("the table", keys.value)] + \
            [(f"index {i.get('IndexName', '?')}", i.get("KeySchema")) for i in gsis + lsis]:
        for name in _key_names(schema).values():
            used.setdefault(name, owner)
    missing = [name for name in used if name not in declared]
    unused = [name for name in declared if name not in used]
    if missing:
        where = ", ".join(f"{name} (key of {used[name]})" for name in missing)
        yield ctx.finding(table, f"table {table.describe()} uses key attributes that AttributeDefinitions does not "
                                 f"declare: {where}; declare each with its type or the deployment fails",
                          at="AttributeDefinitions" if definitions.value else "KeySchema",
                          check="key-attributes", cases=cases)
    if unused:
        yield ctx.finding(table, f"AttributeDefinitions of table {table.describe()} declares {', '.join(map(str, unused))}, "
                                 "which no key schema of the table or its indexes uses; DynamoDB rejects definitions "
                                 "of non-key attributes, so remove them", at="AttributeDefinitions",
                          check="unused-attributes", cases=cases)


def _capacity(ctx, table, billing, throughput, gsis, cases):
    mode = (billing.value or "").upper()
    if mode == "PROVISIONED":
        if throughput.value is None:
            yield ctx.finding(table, f"table {table.describe()} is billed {billing.show()} but sets no "
                                     "ProvisionedThroughput; set read and write capacity or use PAY_PER_REQUEST",
                              at="BillingMode" if table.has("BillingMode") else None, check="capacity", cases=cases)
        bare = [g.get("IndexName", "?") for g in gsis if g.get("ProvisionedThroughput") is None]
        if bare:
            yield ctx.finding(table, f"global secondary indexes {', '.join(map(str, bare))} of table "
                                     f"{table.describe()} set no ProvisionedThroughput, which mode {billing.show()} "
                                     "requires for every index", at="GlobalSecondaryIndexes",
                              check="capacity-index", cases=cases)
    elif mode == "PAY_PER_REQUEST":
        if throughput.value is not None:
            yield ctx.finding(table, f"table {table.describe()} is billed {billing.show()} and also sets "
                                     "ProvisionedThroughput, which on-demand tables must not set",
                              at="ProvisionedThroughput", check="capacity", cases=cases)
        priced = [g.get("IndexName", "?") for g in gsis if g.get("ProvisionedThroughput") is not None]
        if priced:
            yield ctx.finding(table, f"global secondary indexes {', '.join(map(str, priced))} of table "
                                     f"{table.describe()} set ProvisionedThroughput although the table is billed "
                                     f"{billing.show()}; remove it", at="GlobalSecondaryIndexes",
                              check="capacity-index", cases=cases)


def _local_indexes(ctx, table, keys, lsis, cases):
    if not lsis:
        return
    limit = ctx.options["max_local_indexes"]
    if len(lsis) > limit:
        yield ctx.finding(table, f"table {table.describe()} has {len(lsis)} local secondary indexes; DynamoDB allows "
                                 f"at most {limit}", at="LocalSecondaryIndexes", check="local-indexes", cases=cases)
    table_keys = _key_names(keys.value)
    if "RANGE" not in table_keys:
        yield ctx.finding(table, f"table {table.describe()} has local secondary indexes but no sort key (RANGE) in "
                                 "its KeySchema; local indexes exist only on tables with a composite key",
                          at="LocalSecondaryIndexes", check="local-indexes", cases=cases)
        return
    for index in lsis:
        index_keys = _key_names(index.get("KeySchema"))
        name = index.get("IndexName", "?")
        if index_keys.get("HASH") != table_keys.get("HASH") or "RANGE" not in index_keys:
            yield ctx.finding(table, f"local secondary index {name} of table {table.describe()} must use the "
                                     f"table's partition key {table_keys.get('HASH')} and a sort key of its own "
                                     f"(it has {index_keys.get('HASH')} / {index_keys.get('RANGE')})",
                              at="LocalSecondaryIndexes", check="local-index-keys", cases=cases)
