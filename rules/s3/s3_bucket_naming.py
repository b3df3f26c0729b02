"""BKT006 s3-bucket-naming."""
import ipaddress
import re

from linter.model import as_name, fully_literal, literal_parts, rule

ALLOWED = re.compile(r"[a-z0-9.-]*")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@rule("BKT006", "s3-bucket-naming", severity="error", tags=("correctness", "s3"), catalogue="R108")
def bucket_naming(graph, ctx):
    """An S3 bucket name that S3 rejects fails the deployment.

    **What it checks.** The `BucketName` of every `AWS::S3::Bucket`, after parameters, mappings and
    conditions are resolved (each scenario on its own):

    - **error** when the name breaks S3's naming rules: 3 to 63 characters; only lowercase letters,
      digits, `.` and `-`; starting and ending with a letter or digit; no `..`; not shaped like an IP
      address (`192.168.5.4`); not starting with a reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`)
      and not ending with a reserved suffix (`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
      A name built with `!Sub` from pseudo parameters or resource attributes is judged on the parts
      written in the template: `My_Logs-${AWS::AccountId}` is wrong whatever the account id is. Its length
      and first and last characters are judged only when they are written in the template.
    - **info** when the bucket has an explicit name at all: CloudFormation cannot replace such a bucket
      (the new one would need the same, still-taken name), so an update that needs a replacement fails.

    A name that comes from a parameter without a value, an import or a dynamic reference is *not
    evaluated*.

    **Why it matters.** S3 refuses an invalid name when CloudFormation creates the bucket, and the whole
    stack rolls back. Bucket names are global, so a fixed name also collides across accounts, regions
    and copies of the stack.

    **Example (fails).**

        ArtifactsBucket:
          Type: AWS::S3::Bucket
          Properties:
            BucketName: !Sub "Build_Artifacts-${AWS::AccountId}"

    **Fix.** Use lowercase letters, digits and hyphens, or leave `BucketName` out and let
    CloudFormation generate a unique name (read it with `!Ref ArtifactsBucket`):

        ArtifactsBucket:
          Type: AWS::S3::Bucket
          Properties:
            BucketName: !Sub "build-artifacts-${AWS::AccountId}"

    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html.
    """
    for bucket in graph.of_type("AWS::S3::Bucket"):
        if not bucket.has("BucketName"):
            continue
        for (name,) in ctx.cases(bucket, bucket.get("BucketName", default=False), convert=as_name):
            if name.value is None:
                continue   # an Fn::If branch with AWS::NoValue: S3 generates the name
            problems = naming_problems(name.value)
            if problems:
                yield ctx.finding(bucket, f"bucket name {name.show()} of {bucket.describe()} is not a valid S3 "
                                          f"bucket name: {'; '.join(problems)}; S3 rejects it and the stack "
                                          "rolls back", at="BucketName", check="invalid-name", cases=(name,))
            else:
                yield ctx.finding(bucket, f"bucket {bucket.describe()} has the fixed name {name.show()}; "
                                          "CloudFormation cannot replace a named bucket, so an update that needs "
                                          "a replacement fails: prefer a generated name", severity="info",
                                  at="BucketName", check="explicit-name", cases=(name,))


def naming_problems(name: str) -> list[str]:
    """What is wrong with a (possibly partly deploy-time) bucket name, judging only what is written."""
    parts = literal_parts(name)
    known = "".join(p for p in parts if p is not None)
    literal = fully_literal(name)
    problems = []
    bad = sorted({c for c in known if not ALLOWED.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        problems.append(f"it contains {shown}, and only lowercase letters, digits, '.' and '-' are allowed")
    if literal and not 3 <= len(name) <= 63:
        problems.append(f"it is {len(name)} characters long, outside 3-63")
    elif len(known) > 63:
        problems.append(f"its written parts alone are {len(known)} characters long, more than 63")
    first, last = parts[0], parts[-1]
    if first and not first[0].isalnum():
        problems.append(f"it starts with {first[0]!r}, not a letter or digit")
    if last and not last[-1].isalnum():
        problems.append(f"it ends with {last[-1]!r}, not a letter or digit")
    if any(p and ".." in p for p in parts):
        problems.append("it contains '..'")
    if literal and _is_ip_address(name):
        problems.append("it is formatted as an IP address")
    if first:
        problems += [f"it starts with the reserved prefix {p!r}" for p in RESERVED_PREFIXES if first.startswith(p)]
    if last:
        problems += [f"it ends with the reserved suffix {s!r}" for s in RESERVED_SUFFIXES if last.endswith(s)]
    return problems


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
