"""KIN002 kinesis-stream-config."""
from linter.model import Limit, as_number, kinds, range_findings, rule

STREAM = "AWS::Kinesis::Stream"
STREAM_LIMITS = (Limit("RetentionPeriodHours", 24, 8760, "hours"),)


@rule("KIN002", "kinesis-stream-config", severity="error", tags=("correctness", "kinesis"), catalogue="R102")
def kinesis_stream_config(graph, ctx):
    """A Kinesis data stream's retention, capacity mode and shard count must fit together.

    **What it checks.** For every `AWS::Kinesis::Stream`:

    - `range` (error): `RetentionPeriodHours` 24–8,760 (24 hours when absent).
    - `on-demand-shard-count` (error): `StreamModeDetails.StreamMode: ON_DEMAND` together with
      `ShardCount`. On-demand streams scale their shards themselves and refuse a shard count.
    - `provisioned-without-shards` (warning): `StreamMode: PROVISIONED` written out without
      `ShardCount`. Provisioned capacity is what the shard count buys; without it the stream gets
      whatever the resource handler picks. (A stream with neither mode nor shard count is left alone.)
    - `encryption` (info): no `StreamEncryption`. Records are then stored without KMS encryption at rest.
    - `retention-vs-record-age` (info): a Lambda event source mapping on the stream whose
      `MaximumRecordAgeInSeconds` is longer than the stream keeps records. Records expire first, so the
      age limit never takes effect.

    Values from parameters with `AllowedValues`, mapping rows and `Fn::If` branches are checked in
    their worst case; a value known only at deploy time is reported as not evaluated.

    **Why it matters.** Kinesis rejects an out-of-range retention and a shard count on an on-demand
    stream, so the stack fails to create or update the stream.

    **Example (fails).**

        Clicks:
          Type: AWS::Kinesis::Stream
          Properties:
            RetentionPeriodHours: 12         # at least 24
            ShardCount: 4
            StreamModeDetails:
              StreamMode: ON_DEMAND          # no ShardCount with on-demand

    **Fix.**

        Clicks:
          Type: AWS::Kinesis::Stream
          Properties:
            RetentionPeriodHours: 24
            StreamModeDetails:
              StreamMode: ON_DEMAND
            StreamEncryption:
              EncryptionType: KMS
              KeyId: alias/aws/kinesis

    See https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
    """
    for stream in graph.of_type(STREAM):
        yield from range_findings(ctx, stream, STREAM_LIMITS, noun="stream",
                                  consequence="Kinesis rejects it and the stack fails to create or update the stream")
        yield from _mode_and_shards(ctx, stream)
        if not stream.has("StreamEncryption"):
            yield ctx.finding(
                stream,
                f"stream {stream.describe()} has no StreamEncryption: its records are stored without KMS encryption "
                "at rest; set EncryptionType KMS (alias/aws/kinesis costs nothing extra to manage)",
                severity="info", check="encryption")
    for link in graph.edges(kinds.CONSUMES, source_type=STREAM):
        yield from _record_age(ctx, link)


def _mode_and_shards(ctx, stream):
    if not stream.has("StreamModeDetails.StreamMode"):
        return
    has_shards = stream.has("ShardCount")
    for mode, shards in ctx.cases(stream, stream.get("StreamModeDetails.StreamMode"),
                                  stream.get("ShardCount", default=False)):
        name = str(mode.value or "").upper()
        if name == "ON_DEMAND" and has_shards and shards.value is not None:
            yield ctx.finding(
                stream,
                f"stream {stream.describe()} is on-demand ({mode.cite('StreamMode')}) but sets "
                f"{shards.cite('ShardCount')}: Kinesis refuses a shard count for on-demand streams and the stack "
                "fails; remove ShardCount or switch to PROVISIONED",
                check="on-demand-shard-count", at="ShardCount", cases=(mode, shards))
        elif name == "PROVISIONED" and shards.value is None:
            yield ctx.finding(
                stream,
                f"stream {stream.describe()} is provisioned ({mode.cite('StreamMode')}) but has no ShardCount: the "
                "capacity you pay for is left to the default; set ShardCount for the expected write rate "
                "(1 MB/s or 1,000 records/s per shard)",
                severity="warning", check="provisioned-without-shards", at="StreamModeDetails.StreamMode",
                cases=(mode,))


def _record_age(ctx, link):
    stream = link.source
    for retention, age in ctx.cases(link, stream.get("RetentionPeriodHours"),
                                    link.get("MaximumRecordAgeInSeconds"), convert=as_number):
        if retention.value is None or age.value is None or age.value < 0:
            continue
        if age.value > retention.value * 3600:
            yield ctx.finding(
                link.via if link.via is not None else stream,
                f"the event source mapping of {link.target.describe()} on stream {stream.describe()} accepts records "
                f"as old as {age.show('s')}, but the stream keeps them {retention.show('hours')} "
                f"({retention.value * 3600:g} s): records expire before the age limit applies; lower "
                "MaximumRecordAgeInSeconds or raise the retention",
                severity="info", check="retention-vs-record-age",
                at="MaximumRecordAgeInSeconds" if link.via is not None and link.via.has("MaximumRecordAgeInSeconds")
                else None,
                related=[stream, link.target], cases=(retention, age))
