"""KIN001 stream-shard-consumer-fanout."""
from linter.model import kinds, rule

STREAM = "AWS::Kinesis::Stream"
TABLE = "AWS::DynamoDB::Table"
FIREHOSE = "AWS::KinesisFirehose::DeliveryStream"


@rule("KIN001", "stream-shard-consumer-fanout", severity="warning", options={"max_shared_readers": 2},
      tags=("performance", "kinesis", "dynamodb", "lambda"), catalogue="R33")
def shard_consumer_fanout(graph, ctx):
    """A Kinesis stream or DynamoDB stream should not have more than two shared-throughput readers.

    **What it checks.** It counts the readers of each stream of the template: event source mappings
    (and SAM `Kinesis` / `DynamoDB` events) whose source is the stream itself rather than an enhanced
    fan-out consumer (`AWS::Kinesis::StreamConsumer`), and Firehose delivery streams whose
    `KinesisStreamSourceConfiguration` reads it. More than `max_shared_readers` (2) is a *warning*,
    for Kinesis and for DynamoDB streams alike. Readers outside the template (other stacks, KCL
    applications) are not seen, so the count is a lower bound; a reader that exists only under a
    condition is counted.

    **Why it matters.** Shared-throughput readers of a Kinesis shard split 2 MB/s and 5 `GetRecords`
    calls per second; each additional reader slows all of them, the iterator age grows and records can
    expire before they are read. AWS advises at most two readers per DynamoDB stream shard, or
    throttling follows.

    **Example (fails).** Three functions each with a `Kinesis` event on `!GetAtt Clicks.Arn`.

    **Fix.** Give each extra Kinesis reader an enhanced fan-out consumer
    (`AWS::Kinesis::StreamConsumer`, used as the mapping's `EventSourceArn`); for DynamoDB, fan out
    through one reader (a Lambda that publishes to SNS/EventBridge) or a Kinesis Data Streams destination.
    """
    limit = ctx.options["max_shared_readers"]
    readers = {}
    for link in graph.edges(kinds.CONSUMES, source_type=(STREAM, TABLE)):
        readers.setdefault(link.source.logical_id, (link.source, []))[1].append(link.via or link.target)
    for firehose in graph.of_type(FIREHOSE):
        for case in firehose.get("KinesisStreamSourceConfiguration.KinesisStreamARN", default=False):
            stream, _ = graph.follow(case) if case.value is not None else (None, "")
            if stream is not None and stream.type == STREAM:
                readers.setdefault(stream.logical_id, (stream, []))[1].append(firehose)
    for stream, found in readers.values():
        found = list(dict.fromkeys(found))
        if len(found) > limit:
            what = "Kinesis stream" if stream.type == STREAM else "DynamoDB stream of table"
            names = ", ".join(r.describe() for r in found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            advice = ("use enhanced fan-out consumers (AWS::Kinesis::StreamConsumer) for the extra readers"
                      if stream.type == STREAM else "fan out through one reader or a Kinesis Data Streams destination")
            yield ctx.finding(stream, f"{what} {stream.describe()} has {len(found)} shared-throughput readers "
                                      f"({names}), more than {limit}: they share each shard's read throughput, so "
                                      f"processing lags and records can expire; {advice}",
                              related=found)
