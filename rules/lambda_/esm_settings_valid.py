"""LAM010 esm-settings-valid."""
from linter.model import ESM, KINESIS, SQS, STREAM_KINDS, Value, as_bool, as_number, as_text, display, event_source, \
    event_source_kind, rule, written

# Stream mapping settings: (low, high, special value allowed besides the range, unit).
_STREAM_RANGES = {
    "BatchSize": (1, 10000, None, ""),
    "MaximumBatchingWindowInSeconds": (0, 300, None, "s"),
    "ParallelizationFactor": (1, 10, None, ""),
    "MaximumRetryAttempts": (0, 10000, -1, ""),
    "MaximumRecordAgeInSeconds": (60, 604800, -1, "s"),
    "TumblingWindowInSeconds": (0, 900, None, "s"),
}
_POSITIONS = {KINESIS: ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"), "dynamodb": ("TRIM_HORIZON", "LATEST")}


@rule("LAM010", "esm-settings-valid", severity="error", tags=("correctness", "lambda", "sqs", "kinesis"),
      catalogue="R45")
def esm_settings_valid(graph, ctx):
    """An event source mapping's settings must be ones Lambda accepts for its kind of source.

    **What it checks.** Every `AWS::Lambda::EventSourceMapping` and SAM poll event (`SQS`, `Kinesis`,
    `DynamoDB`), by the kind of source it reads; each finding is an *error*:

    - SQS: `BatchSize` 1–10 for a FIFO queue and 1–10000 for a standard queue (default 10); a
      `BatchSize` above 10 needs `MaximumBatchingWindowInSeconds` of at least 1 (default 0);
      `StartingPosition` and `DestinationConfig` are not accepted; `ScalingConfig.MaximumConcurrency`
      2–1000.
    - Kinesis and DynamoDB streams: `StartingPosition` is required and is `TRIM_HORIZON`, `LATEST` or
      (Kinesis only) `AT_TIMESTAMP`; `BatchSize` 1–10000 (default 100); `MaximumBatchingWindowInSeconds`
      0–300; `ParallelizationFactor` 1–10; `MaximumRetryAttempts` -1 or 0–10000;
      `MaximumRecordAgeInSeconds` -1 or 60–604800; `TumblingWindowInSeconds` 0–900.

    A mapping whose source cannot be told is not evaluated; values from parameters, mappings and
    `Fn::If` are judged in every scenario. Kafka, MQ and DocumentDB sources are not checked.

    **Why it matters.** Lambda validates these settings when the mapping is created or updated: an
    invalid combination makes the stack deployment fail and roll back. The notes' "batch size 1–10" holds
    only for FIFO queues; standard queues accept up to 10,000 with a batching window.

    **Example (fails).**

        JobsMapping:
          Type: AWS::Lambda::EventSourceMapping
          Properties:
            EventSourceArn: !GetAtt Jobs.Arn
            FunctionName: !Ref Worker
            BatchSize: 100                    # no MaximumBatchingWindowInSeconds

    **Fix.** Add `MaximumBatchingWindowInSeconds: 5` (or lower the batch size to 10).
    """
    for esm in graph.of_type(ESM):
        arn = esm.get("EventSourceArn", default=False)
        for kind, source_case in ctx.cases(esm, event_source_kind(esm), arn):
            if kind.value == SQS:
                yield from _sqs(ctx, esm, kind, source_case)
            elif kind.value in STREAM_KINDS:
                yield from _stream(ctx, esm, kind)


def _sqs(ctx, esm, kind, source_case):
    queue = event_source(esm, source_case)
    if queue is not None and queue.type == "AWS::SQS::Queue":
        fifo = queue.get("FifoQueue")
    else:
        # A queue outside the template: its ARN ends in .fifo when it is a FIFO queue.
        suffix = display(source_case.value)
        fifo = Value.known(suffix.endswith(".fifo"), "the queue ARN's suffix")
    pairs = ctx.cases(esm, fifo, esm.get("BatchSize"), esm.get("MaximumBatchingWindowInSeconds"),
                      convert=(as_bool, as_number, as_number))
    for f, b, w in pairs:
        high = 10 if f.value else 10000
        noun = "a FIFO queue" if f.value else "a standard queue"
        if not 1 <= b.value <= high:
            yield ctx.finding(esm, f"event source mapping {esm.describe()} reads {noun} ({kind.origin}) with "
                                   f"{b.cite('BatchSize')}: Lambda accepts 1–{high} for {noun}",
                              check="batch-size", at="BatchSize", cases=(f, b, kind))
        elif b.value > 10 and w.value < 1:
            yield ctx.finding(esm, f"event source mapping {esm.describe()} reads an SQS queue with "
                                   f"{b.cite('BatchSize')} but {w.cite('MaximumBatchingWindowInSeconds', 's')}: a "
                                   "batch size above 10 needs a batching window of at least 1 s",
                              check="batch-size", at="BatchSize", cases=(b, w, kind))
    for name in ("StartingPosition", "DestinationConfig"):
        for k, w in ctx.cases(esm, Value([kind]), written(esm.get(name, default=False))):
            if w.value is True:
                yield ctx.finding(esm, f"event source mapping {esm.describe()} reads an SQS queue ({k.origin}) and "
                                       f"sets {name}, which Lambda accepts only for streams"
                                       + (": failed messages go to the queue's RedrivePolicy"
                                          if name == "DestinationConfig" else ""),
                                  check="sqs-" + _check_name(name), at=name, cases=(k,))
    for k, m in ctx.cases(esm, Value([kind]), esm.get("ScalingConfig.MaximumConcurrency", default=False),
                          convert=(None, as_number)):
        if m.value is not None and not 2 <= m.value <= 1000:
            yield ctx.finding(esm, f"event source mapping {esm.describe()} sets "
                                   f"{m.cite('ScalingConfig.MaximumConcurrency')}: Lambda accepts 2–1000",
                              check="maximum-concurrency", at="ScalingConfig.MaximumConcurrency", cases=(m, k))


def _stream(ctx, esm, kind):
    source = "a Kinesis stream" if kind.value == KINESIS else "a DynamoDB stream"
    allowed = _POSITIONS.get(kind.value, _POSITIONS[KINESIS])
    for (p,) in ctx.cases(esm, esm.get("StartingPosition", default=False), convert=as_text):
        if p.value is None:
            yield ctx.finding(esm, f"event source mapping {esm.describe()} reads {source} ({kind.origin}) without "
                                   f"StartingPosition, which Lambda requires for streams: set TRIM_HORIZON or LATEST",
                              check="starting-position", cases=(kind,))
        elif p.value not in allowed:
            yield ctx.finding(esm, f"event source mapping {esm.describe()} reads {source} with "
                                   f"{p.cite('StartingPosition')}: Lambda accepts {', '.join(allowed)} here",
                              check="starting-position", at="StartingPosition", cases=(p, kind))
    for name, (low, high, special, unit) in _STREAM_RANGES.items():
        if not esm.has(name):
            continue
        for (v,) in ctx.cases(esm, esm.get(name), convert=as_number):
            if v.value == special or low <= v.value <= high:
                continue
            accepted = (f"{special} or " if special is not None else "") + f"{low}–{high}" + (f" {unit}" if unit else "")
            yield ctx.finding(esm, f"event source mapping {esm.describe()} reads {source} with {v.cite(name, unit)}: "
                                   f"Lambda accepts {accepted}", check=_check_name(name), at=name, cases=(v, kind))


def _check_name(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
