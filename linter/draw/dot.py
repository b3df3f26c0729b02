"""The picture as Graphviz DOT, and DOT to SVG through Graphviz's ``dot`` when it is installed.

Nodes carry ``id`` (``node-KEY``, the SVG element id), ``class`` (``node`` plus the severity) and ``href``
(``#findings-KEY``) so the HTML report can link the drawing and the findings table both ways.
"""
from __future__ import annotations

import shutil
import subprocess

from . import style
from .picture import Picture


class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` is not on PATH."""


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(picture: Picture, *, links_to_findings: bool = False, id_prefix: str = "") -> str:
    """DOT text; ``links_to_findings`` makes each node with findings a link to ``#findings-KEY`` (the HTML
    report's table), ``id_prefix`` keeps ids unique when a page holds several drawings."""
    out = ["digraph architecture {",
           '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.6];',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
           '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];']
    boxed = len(picture.groups) > 1
    for index, group in enumerate(picture.groups):
        indent = "    " if boxed else "  "
        if boxed:
            out.append(f"  subgraph cluster_{index} {{")
            out.append(f'    label={quote(group)}; style="rounded"; color="#adb5bd";')
        for node in picture.nodes.values():
            if node.group != group:
                continue
            fill, border, text = style.colours(node.severity)
            styles = ["rounded", "filled"] + (["dashed"] if node.implicit else [])
            attributes = {"id": f"node-{id_prefix}{node.key}", "label": "\n".join(node.lines()), "fillcolor": fill,
                          "color": border, "fontcolor": text, "style": ",".join(styles),
                          "class": " ".join(([node.severity.label] if node.severity else [])
                                            + (["implicit"] if node.implicit else [])
                                            + (["undecided"] if node.condition else [])),
                          "tooltip": f"{node.logical_id} ({node.type})"}
            if node.condition:
                attributes["peripheries"] = "2"
                attributes["penwidth"] = "1.5"
            if links_to_findings and node.findings:
                attributes["href"] = f"#findings-{id_prefix}{node.key}"
            out.append(f"{indent}{quote(node.key)} [{_attributes(attributes)}];")
        if boxed:
            out.append("  }")
    for index, link in enumerate(picture.links):
        attributes = {"label": link.label, "color": style.link_colour(link.kind),
                      "fontcolor": style.link_colour(link.kind), "class": f"link {link.kind}", "id": f"link-{id_prefix}{index}"}
        if style.dashed_link(link.kind):
            attributes["style"] = "dashed"
        if link.detail:
            attributes["tooltip"] = f"{link.kind}: {link.detail}"
        out.append(f"  {quote(link.source)} -> {quote(link.target)} [{_attributes(attributes)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _attributes(attributes: dict) -> str:
    return ", ".join(f"{name}={quote(str(value))}" for name, value in attributes.items())


def graphviz_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(dot_text: str, timeout: float = 120) -> str:
    """SVG laid out by Graphviz's ``dot``. Raises :class:`GraphvizMissing` when it is not installed and
    ``RuntimeError`` with dot's message when it fails."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing("Graphviz's `dot` is not installed (Debian/Ubuntu: apt-get install graphviz; "
                              "macOS: brew install graphviz)")
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz's dot took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")
