"""The command line: ``check``, ``rules``, ``explain``.

Exit codes: 0 nothing at or above the severity threshold; 1 findings; 2 usage error, a path that does not
exist, or no template could be read at all.
"""
from __future__ import annotations

import json
import os
import sys

import click

from . import __version__

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
                out[str(item["ParameterKey"])] = _param_text(item["ParameterValue"])
        return out
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): _param_text(v) for k, v in data["Parameters"].items()}
    raise click.BadParameter(f"{path}: expected a list of {{ParameterKey, ParameterValue}} or "
                             '{"Parameters": {...}}', param_hint="--parameter-file")


def _param_text(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("-p", "--parameters", "parameter_pairs", multiple=True, metavar="KEY=VALUE",
              help="Template parameter value; repeat, or give several separated by spaces. Beats the "
                   "parameter file and the template's Default.")
@click.option("--parameter-file", type=click.Path(exists=True, dir_okay=False),
              help='Parameter values: AWS CLI JSON ([{"ParameterKey": .., "ParameterValue": ..}]) or '
                   '{"Parameters": {"Key": "Value"}}.')
@click.option("--select", multiple=True, metavar="RULES",
              help="Only these rules: codes, code prefixes (SQS) or names, comma-separated.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules (same forms as --select).")
@click.option("--severity", type=click.Choice(["info", "warning", "error"]), default="info", show_default=True,
              help="Report only findings at or above this severity; the exit code follows what is reported.")
@click.option("--show-not-evaluated", is_flag=True,
              help="Also list checks that could not be judged because a value is unknown, with the reason.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set). Colour is used only on a terminal.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
def check(paths, fmt, output, parameter_pairs, parameter_file, select, ignore, severity, show_not_evaluated,
          no_color, quiet):
    """Lint templates: files, folders (searched recursively for *.yaml, *.yml, *.json, *.template) or - for
    standard input.

    YAML or JSON that is not a CloudFormation template is skipped quietly, so the command can be given
    every YAML file of a repository.

    \b
    Examples:
      cfn-arch-lint check template.yaml
      cfn-arch-lint check infra/ --parameters Env=prod Timeout=60
      cfn-arch-lint check template.yaml --format json -o report.json
    """
    from .api import collect_paths, lint_file
    from .engine import all_rules

    if not paths:
        raise click.UsageError("give at least one template file or folder (or - for standard input)")
    parameters = load_parameter_file(parameter_file) if parameter_file else {}
    parameters.update(parse_parameter_pairs(parameter_pairs))
    rules = select_rules(all_rules(), select, ignore)
    files, missing = collect_paths(paths)
    for path in missing:
        click.echo(f"cfn-arch-lint: {path}: no such file or folder", err=True)

    results = [lint_file(path, parameters=parameters, rules=rules) for path in files]
    code = emit(results, rules, fmt=fmt, output=output, severity=severity, show_not_evaluated=show_not_evaluated,
                no_color=no_color, quiet=quiet, missing=missing)
    if not files and not missing:
        click.echo("cfn-arch-lint: no template files found in the given folders", err=True)
        code = EXIT_USAGE
    sys.exit(code)


def emit(results, rules, *, fmt, output, severity, show_not_evaluated, no_color, quiet, missing=()) -> int:
    """Filter, render and write the report for a list of FileResults; return the exit code.

    Shared by ``check`` and ``audit`` so both honour the same options and formats.
    """
    from .findings import Severity
    from .report import Report, render

    for result in results:
        for error in result.errors:
            click.echo(f"cfn-arch-lint: {error}", err=True)
    threshold = Severity.parse(severity)
    every = [f for r in results for f in r.findings]
    shown = sorted((f for f in every if f.severity >= threshold), key=lambda f: f.sort_key())
    report = Report(results=results, findings=shown,
                    not_evaluated=[n for r in results for n in r.not_evaluated], rules=rules,
                    show_not_evaluated=show_not_evaluated, missing=list(missing), hidden=len(every) - len(shown),
                    color=fmt == "text" and not output and _use_color(no_color, sys.stdout))
    text = render(fmt, report)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    if fmt == "text" and not quiet:
        from .report.text_report import summary

        click.echo(summary(report), err=True)
    readable = [r for r in results if r.status in ("linted", "skipped")]
    if missing or (results and not readable):
        return EXIT_USAGE
    return EXIT_FINDINGS if shown else EXIT_CLEAN


@main.command(name="rules")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_rules(fmt):
    """List every rule: code, name, default severity and what it checks."""
    from .engine import all_rules

    rules = all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "summary": r.summary, "options": r.options} for r in rules], indent=2))
        return
    width = max((len(r.name) for r in rules), default=10)
    for r in rules:
        click.echo(f"{r.code:<8} {r.name:<{width}}  {r.severity.label:<7}  {r.summary}")


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


if __name__ == "__main__":  # pragma: no cover
    main()
