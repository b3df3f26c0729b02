"""Shared helpers for the CI-integration tests (SARIF, reporters, config, suppressions, baseline)."""
from __future__ import annotations

import json
import math
import pathlib
import re
import textwrap

from click.testing import CliRunner

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"

# SQS queue with the default 30 s visibility timeout consumed by a Lambda with Timeout 60: SQS001 error.
BAD = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Description: jobs queue and its worker
    Resources:
      Jobs:
        Type: AWS::SQS::Queue
        Properties:
          RedrivePolicy:   # a dead-letter queue of another stack: SQS006 stays quiet
            deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:jobs-dlq
            maxReceiveCount: 5
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::123456789012:role/worker
          Timeout: 60
          Code:
            ZipFile: "def handler(event, context): pass"
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          EventSourceArn: !GetAtt Jobs.Arn
          FunctionName: !Ref Worker
    """)

CLEAN = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Bucket:
        Type: AWS::S3::Bucket
        DeletionPolicy: Retain
        UpdateReplacePolicy: Retain
        Properties:
          VersioningConfiguration: {Status: Enabled}
          LifecycleConfiguration:
            Rules:
              - Id: tidy
                Status: Enabled
                AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7}
                NoncurrentVersionExpiration: {NoncurrentDays: 30}
      BucketPolicy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Ref Bucket
          PolicyDocument:
            Statement:
              - Effect: Deny
                Principal: "*"
                Action: "s3:*"
                Resource: [!GetAtt Bucket.Arn, !Sub "${Bucket.Arn}/*"]
                Condition: {Bool: {"aws:SecureTransport": false}}
    """)

# SAM: the consumer link is the event source mapping SAM creates from the function's SQS event
# (implicit resource WorkerJobs); Timeout 60 comes from Globals. SQS001 warning.
SAM = textwrap.dedent("""\
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Timeout: 60
    Resources:
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          InlineCode: "def handler(event, context): pass"
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: !GetAtt Jobs.Arn
      Jobs:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: 100
          RedrivePolicy:
            deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:jobs-dlq
            maxReceiveCount: 5
    """)

BROKEN = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Jobs: {Type: AWS::SQS::Queue
      Other:
        Type: AWS::SNS::Topic
    """)

WORKFLOW = textwrap.dedent("""\
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: make test
    """)


# These tests are about the reporting pipeline (formats, config, suppressions, baselines), not about rules:
# they run the rules their templates were written for, so a new rule firing on them changes nothing here.
PIPELINE_RULES = "SQS001,SQS002,SQS003,VPC001"


def run(args, env=None, only=PIPELINE_RULES):
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr).

    ``check`` runs only ``only`` (unless the test passes ``--select`` or ``only=None``, e.g. to test
    selection from a config file)."""
    from linter.cli import main

    args = [str(a) for a in args]
    if only and args and args[0] == "check" and "--select" not in args:
        args += ["--select", only]
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def write(directory: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def sarif_validator():
    from jsonschema import Draft4Validator, FormatChecker

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return Draft4Validator(schema, format_checker=FormatChecker())


def schema_errors(log) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(log)]


LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\((\d+)\)")


def github_problems(log, security_codes=frozenset()) -> list[str]:
    """The GitHub code-scanning rules the SARIF schema does not enforce (ecosystem-facts §1.1, §1.2, §1.4)."""
    problems = []
    if log.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    runs = log.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= 20:
        return problems + ["runs must be a list of 1..20 runs"]
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            problems.append("tool.driver.name is empty")
        rules = driver.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append("tool.driver.rules missing")
            continue
        ids = [r.get("id") for r in rules]
        if len(set(ids)) != len(ids):
            problems.append(f"duplicate rule ids {ids}")
        for r in rules:
            rid = r.get("id")
            if not rid or not isinstance(rid, str):
                problems.append("rule without id")
            for key in ("shortDescription", "fullDescription", "help"):
                text = (r.get(key) or {}).get("text")
                if not isinstance(text, str) or not text.strip():
                    problems.append(f"{rid}: {key}.text missing or empty")
                elif key != "help" and len(text) > 1024:
                    problems.append(f"{rid}: {key}.text longer than 1024")
            if not (r.get("help") or {}).get("markdown", "").strip():
                problems.append(f"{rid}: help.markdown missing")
            if not r.get("name") or len(r["name"]) > 255:
                problems.append(f"{rid}: name missing or too long")
            if r.get("defaultConfiguration", {}).get("level") not in ("note", "warning", "error"):
                problems.append(f"{rid}: defaultConfiguration.level")
            props = r.get("properties", {})
            tags = props.get("tags", [])
            if len(tags) > 20 or len(set(tags)) != len(tags) or any(not t or not isinstance(t, str) for t in tags):
                problems.append(f"{rid}: bad tags {tags}")
            if props.get("precision") not in ("very-high", "high", "medium", "low"):
                problems.append(f"{rid}: precision {props.get('precision')!r}")
            if "security-severity" in props:
                value = props["security-severity"]
                if not isinstance(value, str):
                    problems.append(f"{rid}: security-severity is not a string")
                else:
                    try:
                        number = float(value)
                        if not (0.0 < number <= 10.0) or math.isnan(number):
                            problems.append(f"{rid}: security-severity {value} out of (0, 10]")
                    except ValueError:
                        problems.append(f"{rid}: security-severity {value!r} is not a number")
                if rid not in security_codes and "security" not in (tags or ()):
                    problems.append(f"{rid}: security-severity on a rule that is not a security rule")
            elif rid in security_codes:
                problems.append(f"{rid}: security rule without security-severity")
        results = run.get("results")
        if not isinstance(results, list):
            problems.append("results missing")
            continue
        if len(results) > 25000:
            problems.append("more than 25000 results")
        for i, res in enumerate(results):
            where = f"results[{i}]"
            idx = res.get("ruleIndex")
            if not isinstance(idx, int) or not 0 <= idx < len(rules) or rules[idx]["id"] != res.get("ruleId"):
                problems.append(f"{where}: ruleIndex {idx} does not point at ruleId {res.get('ruleId')}")
            if res.get("level") not in ("note", "warning", "error"):
                problems.append(f"{where}: level {res.get('level')!r}")
            text = (res.get("message") or {}).get("text")
            if not text or not text.strip():
                problems.append(f"{where}: empty message")
            locs = res.get("locations") or []
            if not locs:
                problems.append(f"{where}: no locations")
            related_ids = {r.get("id") for r in res.get("relatedLocations", [])}
            for _, target in LINK.findall(text or ""):
                if int(target) not in related_ids:
                    problems.append(f"{where}: message links to missing related location {target}")
            for loc in locs + res.get("relatedLocations", []):
                phys = loc.get("physicalLocation") or {}
                art = phys.get("artifactLocation") or {}
                uri = art.get("uri")
                if not uri:
                    problems.append(f"{where}: location without artifactLocation.uri")
                elif art.get("uriBaseId") and (uri.startswith("/") or "://" in uri or "\\" in uri):
                    problems.append(f"{where}: uri {uri!r} with uriBaseId is not relative POSIX")
                region = phys.get("region") or {}
                for key in ("startLine", "startColumn"):
                    if not isinstance(region.get(key), int) or region[key] < 1:
                        problems.append(f"{where}: region.{key} {region.get(key)!r}")
                for key in ("endLine", "endColumn"):
                    if key in region and region[key] < 1:
                        problems.append(f"{where}: region.{key} {region[key]!r}")
            fps = res.get("partialFingerprints") or {}
            if not fps or any(not isinstance(v, str) or not v for v in fps.values()):
                problems.append(f"{where}: partialFingerprints missing or not strings")
    return problems

# Two rules fire once WorkerTimeout is 60: SQS001 (300 s < 6 x 60 s, a warning) and SQS002 (dead-letter
# queue without a depth alarm). With the template's default of 10 s only SQS002 fires.
TWO = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      WorkerTimeout:
        Type: Number
        Default: 10
    Resources:
      DeadLetters:
        Type: AWS::SQS::Queue
        Properties:
          MessageRetentionPeriod: 1209600
      Jobs:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: 300
          RedrivePolicy:
            deadLetterTargetArn: !GetAtt DeadLetters.Arn
            maxReceiveCount: 5
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::123456789012:role/worker
          Timeout: !Ref WorkerTimeout
          Code:
            ZipFile: "def handler(event, context): pass"
      Mapping:
        Type: AWS::Lambda::EventSourceMapping
        Properties:
          EventSourceArn: !GetAtt Jobs.Arn
          FunctionName: !Ref Worker
    """)


def codes(result) -> list[str]:
    """Rule codes of the findings in a JSON report (a click Result of ``check -f json``)."""
    import json as _json

    return sorted(f["rule"]["code"] for f in _json.loads(result.stdout)["findings"])
