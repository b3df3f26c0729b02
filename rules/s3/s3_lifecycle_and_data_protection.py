"""BKT007 s3-lifecycle-and-data-protection."""
from linter.model import as_bool, as_items, as_number, as_text, rule

# The lifecycle "waterfall": an object may only move to a class further down, never back up.
WATERFALL = ("STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
INFREQUENT_ACCESS = ("STANDARD_IA", "ONEZONE_IA")
# Days an object is billed for at least once it reaches these classes.
MINIMUM_STORAGE_DAYS = {"GLACIER_IR": 90, "GLACIER": 90, "DEEP_ARCHIVE": 180}
IA_MINIMUM_AGE = 30
RULES = "LifecycleConfiguration.Rules"


def _scalar(case):
    """Days as numbers, storage classes and statuses as words."""
    number = as_number(case)
    return number if number is not None else as_text(case)


@rule("BKT007", "s3-lifecycle-and-data-protection", severity="error", tags=("reliability", "cost", "s3"),
      catalogue="R109")
def lifecycle_and_data_protection(graph, ctx):
    """S3 lifecycle rules that S3 rejects, that cost early-deletion fees, and missing data-protection settings.

    **What it checks.** For every `AWS::S3::Bucket`, each scenario of parameters, mappings and
    conditions on its own:

    - **error** (`ia-minimum-age`): a lifecycle transition (current or noncurrent versions) to
      `STANDARD_IA` or `ONEZONE_IA` after fewer than 30 days. S3 rejects the configuration.
    - **error** (`transition-order`): the transitions of one lifecycle rule go against the storage-class
      order (`STANDARD_IA` → `INTELLIGENT_TIERING` → `ONEZONE_IA` → `GLACIER_IR` → `GLACIER` →
      `DEEP_ARCHIVE`): a colder class reached no later than a warmer one, a move out of `STANDARD_IA`
      or `ONEZONE_IA` less than 30 days after the move into it, or an `ExpirationInDays` no later
      than the last transition. S3 rejects these too.
    - **warning** (`early-deletion`): `ExpirationInDays` that deletes objects less than 90 days after
      they reached `GLACIER_IR` or `GLACIER`, or less than 180 days after `DEEP_ARCHIVE`: you pay for the
      remaining days anyway.
    - **error** (`object-lock`): `ObjectLockConfiguration` on a bucket without `ObjectLockEnabled: true`:
      Object Lock can only be switched on when the bucket is created.
    - **info** (`noncurrent-expiration`): a versioned bucket with no enabled rule that expires
      noncurrent versions, so old versions pile up and are billed forever.
    - **info** (`abort-multipart`): no enabled rule with `AbortIncompleteMultipartUpload`, so the parts of
      failed uploads stay (and are billed) until someone deletes them.
    - **info** (`unversioned`): a bucket without versioning (the S3 default is off) that is not a log
      bucket, a website or a bucket whose objects expire: an overwrite or a delete loses the data.
    - **info** (`bucket-key`): default encryption with SSE-KMS (`aws:kms`) without
      `BucketKeyEnabled: true` (the default is false): every object request becomes a KMS request.

    A value that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*. Transitions by `TransitionDate` are not compared. What the template cannot show: whether
    the data in an unversioned bucket can be recreated.

    **Why it matters.** An invalid lifecycle configuration fails the stack at create or update time.
    Expiring archived objects early is charged as if they had stayed the minimum duration. Without an
    expiry for noncurrent versions or incomplete uploads, storage grows without bound. Customer managed
    KMS keys do not avoid KMS request throttling — they share the same request quota; S3 Bucket Keys do.

    **Example (fails).**

        Archive:
          Type: AWS::S3::Bucket
          Properties:
            LifecycleConfiguration:
              Rules:
                - Status: Enabled
                  Transitions:
                    - {StorageClass: STANDARD_IA, TransitionInDays: 7}
                    - {StorageClass: GLACIER, TransitionInDays: 20}
                  ExpirationInDays: 60

    **Fix.** Keep objects 30 days before Standard-IA, 30 more before Glacier, and expire them after the
    minimum storage duration; add the housekeeping rules:

        Archive:
          Type: AWS::S3::Bucket
          Properties:
            VersioningConfiguration: {Status: Enabled}
            LifecycleConfiguration:
              Rules:
                - Status: Enabled
                  Transitions:
                    - {StorageClass: STANDARD_IA, TransitionInDays: 30}
                    - {StorageClass: GLACIER, TransitionInDays: 60}
                  ExpirationInDays: 365
                  NoncurrentVersionExpiration: {NoncurrentDays: 90}
                  AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7}

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html.
    """
    log_targets = _log_target_ids(graph, ctx)
    for bucket in graph.of_type("AWS::S3::Bucket"):
        yield from _object_lock(bucket, ctx)
        yield from _bucket_key(bucket, ctx)
        enabled_rules = []
        for (rules,) in ctx.cases(bucket, bucket.get(RULES, default=False), convert=as_items):
            for index in range(len(rules.value or ())):
                path = f"{RULES}.{index}"
                yield from _transitions(bucket, path, ctx)
                for (status,) in ctx.cases(bucket, bucket.get(f"{path}.Status"), convert=as_text):
                    if status.value == "Enabled":
                        enabled_rules.append(path)
        yield from _housekeeping(bucket, enabled_rules, log_targets, ctx)


def _transitions(bucket, path, ctx):
    """Ordering and minimum-age errors and early-deletion warnings of one lifecycle rule."""
    steps = []   # (path of the transition, its StorageClass value, its TransitionInDays value)
    for key in ("Transitions", "Transition", "NoncurrentVersionTransitions", "NoncurrentVersionTransition"):
        if not bucket.has(f"{path}.{key}"):
            continue
        single = not key.endswith("s")
        for (items,) in ctx.cases(bucket, bucket.get(f"{path}.{key}"), convert=as_items if not single else None):
            count = 1 if single else len(items.value or ())
            for i in range(count):
                step = f"{path}.{key}" if single else f"{path}.{key}.{i}"
                days_key = "NoncurrentDays" if key.startswith("Noncurrent") else "TransitionInDays"
                if key.startswith("Noncurrent") and not bucket.has(f"{step}.{days_key}"):
                    days_key = "TransitionInDays"
                steps.append((step, key.startswith("Noncurrent"), bucket.get(f"{step}.StorageClass"),
                              bucket.get(f"{step}.{days_key}")))
            break   # the paths are the same in every scenario; values are combined below
    for step, _noncurrent, storage, days in steps:
        for sc, d in ctx.cases(bucket, storage, days, convert=_scalar):
            if sc.value in INFREQUENT_ACCESS and isinstance(d.value, (int, float)) and d.value < IA_MINIMUM_AGE:
                yield ctx.finding(
                    bucket, f"lifecycle transition of bucket {bucket.describe()} to {sc.value} after "
                            f"{d.show('days')}: S3 requires objects to be at least {IA_MINIMUM_AGE} days old "
                            "before Standard-IA or One Zone-IA and rejects the configuration",
                    check="ia-minimum-age", at=step, cases=(sc, d))
    current = [s for s in steps if not s[1]]
    if not current:
        return
    expiration = bucket.get(f"{path}.ExpirationInDays")
    values = [v for _, _, storage, days in current for v in (storage, days)]
    for combo in ctx.cases(bucket, *values, expiration, convert=_scalar):
        *pairs, exp = combo
        timeline = sorted(((pairs[2 * i + 1], pairs[2 * i], current[i][0]) for i in range(len(current))
                           if isinstance(pairs[2 * i + 1].value, (int, float)) and pairs[2 * i].value in WATERFALL),
                          key=lambda t: (t[0].value, WATERFALL.index(t[1].value)))
        yield from _order(bucket, timeline, exp, combo, ctx)


def _order(bucket, timeline, expiration, combo, ctx):
    for (d1, c1, _p1), (d2, c2, p2) in zip(timeline, timeline[1:]):
        if WATERFALL.index(c2.value) <= WATERFALL.index(c1.value) or d2.value <= d1.value:
            yield ctx.finding(
                bucket, f"lifecycle transitions of bucket {bucket.describe()} go against the storage-class order: "
                        f"{c1.value} after {d1.show('days')} and {c2.value} after {d2.show('days')}; an object can "
                        "only move to a colder class, later: S3 rejects the configuration",
                check="transition-order", at=p2, cases=combo)
            return
        if c1.value in INFREQUENT_ACCESS and d2.value - d1.value < IA_MINIMUM_AGE:
            yield ctx.finding(
                bucket, f"lifecycle rule of bucket {bucket.describe()} moves objects to {c2.value} after "
                        f"{d2.show('days')}, only {d2.value - d1.value:g} days after {c1.value} "
                        f"at {d1.show('days')}: objects must stay {IA_MINIMUM_AGE} days in {c1.value} first, and S3 "
                        "rejects the configuration", check="transition-order", at=p2, cases=combo)
            return
    if not timeline or not isinstance(expiration.value, (int, float)):
        return
    last_days, last_class, _ = timeline[-1]
    at = "ExpirationInDays"
    rule_path = timeline[-1][2].rsplit(".Transition", 1)[0]
    if expiration.value <= last_days.value:
        yield ctx.finding(
            bucket, f"lifecycle rule of bucket {bucket.describe()} expires objects after {expiration.show('days')}, "
                    f"not later than their transition to {last_class.value} after {last_days.show('days')}: S3 "
                    "rejects the configuration", check="transition-order", at=f"{rule_path}.{at}", cases=combo)
        return
    for days, storage, _ in timeline:
        minimum = MINIMUM_STORAGE_DAYS.get(storage.value)
        if minimum and expiration.value - days.value < minimum:
            yield ctx.finding(
                bucket, f"lifecycle rule of bucket {bucket.describe()} expires objects after "
                        f"{expiration.show('days')}, {expiration.value - days.value:g} days after they reach "
                        f"{storage.value} at {days.show('days')}; {storage.value} bills at least {minimum} days, so "
                        "the early deletion is charged anyway", severity="warning", check="early-deletion",
                at=f"{rule_path}.{at}", cases=combo)
            return


def _object_lock(bucket, ctx):
    if not bucket.has("ObjectLockConfiguration"):
        return
    configuration = bucket.get("ObjectLockConfiguration", default=False)
    for config, enabled in ctx.cases(bucket, configuration, bucket.get("ObjectLockEnabled")):
        if config.value is None:
            continue   # an Fn::If branch with AWS::NoValue: no lock configuration in this scenario
        if _lock_word(enabled) != "Enabled":
            shown = "is not set" if enabled.value is None else f"is {enabled.show()}"
            yield ctx.finding(
                bucket, f"bucket {bucket.describe()} has an ObjectLockConfiguration but ObjectLockEnabled {shown}: "
                        "S3 rejects the lock configuration; set ObjectLockEnabled: true on the bucket (only "
                        "possible when the bucket is created)", check="object-lock", at="ObjectLockConfiguration",
                cases=(config, enabled))


def _lock_word(case):
    # CloudFormation takes ObjectLockEnabled as the word Enabled; a boolean true is read the same way.
    if as_bool(case) is True:
        return "Enabled"
    return as_text(case)


def _bucket_key(bucket, ctx):
    path = "BucketEncryption.ServerSideEncryptionConfiguration"
    if not bucket.has(path):
        return
    for (entries,) in ctx.cases(bucket, bucket.get(path), convert=as_items):
        for i in range(len(entries.value or ())):
            entry = f"{path}.{i}"
            algorithm = bucket.get(f"{entry}.ServerSideEncryptionByDefault.SSEAlgorithm")
            key_enabled = bucket.get(f"{entry}.BucketKeyEnabled")
            for alg, key in ctx.cases(bucket, algorithm, key_enabled, convert=_bool_or_word):
                if alg.value == "aws:kms" and key.value is not True:
                    yield ctx.finding(
                        bucket, f"bucket {bucket.describe()} encrypts with SSE-KMS but BucketKeyEnabled is "
                                f"{key.show() if key.value is not None else 'not set (false, the S3 default)'}: every "
                                "object read and write calls KMS, which costs and can hit the KMS request quota; set "
                                "BucketKeyEnabled: true", severity="info", check="bucket-key", at=entry,
                        cases=(alg, key))
        break


def _bool_or_word(case):
    flag = as_bool(case)
    return flag if flag is not None else as_text(case)


def _housekeeping(bucket, enabled_rules, log_targets, ctx):
    has = {key: any(bucket.has(f"{p}.{k}") for p in enabled_rules for k in keys)
           for key, keys in (("noncurrent", ("NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays")),
                             ("abort", ("AbortIncompleteMultipartUpload",)),
                             ("expires", ("ExpirationInDays", "ExpirationDate")))}
    if not has["abort"]:
        yield ctx.finding(
            bucket, f"bucket {bucket.describe()} has no enabled lifecycle rule with AbortIncompleteMultipartUpload: "
                    "parts of failed multipart uploads stay and are billed; add "
                    "AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7}", severity="info",
            check="abort-multipart", at="LifecycleConfiguration" if bucket.has("LifecycleConfiguration") else None)
    for (status,) in ctx.cases(bucket, bucket.get("VersioningConfiguration.Status"), convert=as_text):
        if status.value == "Enabled" and not has["noncurrent"]:
            yield ctx.finding(
                bucket, f"bucket {bucket.describe()} is versioned ({status.cite('VersioningConfiguration.Status')}) "
                        "but no enabled lifecycle rule expires noncurrent versions: every overwrite and delete keeps "
                        "a billed copy forever; add NoncurrentVersionExpiration", severity="info",
                check="noncurrent-expiration", at="VersioningConfiguration", cases=(status,))
        elif status.value is None and not has["expires"] and not _disposable(bucket, log_targets):
            yield ctx.finding(
                bucket, f"bucket {bucket.describe()} is not versioned (no VersioningConfiguration; versioning is off "
                        "by default): an overwrite or a delete loses the object for good; enable versioning "
                        "if the data cannot be recreated", severity="info", check="unversioned", cases=(status,))


def _disposable(bucket, log_targets) -> bool:
    """Log buckets and website buckets hold data that is delivered or deployed again."""
    if bucket.logical_id in log_targets or bucket.has("WebsiteConfiguration"):
        return True
    return bucket.get("AccessControl").single == "LogDeliveryWrite"


def _log_target_ids(graph, ctx) -> set:
    """Logical ids of buckets that another bucket (or a CloudFront distribution) writes access logs to."""
    targets = set()
    for bucket in graph.of_type("AWS::S3::Bucket"):
        for case in bucket.get("LoggingConfiguration.DestinationBucketName", default=False):
            target, _ = graph.follow(case, ("AWS::S3::Bucket",))
            if target is not None:
                targets.add(target.logical_id)
    for distribution in graph.of_type("AWS::CloudFront::Distribution"):
        for case in distribution.get("DistributionConfig.Logging.Bucket", default=False):
            target, _ = graph.follow(case, ("AWS::S3::Bucket",))
            if target is not None:
                targets.add(target.logical_id)
    return targets
