"""The ``audit`` command: options, settings, the run, the report and the exit code."""
from __future__ import annotations

import sys

import click

from ..options import load_settings, report_options
from ..pipeline import EXIT_USAGE, emit, severity_threshold
from .discovery import AuditOutcome, audit
from .session import DEFAULT_MAX_ATTEMPTS, DEFAULT_SESSION_NAME, INSTALL_HINT, AuditAbort, AuditOptions


def summary_line(outcome: AuditOutcome, findings: int) -> str:
    """Stacks scanned, nested links, skipped (and why), unreadable regions and stacks, findings."""
    audited = outcome.audited
    regions = outcome.regions
    parts = [f"Audited {len(audited)} stack{'s' * (len(audited) != 1)} in {len(regions)} "
             f"region{'s' * (len(regions) != 1)}" + (f" ({', '.join(regions)})" if regions else "")
             + (f", account {outcome.account}" if outcome.account else "")]
    nested = [r for r in audited if r.meta.get("parentStackArn")]
    if nested:
        parts.append(f"{len(nested)} nested: " + ", ".join(
            f"{r.path} in {r.meta.get('parentStack') or r.meta['parentStackArn']}" for r in nested))
    unreadable = [r for r in outcome.results if r.status not in ("linted", "skipped")]
    if unreadable:
        parts.append(f"{len(unreadable)} stack{'s' * (len(unreadable) != 1)} could not be read: "
                     + ", ".join(r.path for r in unreadable))
    if outcome.skipped:
        parts.append(f"skipped {len(outcome.skipped)}: " + "; ".join(f"{uri} ({why})" for uri, why in outcome.skipped))
    if outcome.region_errors:
        parts.append(f"{len(outcome.region_errors)} region{'s' * (len(outcome.region_errors) != 1)} failed: "
                     + ", ".join(region for region, _ in outcome.region_errors))
    parts.append(f"{findings} finding{'s' * (findings != 1)}")
    return "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------- command


@click.command("audit")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Region to audit; repeat for several. Default: the profile's or AWS_REGION/AWS_DEFAULT_REGION.")
@click.option("--all-regions", is_flag=True,
              help="Audit every region enabled for the account (EC2 DescribeRegions).")
@click.option("--stack", "stacks", multiple=True, metavar="NAME|ARN|GLOB",
              help="Only stacks whose name or ARN matches; repeat for several; globs like 'prod-*' work.")
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--role-arn", help="Assume this role first (e.g. a read-only role in another account).")
@click.option("--external-id", help="External id for --role-arn.")
@click.option("--role-session-name", default=DEFAULT_SESSION_NAME, show_default=True,
              help="Session name for --role-arn.")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=DEFAULT_MAX_ATTEMPTS, show_default=True,
              help="Attempts per AWS call, with standard-mode retries and backoff on throttling.")
@click.option("--endpoint-url", metavar="URL",
              help="Send AWS calls to this endpoint (a local emulator such as moto). AWS_ENDPOINT_URL works too.")
@click.option("--template-stage", type=click.Choice(["processed", "original"]), default="processed",
              show_default=True,
              help="processed: the template after transforms (SAM expanded by AWS), falling back to original; "
                   "original: the template as submitted (SAM is then expanded by cfn-arch-lint).")
@click.option("--include-nested/--no-include-nested", default=True, show_default=True,
              help="Audit nested stacks (AWS::CloudFormation::Stack) as stacks of their own, linked to the parent.")
@report_options
def audit_command(regions, all_regions, stacks, profile, role_arn, external_id, role_session_name, max_attempts,
                  endpoint_url, template_stage, include_nested, report):
    """Lint the stacks deployed in AWS: the template CloudFormation ran (SAM already expanded), with the
    deployed parameter values.

    Read-only: it calls only CloudFormation List/Describe/Get operations (plus STS GetCallerIdentity, with
    --role-arn STS AssumeRole, and with --all-regions EC2 DescribeRegions). Each stack is reported as
    stack://REGION/STACK-NAME. Nested stacks are audited on their own and linked to their parent.

    A region or stack that cannot be read (access denied, expired credentials, unknown region, throttling
    beyond the retries) gets a one-line message on standard error and the others go on.

    Exit codes: 0 nothing at or above --severity, 1 findings, 2 nothing could be audited (no boto3, no
    credentials, every region or stack unreadable, no stack matching --stack) or a usage error.

    \b
    Examples:
      cfn-arch-lint audit --region eu-west-1
      cfn-arch-lint audit --region us-east-1 --region eu-west-1 --stack 'orders-*' -f json -o audit.json
      cfn-arch-lint audit --all-regions --role-arn arn:aws:iam::210987654321:role/ReadOnlyAudit
    """
    from ..config import rule_options

    options = AuditOptions(regions=regions, all_regions=all_regions, stacks=stacks, profile=profile,
                           role_arn=role_arn, external_id=external_id, role_session_name=role_session_name,
                           max_attempts=max_attempts, endpoint_url=endpoint_url, template_stage=template_stage,
                           include_nested=include_nested)

    def log(message):
        click.echo(f"cfn-arch-lint: {message}", err=True)

    try:
        import boto3  # noqa: F401  (checked first, before any config or AWS work)
    except ImportError:
        log(INSTALL_HINT)
        sys.exit(EXIT_USAGE)
    config, rules = load_settings(report.config_path, report.isolated, select=report.select, ignore=report.ignore)
    try:
        outcome = audit(options, rules=rules, rule_options=rule_options(config, rules), log=log)
    except AuditAbort as exc:
        log(str(exc))
        sys.exit(EXIT_USAGE)

    code = emit(outcome.results, rules, config=config, **report.emit_arguments())
    unmatched = bool(stacks) and not outcome.matched and bool(outcome.regions)
    if unmatched:
        log("no stack matches --stack " + ", ".join(stacks) + " in " + ", ".join(outcome.regions))
    elif not outcome.results and not outcome.region_errors and not report.quiet:
        log("no stacks found in " + ", ".join(outcome.regions))
    if not report.quiet:
        threshold = severity_threshold(report.severity, config)
        count = sum(1 for r in outcome.results for f in r.findings
                    if f.severity >= threshold and not f.suppressed_by)
        log(summary_line(outcome, count))
    if not outcome.audited and (outcome.region_errors or outcome.results or unmatched):
        code = EXIT_USAGE
    sys.exit(code)
