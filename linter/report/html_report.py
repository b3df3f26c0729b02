"""HTML report for ``check --format html``: the drawing of each template with its findings, and the table.

The same page ``cfn-arch-lint graph --format html`` writes (:mod:`linter.draw.html`), one section per
template — or per group of templates checked together (their graphs share ``graph.stack.group``), drawn
in one picture so links between them show — so CI can upload it as an artifact. A file that could not be
read has its findings listed without a drawing.
"""
from __future__ import annotations


def render(report) -> str:
    from ..draw.html import page
    from ..draw.picture import Picture, picture_of

    sections: dict[int, list] = {}   # one section per template, or per group checked together
    for result in report.results:
        if result.graph is not None:
            together = getattr(getattr(result.graph, "stack", None), "group", None)
            sections.setdefault(id(together) if together is not None else id(result), []).append(result)
        elif any(f.location.path == result.path for f in report.findings):
            sections[id(result)] = [result]
    pictures = []
    for results in sections.values():
        paths = {r.path for r in results}
        findings = [f for f in report.findings if f.location.path in paths]
        title = ", ".join(r.path for r in results)
        graphs = [r.graph for r in results if r.graph is not None]
        if graphs:
            pictures.append(picture_of(graphs, findings, title=title))
        else:
            pictures.append(Picture(title=f"{title} ({results[0].status}, not drawn)", findings=findings))
    notes = [f"{path}: no such file or folder" for path in report.missing]
    counts = report.counts()
    linted = report.status_counts().get("linted", 0)
    summary = (f"{linted} template{'s' * (linted != 1)} linted: "
               + ", ".join(f"{n} {label}{'s' * (n != 1)}" for label, n in counts.items())
               + (f"; {report.hidden} below the threshold or suppressed" if report.hidden else "")
               + (f"; {len(report.not_evaluated)} checks not evaluated (a value is unknown)"
                  if report.not_evaluated else "") + ".")
    title = report.results[0].path if len(report.results) == 1 else f"{len(report.results)} files"
    return page(pictures, title=title, notes=notes, summary=summary)
