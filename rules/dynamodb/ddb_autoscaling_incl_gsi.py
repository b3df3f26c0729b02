"""DDB003 ddb-autoscaling-incl-gsi."""
from linter.model import Case, as_list, as_number, as_text, dynamodb_scaling, fully_resolved, rule

TABLE = "AWS::DynamoDB::Table"
SIMPLE_TABLE = "AWS::Serverless::SimpleTable"


@rule("DDB003", "ddb-autoscaling-incl-gsi", severity="warning", tags=("reliability", "dynamodb", "autoscaling"),
      catalogue="R73")
def autoscaling_including_indexes(graph, ctx):
    """A provisioned DynamoDB table should scale its capacity, and so should every global secondary index.

    **What it checks.**

    - **warning** (`no-autoscaling`): a table in `PROVISIONED` billing mode (the DynamoDB default; a SAM
      `SimpleTable` with `ProvisionedThroughput`) that no `AWS::ApplicationAutoScaling::ScalableTarget`
      of the template scales (`ServiceNamespace: dynamodb`, `ResourceId: table/<name>`).
    - **warning** (`index-not-scaled`): the table's write capacity is autoscaled but a global secondary
      index's is not (no target with `ResourceId: table/<name>/index/<index>` and dimension
      `dynamodb:index:WriteCapacityUnits`).
    - **info** (`index-write-capacity`): a global secondary index projecting `ALL` attributes with less
      write capacity than the table.

    Targets are matched by their `ResourceId` (built with `!Sub`, `!Join` or a literal table name). A
    target whose `ResourceId` cannot be resolved might scale any table, so tables it could scale are *not
    evaluated*; targets that exist only under a condition are counted as present. Tables scaled from
    another stack cannot be seen.

    **Why it matters.** Fixed capacity throttles requests when traffic grows. Every write to the table is
    also written to each global index; when an index runs out of write capacity, DynamoDB throttles the
    writes to the table itself, even though the table has capacity left.

    **Example (fails).**

        Orders:
          Type: AWS::DynamoDB::Table
          Properties:
            ProvisionedThroughput: {ReadCapacityUnits: 10, WriteCapacityUnits: 10}
            GlobalSecondaryIndexes:
              - IndexName: ByCustomer
                ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
                # ...
        OrdersWriteScaling:
          Type: AWS::ApplicationAutoScaling::ScalableTarget
          Properties:
            ServiceNamespace: dynamodb
            ResourceId: !Sub table/${Orders}
            ScalableDimension: dynamodb:table:WriteCapacityUnits
            MinCapacity: 10
            MaxCapacity: 200

    **Fix.** Add a scalable target (and a target-tracking policy) for each index's write capacity, with
    `ResourceId: !Sub table/${Orders}/index/ByCustomer` and
    `ScalableDimension: dynamodb:index:WriteCapacityUnits`, or switch the table to `PAY_PER_REQUEST`.

    See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html.
    """
    scaled, unresolved = dynamodb_scaling(graph)
    for table in graph.of_type(TABLE, SIMPLE_TABLE):
        if table.type == SIMPLE_TABLE:
            if table.has("ProvisionedThroughput") and table.logical_id not in scaled:
                if unresolved:
                    ctx.not_evaluated(table, unresolved)
                    continue
                yield ctx.finding(table, f"SimpleTable {table.describe()} has fixed ProvisionedThroughput and no "
                                         "autoscaling target; it throttles when traffic grows",
                                  at="ProvisionedThroughput", check="no-autoscaling")
            continue
        yield from _table(ctx, table, scaled.get(table.logical_id), unresolved)


def _table(ctx, table, scaling, unresolved):
    values = (table.get("BillingMode"), fully_resolved(table.get("GlobalSecondaryIndexes", default=False)),
              table.get("ProvisionedThroughput.WriteCapacityUnits", default=False))
    for billing, indexes, table_wcu in ctx.cases(table, *values, convert=(as_text, as_list, None)):
        if (billing.value or "").upper() != "PROVISIONED":
            continue
        gsis = [g for g in (indexes.value or []) if isinstance(g, dict)]
        yield from _index_capacity(ctx, table, gsis, table_wcu, (billing, indexes, table_wcu))
        if not scaling:
            if unresolved:
                ctx.not_evaluated(table, unresolved)
                continue
            yield ctx.finding(table, f"table {table.describe()} uses provisioned capacity ({billing.show()}) and no "
                                     "autoscaling target of this template scales it; fixed capacity throttles when "
                                     "traffic grows: add ScalableTargets and policies, or use PAY_PER_REQUEST",
                              at="BillingMode" if table.has("BillingMode") else None, check="no-autoscaling",
                              cases=(billing,))
            continue
        if (None, "WriteCapacityUnits") not in scaling:
            continue
        missing = [str(g.get("IndexName")) for g in gsis if (g.get("IndexName"), "WriteCapacityUnits") not in scaling]
        if missing and unresolved:
            ctx.not_evaluated(table, unresolved)
        elif missing:
            yield ctx.finding(table, f"table {table.describe()} autoscales its write capacity but its global "
                                     f"secondary index(es) {', '.join(missing)} do not; when an index runs out of "
                                     "write capacity, writes to the table are throttled too: add a target with "
                                     "dimension dynamodb:index:WriteCapacityUnits for each",
                              at="GlobalSecondaryIndexes", check="index-not-scaled", cases=(billing, indexes))


def _index_capacity(ctx, table, gsis, table_wcu, cases):
    table_units = as_number(table_wcu) if table_wcu.value is not None else None
    if table_units is None:
        return
    for index in gsis:
        throughput = index.get("ProvisionedThroughput")
        projection = index.get("Projection")
        units = throughput.get("WriteCapacityUnits") if isinstance(throughput, dict) else None
        kind = projection.get("ProjectionType") if isinstance(projection, dict) else None
        units = as_number(Case(units)) if units is not None else None
        if units is not None and kind == "ALL" and units < table_units:
            yield ctx.finding(table, f"global secondary index {index.get('IndexName')} of table {table.describe()} "
                                     f"projects ALL attributes with {units} write capacity units, fewer than the "
                                     f"table's {table_wcu.show()}; every table write is also written to it, so it "
                                     "throttles first", severity="info", at="GlobalSecondaryIndexes",
                              check="index-write-capacity", cases=cases)
