"""LAM014 lambda-s3-code-version."""
import re

from linter.model import fields, is_literal, rule, unresolved_reason

# (type, property holding the code location, bucket, key, version, what it is); SAM's CodeUri and
# ContentUri take either an s3:// URI or a {Bucket, Key, Version} map.
CODE_LOCATIONS = (
    ("AWS::Lambda::Function", "Code", "S3Bucket", "S3Key", "S3ObjectVersion", "function"),
    ("AWS::Lambda::LayerVersion", "Content", "S3Bucket", "S3Key", "S3ObjectVersion", "layer version"),
    ("AWS::Serverless::Function", "CodeUri", "Bucket", "Key", "Version", "function"),
    ("AWS::Serverless::LayerVersion", "ContentUri", "Bucket", "Key", "Version", "layer version"),
)
# A key that changes with its content: a hash (sam package uses an MD5), a build id, a version number, or
# a placeholder a build script fills in (%VERSION%, {{version}}).
CONTENT_ADDRESSED = re.compile(r"[0-9a-fA-F]{8,}|(^|[^0-9])v?\d+\.\d+(\.\d+)?([^0-9]|$)|\d{8,}|%\w+%|\{\{\w+\}\}|version",
                               re.IGNORECASE)


@rule("LAM014", "lambda-s3-code-version", severity="warning", tags=("deployment", "lambda"), catalogue="R85")
def lambda_s3_code_version(graph, ctx):
    """Code in S3 under a fixed key needs an object version, or a stack update never deploys new code.

    **What it checks.** `warning`: an `AWS::Lambda::Function` `Code` (or an `AWS::Lambda::LayerVersion`
    `Content`) with `S3Bucket` and `S3Key` but no `S3ObjectVersion`, where the key is written out in
    the template and carries nothing that changes with the content: no hash (the keys `sam package`
    and `aws cloudformation package` write are MD5 hashes), no build number and no version number. The
    same for SAM `CodeUri`/`ContentUri` given as `s3://bucket/key` or as `{Bucket, Key}` without
    `Version`. A key from a parameter or built with `Fn::Sub` from other values is assumed to change
    with each release and is left alone; local paths are packaged by SAM and are not concerned. A key
    known only at deploy time is reported as not evaluated.

    **Why it matters.** CloudFormation updates the function only when a property changes. Uploading new
    code under the same key changes nothing in the template, so the update reports success and the old
    code keeps running.

    **Example (fails).**

        Api:
          Type: AWS::Lambda::Function
          Properties:
            Code:
              S3Bucket: my-artifacts
              S3Key: api/function.zip

    **Fix.** Pass the object version (or a content-hashed key) as a parameter on every release, or let
    `sam package` / `aws cloudformation package` upload the code:

        Code:
          S3Bucket: my-artifacts
          S3Key: api/function.zip
          S3ObjectVersion: !Ref ApiCodeVersion
    """
    for rtype, prop, bucket, key, version, noun in CODE_LOCATIONS:
        for resource in graph.of_type(rtype):
            if not resource.has(prop):
                continue
            for (location,) in ctx.cases(resource, resource.get(prop)):
                yield from _check(ctx, resource, location, prop, bucket, key, version, noun)


def _check(ctx, resource, location, prop, bucket_name, key_name, version_name, noun):
    value, parts = location.value, fields(location.value)
    if parts is not None:
        if version_name in parts or bucket_name not in parts or key_name not in parts:
            return
        bucket, key = parts[bucket_name], parts[key_name]
        at = f"{prop}.{key_name}" if resource.has(f"{prop}.{key_name}") else prop
        key_cases = list(resource.get(f"{prop}.{key_name}")) if resource.has(f"{prop}.{key_name}") else [location]
    elif is_literal(value) and str(value).startswith("s3://"):
        bucket, _, key = str(value)[len("s3://"):].partition("/")
        if "versionId=" in key:
            return  # s3://bucket/key?versionId=... pins the object version
        at, key_cases = prop, [location]
    else:
        return  # a local path that SAM packages, or a location built from other values
    if unresolved_reason(key):
        ctx.not_evaluated(resource, f"the S3 key of the code is known only at deploy time: {unresolved_reason(key)}")
        return
    # A key from a parameter is set by the release process; a key with a hash or version changes with it.
    if any("parameter" in c.origin for c in key_cases) or not is_literal(key) or CONTENT_ADDRESSED.search(str(key)):
        return
    if not str(key).strip():
        return  # an empty placeholder a deployment tool fills in (dotnet lambda deploy-serverless)
    shown_bucket = bucket if is_literal(bucket) else f"${{{bucket_name}}}"
    origin = key_cases[0].origin
    yield ctx.finding(
        resource,
        f"{noun} {resource.describe()} takes its code from s3://{shown_bucket}/{key}"
        + (f" ({origin})" if origin else "")
        + f" with no {version_name} and a key that does not change with the content: uploading new code under "
        "the same key and updating the stack leaves the old code deployed; pass the object version or a "
        "content-hashed key on every release",
        check="code-version", at=at, cases=(location,))
