"""``cfn-arch-lint graph`` and ``check --format html``: the picture, Mermaid (by a parser for the subset),
DOT (through Graphviz), and the HTML page (in headless Chromium: nodes in the DOM, a non-blank render)."""
from __future__ import annotations

import pathlib
import re
import subprocess
import time

import pytest

from cihelpers import PIPELINE_RULES, run
from graphtools import MermaidError, chromium, parse_mermaid, read_png, service_template, tool_or_skip
from linter.api import lint_file, lint_text
from linter.draw import dot, html, mermaid, svg
from linter.draw.picture import CREATES, REFERENCES, Picture, PictureError, picture_of
from linter.findings import Severity
from linter.options import select_rules
from linter.engine import all_rules

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "examples" / "orders-stack.yaml"
ALERTS = ROOT / "fixtures" / "graph" / "alerts-stack.yaml"
RULES = select_rules(all_rules(), [PIPELINE_RULES], [])


def _picture(path=ALERTS, **kwargs) -> Picture:
    result = lint_file(str(path), rules=RULES)
    return picture_of([result.graph], result.findings, **kwargs)


# ---------------------------------------------------------------- the picture

def test_nodes_are_the_graph_resources_with_implicit_ones_and_conditions():
    result = lint_file(str(ALERTS), rules=RULES)
    picture = picture_of([result.graph], result.findings)
    assert set(picture.nodes) == set(result.graph.resources)
    assert picture.nodes["AlertWorkerAlerts"].implicit and picture.nodes["AlertWorkerRole"].implicit
    assert not picture.nodes["AlertQueue"].implicit
    # AlertEmail has no default: HasAlertEmail is undecided, and both resources under it say so.
    assert picture.nodes["AlertTopic"].condition == "when condition HasAlertEmail is true"
    assert "exists only when condition HasAlertEmail is true" in picture.nodes["AlertDLQDepth"].lines()
    assert picture.nodes["AlertQueue"].condition == ""


def test_nodes_coloured_by_worst_severity_and_list_codes():
    picture = _picture()
    queue = picture.nodes["AlertQueue"]
    assert queue.severity is Severity.ERROR and "SQS001" in queue.codes      # 30 s default < 60 s Globals
    assert picture.nodes["AlertWorkerRole"].severity is None
    assert queue.lines()[-1] == " ".join(queue.codes)


def test_links_carry_graph_kinds_and_the_picture_kinds():
    picture = _picture()
    kinds = {(l.source, l.target): l.kind for l in picture.links}
    assert kinds[("AlertQueue", "AlertWorker")] == "consumes"
    assert kinds[("AlertDLQ", "AlertQueue")] == "dlq-of"
    assert kinds[("AlertDLQDepth", "AlertDLQ")] == "alarms-on"
    assert kinds[("AlertWorker", "AlertWorkerAlerts")] == CREATES
    assert kinds[("AlertDLQDepth", "AlertTopic")] == REFERENCES
    # A reference already drawn as a typed relation is not drawn twice.
    assert ("AlertQueue", "AlertDLQ") not in kinds


def test_focus_keeps_the_neighbourhood_and_depth_widens_it():
    near = _picture(focus="AlertQueue", depth=1)
    assert set(near.nodes) == {"AlertQueue", "AlertWorker", "AlertDLQ", "AlertWorkerAlerts"}
    wider = _picture(focus="AlertQueue", depth=2)
    assert {"AlertDLQDepth", "AlertWorkerRole"} <= set(wider.nodes)
    assert set(_picture(focus="AlertQueue", depth=0).nodes) == {"AlertQueue"}
    assert all(l.source in near.nodes and l.target in near.nodes for l in near.links)


def test_hidden_kinds_are_left_out_and_unknown_ones_refused():
    picture = _picture(hide=("references", "creates"))
    assert {l.kind for l in picture.links} == {"consumes", "dlq-of", "alarms-on"}
    with pytest.raises(PictureError, match="unknown link kind 'refs'"):
        _picture(hide=("refs",))
    with pytest.raises(PictureError, match="no resource 'AlertQ'.*did you mean AlertQueue"):
        _picture(focus="AlertQ")


def test_several_templates_are_grouped_by_template_or_stack():
    first, second = (lint_file(str(p), rules=RULES) for p in (ALERTS, EXAMPLE))
    picture = picture_of([first.graph, second.graph], first.findings + second.findings)
    assert picture.groups == [str(ALERTS), str(EXAMPLE)]
    assert len(picture.nodes) == len(first.graph.resources) + len(second.graph.resources)
    # Findings stay with their own template's resources.
    assert picture.nodes["t1_OrderQueue"].findings and all(
        f.location.path == str(EXAMPLE) for f in picture.nodes["t1_OrderQueue"].findings)
    # Cross-template analysis may tag resources with a stack: they group by it.
    for resource in second.graph.resources.values():
        resource.stack = "orders"
    assert picture_of([first.graph, second.graph]).groups == [str(ALERTS), "orders"]


# ---------------------------------------------------------------- Mermaid

@pytest.mark.parametrize("path", [ALERTS, EXAMPLE])
def test_mermaid_parses_and_matches_the_picture(path):
    picture = _picture(path)
    parsed = parse_mermaid(mermaid.render(picture))
    assert set(parsed["nodes"]) == set(picture.nodes)
    assert len(parsed["links"]) == len(picture.links)
    for key, node in picture.nodes.items():
        assert parsed["nodes"][key] == node.lines()
    assert parsed["classes"].get("error", set()) == {k for k, n in picture.nodes.items() if n.severity is Severity.ERROR}
    assert parsed["classes"]["implicit"] == {k for k, n in picture.nodes.items() if n.implicit}
    dotted = {(a, b) for a, arrow, _, b in parsed["links"] if arrow == "-.->"}
    assert dotted == {(l.source, l.target) for l in picture.links if l.kind in (REFERENCES, CREATES)}


def test_mermaid_escapes_awkward_group_names(tmp_path):
    odd = tmp_path / 'a "quoted" <stack> #1.yaml'
    odd.write_text(ALERTS.read_text())
    results = [lint_file(str(p), rules=RULES) for p in (odd, EXAMPLE)]
    parsed = parse_mermaid(mermaid.render(picture_of([r.graph for r in results])))
    assert parsed["groups"]["group0"] == str(odd)


@pytest.mark.parametrize("broken", [
    'flowchart LR\n  A["x"]\n  A -->|k| B\n',             # link to an undeclared node
    'flowchart LR\n  A["say "hi""]\n',                    # raw quote in a label
    'flowchart LR\n  subgraph g["s"]\n  A["x"]\n',         # subgraph not closed
    'flowchart LR\n  A["x"]\n  class A error\n',          # class without classDef
    'graph LR\n  A["x"]\n',                               # not the flowchart header we write
    'flowchart LR\n  end["x"]\n',                          # a keyword as a node id
])
def test_the_mermaid_parser_rejects_what_mermaid_would_misread(broken):
    with pytest.raises(MermaidError):
        parse_mermaid(broken)


# ---------------------------------------------------------------- DOT and SVG

def test_dot_goes_through_graphviz():
    program = tool_or_skip("dot", package="graphviz")
    picture = _picture(EXAMPLE)
    done = subprocess.run([program, "-Tsvg"], input=dot.render(picture, links_to_findings=True).encode(),
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    ids = set(re.findall(r'<g id="node&#45;(\w+)" class="node', out))
    assert ids == set(picture.nodes)
    assert len(re.findall(r'class="edge link ', out)) == len(picture.links)
    assert re.search(r'xlink:href="#findings(-|&#45;)OrderQueue"', out)


def test_svg_format_needs_graphviz_and_says_so(tmp_path, monkeypatch):
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else real_which(name, *a, **k))
    result = run(["graph", str(ALERTS), "--format", "svg", "-o", str(tmp_path / "g.svg")])
    assert result.exit_code == 2
    assert "needs Graphviz" in result.output and "--format html" in result.output
    # html needs no tool: the built-in layout draws it.
    result = run(["graph", str(ALERTS), "--format", "html", "-o", str(tmp_path / "g.html")])
    assert result.exit_code == 0, result.output
    assert "Drawn by the python layout" in (tmp_path / "g.html").read_text()


def test_python_layout_places_every_node_without_overlap():
    picture = _picture(EXAMPLE)
    placed = svg.layout(picture)
    boxes = [placed[k] for k in picture.nodes]
    for i, (x, y, w, h) in enumerate(boxes):
        for (x2, y2, w2, h2) in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "nodes overlap"
    # Links follow the layering: a typed relation's source is never right of its target's column.
    column = {k: placed[k][0] for k in picture.nodes}
    assert column["AlertQueue" if "AlertQueue" in column else "OrderQueue"] < column.get("OrderWorker", 1e9)


# ---------------------------------------------------------------- the CLI

def test_graph_command_formats(tmp_path):
    out = run(["graph", str(ALERTS), "--select", PIPELINE_RULES])
    assert out.exit_code == 0 and parse_mermaid(out.output)["nodes"]
    out = run(["graph", str(ALERTS), "-f", "dot", "--focus", "AlertQueue", "--hide", "creates,references"])
    assert out.exit_code == 0 and out.output.startswith("digraph")
    assert "AlertWorkerRole" not in out.output and "creates" not in out.output
    assert run(["graph", str(ALERTS), "--focus", "Nope"]).exit_code == 2
    assert run(["graph"]).exit_code == 2
    missing = run(["graph", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "no template to draw" in missing.output


def test_graph_command_draws_links_across_the_stacks_it_checks_together():
    # The shop repository's monitoring stack alarms on the app's DLQs (names handed over by an export and an
    # SSM parameter): drawn as check judges it, the alarm links into the app's box.
    shop = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "stacks" / "shop"
    out = run(["graph", str(shop), "--select", "SQS002", "--hide", "creates,references"])
    assert out.exit_code == 0, out.output
    parsed = parse_mermaid(out.output)
    box = parsed["node_groups"]
    across = {(a.split("_", 1)[1], label, b.split("_", 1)[1]) for a, _, label, b in parsed["links"]
              if box.get(a) != box.get(b)}
    assert ("OrdersDLQAlarm", "alarms-on", "OrdersDLQ") in across
    assert ("Worker", "in-subnet", "PrivateSubnet") in across


def test_graph_command_reports_unreadable_templates(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [unclosed\n")
    out = run(["graph", str(broken), str(ALERTS)])
    assert out.exit_code == 0 and "broken.yaml: not drawn" in out.output


# ---------------------------------------------------------------- HTML

def _check_self_contained(text: str) -> None:
    assert len(text.encode()) < 3 * 1024 * 1024
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", text), "the page must not load anything"
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert "@import" not in text and "url(http" not in text


@pytest.mark.parametrize("layout", ["python", "graphviz"])
def test_html_links_table_and_drawing_both_ways(layout):
    if layout == "graphviz":
        tool_or_skip("dot", package="graphviz")
    picture = _picture(EXAMPLE)
    text = html.page([picture], title="orders-stack.yaml", layout=layout)
    _check_self_contained(text)
    for key, node in picture.nodes.items():
        assert re.search(rf'id="node(-|&#45;){key}"', text), key
        if node.findings:
            assert f'href="#node-{key}"' in text and f'id="findings-{key}"' in text
            assert re.search(rf'href="#findings(-|&#45;){key}"', text)
    assert text.count("<tr id=\"finding-") == len(picture.findings)
    assert "orders-stack.yaml" in text


def test_check_format_html_writes_the_report(tmp_path):
    out = tmp_path / "report.html"
    result = run(["check", str(EXAMPLE), str(ALERTS), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    text = out.read_text()
    _check_self_contained(text)
    assert text.count('<section class="template') == 2
    assert str(EXAMPLE) in text and str(ALERTS) in text
    assert 'id="node-s0-OrderQueue"' in text or 'id="node&#45;s0&#45;OrderQueue"' in text


def _render_in_chromium(page: pathlib.Path, shot: pathlib.Path, size="800,600"):
    started = time.perf_counter()
    done = chromium(page.as_uri(), "--dump-dom", f"--window-size={size}")
    dom_seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    dom = done.stdout.decode()
    started = time.perf_counter()
    shot_done = chromium(page.as_uri(), f"--screenshot={shot}", f"--window-size={size}")
    shot_seconds = time.perf_counter() - started
    assert shot_done.returncode == 0 and shot.exists(), shot_done.stderr.decode()[-2000:]
    return dom, dom_seconds, shot_seconds


@pytest.mark.parametrize("layout", ["python", "graphviz"])
def test_html_in_headless_chromium(tmp_path, layout):
    if layout == "graphviz":
        tool_or_skip("dot", package="graphviz")
    picture = _picture(EXAMPLE)
    page = tmp_path / "graph.html"
    page.write_text(html.page([picture], title="orders-stack.yaml", layout=layout))
    dom, _, _ = _render_in_chromium(page, tmp_path / "shot.png")
    # The page's script ran in the browser and counted the drawn nodes.
    assert 'data-ready="yes"' in dom
    assert f'data-rendered-nodes="{len(picture.nodes)}"' in dom
    assert len(re.findall(r'<g [^>]*class="node', dom)) == len(picture.nodes)
    width, height, rows = read_png(tmp_path / "shot.png")
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), 3)]
    not_white = sum(p != b"\xff\xff\xff" for p in pixels)
    assert not_white > 0.05 * width * height, "the render is (nearly) blank"
    error_fill = bytes.fromhex("f8d7da")   # a node with an error finding is on screen
    assert any(p == error_fill for p in pixels)


def test_300_resource_template_renders_in_time(tmp_path):
    text = service_template(60)   # 300 resources in the template, 420 with SAM's
    result = lint_text(text, "services.yaml", rules=RULES)
    assert len(result.graph.resources) == 420
    started = time.perf_counter()
    picture = picture_of([result.graph], result.findings)
    report = html.page([picture], title="services.yaml", layout="python")
    build_seconds = time.perf_counter() - started
    _check_self_contained(report)
    page = tmp_path / "services.html"
    page.write_text(report)
    dom, dom_seconds, shot_seconds = _render_in_chromium(page, tmp_path / "services.png", size="800,600")
    assert f'data-rendered-nodes="{len(picture.nodes)}"' in dom
    print(f"300-resource template: page built in {build_seconds:.2f} s ({len(report) // 1024} kB), "
          f"Chromium load + DOM {dom_seconds:.2f} s, load + screenshot {shot_seconds:.2f} s")
    assert build_seconds < 30 and shot_seconds < 120


def test_links_between_templates_checked_together_are_drawn_and_boxes_name_stacks():
    from types import SimpleNamespace

    alerts, orders = (lint_file(str(p), rules=RULES).graph for p in (ALERTS, EXAMPLE))
    # As cross-template analysis links them: an alarm of one stack on a queue of another.
    alerts.link("alarms-on", alerts.resources["AlertDLQDepth"], orders.resources["OrderDLQ"])
    orders.stack = SimpleNamespace(identity=SimpleNamespace(name="orders-prod"), path=orders.path)
    picture = picture_of([alerts, orders])
    assert ("t0_AlertDLQDepth", "t1_OrderDLQ", "alarms-on") in {(l.source, l.target, l.kind) for l in picture.links}
    assert picture.groups == [str(ALERTS), f"stack orders-prod ({EXAMPLE})"]
    parsed = parse_mermaid(mermaid.render(picture))
    assert set(parsed["groups"].values()) == set(picture.groups)


def test_awkward_logical_ids_stay_distinct_and_never_read_as_mermaid_syntax():
    text = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  end:
    Type: AWS::SQS::Queue
  Style:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt end.Arn, maxReceiveCount: 3}
  Jobs-Queue:
    Type: AWS::SQS::Queue
  Jobs_Queue:
    Type: AWS::SQS::Queue
"""
    result = lint_text(text, "odd.yaml", rules=RULES)
    picture = picture_of([result.graph], result.findings)
    assert len(picture.nodes) == 4 and {"Jobs_Queue", "Jobs_Queue_"} <= set(picture.nodes)
    parsed = parse_mermaid(mermaid.render(picture))
    assert {"r_end", "r_Style"} <= set(parsed["nodes"])
    assert ("r_end", "-->", "dlq-of", "r_Style") in parsed["links"]
    assert not {"end", "Style"} & set(parsed["nodes"])


CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the project")
def test_real_templates_draw_in_every_format():
    """A sample of the corpus (every 60th template): Mermaid the parser accepts, DOT, and a self-contained
    page with every resource drawn, never a traceback."""
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template"))[::60]
    drawn = 0
    for path in files:
        result = lint_file(str(path), rules=RULES)
        if result.graph is None:
            continue
        picture = picture_of([result.graph], result.findings)
        assert set(parse_mermaid(mermaid.render(picture))["nodes"]) == {mermaid.node_id(k) for k in picture.nodes}
        assert dot.render(picture).count(" -> ") == len(picture.links)
        page = html.page([picture], title=str(path), layout="python")
        assert page.count('<g class="node') == len(picture.nodes), path
        drawn += 1
    assert drawn >= 20


def test_graph_command_takes_parameters_as_check_does():
    undecided = run(["graph", str(ALERTS), "--select", PIPELINE_RULES])
    assert "exists only when condition HasAlertEmail is true" in undecided.output
    given = run(["graph", str(ALERTS), "--select", PIPELINE_RULES, "-p", "AlertEmail=ops@example.com"])
    assert given.exit_code == 0 and "AlertTopic" in given.output and "exists only" not in given.output
    off = run(["graph", str(ALERTS), "--select", PIPELINE_RULES, "-p", "AlertEmail="])
    assert off.exit_code == 0 and "AlertTopic" not in off.output   # the condition is false: not created
