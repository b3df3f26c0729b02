"""Colours and line styles shared by every format, so Mermaid, DOT and the HTML report look alike."""
from __future__ import annotations

from ..findings import Severity

# (fill, border, text) by worst severity; None is a resource without findings.
SEVERITY_COLOURS = {
    Severity.ERROR: ("#f8d7da", "#b02a37", "#58151c"),
    Severity.WARNING: ("#fff3cd", "#b58105", "#4d3800"),
    Severity.INFO: ("#cfe2ff", "#0a58ca", "#052c65"),
    None: ("#ffffff", "#6c757d", "#212529"),
}

# Links: the graph's relations solid; what only the picture adds lighter.
LINK_COLOURS = {"references": "#adb5bd", "creates": "#adb5bd"}
DEFAULT_LINK_COLOUR = "#495057"


def colours(severity: Severity | None) -> tuple[str, str, str]:
    return SEVERITY_COLOURS[severity]


def link_colour(kind: str) -> str:
    return LINK_COLOURS.get(kind, DEFAULT_LINK_COLOUR)


def dashed_link(kind: str) -> bool:
    return kind in LINK_COLOURS
