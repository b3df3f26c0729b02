"""The HTML report: one self-contained file with the drawing, a findings table linked to it both ways, and
the template names. No script, style or font is fetched at view time; nothing but the file is needed.

Each drawing is an SVG laid out when the report is made (see :mod:`linter.draw` for why), by Graphviz's
``dot`` when it is installed, else by :mod:`linter.draw.svg`. A node with findings links to its rows
(``#findings-KEY``), each row links back to its nodes (``#node-KEY``); ``:target`` highlights the other end.
Check boxes hide link kinds. After load, a short script counts the drawn nodes into the section's
``data-rendered-nodes`` (what the browser test reads).
"""
from __future__ import annotations

import time
from html import escape

from ..findings import Severity
from . import dot, style, svg
from .picture import Picture

LAYOUTS = ("auto", "graphviz", "python")
FIT_UP_TO = 60   # drawings of up to this many resources start scaled to the page's width


def drawing_svg(picture: Picture, *, layout: str = "auto", id_prefix: str = "") -> tuple[str, str]:
    """(SVG text, the layout that made it). ``auto`` uses Graphviz when installed and falls back to the
    pure-Python layout when it is absent or fails; ``graphviz`` raises :class:`dot.GraphvizMissing`."""
    if layout == "graphviz" or (layout == "auto" and dot.graphviz_available()):
        try:
            made = dot.to_svg(dot.render(picture, links_to_findings=True, id_prefix=id_prefix))
            return made[made.index("<svg"):], "graphviz"
        except (RuntimeError, ValueError):
            if layout == "graphviz":
                raise
    return svg.render(picture, links_to_findings=True, id_prefix=id_prefix), "python"


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#212529;background:#fff}
header{padding:12px 20px;background:#f1f3f5;border-bottom:1px solid #dee2e6}
header h1{font-size:18px;margin:0 0 4px}
header p{margin:2px 0;font-size:13px}
section.template{padding:8px 20px 24px;border-bottom:1px solid #dee2e6}
section.template h2{font-size:16px;margin:8px 0}
.controls{font-size:12px;margin:4px 0 8px}
.controls label{margin-right:10px;white-space:nowrap}
.legend span{display:inline-block;padding:1px 6px;margin-right:6px;border:1px solid;border-radius:4px;font-size:12px}
.diagram{overflow:auto;max-height:80vh;border:1px solid #dee2e6;border-radius:4px;padding:6px;background:#fff}
.diagram svg{display:block}
section.fit .diagram svg{max-width:100%;height:auto}
g.node:target>rect,g.node:target polygon,g.node:target path,g.node:target a>rect{stroke:#000;stroke-width:4px}
table.findings{border-collapse:collapse;margin-top:12px;font-size:13px;width:100%}
table.findings th,table.findings td{border:1px solid #dee2e6;padding:4px 6px;text-align:left;vertical-align:top}
table.findings tr:target,table.findings tr:has(:target){background:#fff3bf}
td.sev-error{color:#b02a37;font-weight:bold}td.sev-warning{color:#8a6100;font-weight:bold}td.sev-info{color:#0a58ca}
p.note{font-size:12px;color:#6c757d}
"""

_SCRIPT = """
document.querySelectorAll('section.template').forEach(function (section) {
  var count = section.querySelectorAll('.diagram svg g.node').length;
  section.dataset.renderedNodes = String(count);
  var shown = section.querySelector('.rendered-nodes');
  if (shown) { shown.textContent = String(count); }
  var fit = section.querySelector('input.fit');
  if (fit) { fit.addEventListener('change', function () { section.classList.toggle('fit', fit.checked); }); }
  section.querySelectorAll('input[data-kind]').forEach(function (box) {
    box.addEventListener('change', function () {
      section.classList.toggle('hide-' + box.dataset.kind, !box.checked);
    });
  });
});
document.body.dataset.ready = 'yes';
window.addEventListener('load', function () {   // time from navigation to a laid-out page, for measurements
  document.body.getBoundingClientRect();
  document.body.dataset.loadedMs = String(Math.round(performance.now()));
});
"""


def page(pictures: list[Picture], *, title: str, layout: str = "auto", notes=(), summary: str = "") -> str:
    """One HTML document: a section per picture (drawing, link-kind switches, findings table).

    ``pictures`` may be empty (nothing could be drawn); ``notes`` are shown as sentences under the header.
    """
    sections, made_by = [], set()
    started = time.perf_counter()
    several = len(pictures) > 1
    kinds_css = set()
    for index, picture in enumerate(pictures):
        prefix = f"s{index}-" if several else ""
        drawing, made = drawing_svg(picture, layout=layout, id_prefix=prefix) if picture.nodes else ("", "")
        made_by.add(made)
        kinds_css.update(link.kind for link in picture.links)
        sections.append(_section(picture, drawing, prefix))
    elapsed = time.perf_counter() - started
    kinds_rules = "".join(f".hide-{k} g.link.{k}{{display:none}}" for k in sorted(kinds_css))
    layouts = ", ".join(sorted(m for m in made_by if m)) or "none"
    head = [f"<h1>cfn-arch-lint: {escape(title)}</h1>"]
    if summary:
        head.append(f"<p>{escape(summary)}</p>")
    head += [f'<p class="note">{escape(note)}</p>' for note in notes]
    head.append(f'<p class="note">Drawn by the {layouts} layout in {elapsed:.2f} s. '
                + "".join(f'<span style="background:{f};border-color:{b};color:{t}">{label}</span>'
                          for label, (f, b, t) in (("error", style.colours(Severity.ERROR)),
                                                   ("warning", style.colours(Severity.WARNING)),
                                                   ("info", style.colours(Severity.INFO)),
                                                   ("no finding", style.colours(None))))
                + "dashed: created by SAM; double border: exists only under a condition.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>cfn-arch-lint: {escape(title)}</title>"
            f"<style>{_CSS}{kinds_rules}</style></head>\n<body>\n<header class=\"legend\">{''.join(head)}</header>\n"
            + "\n".join(sections) + f"\n<script>{_SCRIPT}</script>\n</body></html>\n")


def _section(picture: Picture, drawing: str, prefix: str) -> str:
    kinds = list(dict.fromkeys(link.kind for link in picture.links))
    counts = {}
    for node in picture.nodes.values():
        if node.severity is not None:
            counts[node.severity.label] = counts.get(node.severity.label, 0) + 1
    fit = len(picture.nodes) <= FIT_UP_TO
    out = [f'<section class="template{" fit" if fit else ""}" id="template-{prefix or "0"}" '
           f'data-nodes="{len(picture.nodes)}">',
           f"<h2>{escape(picture.title)}</h2>",
           f'<p class="note"><span class="rendered-nodes">{len(picture.nodes)}</span> resources drawn, '
           f"{len(picture.links)} links"
           + "".join(f", {n} with {label} findings" for label, n in sorted(counts.items())) + ".</p>"]
    out.append(f'<div class="controls"><label><input type="checkbox" class="fit"{" checked" if fit else ""}> '
               "fit to width</label>" + (" Show links: " if kinds else "") + "".join(
                   f'<label><input type="checkbox" checked data-kind="{escape(k)}"> {escape(k)}</label>'
                   for k in kinds) + "</div>")
    if drawing:
        out.append(f'<div class="diagram">{drawing}</div>')
    out.append(_table(picture, prefix))
    out.append("</section>")
    return "\n".join(out)


def _table(picture: Picture, prefix: str) -> str:
    nodes_of: dict[int, list] = {}
    for node in picture.nodes.values():
        for finding in node.findings:
            nodes_of.setdefault(id(finding), []).append(node)
    drawn = [f for f in picture.findings if id(f) in nodes_of]
    others = [f for f in picture.findings if id(f) not in nodes_of]
    rows = []
    anchored: set[str] = set()
    for index, finding in enumerate(drawn + others):
        nodes = nodes_of.get(id(finding), [])
        anchors = "".join(f'<span id="findings-{prefix}{n.key}"></span>' for n in nodes if n.key not in anchored)
        anchored.update(n.key for n in nodes)
        resources = ", ".join(f'<a href="#node-{prefix}{n.key}">{escape(n.logical_id)}</a>' for n in nodes) \
            or escape(", ".join(finding.logical_ids) or "—")
        where = f"{finding.location.path}:{finding.location.line}" if finding.location.line else finding.location.path
        rows.append(f'<tr id="finding-{prefix}{index}"><td class="sev-{finding.severity.label}">{anchors}'
                    f"{finding.severity.label}</td><td>{escape(finding.code)}<br><small>{escape(finding.name)}"
                    f"</small></td><td>{resources}</td><td>{escape(finding.message)}</td><td>{escape(where)}</td></tr>")
    if not rows:
        return '<p class="note">No findings.</p>'
    return ('<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>resource</th><th>message</th>'
            "<th>where</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
