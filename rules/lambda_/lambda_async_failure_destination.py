"""LAM002 lambda-async-failure-destination."""
from linter.model import FUNCTION_TYPES, as_number, event_invoke_configs, kinds, rule, written

# Ranges Lambda accepts for the asynchronous invocation settings.
_RANGES = {"MaximumRetryAttempts": (0, 2, ""), "MaximumEventAgeInSeconds": (60, 21600, "s")}


@rule("LAM002", "lambda-async-failure-destination", severity="warning",
      tags=("reliability", "lambda"), catalogue="R8")
def async_failure_destination(graph, ctx):
    """A function invoked asynchronously needs a dead-letter queue or an on-failure destination.

    **What it checks.** For every function with an asynchronous invoker in the template — an S3
    notification, an SNS subscription, an EventBridge rule or schedule target, a CloudWatch Logs
    subscription filter, an IoT rule, or the SAM events that create them (`S3`, `SNS`, `Schedule`,
    `EventBridgeRule`, `CloudWatchLogs`, `IoTRule` …):

    - *warning* (`no-failure-destination`) when neither `DeadLetterConfig.TargetArn` (SAM
      `DeadLetterQueue`) nor an `AWS::Lambda::EventInvokeConfig` (SAM `EventInvokeConfig`) with
      `DestinationConfig.OnFailure` exists in a scenario in which an asynchronous invoker exists;
    - *error* (`async-config-range`) when an invoke config sets `MaximumRetryAttempts` outside 0–2 or
      `MaximumEventAgeInSeconds` outside 60–21600 (the defaults are 2 and 21600).

    Callers outside the template are not seen. A DLQ whose ARN is known only at deploy time still counts
    as one. The rule does not match an invoke config's `Qualifier` with the alias or version each
    invoker calls: any config of the function counts.

    **Why it matters.** Lambda retries a failed asynchronous event twice (not three times) and keeps it
    for up to 6 hours; after that, without a dead-letter queue or an on-failure destination, the event
    is dropped and nobody learns about it.

    **Example (fails).**

        Thumbnailer:
          Type: AWS::Serverless::Function
          Properties:
            Events:
              Upload: {Type: S3, Properties: {Bucket: !Ref Images, Events: s3:ObjectCreated:*}}

    **Fix.**

        Thumbnailer:
          Type: AWS::Serverless::Function
          Properties:
            EventInvokeConfig:
              DestinationConfig:
                OnFailure: {Type: SQS}
    """
    for function in graph.of_type(*FUNCTION_TYPES):
        configs, unsure = event_invoke_configs(function)
        for config in configs:
            yield from _ranges(ctx, config)
        invokers = graph.invokers(function)
        async_links = [e for e in invokers if e.mode == kinds.ASYNC]
        if not async_links:
            if any(e.mode == "" for e in invokers):
                ctx.not_evaluated(function, f"how {function.describe()} is invoked is not known")
            continue
        if unsure:
            ctx.not_evaluated(function, f"invoke config {unsure[0].logical_id} may belong to {function.describe()}: "
                                        "its FunctionName is known only at deploy time")
            continue
        providers = [(written(function.get("DeadLetterConfig.TargetArn", default=False)), _holds)]
        providers += [(written(c.get("DestinationConfig.OnFailure.Destination", default=False)), _holds)
                      for c in configs]
        coverage = ctx.coverage(async_links, providers)
        if coverage.unknown:
            ctx.not_evaluated(function, coverage.unknown)
        elif not coverage.everywhere:
            sources = sorted({e.source.describe() for e in async_links})
            named = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
            yield ctx.finding(
                function,
                f"function {function.describe()} is invoked asynchronously by {named} but has no "
                "dead-letter queue and no OnFailure destination: once Lambda's retries (2 by default) fail, the "
                "event is dropped without a trace; set DeadLetterConfig or an EventInvokeConfig with DestinationConfig.OnFailure",
                check="no-failure-destination", related=[e.source for e in async_links], cases=coverage.cases)


def _holds(case):
    return case.value is True


def _ranges(ctx, config):
    for name, (low, high, unit) in _RANGES.items():
        if not config.has(name):
            continue
        for (value,) in ctx.cases(config, config.get(name), convert=as_number):
            if not low <= value.value <= high:
                yield ctx.finding(
                    config, f"invoke config {config.describe()} sets {value.cite(name, unit)}: Lambda accepts "
                            f"{low}–{high}{' ' + unit if unit else ''} and rejects the configuration at deploy time",
                    severity="error", check="async-config-range", at=name, cases=(value,))
