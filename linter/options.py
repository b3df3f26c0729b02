"""The reporting options ``check`` and ``audit`` share, declared once, and the settings they resolve to.

``@report_options`` adds the options to a click command and hands them to it as one
:class:`ReportSettings` argument named ``report``; :func:`load_settings` merges the config file with the
command line's rule selection.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import click

# One reporter module each in linter/report/ (<format>_report.py), imported only when used.
FORMATS = ("text", "json", "sarif", "github", "junit", "html")


@dataclass(frozen=True)
class ReportSettings:
    fmt: str = "text"
    output: str | None = None
    sarif_output: str | None = None
    select: tuple = ()
    ignore: tuple = ()
    severity: str | None = None
    config_path: str | None = None
    isolated: bool = False
    baseline_path: str | None = None
    write_baseline_path: str | None = None
    show_suppressed: bool = False
    show_unused_suppressions: bool = False
    show_not_evaluated: bool = False
    no_color: bool = False
    quiet: bool = False

    def emit_arguments(self) -> dict:
        """The keyword arguments of :func:`linter.pipeline.emit` these settings decide."""
        return {"fmt": self.fmt, "output": self.output, "severity": self.severity,
                "show_not_evaluated": self.show_not_evaluated, "no_color": self.no_color, "quiet": self.quiet,
                "sarif_output": self.sarif_output, "baseline": self.baseline_path,
                "write_baseline": self.write_baseline_path, "show_suppressed": self.show_suppressed,
                "show_unused_suppressions": self.show_unused_suppressions}


_OPTIONS = [
    click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                 help="Output format: text, json, sarif (GitHub code scanning), github (workflow annotations), "
                      "junit, html (one self-contained page: the drawing of each template and the findings table)."),
    click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                 help="Write the report to this file instead of standard output."),
    click.option("--sarif-output", type=click.Path(dir_okay=False, writable=True),
                 help="Also write a SARIF report to this file (e.g. with --format github in CI)."),
    click.option("--select", multiple=True, metavar="RULES",
                 help="Only these rules: codes, code prefixes (SQS) or names, comma-separated. Replaces the "
                      "config file's select."),
    click.option("--ignore", multiple=True, metavar="RULES",
                 help="Skip these rules (same forms as --select). Adds to the config file's ignore."),
    click.option("--severity", type=click.Choice(["info", "warning", "error"]), default=None,
                 help="Report only findings at or above this severity; the exit code follows what is reported. "
                      "[default: the config file's severity, else info]"),
    click.option("--config", "config_path", type=click.Path(dir_okay=False),
                 help="Use this config file (pyproject.toml or .cfn-arch-lint.yaml) instead of searching for one."),
    click.option("--isolated", is_flag=True, help="Ignore every config file."),
    click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
                 help="Hide findings recorded in this baseline file; report the ones that are gone as stale."),
    click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False),
                 help="Record every current (unsuppressed) finding in this baseline file."),
    click.option("--show-suppressed", is_flag=True,
                 help="Also list suppressed and baselined findings (in SARIF with suppressions[])."),
    click.option("--show-unused-suppressions", is_flag=True,
                 help="Report suppressions (Metadata or comments) that matched no finding."),
    click.option("--show-not-evaluated", is_flag=True,
                 help="Also list checks that could not be judged because a value is unknown, with the reason."),
    click.option("--no-color", is_flag=True,
                 help="No colour (also when NO_COLOR is set). Colour is used only on a terminal."),
    click.option("-q", "--quiet", is_flag=True, help="No summary line."),
]
_NAMES = {f.name for f in fields(ReportSettings)}


def report_options(command):
    """Add the shared reporting options to a click command; it receives them as ``report``."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        settings = ReportSettings(**{k: kwargs.pop(k) for k in list(kwargs) if k in _NAMES})
        return command(*args, report=settings, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def select_rules(rules, select, ignore):
    """The rules ``select`` chooses (all when empty) minus those ``ignore`` names.

    Each item is a code, a code prefix, a name or ALL, several comma-separated; one that matches no rule
    is a usage error.
    """

    def split(values):
        return [s for v in values for s in v.split(",") if s.strip()]

    select, ignore = split(select), split(ignore)
    for selector in select + ignore:
        if selector.strip().upper() != "ALL" and not any(r.matches(selector) for r in rules):
            raise click.BadParameter(f"{selector!r} matches no rule code, prefix or name "
                                     "(see `cfn-arch-lint rules`)", param_hint="--select/--ignore")
    chosen = [r for r in rules if not select or any(r.matches(s) for s in select)]
    return [r for r in chosen if not any(r.matches(s) for s in ignore)]


def load_settings(config_path=None, isolated=False, *, select=(), ignore=(), rules=None):
    """Config file merged with command-line rule selection: ``(config, rules)``.

    For ``check`` and ``audit``: CLI ``--select`` replaces the config's ``select``; CLI ``--ignore`` adds to
    the config's ``ignore``. Raises :class:`linter.pipeline.UserError` (exit 2) for a bad config file.
    """
    from .config import ConfigError, check_rules, discover
    from .engine import all_rules
    from .pipeline import UserError

    every = rules if rules is not None else all_rules()
    try:
        config = discover(config_path, isolated)
        check_rules(config, every)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    chosen_select = list(select) if any(s.strip() for s in select) else list(config.select or [])
    return config, select_rules(every, chosen_select, list(config.ignore) + list(ignore))
