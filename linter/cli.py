"""The command line: ``check``, ``rules``, ``explain``.

Exit codes (decided in :func:`exit_code`): 0 nothing at or above the severity threshold; 1 findings; 2 an
internal error (CFN999), a usage error, a path that does not exist, or no template could be read at all.
"""
from __future__ import annotations

import json
import os
import sys

import click

from . import __version__
from .options import report_options

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _use_color(no_color: bool, stream) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def parse_parameter_pairs(pairs) -> dict:
    """``K=V`` pairs (several per option value allowed, separated by spaces)."""
    out = {}
    for item in pairs:
        for pair in item.split():
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--parameters")
            out[key] = value
    return out


def load_parameter_file(path: str) -> dict:
    """CloudFormation CLI JSON (``[{"ParameterKey", "ParameterValue"}]``), or ``{"Parameters": {...}}``."""
    from .config import parameter_text

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--parameter-file")
    except ValueError as exc:
        raise click.BadParameter(f"{path} is not valid JSON: {exc}", param_hint="--parameter-file")
    if isinstance(data, list):
        out = {}
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "ParameterKey" not in item:
                raise click.BadParameter(f"{path}: item {i} has no ParameterKey", param_hint="--parameter-file")
            if "ParameterValue" in item:
                out[str(item["ParameterKey"])] = parameter_text(item["ParameterValue"])
        return out
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): parameter_text(v) for k, v in data["Parameters"].items()}
    raise click.BadParameter(f"{path}: expected a list of {{ParameterKey, ParameterValue}} or "
                             '{"Parameters": {...}}', param_hint="--parameter-file")


def select_rules(rules, select, ignore):
    from .engine import find_rule

    def split(values):
        return [s for v in values for s in v.split(",") if s.strip()]

    select, ignore = split(select), split(ignore)
    for selector in select + ignore:
        if selector.strip().upper() != "ALL" and not any(r.matches(selector) for r in rules):
            raise click.BadParameter(f"{selector!r} matches no rule code, prefix or name "
                                     "(see `cfn-arch-lint rules`)", param_hint="--select/--ignore")
    chosen = [r for r in rules if not select or any(r.matches(s) for s in select)]
    return [r for r in chosen if not any(r.matches(s) for s in ignore)]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="cfn-arch-lint")
def main():
    """Architecture linter for AWS CloudFormation and SAM templates.

    It resolves parameters, mappings, conditions, SAM Globals and the resources SAM creates from
    Events, then checks how resources fit together. A check that needs a value it cannot resolve is
    reported as "not evaluated", never as a finding.
    """




class UserError(click.ClickException):
    """A problem with the user's input (config, baseline, options): a clear message and exit code 2."""

    exit_code = EXIT_USAGE


def load_settings(config_path=None, isolated=False, *, select=(), ignore=(), rules=None):
    """Config file merged with command-line rule selection: ``(config, rules)``.

    For ``check`` and ``audit``: CLI ``--select`` replaces the config's ``select``; CLI ``--ignore`` adds to
    the config's ``ignore``. Raises :class:`UserError` (exit 2) for a bad config file.
    """
    from .config import ConfigError, check_rules, discover
    from .engine import all_rules

    every = rules if rules is not None else all_rules()
    try:
        config = discover(config_path, isolated)
        check_rules(config, every)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    chosen_select = list(select) if any(s.strip() for s in select) else list(config.select or [])
    return config, select_rules(every, chosen_select, list(config.ignore) + list(ignore))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-p", "--parameters", "parameter_pairs", multiple=True, metavar="KEY=VALUE",
              help="Template parameter value; repeat, or give several separated by spaces. Beats the "
                   "parameter file, the config file's parameters and the template's Default.")
@click.option("--parameter-file", type=click.Path(exists=True, dir_okay=False),
              help='Parameter values: AWS CLI JSON ([{"ParameterKey": .., "ParameterValue": ..}]) or '
                   '{"Parameters": {"Key": "Value"}}.')
@report_options
def check(paths, parameter_pairs, parameter_file, report):
    """Lint templates: files, folders (searched recursively for *.yaml, *.yml, *.json, *.template) or - for
    standard input.

    YAML or JSON that is not a CloudFormation template is skipped quietly, so the command can be given
    every YAML file of a repository.

    \b
    Examples:
      cfn-arch-lint check template.yaml
      cfn-arch-lint check infra/ --parameters Env=prod Timeout=60
      cfn-arch-lint check template.yaml --format json -o report.json
      cfn-arch-lint check . --format github --sarif-output cfn-arch-lint.sarif
    """
    from .api import collect_paths, lint_file
    from .config import rule_options

    if not paths:
        raise click.UsageError("give at least one template file or folder (or - for standard input)")
    config, rules = load_settings(report.config_path, report.isolated, select=report.select, ignore=report.ignore)
    parameters = dict(config.parameters)
    parameters.update(load_parameter_file(parameter_file) if parameter_file else {})
    parameters.update(parse_parameter_pairs(parameter_pairs))
    notes: list[str] = []
    files, missing = collect_paths(paths, notes)
    for note in notes:
        click.echo(f"cfn-arch-lint: {note}", err=True)
    for path in missing:
        click.echo(f"cfn-arch-lint: {path}: no such file or folder", err=True)

    options = rule_options(config, rules)
    results = [lint_file(path, parameters=parameters, rules=rules, rule_options=options) for path in files]
    code = emit(results, rules, missing=missing, config=config, **report.emit_arguments())
    if not files and not missing:
        click.echo("cfn-arch-lint: no template files found in the given folders", err=True)
        code = EXIT_USAGE
    sys.exit(code)


def _write(path: str, text: str, what: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(f"cannot write {what} {path}: {exc.strerror or exc}") from None


def emit(results, rules, *, fmt, output, severity=None, show_not_evaluated=False, no_color=False, quiet=False,
         missing=(), config=None, sarif_output=None, baseline=None, write_baseline=None, show_suppressed=False,
         show_unused_suppressions=False) -> int:
    """Filter, render and write the report for a list of FileResults; return the exit code.

    Shared by ``check`` and ``audit`` so both honour the same options and formats. In order: config
    ``severity-overrides`` and ``per-path-ignores``, template suppressions (Metadata, comments), the baseline
    (``write_baseline`` records every finding still standing, then ``baseline`` hides them), the severity
    threshold (``severity``, else the config's, else info). Internal errors (CFN999) skip all of these.
    ``config`` is a :class:`linter.config.Config`
    (see :func:`load_settings`); None means no config. Raises :class:`UserError` for a bad baseline file.
    """
    from . import suppress
    from .findings import Severity
    from .report import Report, render

    threshold_name = severity or (config.severity if config is not None else None) or "info"
    held_out = suppress.hold_out_unfilterable(results)  # CFN999 skips every filter below
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
        from . import baseline as baseline_mod

        try:
            if write_baseline:
                standing = [f for r in results for f in r.findings if not f.suppressed_by]
                count = baseline_mod.write(write_baseline, standing)
                click.echo(f"cfn-arch-lint: wrote {count} finding{'s' * (count != 1)} to baseline {write_baseline}",
                           err=True)
            path = write_baseline or baseline
            entries = baseline_mod.load(path)
        except baseline_mod.BaselineError as exc:
            raise UserError(str(exc)) from None
        outcome = baseline_mod.apply(results, entries, rules)
        baseline_info = {"path": path, **outcome}
        for entry in outcome["stale"]:
            click.echo(f"cfn-arch-lint: baseline {path}: stale entry {entry.get('rule', '?')} in "
                       f"{entry.get('path', '?')} ({', '.join(entry.get('logicalIds') or []) or 'no resource'}) "
                       "matches no finding any more; rewrite the baseline with --write-baseline", err=True)

    suppress.put_back(results, held_out)
    for result in results:
        for error in result.errors:
            click.echo(f"cfn-arch-lint: {error}", err=True)
    unused = suppress.unused(suppressions, rules) if show_unused_suppressions else []
    for sup in unused:
        click.echo(f"{sup.path}:{sup.line}:{sup.column}: unused suppression {sup.describe()}", err=True)

    threshold = Severity.parse(threshold_name)
    every = [f for r in results for f in r.findings]
    at_level = [f for f in every if f.severity >= threshold]
    shown = sorted((f for f in at_level if not f.suppressed_by), key=lambda f: f.sort_key())
    suppressed = sorted((f for f in at_level if f.suppressed_by), key=lambda f: f.sort_key())
    report = Report(results=results, findings=shown,
                    not_evaluated=[n for r in results for n in r.not_evaluated], rules=rules,
                    show_not_evaluated=show_not_evaluated, missing=list(missing),
                    hidden=len(every) - len(at_level),
                    color=fmt == "text" and not output and _use_color(no_color, sys.stdout),
                    suppressed=suppressed, show_suppressed=show_suppressed, unused_suppressions=unused,
                    baseline=baseline_info)
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
    return exit_code(results, shown, missing=missing)


def exit_code(results, shown, *, missing=()) -> int:
    """The exit code of a run, decided here and nowhere else.

    2 when any file has an internal error (CFN999): a check did not run, so the run cannot pass, whatever
    options that relax the exit code say (they must be applied after this test). 2 also when a path is
    missing or no file could be read; 1 when findings are shown; else 0.
    ``exit_code(results, shown_findings, missing=[])`` → 0, 1 or 2
    """
    from .engine import is_internal_error

    if any(is_internal_error(f) for r in results for f in r.findings):
        return EXIT_USAGE
    readable = [r for r in results if r.status in ("linted", "skipped")]
    if missing or (results and not readable):
        return EXIT_USAGE
    return EXIT_FINDINGS if shown else EXIT_CLEAN


@main.command(name="rules")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="markdown writes the full rule reference (docs/rules.md is made this way).")
def list_rules(fmt):
    """List every rule: code, name, default severity and what it checks."""
    from .engine import ENGINE_RULES, all_rules

    rules = all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "summary": r.summary, "options": r.options} for r in rules], indent=2))
        return
    if fmt == "markdown":
        click.echo(rules_markdown(rules + list(ENGINE_RULES)), nl=False)
        return
    width = max((len(r.name) for r in rules), default=10)
    for r in rules:
        click.echo(f"{r.code:<8} {r.name:<{width}}  {r.severity.label:<7}  {r.summary}")


def rules_markdown(rules) -> str:
    """The rule reference: one section per rule, anchored by its lower-case code (SARIF helpUri)."""
    out = ["# cfn-arch-lint rules", "",
           "Generated by `cfn-arch-lint rules --format markdown`; each section is also shown by "
           "`cfn-arch-lint explain CODE`.", "",
           "| code | name | default severity |", "|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}) | `{r.name}` | {r.severity.label} |" for r in rules]
    for r in rules:
        out += ["", f'<a id="{r.code.lower()}"></a>', "", f"## {r.code} `{r.name}`", "",
                f"Default severity: **{r.severity.label}**."
                + (" Options: " + ", ".join(f"`{k}` = `{v!r}`" for k, v in r.options.items()) + "." if r.options
                   else ""),
                "", r.doc]
    return "\n".join(out) + "\n"


@main.command()
@click.argument("rule")
def explain(rule):
    """Show a rule's documentation: what it checks, why it matters, an example and the fix.

    RULE is a code (SQS001) or a name (sqs-visibility-timeout-vs-lambda).
    """
    from .engine import find_rule

    found = find_rule(rule)
    if found is None:
        raise click.BadParameter(f"no rule {rule!r}; `cfn-arch-lint rules` lists them", param_hint="RULE")
    header = f"{found.code} {found.name} (default severity: {found.severity.label})"
    click.echo(f"{header}\n{'=' * len(header)}\n\n{found.doc}")
    if found.options:
        click.echo("\nOptions: " + ", ".join(f"{k} = {v!r}" for k, v in found.options.items()))


from .audit import audit_command  # noqa: E402  (linter.audit imports boto3 only when audit runs)
main.add_command(audit_command)


if __name__ == "__main__":  # pragma: no cover
    main()
