"""A small layered layout in pure Python, drawn as SVG: the HTML report's drawing when Graphviz is absent.

Left to right, as ``dot -Grankdir=LR`` would: cycles are broken by reversing the links a depth-first walk
finds going back; each node's column is the longest path to it; the order inside a column is improved by
a few barycentre sweeps (Sugiyama's heuristic, without dummy nodes: a link that skips columns is a curve).
Each connected part of the graph gets its own band, largest first; resources without any link are packed
in a grid under them, so a large template does not become one tall column. Each group (stack) is laid out on its own, the groups one under the other.

The SVG uses the same ids and classes as Graphviz's output for the same picture (``g.node#node-KEY``,
``g.link``), so the HTML report, its links and its tests do not depend on which layout made it.
"""
from __future__ import annotations

from html import escape

from . import style
from .picture import Node, Picture

CHAR_WIDTH = 6.4     # average width of a 11 px sans-serif character
LINE_HEIGHT = 14
PAD_X, PAD_Y = 10, 6
COLUMN_GAP, ROW_GAP = 70, 16
GROUP_GAP, GROUP_PAD, GROUP_TITLE = 30, 16, 22
GRID_COLUMNS = 6


def _size(node: Node) -> tuple[float, float]:
    lines = node.lines()
    return max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X, len(lines) * LINE_HEIGHT + 2 * PAD_Y


def layout(picture: Picture) -> dict[str, tuple[float, float, float, float]]:
    """``{node key: (x, y, width, height)}`` (top-left corner), and a box per group under ``group:NAME``."""
    positions: dict[str, tuple[float, float, float, float]] = {}
    top = 0.0
    boxed = len(picture.groups) > 1
    for group in picture.groups:
        keys = [k for k, n in picture.nodes.items() if n.group == group]
        members = set(keys)
        links = [(l.source, l.target) for l in picture.links if l.source in members and l.target in members]
        placed, width, height = _layout_group(picture, keys, links)
        offset_x, offset_y = (GROUP_PAD, top + GROUP_TITLE + GROUP_PAD) if boxed else (0.0, top)
        for key, (x, y, w, h) in placed.items():
            positions[key] = (x + offset_x, y + offset_y, w, h)
        if boxed:
            positions[f"group:{group}"] = (0.0, top, width + 2 * GROUP_PAD, height + GROUP_TITLE + 2 * GROUP_PAD)
            top += height + GROUP_TITLE + 2 * GROUP_PAD + GROUP_GAP
        else:
            top += height + GROUP_GAP
    return positions


def _layout_group(picture, keys, links):
    sizes = {k: _size(picture.nodes[k]) for k in keys}
    linked = {k for pair in links for k in pair}
    loose = [k for k in keys if k not in linked]
    placed: dict[str, tuple[float, float, float, float]] = {}
    total_width, y = 0.0, 0.0
    # Each connected part in its own band, so unrelated parts of a stack do not interleave.
    for part in _components([k for k in keys if k in linked], links):
        members = set(part)
        band, width, height = _layout_band(part, [l for l in links if l[0] in members], sizes)
        for key, (x, top, w, h) in band.items():
            placed[key] = (x, top + y, w, h)
        total_width = max(total_width, width)
        y += height + GROUP_GAP
    # Loose resources: a grid of equal cells under the connected part.
    if loose:
        cell_w = max(sizes[k][0] for k in loose)
        cell_h = max(sizes[k][1] for k in loose)
        fits = int((total_width + 20) // (cell_w + 20))
        per_row = max(1, min(len(loose), fits if fits > 0 else GRID_COLUMNS))
        for index, key in enumerate(loose):
            row, col = divmod(index, per_row)
            w, h = sizes[key]
            placed[key] = (col * (cell_w + 20) + (cell_w - w) / 2, y + row * (cell_h + ROW_GAP), w, h)
        rows = (len(loose) + per_row - 1) // per_row
        total_width = max(total_width, per_row * (cell_w + 20) - 20)
        y += rows * (cell_h + ROW_GAP) - ROW_GAP
    else:
        y = max(y - GROUP_GAP, 0.0)
    return placed, total_width, y


def _components(keys, links) -> list[list[str]]:
    """The connected parts (links taken both ways), each in the template's order, largest first."""
    neighbours: dict[str, set[str]] = {k: set() for k in keys}
    for source, target in links:
        neighbours[source].add(target)
        neighbours[target].add(source)
    seen: set[str] = set()
    parts = []
    for start in keys:
        if start in seen:
            continue
        seen.add(start)
        part, stack = set(), [start]
        while stack:
            key = stack.pop()
            part.add(key)
            for other in neighbours[key] - seen:
                seen.add(other)
                stack.append(other)
        parts.append([k for k in keys if k in part])
    return sorted(parts, key=len, reverse=True)


def _layout_band(keys, links, sizes):
    forward = _acyclic(keys, links)
    column = _columns(keys, forward)
    columns: dict[int, list[str]] = {}
    for key in keys:   # the template's order first: stable, and close to how authors group things
        columns.setdefault(column[key], []).append(key)
    _order(columns, forward)
    placed = {}
    x = 0.0
    heights = {c: sum(sizes[k][1] for k in ks) + ROW_GAP * (len(ks) - 1) for c, ks in columns.items()}
    tallest = max(heights.values(), default=0.0)
    for c in sorted(columns):
        width = max(sizes[k][0] for k in columns[c])
        y = (tallest - heights[c]) / 2
        for key in columns[c]:
            w, h = sizes[key]
            placed[key] = (x + (width - w) / 2, y, w, h)
            y += h + ROW_GAP
        x += width + COLUMN_GAP
    return placed, max(x - COLUMN_GAP, 0.0), tallest


def _acyclic(keys, links) -> list[tuple[str, str]]:
    """The links with those that close a cycle reversed (found by an iterative depth-first walk)."""
    out_of: dict[str, list[str]] = {k: [] for k in keys}
    for source, target in links:
        if source != target:
            out_of[source].append(target)
    state: dict[str, int] = {}   # 1 on the walk's path, 2 done
    back: set[tuple[str, str]] = set()
    for start in keys:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out_of[start]))]
        while stack:
            node, rest = stack[-1]
            nxt = next(rest, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(out_of[nxt])))
    return [((t, s) if (s, t) in back else (s, t)) for s, t in dict.fromkeys(links) if s != t]


def _columns(keys, forward) -> dict[str, int]:
    """Longest path from a source, by a topological walk (Kahn)."""
    into = {k: 0 for k in keys}
    out_of: dict[str, list[str]] = {k: [] for k in keys}
    for source, target in forward:
        out_of[source].append(target)
        into[target] += 1
    column = {k: 0 for k in keys}
    ready = [k for k in keys if into[k] == 0]
    while ready:
        key = ready.pop()
        for nxt in out_of[key]:
            column[nxt] = max(column[nxt], column[key] + 1)
            into[nxt] -= 1
            if into[nxt] == 0:
                ready.append(nxt)
    return column


def _order(columns: dict[int, list[str]], forward, sweeps: int = 4) -> None:
    """Reorder each column by the mean position of its neighbours in the column before (then after)."""
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    for source, target in forward:
        after.setdefault(source, []).append(target)
        before.setdefault(target, []).append(source)
    order = sorted(columns)
    for sweep in range(sweeps):
        neighbours, walk = (before, order[1:]) if sweep % 2 == 0 else (after, list(reversed(order[:-1])))
        for c in walk:
            position = {k: i for ks in columns.values() for i, k in enumerate(ks)}

            def centre(key, current):
                near = [position[n] for n in neighbours.get(key, ()) if n in position]
                return sum(near) / len(near) if near else current

            columns[c] = [k for _, k in sorted(((centre(k, i), i), k) for i, k in enumerate(columns[c]))]


def render(picture: Picture, *, links_to_findings: bool = False, id_prefix: str = "") -> str:
    """The picture as one SVG element (same ids and classes as :func:`linter.draw.dot.render` gives)."""
    placed = layout(picture)
    width = max((x + w for x, y, w, h in placed.values()), default=0) + 20
    height = max((y + h for x, y, w, h in placed.values()), default=0) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
           f'viewBox="-10 -10 {width:.0f} {height:.0f}" font-family="Helvetica,Arial,sans-serif" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
           '<g class="graph">']
    for index, group in enumerate(picture.groups):
        box = placed.get(f"group:{group}")
        if box:
            x, y, w, h = box
            out.append(f'<g class="cluster" id="cluster-{id_prefix}{index}"><rect x="{x:.1f}" y="{y:.1f}" '
                       f'width="{w:.1f}" height="{h:.1f}" rx="8" fill="none" stroke="#adb5bd"/>'
                       f'<text x="{x + 10:.1f}" y="{y + 16:.1f}" font-weight="bold">{escape(group)}</text></g>')
    for index, link in enumerate(picture.links):
        out.append(_link(link, placed, f"link-{id_prefix}{index}"))
    for node in picture.nodes.values():
        out.append(_node(node, placed[node.key], id_prefix, links_to_findings))
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _link(link, placed, element_id) -> str:
    sx, sy, sw, sh = placed[link.source]
    tx, ty, tw, th = placed[link.target]
    colour = style.link_colour(link.kind)
    if tx >= sx + sw:            # forward: right side to left side
        x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
    elif tx + tw <= sx:          # backward
        x1, y1, x2, y2 = sx, sy + sh / 2, tx + tw, ty + th / 2
    else:                        # same column: bottom to top (or top to bottom)
        x1, x2 = sx + sw / 2, tx + tw / 2
        y1, y2 = (sy + sh, ty) if ty > sy else (sy, ty + th)
    bend = max(abs(x2 - x1) / 2, 30)
    horizontal = abs(x2 - x1) > 1 and not (tx < sx + sw and tx + tw > sx)
    if horizontal:
        direction = 1 if x2 > x1 else -1
        path = f"M{x1:.1f},{y1:.1f} C{x1 + direction * bend:.1f},{y1:.1f} {x2 - direction * bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    else:
        path = f"M{x1:.1f},{y1:.1f} C{x1 + 40:.1f},{y1:.1f} {x2 + 40:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    dash = ' stroke-dasharray="5,4"' if style.dashed_link(link.kind) else ""
    title = escape(f"{link.kind}: {link.detail}" if link.detail else link.kind)
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return (f'<g class="edge link {escape(link.kind)}" id="{element_id}"><title>{title}</title>'
            f'<path d="{path}" fill="none" stroke="{colour}"{dash} marker-end="url(#arrow)"/>'
            f'<text x="{mx:.1f}" y="{my - 3:.1f}" text-anchor="middle" font-size="9" fill="{colour}" '
            f'paint-order="stroke" stroke="#ffffff" stroke-width="3">{escape(link.label)}</text></g>')


def _node(node: Node, box, id_prefix: str, links_to_findings: bool) -> str:
    x, y, w, h = box
    fill, border, text = style.colours(node.severity)
    classes = " ".join(["node"] + ([node.severity.label] if node.severity else [])
                       + (["implicit"] if node.implicit else []) + (["undecided"] if node.condition else []))
    dash = ' stroke-dasharray="5,3"' if node.implicit else ""
    parts = [f'<g class="{classes}" id="node-{id_prefix}{node.key}"><title>{escape(node.logical_id)} '
             f'({escape(node.type)})</title>']
    if links_to_findings and node.findings:
        parts.append(f'<a href="#findings-{id_prefix}{node.key}">')
    parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" fill="{fill}" '
                 f'stroke="{border}"{dash}/>')
    if node.condition:   # a second border, as Graphviz draws peripheries=2
        parts.append(f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{w - 6:.1f}" height="{h - 6:.1f}" rx="4" '
                     f'fill="none" stroke="{border}"{dash}/>')
    for index, line in enumerate(node.lines()):
        weight = ' font-weight="bold"' if index == 0 else ""
        parts.append(f'<text x="{x + w / 2:.1f}" y="{y + PAD_Y + (index + 1) * LINE_HEIGHT - 3:.1f}" '
                     f'text-anchor="middle" fill="{text}"{weight}>{escape(line)}</text>')
    if links_to_findings and node.findings:
        parts.append("</a>")
    parts.append("</g>")
    return "".join(parts)
