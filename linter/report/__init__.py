"""Reporters, one module per format, imported only when asked for."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass
class Report:
    """Everything a reporter may show about one run."""

    results: list                      # FileResult per input
    findings: list                     # the findings to show (filtered, sorted)
    not_evaluated: list                # NotEvaluated records (shown on request)
    rules: list                        # the rules that ran
    show_not_evaluated: bool = False
    color: bool = False
    missing: list = field(default_factory=list)
    hidden: int = 0                    # findings below the severity threshold or suppressed
    # Suppressed or baselined findings at or above the threshold (``Finding.suppressed_by`` says why);
    # reporters show them only when ``show_suppressed`` is set.
    suppressed: list = field(default_factory=list)
    show_suppressed: bool = False
    unused_suppressions: list = field(default_factory=list)   # suppress.Suppression records
    baseline: dict | None = None       # {"path", "matched", "stale": [entries]} when --baseline was given
    severity_overrides: dict = field(default_factory=dict)   # code -> severity label, from the config file

    def counts(self) -> dict:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def status_counts(self) -> dict:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


def render(fmt: str, report: Report) -> str:
    module = importlib.import_module(f"{__name__}.{fmt}_report")
    return module.render(report)
