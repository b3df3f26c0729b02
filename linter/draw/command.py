"""``cfn-arch-lint graph``: draw the resource graph of templates with the findings on it."""
from __future__ import annotations

import sys

import click

FORMATS = ("mermaid", "dot", "html", "svg")


@click.command(name="graph")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True,
              help="mermaid (Markdown on GitHub), dot (Graphviz), html (one self-contained page with the "
                   "findings table), svg (needs Graphviz's dot).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the drawing to this file instead of standard output.")
@click.option("--focus", metavar="LOGICAL_ID", help="Keep only this resource and its neighbourhood.")
@click.option("--depth", type=click.IntRange(0, None), default=1, show_default=True,
              help="With --focus: how many links away from it to keep.")
@click.option("--hide", multiple=True, metavar="KINDS",
              help="Leave out links of these kinds (comma-separated, repeatable), e.g. references,creates.")
@click.option("--layout", type=click.Choice(["auto", "graphviz", "python"]), default="auto", show_default=True,
              help="html: who lays the drawing out; auto uses Graphviz when installed, else the built-in layout.")
@click.option("-p", "--parameters", "parameter_pairs", multiple=True, metavar="KEY=VALUE",
              help="One template parameter value (as for check); repeat -p for several.")
@click.option("--parameter-file", type=click.Path(exists=True, dir_okay=False),
              help="Parameter values, as for check.")
@click.option("--region", metavar="REGION", help="The stack's region (pseudo parameter AWS::Region), as for check.")
@click.option("--account-id", metavar="ID", help="The stack's account (pseudo parameter AWS::AccountId).")
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules' findings (as for check).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Not these rules' findings (as for check).")
@click.option("--severity", type=click.Choice(["info", "warning", "error"]), default=None,
              help="Draw only findings at or above this severity.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file, as for check.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
def graph_command(paths, fmt, output, focus, depth, hide, layout, parameter_pairs, parameter_file, region, account_id,
                  select, ignore, severity, config_path, isolated):
    """Draw the resource graph: resources (SAM's implicit ones dashed), their relations labelled by kind,
    each resource coloured by its worst finding and listing the rule codes.

    A resource that exists only under an undecided condition has a double border and says when it exists.
    Several templates are drawn side by side, one box each.

    \b
    Examples:
      cfn-arch-lint graph template.yaml                       # Mermaid, to paste into Markdown
      cfn-arch-lint graph template.yaml -f html -o graph.html # a page with the findings table
      cfn-arch-lint graph template.yaml -f dot | dot -Tpng -o graph.png
      cfn-arch-lint graph template.yaml --focus OrderQueue --depth 2 --hide references
    """
    from ..api import collect_paths
    from ..config import rule_options
    from ..options import load_settings
    from ..parameters import ParameterError, gather
    from ..pipeline import EXIT_USAGE, UserError, _write, filter_findings, lint_run
    from . import dot, html
    from .picture import PictureError, picture_of

    if not paths:
        raise click.UsageError("give at least one template file or folder (or - for standard input)")
    config, rules = load_settings(config_path, isolated, select=select, ignore=ignore)
    try:
        parameters, sources, warnings = gather(config, parameter_file, parameter_pairs, region, account_id)
    except ParameterError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in warnings:
        click.echo(f"cfn-arch-lint: warning: {warning}", err=True)
    hidden = [k.strip() for item in hide for k in item.split(",") if k.strip()]
    files, missing = collect_paths(paths)
    for path in missing:
        click.echo(f"cfn-arch-lint: {path}: no such file or folder", err=True)
    options = rule_options(config, rules)
    # As check lints them: templates linked by exports, SSM names or nested stacks together, so links
    # across stacks are drawn; in this process, since the drawing needs each graph.
    results = lint_run(files, config, "default", parameters, sources, rules, options, jobs=1)
    for result in results:
        for warning in result.meta.pop("parameter_warnings", ()):
            click.echo(f"cfn-arch-lint: warning: {warning}", err=True)
    filtered = filter_findings(results, rules, config=config, severity=severity)
    for result in results:
        for error in result.errors:
            click.echo(f"cfn-arch-lint: {error}", err=True)
        if result.graph is None and result.status != "skipped":
            reason = "; ".join(f.message for f in result.findings) or result.status
            click.echo(f"cfn-arch-lint: {result.path}: not drawn: {reason}", err=True)
    graphs = [r.graph for r in results if r.graph is not None]
    if not graphs:
        click.echo("cfn-arch-lint: no template to draw", err=True)
        sys.exit(EXIT_USAGE)
    try:
        picture = picture_of(graphs, filtered.shown, focus=focus, depth=depth, hide=hidden)
    except PictureError as exc:
        raise UserError(str(exc)) from None

    if fmt == "mermaid":
        from . import mermaid

        text = mermaid.render(picture)
    elif fmt == "dot":
        text = dot.render(picture)
    elif fmt == "svg":
        try:
            text = dot.to_svg(dot.render(picture))
        except dot.GraphvizMissing as exc:
            raise UserError(f"--format svg needs Graphviz: {exc}. --format html draws without it.") from None
        except RuntimeError as exc:
            raise UserError(str(exc)) from None
    else:
        try:
            text = html.page([picture], title=picture.title, layout=layout,
                             summary=_summary(results, filtered.shown))
        except dot.GraphvizMissing as exc:
            raise UserError(f"--layout graphviz: {exc}") from None
    if output:
        _write(output, text, "drawing")
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_USAGE if missing else 0)


def _summary(results, findings) -> str:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.severity.label] += 1
    linted = sum(r.status == "linted" for r in results)
    return (f"{linted} template{'s' * (linted != 1)} linted: " + ", ".join(f"{n} {label}{'s' * (n != 1)}"
                                                                          for label, n in counts.items()) + ".")
