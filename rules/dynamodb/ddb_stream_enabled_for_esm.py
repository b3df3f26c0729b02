"""DDB001 ddb-stream-enabled-for-esm."""
from linter.model import as_text, kinds, rule

TABLE = "AWS::DynamoDB::Table"
SIMPLE_TABLE = "AWS::Serverless::SimpleTable"


@rule("DDB001", "ddb-stream-enabled-for-esm", severity="error", tags=("correctness", "deploy", "dynamodb", "lambda"),
      catalogue="R37")
def stream_enabled_for_mapping(graph, ctx):
    """A Lambda function reading a DynamoDB table's stream needs a table with a stream.

    **What it checks.** For each event source mapping that reads a table of the template (an
    `AWS::Lambda::EventSourceMapping` with `EventSourceArn: !GetAtt Table.StreamArn`, or a SAM
    `Type: DynamoDB` event):

    - **error** (`no-stream`): the `AWS::DynamoDB::Table` has no `StreamSpecification` (DynamoDB tables
      have no stream by default), in the scenario of the mapping; `StreamArn` does not exist and the
      deployment fails.
    - **error** (`simple-table`): the table is an `AWS::Serverless::SimpleTable`, which cannot have a
      stream; declare an `AWS::DynamoDB::Table` instead.

    A `StreamSpecification` whose view type comes from a parameter without a value is *not evaluated*;
    a stream of a table outside the template is not judged. What the rule cannot see statically: items
    written before the stream was turned on never reach the function, and whether the consumer needs
    old images (`NEW_AND_OLD_IMAGES`) rather than `KEYS_ONLY` depends on its code.

    **Why it matters.** CloudFormation fails the stack when it resolves `StreamArn` of a table without a
    stream, after creating everything before it, and rolls back.

    **Example (fails).**

        Orders:
          Type: AWS::DynamoDB::Table
          Properties:
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
            KeySchema: [{AttributeName: id, KeyType: HASH}]

        OrdersChanged:
          Type: AWS::Lambda::EventSourceMapping
          Properties:
            EventSourceArn: !GetAtt Orders.StreamArn
            FunctionName: !Ref Projector
            StartingPosition: LATEST

    **Fix.** Turn the stream on with the view the consumer needs:

        Orders:
          Type: AWS::DynamoDB::Table
          Properties:
            BillingMode: PAY_PER_REQUEST
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
            KeySchema: [{AttributeName: id, KeyType: HASH}]
            StreamSpecification:
              StreamViewType: NEW_AND_OLD_IMAGES

    See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.Lambda.html.
    """
    for link in graph.edges(kinds.CONSUMES, source_type=(TABLE, SIMPLE_TABLE)):
        table, function, mapping = link.source, link.target, link.via
        subject = mapping if mapping is not None else link
        if table.type == SIMPLE_TABLE:
            yield ctx.finding(subject, f"function {function.describe()} reads the "
                                       f"stream of {table.describe()}, an AWS::Serverless::SimpleTable, which has no "
                                       "stream; declare an AWS::DynamoDB::Table with StreamSpecification",
                              at="EventSourceArn", related=[table, function], check="simple-table", cases=(link,))
            continue
        view = table.get("StreamSpecification.StreamViewType", default=False)
        for (view_type,) in ctx.cases(link, view, convert=as_text):
            if view_type.value is None:
                yield ctx.finding(subject, f"function {function.describe()} reads the stream of table "
                                           f"{table.describe()}, but the table has no StreamSpecification (DynamoDB "
                                           "tables have no stream by default); its StreamArn does not exist and the deployment "
                                           "fails: add StreamSpecification.StreamViewType to the table",
                                  at="EventSourceArn", related=[table, function], check="no-stream",
                                  cases=(view_type, link))
