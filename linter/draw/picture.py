"""What a drawing shows, independent of the format: nodes (resources) and links (relations) with findings.

:func:`picture_of` reads the public graph model (``linter.graph.Graph``: resources, typed edges) and the
findings of a run; the renderers (:mod:`.mermaid`, :mod:`.dot`, :mod:`.svg`, :mod:`.html`) only draw a
:class:`Picture`. Besides the graph's typed edges (``consumes``, ``dlq-of`` … see ``linter.kinds``) a picture
has two kinds of its own, so that no resource floats unexplained:

- ``references``: a resource names another through ``Ref``, ``Fn::GetAtt`` or ``${Id}`` in ``Fn::Sub``, and no
  typed edge joins the two already;
- ``creates``: a SAM resource → a resource SAM creates from it (an implicit resource, drawn dashed).

Both can be hidden (``hide=("references",)``) like any other kind.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import kinds
from ..findings import Finding, Severity
from ..refs import referenced_ids
from ..values import Case, scenario_text

REFERENCES = "references"
CREATES = "creates"
LINK_KINDS = kinds.EDGE_KINDS + (REFERENCES, CREATES)

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


@dataclass
class Node:
    key: str                      # unique in the picture, safe as an id in every format ([A-Za-z0-9_])
    logical_id: str
    type: str
    group: str                    # the stack (or file) it belongs to
    origin: str = ""              # what SAM created it from, for an implicit resource
    condition: str = ""           # "when condition IsProd is true" when its Condition is undecided
    findings: list[Finding] = field(default_factory=list)

    @property
    def implicit(self) -> bool:
        return bool(self.origin)

    @property
    def severity(self) -> Severity | None:
        """The worst severity among its findings, None without findings."""
        return max((f.severity for f in self.findings), default=None)

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def lines(self) -> list[str]:
        """The label, one line each: logical id, type, the condition it exists under, its finding codes."""
        out = [self.logical_id, self.type]
        if self.origin:
            out.append(f"({self.origin})")
        if self.condition:
            out.append(f"exists only {self.condition}")
        if self.codes:
            out.append(" ".join(self.codes))
        return out


@dataclass(frozen=True)
class Link:
    source: str                   # node keys
    target: str
    kind: str
    detail: str = ""              # the edge's role or mode ("redrive", "async"), shown as a tooltip

    @property
    def label(self) -> str:
        return self.kind


@dataclass
class Picture:
    title: str                                   # the template name(s)
    nodes: dict[str, Node] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)   # every finding of the run, drawn on a node or not
    groups: list[str] = field(default_factory=list)         # in order of appearance; one means no boxes

    def node_of(self, finding: Finding) -> list[Node]:
        """The nodes a finding is drawn on (none when its resources are not drawn)."""
        index: dict[int, list[Node]] = {}
        for node in self.nodes.values():
            for drawn in node.findings:
                index.setdefault(id(drawn), []).append(node)
        return index.get(id(finding), [])


class PictureError(ValueError):
    """A request the picture cannot satisfy (a focus on a resource no template has)."""


def picture_of(graphs, findings=(), *, focus: str | None = None, depth: int = 1, hide=(),
               title: str | None = None) -> Picture:
    """The picture of one or more resource graphs with the findings of a run drawn on their resources.

    ``graphs`` is a list of :class:`linter.graph.Graph` (one per template). A resource carrying a ``stack``
    attribute is grouped by it; otherwise each template is one group (and a single group draws no box).
    ``focus`` keeps the resources within ``depth`` links of that logical id (in any template); ``hide`` drops
    links of those kinds (see :data:`LINK_KINDS`). Raises :class:`PictureError` for an unknown focus or kind.

    ``picture_of([graph], result.findings, focus="OrderQueue", depth=2, hide=("references",))``
    """
    unknown = [k for k in hide if k not in LINK_KINDS]
    if unknown:
        raise PictureError(f"unknown link kind {', '.join(map(repr, unknown))}; the kinds are "
                           f"{', '.join(LINK_KINDS)}")
    graphs = list(graphs)
    picture = Picture(title=title or ", ".join(g.path for g in graphs), findings=list(findings))
    several = len(graphs) > 1
    by_resource: dict[int, Node] = {}
    for index, graph in enumerate(graphs):
        for resource in graph.resources.values():
            group = group_of(resource, graph)
            key = _UNSAFE.sub("_", f"t{index}_{resource.logical_id}" if several else resource.logical_id)
            while key in picture.nodes:   # ids CloudFormation would reject ("My-Queue", "My_Queue") stay apart
                key += "_"
            node = Node(key, resource.logical_id, resource.type, group, origin=resource.origin or "",
                        condition=_condition_text(resource))
            picture.nodes[key] = node
            by_resource[id(resource)] = node
            if group not in picture.groups:
                picture.groups.append(group)
    # Links after every node exists: an edge may join resources of two templates checked together.
    for graph in graphs:
        _attach_findings(picture, graph, by_resource, findings, single=not several)
        picture.links.extend(_links(graph, by_resource, hide))
    picture.links = list(dict.fromkeys(picture.links))
    if focus is not None:
        _keep_neighbourhood(picture, focus, depth)
    return picture


def group_of(resource, graph) -> str:
    """The box a resource is drawn in: its stack when cross-template analysis gave it one (a ``stack``
    attribute on the resource or its graph: a name, or an object with ``identity.name``/``path``), else
    its template's path."""
    stack = getattr(resource, "stack", None) or getattr(graph, "stack", None)
    if stack is None:
        return graph.path
    if isinstance(stack, str):
        return stack
    name = getattr(getattr(stack, "identity", None), "name", None)
    return f"stack {name} ({graph.path})" if name else str(getattr(stack, "path", None) or graph.path)


def _condition_text(resource) -> str:
    existence = resource.existence
    return scenario_text([Case(True, "", existence)]) if existence else ""


def _attach_findings(picture: Picture, graph, by_resource, findings, single: bool) -> None:
    nodes = {r.logical_id: by_resource[id(r)] for r in graph.resources.values()}
    for finding in findings:
        if not single and finding.location.path != graph.path:
            continue
        ids = [i for i in finding.logical_ids if i in nodes]
        if not ids and finding.location.logical_id in nodes:
            ids = [finding.location.logical_id]
        for logical_id in dict.fromkeys(ids):
            nodes[logical_id].findings.append(finding)


def _links(graph, by_resource, hide) -> list[Link]:
    out = []
    joined = set()
    for edge in (e for kind in kinds.EDGE_KINDS for e in graph.edges(kind)):
        if edge.source is edge.target:
            continue
        source, target = by_resource.get(id(edge.source)), by_resource.get(id(edge.target))
        if source is None or target is None:
            continue
        joined.update({(source.key, target.key), (target.key, source.key)})
        if edge.kind not in hide:
            out.append(Link(source.key, target.key, edge.kind, edge.role or edge.mode or ""))
    for resource in graph.resources.values():
        node = by_resource[id(resource)]
        if resource.origin and CREATES not in hide:
            maker = graph.resources.get(resource.anchor[0])
            if maker is not None and maker is not resource:
                out.append(Link(by_resource[id(maker)].key, node.key, CREATES, resource.origin))
                joined.update({(node.key, by_resource[id(maker)].key), (by_resource[id(maker)].key, node.key)})
    if REFERENCES not in hide:
        for resource in graph.resources.values():
            node = by_resource[id(resource)]
            for name in sorted(referenced_ids(resource.props)):
                other = graph.resources.get(name)
                if other is None or other is resource:
                    continue
                pair = (node.key, by_resource[id(other)].key)
                if pair not in joined:
                    joined.add(pair)
                    out.append(Link(node.key, by_resource[id(other)].key, REFERENCES))
    return out


def _keep_neighbourhood(picture: Picture, focus: str, depth: int) -> None:
    starts = [n.key for n in picture.nodes.values() if n.logical_id == focus]
    if not starts:
        close = sorted(n.logical_id for n in picture.nodes.values() if focus.lower() in n.logical_id.lower())
        hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
        raise PictureError(f"no resource {focus!r} in {picture.title}{hint}")
    neighbours: dict[str, set[str]] = {}
    for link in picture.links:
        neighbours.setdefault(link.source, set()).add(link.target)
        neighbours.setdefault(link.target, set()).add(link.source)
    kept = set(starts)
    frontier = set(starts)
    for _ in range(max(depth, 0)):
        frontier = {m for n in frontier for m in neighbours.get(n, ())} - kept
        kept |= frontier
    picture.nodes = {k: n for k, n in picture.nodes.items() if k in kept}
    picture.links = [link for link in picture.links if link.source in kept and link.target in kept]
    picture.groups = [g for g in picture.groups if any(n.group == g for n in picture.nodes.values())]
