"""Property-based robustness: whatever the input, every file ends as linted, skipped or parse-error, with a
report that renders, no internal error (CFN999) and within a time bound.

Inputs: real templates from ../shared/corpus mutated as text and as trees, random YAML and JSON built from
CloudFormation's vocabulary, arbitrary text; and one folder of 5,000 templates linted in one run.
The number of examples is kept small so the whole file costs CI well under a few minutes.
"""
from __future__ import annotations

import json
import pathlib
import random
import time

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.api import lint_text
from linter.cli import main
from linter.engine import all_rules
from linter.load import decode
from linter.pipeline import filter_findings
from linter.report import Report, render

CORPUS = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
RULES = all_rules()
ENDINGS = {"linted", "skipped", "parse-error"}
SECONDS_PER_INPUT = 20.0    # CPU seconds; real templates of this size take well under one
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _corpus_sample(count: int = 60, max_bytes: int = 12_000) -> list[tuple[str, str]]:
    """A fixed spread of small corpus templates (every n-th file by path), YAML and JSON."""
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template")
                   and p.stat().st_size <= max_bytes)
    step = max(1, len(files) // count)
    out = []
    for path in files[::step][:count]:
        try:
            out.append((path.name, decode(path.read_bytes())))
        except Exception:   # an undecodable file is a loader test, not a seed
            continue
    return out


SEEDS = _corpus_sample()
needs_corpus = pytest.mark.skipif(not SEEDS, reason="../shared/corpus is not beside the repository")


def check_ends_cleanly(text: str, path: str = "fuzz.yaml"):
    """Lint ``text``; assert the outcome is one of the three endings, without CFN999, in time, and that the
    JSON and SARIF reports render as valid JSON."""
    started = time.process_time()
    result = lint_text(text, path, rules=RULES)
    spent = time.process_time() - started
    assert result.status in ENDINGS, result.status
    internal = [f.message for f in result.findings if f.code == "CFN999"]
    assert not internal, internal
    assert not result.errors, result.errors
    if result.status == "parse-error":
        assert result.findings and all(f.code in ("CFN000",) for f in result.findings)
        assert all(f.location.line >= 1 and f.location.column >= 1 for f in result.findings)
    assert spent < SECONDS_PER_INPUT, f"{spent:.1f} s of CPU for one input"
    filtered = filter_findings([result], RULES)
    report = Report(results=[result], findings=filtered.shown, not_evaluated=result.not_evaluated, rules=RULES,
                    suppressed=filtered.suppressed)
    document = json.loads(render("json", report))
    assert document["files"][0]["status"] == result.status
    json.loads(render("sarif", report))
    return result


# ------------------------------------------------------------------ text mutations of real templates

NOISE = st.sampled_from([":", "- ", "{", "}", "[", "]", "!Ref ", "!GetAtt ", "!Sub '${", "&a ", "*a", "\t", '"',
                         "'", "#", "\n", "  ", "Fn::If", "Ref", "!If [", "\\u0000", "\ufeff", "? ", "|\n", ">-\n",
                         "%YAML 1.2\n", "---\n", "<<: *a\n", "!!binary ", "1e999", "-0x1F", "null", "~"])


@st.composite
def text_mutation(draw):
    name, text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate-line", "swap-lines"]))
        if action == "insert":
            text = text[:at] + draw(NOISE) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif action == "truncate":
            text = text[:at]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if action == "duplicate-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return name, text


@needs_corpus
@FUZZ
@given(text_mutation())
def test_real_templates_mutated_as_text_end_cleanly(case):
    name, text = case
    check_ends_cleanly(text, name)


# ------------------------------------------------------------------ tree mutations of real templates

TYPES = ["AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::SNS::Topic",
         "AWS::IAM::Role", "AWS::S3::Bucket", "AWS::Serverless::Function", "AWS::EC2::SecurityGroup",
         "AWS::CloudWatch::Alarm", "AWS::Events::Rule", "AWS::ApiGateway::Method", "AWS::DynamoDB::Table",
         "AWS::StepFunctions::StateMachine", "AWS::ECS::TaskDefinition", "AWS::EC2::Subnet", "Custom::Thing"]
KEYS = ["Type", "Properties", "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::FindInMap", "Fn::Select",
        "Condition", "DependsOn", "Timeout", "VisibilityTimeout", "RedrivePolicy", "deadLetterTargetArn",
        "EventSourceArn", "FunctionName", "Role", "Handler", "Runtime", "Events", "Policies", "Statement",
        "Effect", "Action", "Resource", "Principal", "SecurityGroupIngress", "CidrIp", "FromPort", "ToPort",
        "Environment", "Variables", "Value", "Name", "Tags", "Arn", "AWS::NoValue", "Fn::Equals", "Fn::Not"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(KEYS + TYPES),
                    st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


def _plain(node):
    """A parsed template as plain dicts and lists (so it can be mutated and dumped again)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _parsed_seeds():
    from linter.load import ParseError, parse

    out = []
    for name, text in SEEDS:
        try:
            data = parse(text, name).data
        except (ParseError, RecursionError):
            continue
        if isinstance(data, dict):
            out.append(_plain(data))
    return out


TREES = _parsed_seeds()


@st.composite
def tree_mutation(draw):
    tree = json.loads(json.dumps(draw(st.sampled_from(TREES)), default=str))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p][:400]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "wrap"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "wrap":
            parent[path[-1]] = {draw(st.sampled_from(KEYS)): parent[path[-1]]}
        else:
            parent[path[-1]] = draw(VALUES)
    as_json = draw(st.booleans())
    text = json.dumps(tree, indent=1) if as_json else yaml.safe_dump(tree, sort_keys=False)
    return ("mutated.json" if as_json else "mutated.yaml"), text


@pytest.mark.skipif(not TREES, reason="../shared/corpus is not beside the repository")
@FUZZ
@given(tree_mutation())
def test_real_templates_mutated_as_trees_end_cleanly(case):
    name, text = case
    check_ends_cleanly(text, name)


# ------------------------------------------------------------------ random templates and random text

RESOURCE = st.fixed_dictionaries({"Type": st.sampled_from(TYPES)},
                                 optional={"Properties": st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5),
                                           "Condition": st.sampled_from(["IsProd", "Missing", ""]),
                                           "DependsOn": VALUES})
TEMPLATE = st.fixed_dictionaries(
    {"Resources": st.dictionaries(st.sampled_from(["Queue", "Worker", "Mapping", "Topic", "Role", "Bucket"]),
                                  RESOURCE, min_size=1, max_size=5)},
    optional={"AWSTemplateFormatVersion": st.just("2010-09-09"),
              "Transform": st.sampled_from(["AWS::Serverless-2016-10-31", ["AWS::LanguageExtensions"]]),
              "Parameters": st.dictionaries(st.sampled_from(["Env", "Timeout"]), VALUES, max_size=2),
              "Conditions": st.dictionaries(st.sampled_from(["IsProd", "Other"]), VALUES, max_size=2),
              "Mappings": VALUES, "Outputs": VALUES, "Globals": VALUES})


@FUZZ
@given(TEMPLATE, st.booleans())
def test_random_templates_in_yaml_or_json_end_cleanly(template, as_json):
    text = json.dumps(template) if as_json else yaml.safe_dump(template)
    check_ends_cleanly(text, "random.json" if as_json else "random.yaml")


@FUZZ
@given(st.one_of(st.text(max_size=300), VALUES.map(json.dumps), VALUES.map(yaml.safe_dump)))
def test_random_text_ends_cleanly(text):
    result = check_ends_cleanly(text)
    assert result.status in ("skipped", "parse-error") or "Resources" in text


# ------------------------------------------------------------------ many files in one run


def _small_templates(count: int, seed: int = 16):
    """``count`` small files of every kind: templates with findings, clean ones, broken ones, non-templates."""
    rng = random.Random(seed)
    for i in range(count):
        kind = i % 5
        timeout = rng.choice([10, 30, 120, 900])
        if kind == 0:
            yield f"t{i:05}.yaml", (f"Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n"
                                    f"      VisibilityTimeout: {timeout}\n  Worker:\n    Type: AWS::Lambda::Function\n"
                                    f"    Properties:\n      Runtime: python3.12\n      Handler: index.handler\n"
                                    f"      Role: arn:aws:iam::123456789012:role/w\n      Timeout: {timeout // 2 + 5}\n"
                                    "      Code: {ZipFile: x}\n  Mapping:\n    Type: AWS::Lambda::EventSourceMapping\n"
                                    "    Properties:\n      EventSourceArn: !GetAtt Jobs.Arn\n"
                                    "      FunctionName: !Ref Worker\n")
        elif kind == 1:
            yield f"t{i:05}.json", json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
        elif kind == 2:
            yield f"t{i:05}.yaml", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n  A:\n    Type: AWS::SNS::Topic\n"
        elif kind == 3:
            yield f"t{i:05}.yml", f"name: not-a-template-{i}\nsteps: [build, test]\n"
        else:
            yield f"t{i:05}.json", '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}},'


def test_a_folder_of_5000_templates_is_linted_in_one_run(tmp_path):
    folder = tmp_path / "many"
    for index, (name, text) in enumerate(_small_templates(5000)):
        sub = folder / f"d{index // 500}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / name).write_text(text, encoding="utf-8")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--format", "json", "-o", str(out), "--isolated",
                                       "--select", "SQS001"])
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    statuses = [f["status"] for f in report["files"]]
    assert len(statuses) == 5000
    assert statuses.count("parse-error") == 2000     # the duplicate keys and the cut-off JSON
    assert statuses.count("skipped") == 1000
    assert statuses.count("linted") == 2000
    assert not [f for f in report["findings"] if f["rule"]["code"] == "CFN999"]
    # Results keep the order of the files, whatever the number of processes.
    assert [f["path"] for f in report["files"]] == sorted(f["path"] for f in report["files"])
    sqs = [f for f in report["findings"] if f["rule"]["code"] == "SQS001"]
    assert sqs and all(f["location"]["path"].endswith(".yaml") for f in sqs)
