"""Speed work that must not change results: -j/--jobs and groups of files, the C JSON path with positions,
the graph's indexes, lazy imports, and the benchmark script (run on a tiny input, without the peers)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from cihelpers import BAD, CLEAN, PIPELINE_RULES, run, write
from linter import parallel
from linter.api import lint_text
from linter.engine import all_rules
from linter.load import ParseError, _JsonParser, parse_json

ROOT = pathlib.Path(__file__).resolve().parent.parent
SQS001_FIXTURES = sorted((ROOT / "fixtures" / "rules" / "SQS001").glob("*.yaml"))

SUPPRESSED_IN_METADATA = BAD.replace("Resources:\n", "Metadata:\n  cfn-arch-lint:\n    ignore: [SQS001]\nResources:\n", 1)
SUPPRESSED_BY_COMMENT = BAD.replace("  Jobs:\n", "  # cfn-arch-lint: ignore[SQS001] reviewed\n  Jobs:\n", 1)


@pytest.fixture
def folder(tmp_path):
    """More files than the parallel threshold: rule fixtures, two suppressed templates, broken and skipped files."""
    base = tmp_path / "stacks"
    for path in SQS001_FIXTURES:
        write(base, f"fixtures/{path.name}", path.read_text(encoding="utf-8"))
    write(base, "bad.yaml", BAD)
    write(base, "clean.yaml", CLEAN)
    write(base, "suppressed/metadata.yaml", SUPPRESSED_IN_METADATA)
    write(base, "suppressed/comment.yaml", SUPPRESSED_BY_COMMENT)
    write(base, "broken.json", '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}, "Q": {}}}')
    write(base, "notes.yaml", "just: a config file\n")
    return base


def report(result, path):
    assert result.exit_code in (0, 1), result.output
    return json.loads(path.read_text(encoding="utf-8"))


def test_jobs_give_the_same_report_as_one_process(folder, tmp_path):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    first = run(["check", folder, "-f", "json", "-o", one, "-j", "1", "--show-suppressed"])
    second = run(["check", folder, "-f", "json", "-o", two, "-j", "2", "--show-suppressed"])
    assert first.exit_code == second.exit_code == 1
    assert report(first, one) == report(second, two)
    files = report(second, two)["files"]
    assert len(files) >= parallel.PARALLEL_MIN_FILES
    assert {f["status"] for f in files} == {"linted", "skipped", "parse-error"}


def test_suppressions_hold_when_files_are_linted_in_worker_processes(folder, tmp_path):
    out = tmp_path / "out.json"
    data = report(run(["check", folder, "-f", "json", "-o", out, "-j", "2", "--show-suppressed"]), out)
    by_path = {}
    for finding in data["findings"]:
        by_path.setdefault(pathlib.Path(finding["location"]["path"]).name, []).append(finding)
    assert any(f["rule"]["code"] == "SQS001" and not f["suppressed"] for f in by_path["bad.yaml"])
    for name in ("metadata.yaml", "comment.yaml"):
        assert by_path[name] and all(f["suppressed"] for f in by_path[name] if f["rule"]["code"] == "SQS001")


def test_groups_come_back_in_order_whatever_the_number_of_processes(folder):
    paths = sorted(str(p) for p in folder.rglob("*.yaml"))
    groups = [paths[:3], paths[3:4], paths[4:]]
    rules = [r for r in all_rules() if r.code in PIPELINE_RULES.split(",")]
    serial = parallel.lint_groups(groups, jobs=1, rules=rules)
    forked = parallel.lint_groups(groups, jobs=2, rules=rules)
    assert [r.path for r in serial] == [r.path for r in forked] == paths
    assert [[f.message for f in r.findings] for r in serial] == [[f.message for f in r.findings] for r in forked]
    assert [r.status for r in serial] == [r.status for r in forked]


def test_every_file_is_its_own_group_today():
    assert parallel.group_files(["a.yaml", "b.json"]) == [["a.yaml"], ["b.json"]]


def test_progress_is_reported_per_group():
    seen = []
    parallel.lint_groups([["-missing-a.yaml"], ["-missing-b.yaml"]], jobs=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]


def test_default_jobs_use_every_core_only_past_a_handful_of_files():
    assert parallel.default_jobs(1) == 1
    assert parallel.default_jobs(parallel.PARALLEL_MIN_FILES - 1) == 1
    assert parallel.default_jobs(1000) == parallel.available_cores()


def test_a_worker_that_dies_costs_its_files_an_internal_error_not_a_silent_pass(tmp_path, monkeypatch):
    good = write(tmp_path, "good.yaml", BAD)
    fatal = write(tmp_path, "fatal.yaml", BAD.replace("Jobs", "Fatal"))
    real = parallel.lint_group

    def dies_on_fatal(paths, **options):
        if any("fatal" in p for p in paths):
            os._exit(3)   # what a crash in a C extension looks like to the pool
        return real(paths, **options)

    monkeypatch.setattr(parallel, "lint_group", dies_on_fatal)
    results = parallel.lint_groups([[str(good)], [str(fatal)]], jobs=2, rules=[])
    assert [r.path for r in results] == [str(good), str(fatal)]
    assert any(f.code == "CFN999" for f in results[1].findings)
    assert results[1].errors


def test_the_skeleton_keeps_suppressions_and_resource_positions():
    template = lint_text(SUPPRESSED_IN_METADATA, "t.yaml").template
    skeleton = parallel.suppression_skeleton(template)
    assert skeleton["Metadata"] == template["Metadata"]
    assert skeleton["Resources"].pos("Worker") == template["Resources"].pos("Worker")
    assert "Properties" not in skeleton["Resources"]["Jobs"]


def test_jobs_must_not_be_negative(folder):
    result = run(["check", folder, "-j", "-1"])
    assert result.exit_code == 2


# ------------------------------------------------------------------ JSON through the C module

DOCUMENTS = [
    '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}}}',
    '\ufeff{\n  "a": [1, 2.5, -3e2, true, false, null, "x\\"y", {"k": []}],\n  "b": {}\r\n}\n',
    '[\n\t{"a" : "b"} ,\n  [ [ ] ] ,"\\u00e9\\ud83d\\ude00"]',
    '"just a string"',
    '{"Fn::Sub": "${A}:${B}", "list": [{"x": {"y": [0, 1, {"z": "w"}]}}]}',
]


def _tree(node):
    """A node with its positions, for comparing two loaders."""
    if isinstance(node, dict):
        return ("map", node.line, node.column, dict(node.key_pos), dict(node.value_pos),
                [(k, _tree(v)) for k, v in node.items()])
    if isinstance(node, list):
        return ("seq", node.line, node.column, list(node.item_pos), [_tree(v) for v in node])
    return node


@pytest.mark.parametrize("text", DOCUMENTS)
def test_json_positions_match_the_strict_parser(text):
    assert _tree(parse_json(text)) == _tree(_JsonParser(text).parse())


@pytest.mark.parametrize("text, message, line", [
    ('{\n "a": 1,\n "a": 2\n}', "duplicate key 'a' (first defined on line 2)", 3),
    ('{"a": NaN}', "unexpected character 'N'", 1),
    ('{"a": "\\ud800"}', "lone UTF-16 surrogate", 1),
    ('{"a": 1,}', "expected a quoted key", 1),
    ("[" * 250 + "]" * 250, "nesting is deeper than 200 levels", 1),
    ('{"a": ' + "9" * 5000 + "}", "too many digits", 1),
])
def test_json_errors_keep_their_messages_and_lines(text, message, line):
    with pytest.raises(ParseError) as caught:
        parse_json(text)
    assert message in caught.value.message
    assert caught.value.line == line


def test_json_deeper_than_our_limit_is_refused_even_when_the_c_module_accepts_it():
    text = '{"a": ' * 210 + "1" + "}" * 210
    json.loads(text)   # fine for the C module
    with pytest.raises(ParseError, match="deeper than 200"):
        parse_json(text)


# ------------------------------------------------------------------ graph indexes


def test_of_type_and_edges_keep_graph_order():
    from linter.build import build_graph
    from linter.load import parse

    text = textwrap.dedent("""\
        Resources:
          A: {Type: AWS::SQS::Queue}
          F: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.12, Handler: i.h, Role: r, Code: {ZipFile: x}}}
          B: {Type: AWS::SQS::Queue}
          T: {Type: AWS::SNS::Topic}
          MA: {Type: AWS::Lambda::EventSourceMapping, Properties: {EventSourceArn: !GetAtt A.Arn, FunctionName: !Ref F}}
          MB: {Type: AWS::Lambda::EventSourceMapping, Properties: {EventSourceArn: !GetAtt B.Arn, FunctionName: !Ref F}}
        """)
    graph = build_graph("t.yaml", parse(text, "t.yaml").data)
    assert [r.logical_id for r in graph.of_type("AWS::SNS::Topic", "AWS::SQS::Queue")] == ["A", "B", "T"]
    function = graph.resources["F"]
    assert [e.source.logical_id for e in graph.invokers(function)] == ["A", "B"]
    assert [e.source.logical_id for e in graph.edges("consumes", target=function)] == ["A", "B"]
    assert [e.target.logical_id for e in graph.edges("consumes", source=graph.resources["B"])] == ["F"]
    assert graph.edges("consumes", target=graph.resources["T"]) == []


# ------------------------------------------------------------------ start-up and the benchmark script


def test_starting_up_imports_no_process_pool():
    code = ("import sys, linter.cli; print(any(m.startswith('multiprocessing') or m == 'concurrent.futures.process'"
            " for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_the_benchmark_script_runs_on_a_tiny_input(tmp_path):
    output = tmp_path / "performance.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--skip-peers", "--tiny",
                           "--repeat", "1", "--output", str(output)], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    text = output.read_text(encoding="utf-8")
    for row in ("one small template, cold", "generated 5-resource template", "generated 20-resource template",
                "(3 files), one invocation", "Loader floor"):
        assert row in text
    assert "| cfn-arch-lint (wall, CPU, RSS) |" in text
    assert "cfn-lint" not in text.split("- Versions:")[1].splitlines()[0]


def test_noecho_masking_and_parameter_warnings_hold_in_worker_processes(tmp_path):
    from test_parameters import NOECHO

    for i in range(parallel.PARALLEL_MIN_FILES):
        write(tmp_path / "stacks", f"t{i}.yaml", NOECHO.replace("VISIBILITY", "!Ref Visibility"))
    outputs = []
    for jobs in ("1", "2"):
        result = run(["check", "--isolated", "--select", "SQS001", "-j", jobs, "-p", "Visibility=7", "-p", "Unused=1",
                      tmp_path / "stacks"])
        assert result.exit_code == 1
        assert "'7'" not in result.output and "**** is less than its MinValue 10" in result.stderr
        assert result.stderr.count("parameter Unused (-p) is declared by no template") == 1
        outputs.append((result.stdout, result.stderr))
    assert outputs[0] == outputs[1]


def test_the_html_report_still_draws_every_template_of_a_large_run(folder, tmp_path):
    out = tmp_path / "report.html"
    result = run(["check", folder, "-f", "html", "-o", out, "-j", "2"])
    assert result.exit_code == 1, result.output
    assert "not drawn)" not in out.read_text(encoding="utf-8").replace("parse-error, not drawn)", "") \
        .replace("skipped, not drawn)", "")
