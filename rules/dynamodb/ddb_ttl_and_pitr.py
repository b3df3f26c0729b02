"""DDB005 ddb-ttl-and-pitr."""
from linter.model import as_bool, as_list, as_text, fully_resolved, rule

TABLE = "AWS::DynamoDB::Table"
RETAINED = ("RETAIN", "RETAINEXCEPTONCREATE")


@rule("DDB005", "ddb-ttl-and-pitr", severity="error", tags=("reliability", "data-loss", "dynamodb"),
      catalogue="R75")
def ttl_and_recovery(graph, ctx):
    """A DynamoDB table's TTL attribute must be a number, and its data should be recoverable.

    **What it checks.** For each `AWS::DynamoDB::Table`, in every scenario:

    - **error** (`ttl-type`): `TimeToLiveSpecification` is enabled on an attribute that
      `AttributeDefinitions` types as `S` (string) or `B` (binary). DynamoDB expires only items whose TTL
      attribute is a Number holding epoch seconds, so such items are never deleted. Only key attributes
      are typed in a template; the type of any other TTL attribute is the application's business and is
      not judged.
    - **info** (`point-in-time-recovery`): `PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled`
      is false (the DynamoDB default when absent): a bad write or delete cannot be rolled back.
    - **info** (`deletion-protection`): `DeletionProtectionEnabled` is false (the default) and the table's
      `DeletionPolicy` is `Delete` (the CloudFormation default): removing it from the template, or a
      stack deletion, drops the data.

    Values from parameters without a value, imports or dynamic references are *not evaluated*.
    `AWS::Serverless::SimpleTable` has no TTL setting and is not checked.

    **Why it matters.** A string TTL attribute looks configured but never removes anything, so the
    table grows without bound. Without point-in-time recovery or deletion protection, one mistaken
    deployment or script can destroy the table's contents for good.

    **Example (fails).**

        Sessions:
          Type: AWS::DynamoDB::Table
          Properties:
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions:
              - {AttributeName: sessionId, AttributeType: S}
              - {AttributeName: expiresAt, AttributeType: S}
            KeySchema:
              - {AttributeName: sessionId, KeyType: HASH}
              - {AttributeName: expiresAt, KeyType: RANGE}
            TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}

    **Fix.** Use a Number attribute (epoch seconds) for TTL, and turn on recovery and protection:

        Sessions:
          Type: AWS::DynamoDB::Table
          DeletionPolicy: Retain
          Properties:
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions:
              - {AttributeName: sessionId, AttributeType: S}
            KeySchema:
              - {AttributeName: sessionId, KeyType: HASH}
            TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}
            PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
            DeletionProtectionEnabled: true

    See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html.
    """
    for table in graph.of_type(TABLE):
        if table.has("TimeToLiveSpecification"):
            yield from _ttl_type(ctx, table)
        pitr = table.get("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled")
        for (enabled,) in ctx.cases(table, pitr, convert=as_bool):
            if not enabled.value:
                yield ctx.finding(table, f"table {table.describe()} has point-in-time recovery off ({enabled.show()}); "
                                         "turn it on to restore the table to any second of the last 35 days",
                                  severity="info", check="point-in-time-recovery", cases=(enabled,),
                                  at="PointInTimeRecoverySpecification" if table.has(
                                      "PointInTimeRecoverySpecification") else None)
        protection = table.get("DeletionProtectionEnabled")
        for enabled, policy in ctx.cases(table, protection, table.attribute("DeletionPolicy"),
                                         convert=(as_bool, as_text)):
            if not enabled.value and (policy.value or "").upper() not in RETAINED:
                yield ctx.finding(table, f"table {table.describe()} has deletion protection off ({enabled.show()}) "
                                         f"and DeletionPolicy {policy.show()}; removing it from the stack deletes its "
                                         "data: set DeletionProtectionEnabled or DeletionPolicy Retain",
                                  severity="info", check="deletion-protection", cases=(enabled, policy),
                                  at="DeletionProtectionEnabled" if table.has("DeletionProtectionEnabled") else None)


def _ttl_type(ctx, table):
    values = (table.get("TimeToLiveSpecification.Enabled", default=False),
              table.get("TimeToLiveSpecification.AttributeName", default=False),
              fully_resolved(table.get("AttributeDefinitions", default=False)))
    for enabled, name, definitions in ctx.cases(table, *values, convert=(as_bool, None, as_list)):
        if not enabled.value or name.value is None:
            continue
        types = {d.get("AttributeName"): str(d.get("AttributeType", "")).upper()
                 for d in (definitions.value or []) if isinstance(d, dict)}
        typed = types.get(name.value)
        if typed in ("S", "B"):
            kind = "String" if typed == "S" else "Binary"
            yield ctx.finding(table, f"the TTL attribute of table {table.describe()} is {name.show()}, which "
                                     f"AttributeDefinitions types as {typed} ({kind}); DynamoDB expires only items "
                                     "whose TTL attribute is a Number of epoch seconds, so no item ever expires",
                              at="TimeToLiveSpecification.AttributeName", check="ttl-type",
                              cases=(enabled, name, definitions))
