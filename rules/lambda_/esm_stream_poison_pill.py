"""LAM001 esm-stream-poison-pill."""
from linter.model import DYNAMODB, ESM, SOURCE_KIND_TEXT, STREAM_KINDS, as_bool, as_list, as_number, event_source_kind, rule

# How long a failing record can hold its shard when retries never stop: until the record expires.
_EXPIRY = {DYNAMODB: "up to 24 h, the DynamoDB Streams retention"}


@rule("LAM001", "esm-stream-poison-pill", severity="warning",
      tags=("reliability", "lambda", "kinesis", "dynamodb"), catalogue="R7")
def stream_poison_pill(graph, ctx):
    """A Kinesis or DynamoDB stream mapping must stop retrying a failing batch and keep it somewhere.

    **What it checks.** For every `AWS::Lambda::EventSourceMapping` (and SAM `Kinesis` / `DynamoDB`
    event) that reads a Kinesis stream, a Kinesis enhanced fan-out consumer or a DynamoDB stream:

    - *warning* (`blocking-record`) unless the retries are bounded — `MaximumRetryAttempts` is not
      -1 or `MaximumRecordAgeInSeconds` is not -1 (both default to -1, retry until the record expires)
      — **and** `DestinationConfig.OnFailure.Destination` keeps the failed batch. Each of the three
      situations is named: blocking and lost, blocking then kept, bounded but discarded.
    - *info* (`batch-splitting`) when neither `BisectBatchOnFunctionError: true` (default false) nor
      `FunctionResponseTypes: [ReportBatchItemFailures]` lets a batch be retried without its bad record.

    A mapping whose source cannot be told (an `EventSourceArn` parameter without a value, an import)
    is not evaluated. Values from parameters, mappings and `Fn::If` are judged in every scenario.

    **Why it matters.** Stream shards are processed in order. With the defaults, a record the function
    cannot process is retried until it leaves the stream (24 h for DynamoDB Streams, the stream's
    retention for Kinesis), the shard makes no progress meanwhile, and the batch is then dropped without
    a trace. A retry bound alone also drops it silently; an on-failure destination keeps it for replay.

    **Example (fails).**

        OrdersMapping:
          Type: AWS::Lambda::EventSourceMapping
          Properties:
            EventSourceArn: !GetAtt OrdersStream.Arn
            FunctionName: !Ref Processor
            StartingPosition: LATEST

    **Fix.**

        OrdersMapping:
          Type: AWS::Lambda::EventSourceMapping
          Properties:
            EventSourceArn: !GetAtt OrdersStream.Arn
            FunctionName: !Ref Processor
            StartingPosition: LATEST
            MaximumRetryAttempts: 3
            BisectBatchOnFunctionError: true
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt FailedRecords.Arn
    """
    for esm in graph.of_type(ESM):
        kind = event_source_kind(esm)
        retries = esm.get("MaximumRetryAttempts")
        age = esm.get("MaximumRecordAgeInSeconds")
        destination = esm.get("DestinationConfig.OnFailure.Destination", default=False)
        bisect = esm.get("BisectBatchOnFunctionError")
        responses = esm.get("FunctionResponseTypes", default=False)
        for k, r, a, d, b, f in ctx.cases(esm, kind, retries, age, destination, bisect, responses,
                                          convert=(None, as_number, as_number, None, as_bool, _as_types)):
            if k.value not in STREAM_KINDS:
                continue
            source = SOURCE_KIND_TEXT[k.value]
            bounded = r.value != -1 or a.value != -1
            kept = d.value is not None
            expiry = _EXPIRY.get(k.value, "until the record leaves the stream (its retention period)")
            limits = f"MaximumRetryAttempts {r.show()}, MaximumRecordAgeInSeconds {a.show()}"
            if not bounded and not kept:
                message = (f"event source mapping {esm.describe()} reads a {source} ({k.origin}) and retries a failing "
                           f"batch without limit ({limits}) and has no OnFailure destination: one bad record "
                           f"blocks its shard {expiry}, then the batch is lost; bound the retries and add "
                           "DestinationConfig.OnFailure")
            elif not bounded:
                message = (f"event source mapping {esm.describe()} reads a {source} ({k.origin}) and retries a failing "
                           f"batch without limit ({limits}): one bad record blocks its shard {expiry} before it "
                           "reaches the OnFailure destination; set MaximumRetryAttempts or MaximumRecordAgeInSeconds")
            elif not kept:
                message = (f"event source mapping {esm.describe()} reads a {source} ({k.origin}) and gives up on a "
                           f"failing batch ({limits}) but has no OnFailure destination: the batch is discarded "
                           "without a trace; add DestinationConfig.OnFailure")
            else:
                message = None
            if message:
                at = next((p for p in ("MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "DestinationConfig")
                           if esm.has(p)), None) if bounded or kept else None
                yield ctx.finding(esm, message, check="blocking-record", at=at, cases=(k, r, a, d))
            if b.value is not True and "ReportBatchItemFailures" not in f.value:
                yield ctx.finding(
                    esm, f"event source mapping {esm.describe()} reads a {source} and a failing batch is retried "
                         f"whole (BisectBatchOnFunctionError {b.show()}, no ReportBatchItemFailures): set "
                         "BisectBatchOnFunctionError: true or report partial batch failures so good records "
                         "get through", severity="info", check="batch-splitting", cases=(k, b, f))


def _as_types(case):
    """FunctionResponseTypes as a list (absent: none)."""
    if case.value is None:
        return []
    return as_list(case)
