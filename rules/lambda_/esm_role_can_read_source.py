"""LAM004 esm-role-can-read-source."""
from linter.model import DYNAMODB, KINESIS, SOURCE_KIND_BY_TYPE, SQS, function_role, kinds, role_allows, rule

# What the execution role needs on the source for Lambda to poll it.
_ACTIONS = {
    SQS: ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    # kinesis:ListShards is recommended too, but mappings are created without it (seen in deployed samples).
    KINESIS: ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream"),
    DYNAMODB: ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"),
}
_MANAGED = {SQS: "AWSLambdaSQSQueueExecutionRole", KINESIS: "AWSLambdaKinesisExecutionRole",
            DYNAMODB: "AWSLambdaDynamoDBExecutionRole"}


@rule("LAM004", "esm-role-can-read-source", severity="error", tags=("correctness", "lambda", "iam"),
      catalogue="R15")
def esm_role_can_read_source(graph, ctx):
    """The execution role of a polled function must be allowed to read its queue or stream.

    **What it checks.** For every event source mapping (and SAM `SQS`, `Kinesis`, `DynamoDB` event)
    whose source is an SQS queue, Kinesis stream or DynamoDB stream of the template, and whose function
    has an explicit execution role in the template, the role's policies (inline, `AWS::IAM::Policy`,
    `ManagedPolicyArns` including `AWSLambdaSQSQueueExecutionRole`, `AWSLambdaKinesisExecutionRole`
    and `AWSLambdaDynamoDBExecutionRole`) must allow on the source: `sqs:ReceiveMessage`,
    `sqs:DeleteMessage`, `sqs:GetQueueAttributes`; or `kinesis:GetRecords`, `GetShardIterator`,
    `DescribeStream` (`ListShards` is recommended but not required to create the mapping); or `dynamodb:GetRecords`, `GetShardIterator`, `DescribeStream`,
    `ListStreams`. A missing action: *error*.

    The role SAM generates gets the poller policy from SAM and is not checked. A role outside the
    template, a policy whose grants are not known, a permissions boundary and an explicit deny under a
    condition make the check not evaluated. Enhanced fan-out consumers (`kinesis:SubscribeToShard`) and
    the `kms:Decrypt` an encrypted source also needs are not checked yet.

    **Why it matters.** Lambda polls the source with the function's execution role. Without these
    permissions the event source mapping cannot be created and the deployment fails.

    **Example (fails).**

        WorkerRole:
          Type: AWS::IAM::Role
          Properties:
            ManagedPolicyArns:
              - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
        # Worker uses WorkerRole and is mapped to queue Jobs

    **Fix.** Add `arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole`, or a statement
    allowing the three SQS actions on `!GetAtt Jobs.Arn`.
    """
    for link in graph.edges(kinds.CONSUMES):
        source, function = link.source, link.target
        kind = SOURCE_KIND_BY_TYPE.get(source.type)
        if kind not in _ACTIONS or source.type == "AWS::Kinesis::StreamConsumer":
            continue
        role, why = function_role(graph, function)
        if role is None:
            ctx.not_evaluated(link, why)
            continue
        if role.implicit:
            continue
        verdicts = [(action, role_allows(graph, role, action, source)) for action in _ACTIONS[kind]]
        missing = [action for action, v in verdicts if v.no]
        unsure = next((v for _a, v in verdicts if v.unknown), None)
        if missing:
            yield ctx.finding(
                link, f"function {function.describe()} polls {source.describe()} with execution role "
                      f"{role.describe()}, which does not allow {', '.join(missing)} on it: Lambda cannot create "
                      f"the event source mapping; attach {_MANAGED[kind]} or allow these actions on the source",
                related=[role, function], cases=(link,))
        elif unsure is not None:
            ctx.not_evaluated(link, unsure.reason)
