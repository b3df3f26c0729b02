"""The picture as a Mermaid flowchart (paste it into Markdown on GitHub, GitLab, or mermaid.live).

The subset used, and nothing else: ``flowchart LR``; ``subgraph ID["label"]`` … ``end``; nodes
``ID["label"]`` with ``<br/>`` between lines; links ``A -->|kind| B`` and dotted ``A -.->|kind| B``;
``classDef NAME …`` and ``class ID,ID NAME``. Ids are the picture's keys (``[A-Za-z0-9_]``), prefixed with
``r_`` when they would be a Mermaid keyword (``end``). Label text escapes ``"``, ``<``, ``>`` and ``#`` as Mermaid
entities (``#quot;``), so no template text can end a label early.
"""
from __future__ import annotations

from . import style
from .picture import Picture

_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;"}
# Words Mermaid reads as syntax wherever they stand: a resource named ``End`` must not close a subgraph.
_KEYWORDS = {"end", "subgraph", "graph", "flowchart", "style", "classdef", "class", "click", "linkstyle",
             "call", "href", "default", "direction"}


def node_id(key: str) -> str:
    """The node's Mermaid id: its key, prefixed when Mermaid would read the key as a keyword."""
    return f"r_{key}" if key.lower() in _KEYWORDS else key


def escape(text: str) -> str:
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def render(picture: Picture) -> str:
    out = ["flowchart LR"]
    boxed = len(picture.groups) > 1
    for index, group in enumerate(picture.groups):
        members = [n for n in picture.nodes.values() if n.group == group]
        indent = "    " if boxed else "  "
        if boxed:
            out.append(f'  subgraph group{index}["{escape(group)}"]')
        for node in members:
            out.append(f'{indent}{node_id(node.key)}["{"<br/>".join(escape(line) for line in node.lines())}"]')
        if boxed:
            out.append("  end")
    for link in picture.links:
        arrow = "-.->" if style.dashed_link(link.kind) else "-->"
        out.append(f"  {node_id(link.source)} {arrow}|{escape(link.label)}| {node_id(link.target)}")
    classes: dict[str, list[str]] = {}
    for node in picture.nodes.values():
        if node.severity is not None:
            classes.setdefault(node.severity.label, []).append(node_id(node.key))
        if node.implicit:
            classes.setdefault("implicit", []).append(node_id(node.key))
        if node.condition:
            classes.setdefault("undecided", []).append(node_id(node.key))
    definitions = {severity.label: "fill:{},stroke:{},color:{}".format(*style.colours(severity))
                   for severity in style.SEVERITY_COLOURS if severity is not None}
    definitions["implicit"] = "stroke-dasharray:5 5"
    definitions["undecided"] = "stroke-width:3px"
    for name, members in classes.items():
        out.append(f"  classDef {name} {definitions[name]}")
        out.append(f"  class {','.join(members)} {name}")
    return "\n".join(out) + "\n"
