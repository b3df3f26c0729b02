"""Drawing the resource graph with the findings on it: ``cfn-arch-lint graph`` and ``check --format html``.

It sits after the engine in the one-way flow: it reads the public graph model (``linter.graph.Graph``, its
resources and typed edges) and the findings a run reported, and never feeds anything back.

- :mod:`.picture` — :func:`picture_of`: graphs + findings → a :class:`Picture` (nodes, links, groups), with
  ``focus``/``depth`` and hidden link kinds. Every format draws a Picture and nothing else.
- :mod:`.mermaid`, :mod:`.dot` — text formats; :func:`dot.to_svg` runs Graphviz when it is installed.
- :mod:`.svg` — a small layered layout in pure Python, drawn as SVG.
- :mod:`.html` — the self-contained page; :mod:`linter.report.html_report` uses it for ``check``.

**Why the HTML holds an SVG laid out when the report is made, not Mermaid inlined.** Mermaid's browser
bundle, ``dist/mermaid.min.js`` of the npm package ``mermaid`` 12.3.0 (measured with ``npm pack``), is
5.5 MB minified: alone it breaks the page's 3 MB budget, and it would be a vendored file to keep up to
date in this repository. It would also lay the diagram out in the reader's browser on every view, slow
for a 300-resource template, and the page would show nothing until that script has run. An SVG made at report time is
a few hundred kB for 300 resources, shows at once, needs no script to be seen (the page's only script
counts nodes and toggles link kinds), and is the same picture Graphviz users get: Graphviz's ``dot``
lays it out when it is installed (the best layout), otherwise :mod:`.svg` does, so ``--format html``
never needs a tool installed. Both produce the same ids and classes, so links and tests do not care which.
"""
from .picture import LINK_KINDS, Link, Node, Picture, PictureError, picture_of  # noqa: F401
