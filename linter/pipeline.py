"""From findings to a report and an exit code: the steps ``check`` and ``audit`` share.

:func:`filter_findings` applies, in order, the config's ``severity-overrides`` and ``per-path-ignores``, the
template's suppressions (Metadata, comments), the baseline and the severity threshold. :func:`exit_code` is
the exit decision. :func:`emit` runs both around rendering and writing the report.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import click

from .findings import Finding, Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UserError(click.ClickException):
    """A problem with the user's input (config, baseline, options): a clear message and exit code 2."""

    exit_code = EXIT_USAGE


def _log(message: str) -> None:
    click.echo(f"cfn-arch-lint: {message}", err=True)


def severity_threshold(severity: str | None, config=None) -> Severity:
    """The ``--severity`` given, else the config file's, else info."""
    return Severity.parse(severity or (config.severity if config is not None else None) or "info")


@dataclass
class Filtered:
    """What the filters left: ``shown`` is what is reported and what decides the exit code."""

    threshold: Severity
    shown: list[Finding] = field(default_factory=list)        # at or above the threshold, not suppressed
    suppressed: list[Finding] = field(default_factory=list)   # at or above the threshold, suppressed/baselined
    hidden: int = 0                                            # below the threshold
    unused_suppressions: list = field(default_factory=list)   # only when asked for
    baseline: dict | None = None                               # {"path", "matched", "stale", ...} when one is used

    @property
    def stale_baseline_entries(self) -> list:
        return list((self.baseline or {}).get("stale") or ())


def filter_findings(results, rules, *, config=None, severity=None, baseline=None, write_baseline=None,
                    show_unused_suppressions=False, log=_log) -> Filtered:
    """Overrides, path ignores, suppressions, baseline and threshold, applied to ``results`` in place.

    Internal errors (CFN999) are held out of all of these: they cannot be ignored, suppressed or baselined.

    Findings are marked (``severity`` overridden, ``suppressed_by`` set), never removed from the results.
    ``write_baseline`` records every finding still standing, then that baseline (or ``baseline``) hides them;
    each stale baseline entry is logged. Raises :class:`UserError` for a baseline file that cannot be read or
    written.
    """
    from . import suppress

    threshold = severity_threshold(severity, config)
    held_out = suppress.hold_out_unfilterable(results)   # internal errors (CFN999) skip every filter below
    if config is not None:
        from .config import severity_overrides

        overrides = severity_overrides(config, rules)
        for result in results:
            for finding in result.findings:
                if finding.code in overrides:
                    finding.severity = Severity.parse(overrides[finding.code])
        suppress.apply_path_ignores(results, config.per_path_ignores, config.root)
    suppressions = suppress.apply(results)

    baseline_info = None
    if write_baseline or baseline:
        baseline_info = _apply_baseline(results, rules, baseline, write_baseline, log)

    suppress.put_back(results, held_out)
    unused = suppress.unused(suppressions, rules) if show_unused_suppressions else []
    every = [f for r in results for f in r.findings]
    at_level = [f for f in every if f.severity >= threshold]
    return Filtered(threshold=threshold,
                    shown=sorted((f for f in at_level if not f.suppressed_by), key=lambda f: f.sort_key()),
                    suppressed=sorted((f for f in at_level if f.suppressed_by), key=lambda f: f.sort_key()),
                    hidden=len(every) - len(at_level), unused_suppressions=unused, baseline=baseline_info)


def _apply_baseline(results, rules, baseline, write_baseline, log) -> dict:
    from . import baseline as baseline_mod

    try:
        if write_baseline:
            standing = [f for r in results for f in r.findings if not f.suppressed_by]
            count = baseline_mod.write(write_baseline, standing)
            log(f"wrote {count} finding{'s' * (count != 1)} to baseline {write_baseline}")
        path = write_baseline or baseline
        entries = baseline_mod.load(path)
    except baseline_mod.BaselineError as exc:
        raise UserError(str(exc)) from None
    outcome = baseline_mod.apply(results, entries, rules)
    for entry in outcome["stale"]:
        log(f"baseline {path}: stale entry {entry.get('rule', '?')} in {entry.get('path', '?')} "
            f"({', '.join(entry.get('logicalIds') or []) or 'no resource'}) matches no finding any more; "
            "rewrite the baseline with --write-baseline")
    return {"path": path, **outcome}


def exit_code(results, filtered: Filtered, missing=()) -> int:
    """The exit decision, made here and nowhere else.

    2 when any file has an internal error (CFN999): a check did not run, so the run cannot pass, whatever
    an option that relaxes the exit code says (such options must apply after this test). 2 also when a path
    is missing or no template could be read; 1 when a finding is reported; else 0.
    """
    from .engine import is_internal_error

    if any(is_internal_error(f) for r in results for f in r.findings):
        return EXIT_USAGE
    readable = [r for r in results if r.status in ("linted", "skipped")]
    if missing or (results and not readable):
        return EXIT_USAGE
    return EXIT_FINDINGS if filtered.shown else EXIT_CLEAN


def _use_color(no_color: bool, stream) -> bool:
    import os

    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _write(path: str, text: str, what: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(f"cannot write {what} {path}: {exc.strerror or exc}") from None


def _overrides(config, rules) -> dict:
    """The config's severity-overrides by rule code (reporters show rules at these levels)."""
    from .config import severity_overrides

    return severity_overrides(config, rules) if config is not None else {}


def emit(results, rules, *, fmt, output, severity=None, show_not_evaluated=False, no_color=False, quiet=False,
         missing=(), config=None, sarif_output=None, baseline=None, write_baseline=None, show_suppressed=False,
         show_unused_suppressions=False) -> int:
    """Filter, render and write the report for a list of FileResults; return the exit code.

    Shared by ``check`` and ``audit`` so both honour the same options and formats: :func:`filter_findings`
    decides what is reported, :func:`exit_code` the exit code. ``config`` is a :class:`linter.config.Config`
    (see :func:`linter.options.load_settings`); None means no config. Raises :class:`UserError` for a bad
    baseline file or a report that cannot be written.
    """
    from .report import Report, render

    filtered = filter_findings(results, rules, config=config, severity=severity, baseline=baseline,
                               write_baseline=write_baseline, show_unused_suppressions=show_unused_suppressions)
    for result in results:
        for error in result.errors:
            _log(error)
    for sup in filtered.unused_suppressions:
        click.echo(f"{sup.path}:{sup.line}:{sup.column}: unused suppression {sup.describe()}", err=True)

    report = Report(results=results, findings=filtered.shown,
                    not_evaluated=[n for r in results for n in r.not_evaluated], rules=rules,
                    show_not_evaluated=show_not_evaluated, missing=list(missing), hidden=filtered.hidden,
                    color=fmt == "text" and not output and _use_color(no_color, sys.stdout),
                    suppressed=filtered.suppressed, show_suppressed=show_suppressed,
                    unused_suppressions=filtered.unused_suppressions, baseline=filtered.baseline,
                    severity_overrides=_overrides(config, rules))
    text = render(fmt, report)
    if sarif_output:
        from dataclasses import replace

        _write(sarif_output, render("sarif", replace(report, color=False)), "SARIF file")
    if output:
        _write(output, text, "report")
    else:
        click.echo(text, nl=False)
    if fmt == "text" and not quiet:
        from .report.text_report import summary

        click.echo(summary(report), err=True)
    return exit_code(results, filtered, missing)


def lint_run(files, config, config_env, parameters, sources, rules, options, jobs=None) -> list:
    """The results of each group linter.stacks forms (templates linked by exports, SSM names or nested stacks
    are checked together; every other file alone), each template with its stack identity; the groups are
    shared among ``jobs`` processes (:mod:`linter.parallel`)."""
    from .parallel import Progress, lint_groups
    from .stacks import StackConfigError, group_templates, lint_group, stack_identities

    # The config file's parameters are applied per template, under its stacks: entry (linter.stacks).
    given = {k: v for k, v in parameters.items() if not sources.of(k).startswith("from config file")}
    progress = Progress()
    try:
        identities = stack_identities(files, config, config_env)
        groups = group_templates(files, config, config_env=config_env, parameters=parameters,
                                 identities=identities)
        return lint_groups(groups, jobs=jobs or None, progress=progress, lint=lint_group,
                           after=_AfterLint(parameters, sources), rules=rules, rule_options=options,
                           config=config, given=given, identities=identities, parameter_source=sources)
    except StackConfigError as exc:
        raise UserError(str(exc)) from None
    finally:
        progress.close()


class _AfterLint:
    """What follows linting a group, in the process that linted it (a worker under -j): NoEcho values masked
    while the whole templates are at hand, and the group's parameter warnings kept with its first result."""

    def __init__(self, parameters: dict, sources):
        self.parameters, self.sources = parameters, sources

    def __call__(self, results: list) -> None:
        from .parameters import mask_secrets

        for result in results:
            mask_secrets(result, self.parameters)
        warnings = self.sources.take_warnings()
        if warnings and results:
            where = ", ".join(r.path for r in results)
            results[0].meta["parameter_warnings"] = [f"{where}: {w}" for w in warnings]
