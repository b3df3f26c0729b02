"""HTML report for ``check --format html``: the drawing of each template with its findings, and the table.

The same page ``cfn-arch-lint graph --format html`` writes (:mod:`linter.draw.html`), one section per
template, so CI can upload it as an artifact. A file that could not be read has its findings listed
without a drawing.
"""
from __future__ import annotations


def render(report) -> str:
    from ..draw.html import page
    from ..draw.picture import Picture, picture_of

    pictures, notes = [], []
    for result in report.results:
        findings = [f for f in report.findings if f.location.path == result.path]
        if result.graph is not None:
            pictures.append(picture_of([result.graph], findings, title=result.path))
        elif findings:
            pictures.append(Picture(title=f"{result.path} ({result.status})", findings=findings))
    for path in report.missing:
        notes.append(f"{path}: no such file or folder")
    counts = report.counts()
    linted = report.status_counts().get("linted", 0)
    summary = (f"{linted} template{'s' * (linted != 1)} linted: "
               + ", ".join(f"{n} {label}{'s' * (n != 1)}" for label, n in counts.items())
               + (f"; {report.hidden} below the threshold or suppressed" if report.hidden else "")
               + (f"; {len(report.not_evaluated)} checks not evaluated (a value is unknown)"
                  if report.not_evaluated else "") + ".")
    title = report.results[0].path if len(report.results) == 1 else f"{len(report.results)} files"
    return page(pictures, title=title, notes=notes, summary=summary)
