"""KIN003 firehose-buffering-and-backup."""
from linter.model import FUNCTION_TYPES, Limit, as_number, entries, outside, rule

DELIVERY_STREAM = "AWS::KinesisFirehose::DeliveryStream"
# Destination configuration → (buffering limits, failed-only backup mode, the mode that keeps everything).
S3_HINTS = (Limit("BufferingHints.IntervalInSeconds", 0, 900, "s"), Limit("BufferingHints.SizeInMBs", 1, 128, "MB"))
SEARCH_HINTS = (Limit("BufferingHints.IntervalInSeconds", 0, 900, "s"), Limit("BufferingHints.SizeInMBs", 1, 100, "MB"))
DESTINATIONS = {
    "S3DestinationConfiguration": (S3_HINTS, None, None),
    "ExtendedS3DestinationConfiguration": (S3_HINTS, None, None),
    "RedshiftDestinationConfiguration": ((), None, None),
    "ElasticsearchDestinationConfiguration": (SEARCH_HINTS, "FailedDocumentsOnly", "AllDocuments"),
    "AmazonopensearchserviceDestinationConfiguration": (SEARCH_HINTS, "FailedDocumentsOnly", "AllDocuments"),
    "AmazonOpenSearchServerlessDestinationConfiguration": (SEARCH_HINTS, "FailedDocumentsOnly", "AllDocuments"),
    "HttpEndpointDestinationConfiguration": (
        (Limit("BufferingHints.IntervalInSeconds", 0, 900, "s"), Limit("BufferingHints.SizeInMBs", 1, 64, "MB")),
        "FailedDataOnly", "AllData"),
    "SplunkDestinationConfiguration": (
        (Limit("BufferingHints.IntervalInSeconds", 0, 60, "s"), Limit("BufferingHints.SizeInMBs", 1, 5, "MB")),
        "FailedEventsOnly", "AllEvents"),
}
TRANSFORM_SECONDS = 300


@rule("KIN003", "firehose-buffering-and-backup", severity="error", tags=("correctness", "firehose"),
      catalogue="R103")
def firehose_buffering_and_backup(graph, ctx):
    """A Firehose delivery stream's buffering must fit its destination, and failed records need a backup.

    **What it checks.** For every `AWS::KinesisFirehose::DeliveryStream`, in each destination
    configuration it has:

    - `buffering-range` (error): `BufferingHints.IntervalInSeconds` 0–900 s and `SizeInMBs` 1–128 MB for
      S3; 1–100 MB for OpenSearch and Elasticsearch; 1–64 MB for HTTP endpoints; 0–60 s and 1–5 MB for
      Splunk.
    - `backup-configuration` (error): an HTTP endpoint, OpenSearch, Elasticsearch or Splunk destination
      without `S3Configuration`. Firehose needs the bucket to put the records it could not deliver.
    - `backup-mode` (info): such a destination backing up only failed records (`S3BackupMode` is the
      failed-only mode, the default when absent). Keeping all records (`AllData`, `AllDocuments`,
      `AllEvents`) lets you replay them into the destination after an outage or a bad transform.
    - `transform-timeout` (info): a Lambda data-transformation processor whose function in the template
      has a `Timeout` above 300 s. Firehose waits at most 5 minutes for a transform, so the longer
      timeout is never used.

    A value known only at deploy time is reported as not evaluated; a transform function outside the
    template is not judged.

    **Why it matters.** Firehose rejects out-of-range buffering hints and a missing backup bucket, so the
    stack fails to create the delivery stream. With failed-only backup, records that the destination
    accepted but that turn out wrong cannot be replayed.

    **Example (fails).**

        Logs:
          Type: AWS::KinesisFirehose::DeliveryStream
          Properties:
            HttpEndpointDestinationConfiguration:
              EndpointConfiguration: {Url: https://logs.example.com/ingest}
              BufferingHints: {SizeInMBs: 128, IntervalInSeconds: 60}   # HTTP endpoints take 64 MB at most
              RoleARN: !GetAtt FirehoseRole.Arn

    **Fix.** Buffer at most 64 MB for an HTTP endpoint and back up all data to S3:

        HttpEndpointDestinationConfiguration:
          BufferingHints: {SizeInMBs: 5, IntervalInSeconds: 60}
          S3BackupMode: AllData
          S3Configuration:
            BucketARN: !GetAtt LogArchive.Arn
            RoleARN: !GetAtt FirehoseRole.Arn

    See https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html
    """
    for stream in graph.of_type(DELIVERY_STREAM):
        for destination, (limits, failed_only, keep_all) in DESTINATIONS.items():
            if not stream.has(destination):
                continue
            yield from _buffering(ctx, stream, destination, limits)
            if failed_only:
                yield from _backup(ctx, stream, destination, failed_only, keep_all)
            yield from _transforms(ctx, graph, stream, destination)


def _buffering(ctx, stream, destination, limits):
    for limit in limits:
        path = f"{destination}.{limit.path}"
        if not stream.has(path):
            continue
        scoped = Limit(path, limit.low, limit.high, limit.unit)
        for case in outside(ctx, stream, stream, scoped):
            yield ctx.finding(
                stream,
                f"{limit.path} of delivery stream {stream.describe()} ({destination}) is {case.show(limit.unit)}, "
                f"outside the {limit.text()} Firehose accepts for this destination: the stack fails to create or "
                "update the delivery stream",
                check="buffering-range", at=path, cases=(case,))


def _backup(ctx, stream, destination, failed_only, keep_all):
    if not stream.has(f"{destination}.S3Configuration"):
        yield ctx.finding(
            stream,
            f"delivery stream {stream.describe()} sends to {destination} without S3Configuration: Firehose needs a "
            "bucket for the records it cannot deliver and the stack fails; add S3Configuration",
            check="backup-configuration", at=destination)
        return
    mode_path = f"{destination}.S3BackupMode"
    for (mode,) in ctx.cases(stream, stream.get(mode_path)):
        if str(mode.value) != failed_only:
            continue
        yield ctx.finding(
            stream,
            f"delivery stream {stream.describe()} backs up only failed records to S3 ({mode.cite('S3BackupMode')}): "
            f"records the destination accepted cannot be replayed after an outage or a bad transform; consider "
            f"S3BackupMode {keep_all}",
            severity="info", check="backup-mode", at=mode_path if stream.has(mode_path) else destination,
            cases=(mode,))


def _transforms(ctx, graph, stream, destination):
    processors_path = f"{destination}.ProcessingConfiguration.Processors"
    if not stream.has(processors_path):
        return
    for (processors,) in ctx.cases(stream, stream.get(processors_path)):
        for i, _ in enumerate(entries(processors.value) or ()):
            params_path = f"{processors_path}.{i}.Parameters"
            for (params,) in ctx.cases(stream, stream.get(params_path)):
                for j, _ in enumerate(entries(params.value) or ()):
                    yield from _transform_function(ctx, graph, stream, f"{params_path}.{j}")


def _transform_function(ctx, graph, stream, param_path):
    for name, value in ctx.cases(stream, stream.get(f"{param_path}.ParameterName"),
                                 stream.get(f"{param_path}.ParameterValue")):
        if name.value != "LambdaArn":
            continue
        function, _reason = graph.follow(value, FUNCTION_TYPES)
        if function is None:
            continue  # a function outside the template: its timeout is not visible
        for (timeout,) in ctx.cases(function, function.get("Timeout"), convert=as_number):
            if timeout.value is None or timeout.value <= TRANSFORM_SECONDS:
                continue
            yield ctx.finding(
                stream,
                f"delivery stream {stream.describe()} transforms records with {function.describe()}, whose timeout "
                f"is {timeout.show('s')}: Firehose waits at most 300 s for a transform, so the longer timeout is "
                "never used; keep the function under 5 minutes",
                severity="info", check="transform-timeout", at=f"{param_path}.ParameterValue",
                related=[function], cases=(timeout,))
