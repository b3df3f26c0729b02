"""The command line: ``check``, ``rules``, ``explain``.

Exit codes (decided in :func:`exit_code`): 0 nothing at or above the severity threshold; 1 findings; 2 an
internal error (CFN999), a usage error, a path that does not exist, or no template could be read at all.
"""
from __future__ import annotations

import json
import sys

import click

from . import __version__
from .options import load_settings, report_options, select_rules  # noqa: F401  (still importable from here)
from .pipeline import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UserError, emit, exit_code, lint_run  # noqa: F401


def parse_parameter_pairs(pairs) -> dict:
    """``-p KEY=VALUE`` options, one pair each; the value keeps its spaces and commas."""
    from .parameters import ParameterError, parse_pairs

    try:
        return parse_pairs(pairs)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--parameters") from None


def load_parameter_file(path: str) -> dict:
    """CloudFormation CLI JSON (``[{"ParameterKey", "ParameterValue"}]``), or ``{"Parameters": {...}}``."""
    from .parameters import ParameterError, read_file

    try:
        return read_file(path)[0]
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--parameter-file") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="cfn-arch-lint")
def main():
    """Architecture linter for AWS CloudFormation and SAM templates.

    It resolves parameters, mappings, conditions, SAM Globals and the resources SAM creates from
    Events, then checks how resources fit together. A check that needs a value it cannot resolve is
    reported as "not evaluated", never as a finding.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-p", "--parameters", "parameter_pairs", multiple=True, metavar="KEY=VALUE",
              help="One template parameter value; the value may hold spaces and commas "
                   '(-p "Description=my stack"). Repeat -p for several. Beats the parameter file, the config '
                   "file's parameters and the template's Default.")
@click.option("--parameter-file", type=click.Path(exists=True, dir_okay=False),
              help='Parameter values: AWS CLI JSON ([{"ParameterKey": .., "ParameterValue": ..}]) or '
                   '{"Parameters": {"Key": "Value"}}.')
@click.option("--region", metavar="REGION", help="The stack's region (pseudo parameter AWS::Region), so mappings "
              "keyed by region resolve; without it the region is unknown.")
@click.option("--account-id", metavar="ID", help="The stack's account (pseudo parameter AWS::AccountId).")
@click.option("--config-env", default="default", show_default=True, metavar="ENV",
              help="The samconfig environment a template's stack name, region and parameter overrides are "
                   "read from ([ENV.deploy.parameters], else [ENV.global.parameters]).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Lint with N processes. [default: every core when there are more than a handful of files; "
                   "0 means the same]")
@report_options
def check(paths, parameter_pairs, parameter_file, region, account_id, report, config_env="default", jobs=None):
    """Lint templates: files, folders (searched recursively for *.yaml, *.yml, *.json, *.template) or - for
    standard input.

    YAML or JSON that is not a CloudFormation template is skipped quietly, so the command can be given
    every YAML file of a repository.

    \b
    Examples:
      cfn-arch-lint check template.yaml
      cfn-arch-lint check infra/ -p Env=prod -p Timeout=60 --region eu-west-1
      cfn-arch-lint check template.yaml --format json -o report.json
      cfn-arch-lint check . --format github --sarif-output cfn-arch-lint.sarif
    """
    from .api import collect_paths
    from .config import rule_options
    from .parameters import undeclared

    if not paths:
        raise click.UsageError("give at least one template file or folder (or - for standard input)")
    config, rules = load_settings(report.config_path, report.isolated, select=report.select, ignore=report.ignore)
    parameters, sources = _gather_parameters(config, parameter_file, parameter_pairs, region, account_id)
    notes: list[str] = []
    files, missing = collect_paths(paths, notes)
    for note in notes:
        click.echo(f"cfn-arch-lint: {note}", err=True)
    for path in missing:
        click.echo(f"cfn-arch-lint: {path}: no such file or folder", err=True)

    options = rule_options(config, rules)
    if report.fmt == "html":
        jobs = 1   # the HTML report draws each template's graph, which stays in the process that built it
    results = lint_run(files, config, config_env, parameters, sources, rules, options, jobs)
    for result in results:   # in the order of the groups, as a run in one process gives them
        for warning in result.meta.pop("parameter_warnings", ()):
            click.echo(f"cfn-arch-lint: warning: {warning}", err=True)
    order = {path: i for i, path in enumerate(files)}
    results.sort(key=lambda r: order.get(r.path, order.get("-", len(order))))
    templates = [r.template for r in results if r.status == "linted" and r.template is not None]
    for name in undeclared(parameters, templates) if templates else ():
        click.echo(f"cfn-arch-lint: warning: parameter {name} ({sources.flag(name)}) is declared by no template "
                   "checked; it is not used", err=True)
    code = emit(results, rules, missing=missing, config=config, **report.emit_arguments())
    if not files and not missing:
        click.echo("cfn-arch-lint: no template files found in the given folders", err=True)
        code = EXIT_USAGE
    sys.exit(code)


def _gather_parameters(config, parameter_file, pairs, region, account_id):
    """The run's parameter values and their :class:`linter.parameters.ParameterSources`; the warnings found
    reading them go to standard error; a file or option that cannot be read at all is a usage error."""
    from .parameters import ParameterError, gather

    try:
        values, sources, warnings = gather(config, parameter_file, pairs, region, account_id)
    except ParameterError as exc:
        if parameter_file and parameter_file in str(exc):
            raise click.BadParameter(str(exc), param_hint="--parameter-file") from None
        raise click.UsageError(str(exc)) from None
    for warning in warnings:
        click.echo(f"cfn-arch-lint: warning: {warning}", err=True)
    return values, sources


@main.command(name="rules")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown", "table"]), default="text",
              show_default=True, help="markdown writes the full rule reference (docs/rules.md is made this way); "
                                      "table writes the README's rules table.")
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
    if fmt == "table":
        click.echo(rules_table(rules), nl=False)
        return
    width = max((len(r.name) for r in rules), default=10)
    for r in rules:
        click.echo(f"{r.code:<8} {r.name:<{width}}  {r.severity.label:<7}  {r.summary}")


def rules_table(rules) -> str:
    """The README's rules table: code (linked to its reference section), name, severity, summary."""
    out = ["| code | name | severity | catalogue | what it checks |", "|---|---|---|---|---|"]
    out += [f"| [{r.code}](docs/rules.md#{r.code.lower()}) | `{r.name}` | {r.severity.label} | {r.catalogue_id} | "
            f"{r.summary.replace('|', '/')} |" for r in rules]
    return "\n".join(out) + "\n"


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

from .draw.command import graph_command  # noqa: E402  (linter.draw is imported when graph runs)
main.add_command(graph_command)


if __name__ == "__main__":  # pragma: no cover
    main()
