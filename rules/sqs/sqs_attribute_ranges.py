"""SQS008 sqs-attribute-ranges."""
from linter.model import QUEUE, Limit, as_number, kinds, range_findings, rule

QUEUE_LIMITS = (
    Limit("DelaySeconds", 0, 900, "s"),
    Limit("MessageRetentionPeriod", 60, 1209600, "s"),
    Limit("MaximumMessageSize", 1024, 1048576, "bytes"),
    Limit("ReceiveMessageWaitTimeSeconds", 0, 20, "s"),
    Limit("VisibilityTimeout", 0, 43200, "s"),
    Limit("KmsDataKeyReusePeriodSeconds", 60, 86400, "s"),
    Limit("RedrivePolicy.maxReceiveCount", 1, 1000),
)

# Producers that never send a message larger than 256 KB, whatever the queue accepts.
CAPPED_PRODUCERS = {
    kinds.SUBSCRIBES: "SNS topic",
    kinds.NOTIFIES: "S3 bucket notification",
    kinds.INVOKES: "EventBridge",
}
CAPPED_SOURCE_TYPES = {
    kinds.SUBSCRIBES: ("AWS::SNS::Topic",),
    kinds.NOTIFIES: ("AWS::S3::Bucket",),
    kinds.INVOKES: ("AWS::Events::Rule", "AWS::Scheduler::Schedule", "AWS::Pipes::Pipe"),
}
PRODUCER_CAP = 262144


@rule("SQS008", "sqs-attribute-ranges", severity="error", tags=("correctness", "sqs"), catalogue="R100")
def sqs_attribute_ranges(graph, ctx):
    """An SQS queue's numeric attributes must lie within the ranges SQS accepts.

    **What it checks.**

    - `range` (error): `DelaySeconds` 0–900 s, `MessageRetentionPeriod` 60–1,209,600 s (14 days),
      `MaximumMessageSize` 1,024–1,048,576 bytes (1 MiB since August 2025; the default is still
      262,144), `ReceiveMessageWaitTimeSeconds` 0–20 s, `VisibilityTimeout` 0–43,200 s (12 hours),
      `KmsDataKeyReusePeriodSeconds` 60–86,400 s and the redrive policy's `maxReceiveCount` 1–1,000.
      Absent attributes take the SQS defaults, which are all in range.
    - `producer-size-cap` (info): a `MaximumMessageSize` above 262,144 bytes on a queue fed by an SNS
      subscription, an S3 event notification or an EventBridge rule or schedule target. Those services
      never deliver more than 256 KB, so the larger limit buys nothing for them.

    Values from parameters with `AllowedValues`, mapping rows and `Fn::If` branches are checked in
    their worst case; a value known only at deploy time is reported as not evaluated. The rule does not
    see consumers outside the template, so it does not judge short polling (`ReceiveMessageWaitTimeSeconds`
    0) for code that calls `ReceiveMessage` itself.

    **Why it matters.** CloudFormation passes the attributes to SQS unchanged; a value out of range
    fails the create or update of the queue and rolls the stack back.

    **Example (fails).**

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            MessageRetentionPeriod: 2592000   # 30 days; SQS keeps messages at most 14
            ReceiveMessageWaitTimeSeconds: 30 # long polling waits at most 20 s

    **Fix.** Keep messages at most 14 days (archive them elsewhere if they must live longer) and wait
    at most 20 s:

        Jobs:
          Type: AWS::SQS::Queue
          Properties:
            MessageRetentionPeriod: 1209600
            ReceiveMessageWaitTimeSeconds: 20

    See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    """
    for queue in graph.of_type(QUEUE):
        yield from range_findings(ctx, queue, QUEUE_LIMITS, noun="queue",
                                  consequence="SQS rejects it and the stack fails to create or update the queue")
        yield from _producer_size_cap(graph, ctx, queue)


def _producer_size_cap(graph, ctx, queue):
    producers = [edge for kind, types in CAPPED_SOURCE_TYPES.items()
                 for edge in graph.edges(kind, source_type=types, target=queue)]
    if not producers:
        return
    edge = producers[0]
    what = CAPPED_PRODUCERS[edge.kind]
    for (size,) in ctx.cases(queue, queue.get("MaximumMessageSize"), convert=as_number):
        if size.value is None or size.value <= PRODUCER_CAP:
            continue
        yield ctx.finding(
            queue,
            f"queue {queue.describe()} accepts messages up to {size.show('bytes')}, but it is fed by "
            f"{what} {edge.source.describe()}, which never sends more than 262144 bytes (256 KB): the larger "
            "limit has no effect for that producer",
            severity="info", check="producer-size-cap", at="MaximumMessageSize",
            related=[edge.source], cases=(size,))
