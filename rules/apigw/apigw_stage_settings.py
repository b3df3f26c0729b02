"""APG008 apigw-stage-settings."""
import re

from linter.model import Value, as_bool, as_number, as_text, rule

STAGES = ("AWS::ApiGateway::Stage", "AWS::Serverless::Api")
CACHE_SIZES = (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237)   # GB, the only sizes API Gateway offers
NON_PRODUCTION_STAGE = re.compile(r"(^|[^a-z])(dev|devel|development|test|testing|qa|sandbox)([^a-z]|$)", re.I)


def _in_range(low, high):
    return lambda value: low <= value <= high


@rule("APG008", "apigw-stage-settings", severity="error", tags=("reliability", "cost", "apigateway"),
      catalogue="R106")
def stage_settings(graph, ctx):
    """A REST API stage's cache, canary and method settings must be values API Gateway accepts; advice on cost and visibility.

    **What it checks.** On every `AWS::ApiGateway::Stage` and SAM `AWS::Serverless::Api` (including the
    API SAM creates, with `Globals.Api`):

    - `cache-size` (error): `CacheClusterSize` is one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237 (GB).
    - `cache-ttl` (error): every `MethodSettings[].CacheTtlInSeconds` is within 0–3600.
    - `canary-percent` (error): `CanarySetting.PercentTraffic` is within 0–100.
    - `cache-on-non-production` (info): `CacheClusterEnabled: true` on a stage named like dev, test, qa or
      sandbox: the cache is billed by the hour whatever the traffic.
    - `cache-not-encrypted` (info): a method setting with `CachingEnabled: true` and
      `CacheDataEncrypted` false (the default).
    - `no-throttling` (info): no method setting sets `ThrottlingRateLimit` or `ThrottlingBurstLimit`.
    - `no-tracing` (info): `TracingEnabled` false (the default).

    Values that cannot be resolved are reported as not evaluated. Settings in a
    `AWS::ApiGateway::Deployment`'s `StageDescription` are not checked.

    **Why it matters.** An invalid size, TTL or percentage fails the deployment. A cache on a development
    stage costs money for nothing; an unencrypted cache holds responses in clear; without throttling one
    API can use up the account-wide request quota (10,000 requests per second per region by default)
    that every API shares; without X-Ray tracing a slow integration is hard to find.

    **Example (fails).**

        ProdStage:
          Type: AWS::ApiGateway::Stage
          Properties:
            CacheClusterEnabled: true
            CacheClusterSize: "2"
            MethodSettings:
              - {ResourcePath: "/*", HttpMethod: "*", CachingEnabled: true, CacheTtlInSeconds: 7200}

    **Fix.** `CacheClusterSize: "1.6"`, `CacheTtlInSeconds: 3600` (or less), `CacheDataEncrypted: true`,
    a `ThrottlingRateLimit` / `ThrottlingBurstLimit`, and `TracingEnabled: true`.
    """
    for stage in graph.of_type(*STAGES):
        if stage.has("CacheClusterSize"):
            for (size,) in ctx.cases(stage, stage.get("CacheClusterSize"), convert=as_number):
                if size.value not in CACHE_SIZES:
                    yield ctx.finding(stage, f"cache size of stage {stage.describe()} is {size.show('GB')}; API "
                                             "Gateway offers only 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118 or 237 GB",
                                      check="cache-size", at="CacheClusterSize", cases=(size,))
        if stage.has("CanarySetting.PercentTraffic"):
            for (percent,) in ctx.cases(stage, stage.get("CanarySetting.PercentTraffic"), convert=as_number):
                if not 0 <= percent.value <= 100:
                    yield ctx.finding(stage, f"canary of stage {stage.describe()} takes {percent.show('%')} of "
                                             "the traffic; it must be within 0-100",
                                      check="canary-percent", at="CanarySetting.PercentTraffic", cases=(percent,))
        throttled = False
        for entry in stage.entries("MethodSettings"):
            if entry.has("ThrottlingRateLimit") or entry.has("ThrottlingBurstLimit"):
                throttled = True
            if entry.has("CacheTtlInSeconds"):
                for (ttl,) in ctx.cases(entry, entry.get("CacheTtlInSeconds"), convert=as_number):
                    if not 0 <= ttl.value <= 3600:
                        yield ctx.finding(entry, f"cache TTL of a method setting of stage {stage.describe()} is "
                                                 f"{ttl.show('s')}; it must be within 0-3600 s",
                                          check="cache-ttl", at="CacheTtlInSeconds", cases=(ttl,))
            for caching, encrypted in ctx.cases(entry, entry.get("CachingEnabled"), entry.get("CacheDataEncrypted"),
                                                convert=as_bool):
                if caching.value and not encrypted.value:
                    yield ctx.finding(entry, f"a method setting of stage {stage.describe()} caches responses "
                                             f"unencrypted (CacheDataEncrypted {encrypted.show()}); set "
                                             "CacheDataEncrypted: true", severity="info",
                                      check="cache-not-encrypted", cases=(caching, encrypted))
        for (enabled,) in ctx.cases(stage, stage.get("CacheClusterEnabled"), convert=as_bool):
            if not enabled.value:
                continue
            for _enabled, name in ctx.cases(stage, Value([enabled]), stage.get("StageName", default=False),
                                            convert=(None, as_text)):
                if name.value and NON_PRODUCTION_STAGE.search(name.value):
                    yield ctx.finding(stage, f"stage {name.show()} of {stage.describe()} has a cache cluster "
                                             f"(CacheClusterEnabled {enabled.show()}): a non-production stage pays "
                                             "for the cache by the hour", severity="info",
                                      check="cache-on-non-production", at="CacheClusterEnabled", cases=(enabled, name))
        if not throttled:
            yield ctx.finding(stage, f"stage {stage.describe()} sets no throttling (no ThrottlingRateLimit or "
                                     "ThrottlingBurstLimit in MethodSettings): one API can use up the request "
                                     "quota all APIs of the account share", severity="info", check="no-throttling")
        for (tracing,) in ctx.cases(stage, stage.get("TracingEnabled"), convert=as_bool):
            if not tracing.value:
                yield ctx.finding(stage, f"stage {stage.describe()} has X-Ray tracing off (TracingEnabled "
                                         f"{tracing.show()})", severity="info", check="no-tracing",
                                  at="TracingEnabled" if stage.has("TracingEnabled") else None, cases=(tracing,))
