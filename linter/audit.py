"""``cfn-arch-lint audit``: lint the stacks that are deployed, through boto3.

For every stack in the chosen regions it fetches the template CloudFormation ran (``GetTemplate`` with
``TemplateStage=Processed``, so SAM is already expanded; ``Original`` when there is no processed template),
the deployed parameter values (``DescribeStacks``; NoEcho values are masked, so they become Unknown) and the
pseudo parameters of the stack (region, account, partition, name and id from the stack ARN), and runs the same
engine as ``check``. Nested stacks (``AWS::CloudFormation::Stack`` resources) are audited as stacks of their
own and linked to their parent.

Each stack is reported under the URI ``stack://<region>/<stack-name>``; findings keep the resource's logical
id. ``FileResult.meta`` carries ``stackArn``, ``region``, ``account``, ``stackName``, ``stackStatus``,
``templateStage`` and, for a nested stack, ``parentStackArn``.

Read-only: the only calls made are ``cloudformation:ListStacks``, ``DescribeStacks``, ``GetTemplate`` and
``ListStackResources``, ``sts:GetCallerIdentity`` (and ``sts:AssumeRole`` with ``--role-arn``) and, with
``--all-regions``, ``ec2:DescribeRegions``.

boto3 is the ``[aws]`` extra and is imported only inside the functions here, so importing this module (which
``linter.cli`` does to register the command) stays cheap and works without it.
"""
from __future__ import annotations

import fnmatch
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import click

from .options import report_options

INSTALL_HINT = ("cfn-arch-lint audit needs boto3, which is not installed. Install the aws extra:\n"
                "    pip install 'cfn-arch-lint[aws]'")

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_SESSION_NAME = "cfn-arch-lint-audit"
FETCH_WORKERS = 4                       # concurrent DescribeStacks/GetTemplate per region

# Every stack status there is (botocore's service model is asked first; this is the fallback).
ALL_STATUSES = (
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED", "DELETE_COMPLETE", "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
)
# Deleted stacks are not even listed. These are listed, but there is nothing deployed worth auditing.
SKIPPED_STATUSES = {
    "DELETE_IN_PROGRESS": "it is being deleted",
    "ROLLBACK_IN_PROGRESS": "its creation failed and is being rolled back: nothing stays deployed",
    "ROLLBACK_COMPLETE": "its creation failed and was rolled back: nothing is deployed",
    "REVIEW_IN_PROGRESS": "it was created for a change set that was never executed: nothing is deployed",
}

_ACCESS = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "UnauthorizedException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure",
            "IncompleteSignature", "InvalidAccessKeyId", "OptInRequired"}
_THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown"}


class AuditAbort(Exception):
    """Nothing can be audited at all (no boto3, no credentials, a profile that does not exist, ...)."""


@dataclass
class AuditOptions:
    regions: tuple = ()
    all_regions: bool = False
    stacks: tuple = ()                  # names, ARNs or fnmatch globs
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    endpoint_url: str | None = None
    template_stage: str = "processed"   # processed | original
    include_nested: bool = True


@dataclass
class AuditOutcome:
    results: list = field(default_factory=list)          # FileResult per stack that was read (or tried)
    skipped: list = field(default_factory=list)          # (uri, reason)
    region_errors: list = field(default_factory=list)    # (region, message)
    regions: list = field(default_factory=list)          # regions whose stacks could be listed
    account: str | None = None
    matched: int = 0                                     # stacks that --stack matched (all when not given)

    @property
    def audited(self) -> list:
        return [r for r in self.results if r.status in ("linted", "skipped")]


def stack_uri(region: str, name: str) -> str:
    return f"stack://{region}/{name}"


def parse_stack_arn(arn: str) -> dict:
    """``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`` → its parts (empty if not)."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or not parts[5].startswith("stack/"):
        return {}
    name = parts[5].split("/")[1] if parts[5].count("/") >= 1 else ""
    return {"partition": parts[1], "region": parts[3], "account": parts[4], "name": name}


def pseudo_parameters(arn: str, name: str, region: str) -> dict:
    """The pseudo parameters CloudFormation gave this stack, read from its ARN."""
    parts = parse_stack_arn(arn)
    pseudo = {"AWS::StackName": name, "AWS::StackId": arn, "AWS::Region": parts.get("region") or region}
    if parts.get("account"):
        pseudo["AWS::AccountId"] = parts["account"]
    partition = parts.get("partition")
    if partition:
        pseudo["AWS::Partition"] = partition
        suffix = {"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}.get(partition)
        if suffix:
            pseudo["AWS::URLSuffix"] = suffix
    return pseudo


def matches(patterns, name: str, arn: str) -> bool:
    """``--stack`` patterns: a name, an ARN, or an fnmatch glob on either (case-sensitive, like stack names)."""
    if not patterns:
        return True
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(arn, p) for p in patterns)


def skip_reason(status: str) -> str | None:
    return SKIPPED_STATUSES.get(status)


def noecho_parameters(template) -> set:
    params = template.get("Parameters") if isinstance(template, dict) else None
    if not isinstance(params, dict):
        return set()
    return {name for name, spec in params.items()
            if isinstance(spec, dict) and str(spec.get("NoEcho", "")).strip().lower() == "true"}


def deployed_parameters(stack: dict, noecho: set) -> dict:
    """DescribeStacks ``Parameters`` → the ``parameters`` argument of the linter.

    NoEcho values come back as ``****``: they are Unknown, never the asterisks. An SSM-typed parameter has
    its deployed value in ``ResolvedValue``.
    """
    from .values import Unknown

    out = {}
    for item in stack.get("Parameters") or ():
        key = item.get("ParameterKey")
        if not key:
            continue
        value = item.get("ResolvedValue", item.get("ParameterValue"))
        if key in noecho or value == "****":
            out[key] = Unknown(f"parameter {key} is NoEcho: its deployed value is masked")
        elif value is not None:
            out[key] = value
    return out


def describe_error(exc, max_attempts: int | None = None) -> str:
    """One plain line for a botocore exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response.get("Error") or {}
        code, message = str(error.get("Code") or "Unknown"), str(error.get("Message") or "").strip()
        detail = f" ({code}{': ' + message if message else ''})"
        if code in _ACCESS:
            return "access denied" + detail
        if code in _EXPIRED:
            return "the credentials have expired; refresh them (e.g. `aws sso login`) and run again" + detail
        if code in _INVALID:
            return ("the credentials are not valid here; is the region enabled for this account, and are the "
                    "keys right?" + detail)
        if code in _THROTTLED:
            tries = f" after {max_attempts} attempts" if max_attempts else ""
            return f"throttled by AWS{tries}; run again later or raise --max-attempts" + detail
        if code == "ValidationError" and "does not exist" in message:
            return "the stack no longer exists" + detail
        return f"{code}: {message}" if message else code
    name = type(exc).__name__
    text = str(exc).strip() or name
    if name == "NoCredentialsError":
        return ("no AWS credentials found: set AWS_PROFILE or give --profile, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or run where an instance/task role is available")
    if name in ("EndpointConnectionError", "ConnectionClosedError", "ConnectTimeoutError", "ReadTimeoutError"):
        return f"cannot reach the endpoint: {text}"
    if name == "ResponseParserError":
        return "the endpoint sent a response that is not an AWS API response"
    return text


def _is_credentials_failure(exc) -> bool:
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                "TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError"):
        return True
    response = getattr(exc, "response", None)
    code = (response or {}).get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in _EXPIRED or code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId")


def _all_statuses(client) -> list:
    try:
        statuses = list(client.meta.service_model.shape_for("StackStatus").enum)
    except Exception:
        statuses = []
    return [s for s in (statuses or ALL_STATUSES) if s != "DELETE_COMPLETE"]


class Auditor:
    """One run of ``audit``: a session, the regions, and for each region the stacks."""

    def __init__(self, options: AuditOptions, *, rules=None, rule_options=None, log=None):
        self.options = options
        self.rules = rules
        self.rule_options = rule_options
        self.log = log or (lambda message: None)
        try:
            import boto3
            import botocore.exceptions
            from botocore.config import Config
        except ImportError:
            raise AuditAbort(INSTALL_HINT) from None
        self.boto3 = boto3
        self.errors = botocore.exceptions
        from . import __version__

        self.config = Config(retries={"mode": "standard", "max_attempts": max(1, options.max_attempts)},
                             user_agent_extra=f"cfn-arch-lint/{__version__}")
        self.session = None

    # ------------------------------------------------------------------ session, identity, regions

    def client(self, service: str, region: str):
        return self.session.client(service, region_name=region, endpoint_url=self.options.endpoint_url,
                                   config=self.config)

    def connect(self) -> None:
        opts = self.options
        exc_types = (self.errors.BotoCoreError, self.errors.ClientError)
        try:
            self.session = self.boto3.Session(profile_name=opts.profile) if opts.profile else self.boto3.Session()
        except self.errors.ProfileNotFound:
            raise AuditAbort(f"the AWS profile {opts.profile!r} is not in the AWS config or credentials file")
        except exc_types as exc:
            raise AuditAbort(f"cannot start an AWS session: {describe_error(exc)}")
        home = self.home_region()
        if opts.role_arn:
            kwargs = {"RoleArn": opts.role_arn, "RoleSessionName": opts.role_session_name or DEFAULT_SESSION_NAME}
            if opts.external_id:
                kwargs["ExternalId"] = opts.external_id
            try:
                credentials = self.client("sts", home).assume_role(**kwargs)["Credentials"]
            except exc_types as exc:
                raise AuditAbort(f"cannot assume role {opts.role_arn}: {describe_error(exc, opts.max_attempts)}")
            self.session = self.boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                              aws_secret_access_key=credentials["SecretAccessKey"],
                                              aws_session_token=credentials["SessionToken"],
                                              region_name=self.session.region_name)

    def identity(self, outcome: AuditOutcome) -> None:
        """GetCallerIdentity: fail early, once, when the credentials are missing or expired."""
        try:
            outcome.account = self.client("sts", self.home_region()).get_caller_identity().get("Account")
        except (self.errors.BotoCoreError, self.errors.ClientError) as exc:
            if _is_credentials_failure(exc):
                raise AuditAbort(describe_error(exc, self.options.max_attempts))
            # Anything else (an STS endpoint that cannot be reached, ...) shows again per region.

    def known_regions(self) -> set:
        known = set()
        try:
            for partition in self.session.get_available_partitions():
                known.update(self.session.get_available_regions("cloudformation", partition_name=partition))
        except Exception:
            pass
        return known

    def home_region(self) -> str:
        if self.session is not None and self.session.region_name:
            return self.session.region_name
        known = self.known_regions() if self.session is not None else set()
        for region in self.options.regions:
            if not known or region in known:
                return region
        return "us-east-1"

    def regions(self, outcome: AuditOutcome) -> list:
        opts = self.options
        if opts.all_regions:
            return self.enabled_regions()
        if opts.regions:
            known = self.known_regions()
            chosen = []
            for region in dict.fromkeys(opts.regions):
                if known and region not in known:
                    message = (f"unknown region {region!r}: botocore {self._botocore_version()} knows no "
                               "CloudFormation region of that name (a typo, or a region newer than your boto3?)")
                    outcome.region_errors.append((region, message))
                    self.log(f"{region}: {message}")
                else:
                    chosen.append(region)
            return chosen
        if self.session.region_name:
            return [self.session.region_name]
        raise AuditAbort("no region: give --region (repeatable) or --all-regions, or set AWS_REGION / "
                         "AWS_DEFAULT_REGION or a region in the profile")

    def enabled_regions(self) -> list:
        """The regions enabled for the account (EC2 DescribeRegions), else every region botocore knows."""
        home = self.home_region()
        try:
            response = self.client("ec2", home).describe_regions()
            names = sorted(r["RegionName"] for r in response.get("Regions", ()) if r.get("RegionName"))
            if names:
                return names
        except (self.errors.BotoCoreError, self.errors.ClientError) as exc:
            self.log(f"--all-regions: cannot ask EC2 which regions are enabled ({describe_error(exc)}); "
                     "trying every region botocore knows, opt-in regions that are not enabled will fail")
        try:
            partition = self.session.get_partition_for_region(home)
        except Exception:
            partition = "aws"
        return sorted(self.session.get_available_regions("cloudformation", partition_name=partition))

    @staticmethod
    def _botocore_version() -> str:
        try:
            import botocore

            return botocore.__version__
        except Exception:  # pragma: no cover
            return "?"

    # ------------------------------------------------------------------ the run

    def run(self) -> AuditOutcome:
        outcome = AuditOutcome()
        self.connect()
        self.identity(outcome)
        for region in self.regions(outcome):
            try:
                self.audit_region(region, outcome)
            except (self.errors.BotoCoreError, self.errors.ClientError) as exc:
                if _is_credentials_failure(exc) and type(exc).__name__ == "NoCredentialsError":
                    raise AuditAbort(describe_error(exc))
                message = f"cannot list stacks: {describe_error(exc, self.options.max_attempts)}"
                outcome.region_errors.append((region, message))
                self.log(f"{region}: {message}")
        return outcome

    def audit_region(self, region: str, outcome: AuditOutcome) -> None:
        opts = self.options
        client = self.client("cloudformation", region)
        summaries = []
        paginator = client.get_paginator("list_stacks")
        for page in paginator.paginate(StackStatusFilter=_all_statuses(client)):
            summaries.extend(s for s in page.get("StackSummaries", ()) if s.get("StackId") and s.get("StackName"))
        outcome.regions.append(region)

        by_id = {s["StackId"]: s for s in summaries}
        by_name = {s["StackName"]: s for s in summaries}
        parent_of = {s["StackId"]: s["ParentId"] for s in summaries if s.get("ParentId")}

        selected = {}
        for s in summaries:
            if matches(opts.stacks, s["StackName"], s["StackId"]):
                selected[s["StackId"]] = s
        outcome.matched += len(selected)

        # Walk AWS::CloudFormation::Stack resources: they link children to parents (moto, and some older
        # stacks, have no ParentId) and, with --include-nested, bring in the children of matched stacks.
        pending = [arn for arn, s in selected.items() if not skip_reason(s.get("StackStatus", ""))]
        walked = set()
        while pending:
            arn = pending.pop(0)
            if arn in walked:
                continue
            walked.add(arn)
            for physical_id in self.nested_stack_ids(client, region, arn):
                child = by_id.get(physical_id) or by_name.get(physical_id) \
                    or by_name.get(parse_stack_arn(physical_id).get("name", ""))
                if child is None:
                    continue
                parent_of[child["StackId"]] = arn
                if opts.include_nested and child["StackId"] not in selected:
                    selected[child["StackId"]] = child
                if opts.include_nested and not skip_reason(child.get("StackStatus", "")):
                    pending.append(child["StackId"])

        to_audit = []
        for arn, summary in selected.items():
            name = summary["StackName"]
            uri = stack_uri(region, name)
            reason = skip_reason(summary.get("StackStatus", ""))
            if reason:
                reason = f"{summary.get('StackStatus')}: {reason}"
            elif not opts.include_nested and arn in parent_of:
                parent = by_id.get(parent_of[arn], {}).get("StackName") or parent_of[arn]
                reason = f"nested in {stack_uri(region, parent)}, and --no-include-nested was given"
            if reason:
                outcome.skipped.append((uri, reason))
                continue
            to_audit.append(summary)

        # The AWS calls run a few at a time (clients are thread-safe); linting stays on this thread.
        with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
            fetched = list(pool.map(lambda summary: self.fetch_stack(client, region, summary), to_audit))
        for summary, item in zip(to_audit, fetched):
            result = self.lint_stack(region, summary, *item)
            arn = summary["StackId"]
            if arn in parent_of:
                result.meta["parentStackArn"] = parent_of[arn]
                parent = by_id.get(parent_of[arn])
                if parent:
                    result.meta["parentStack"] = stack_uri(region, parent["StackName"])
            outcome.results.append(result)

    def nested_stack_ids(self, client, region: str, arn: str) -> list:
        ids = []
        try:
            for page in client.get_paginator("list_stack_resources").paginate(StackName=arn):
                for item in page.get("StackResourceSummaries", ()):
                    # moto returns an entry with empty ids for SAM resources it did not create: skip those.
                    if item.get("ResourceType") == "AWS::CloudFormation::Stack" and item.get("PhysicalResourceId"):
                        ids.append(item["PhysicalResourceId"])
        except (self.errors.BotoCoreError, self.errors.ClientError) as exc:
            name = parse_stack_arn(arn).get("name") or arn
            self.log(f"{stack_uri(region, name)}: cannot list its resources to find nested stacks: "
                     f"{describe_error(exc, self.options.max_attempts)}")
        return ids

    def fetch_stack(self, client, region: str, summary: dict):
        """(stack description, template body, stage, error message): DescribeStacks and GetTemplate."""
        arn = summary["StackId"]
        try:
            stacks = client.describe_stacks(StackName=arn).get("Stacks") or [{}]
            body, stage = self.fetch_template(client, arn)
            return stacks[0], body, stage, None
        except (self.errors.BotoCoreError, self.errors.ClientError) as exc:
            return None, None, None, describe_error(exc, self.options.max_attempts)
        except _NoTemplate as exc:
            return None, None, None, str(exc)
        except Exception as exc:  # never a traceback for one stack
            return None, None, None, f"unexpected error while reading the stack: {exc!r}"

    def lint_stack(self, region: str, summary: dict, stack, body, stage, error):
        from .api import FileResult, lint_template, read_text

        arn, name = summary["StackId"], summary["StackName"]
        uri = stack_uri(region, name)
        meta = {"stackArn": arn, "region": region, "account": parse_stack_arn(arn).get("account"),
                "stackName": name, "stackStatus": summary.get("StackStatus")}
        if error is not None:
            return FileResult(uri, "unreadable", errors=[f"{uri}: {error}"], meta=meta)
        meta["templateStage"] = stage
        if stack.get("StackStatus"):
            meta["stackStatus"] = stack["StackStatus"]
        try:
            # Parsed once: the same template gives the NoEcho flags and is linted.
            template = _plain(body) if isinstance(body, dict) else read_text(body, uri)
            if isinstance(template, FileResult):
                result = template
            else:
                result = lint_template(template, uri, text=None if isinstance(body, dict) else body,
                                       parameters=deployed_parameters(stack, noecho_parameters(template)),
                                       pseudo=pseudo_parameters(arn, name, region), rules=self.rules,
                                       rule_options=self.rule_options, parameter_source="the deployed value")
        except Exception as exc:  # a bug of ours must not cost the user the other stacks
            return FileResult(uri, "unreadable", errors=[f"{uri}: internal error while linting: {exc!r}"], meta=meta)
        result.meta.update(meta)
        return result

    def fetch_template(self, client, arn: str):
        """(body, stage): Processed first (unless --template-stage original), then Original."""
        stages = ["Original"] if self.options.template_stage == "original" else ["Processed", "Original"]
        last = None
        for stage in stages:
            try:
                response = client.get_template(StackName=arn, TemplateStage=stage)
            except self.errors.ClientError as exc:
                error = exc.response.get("Error", {})
                if stage == "Processed" and error.get("Code") == "ValidationError" \
                        and "does not exist" not in str(error.get("Message", "")):
                    last = exc
                    continue
                raise
            body = response.get("TemplateBody")
            if isinstance(body, (str, dict)) and body:
                return body, stage
        if last is not None:
            raise last
        raise _NoTemplate("GetTemplate returned no template body")


class _NoTemplate(Exception):
    pass


def _plain(value):
    """botocore decodes JSON bodies with OrderedDict: hand the engine plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def audit(options: AuditOptions, *, rules=None, rule_options=None, log=None) -> AuditOutcome:
    """Audit the stacks ``options`` select. Raises :class:`AuditAbort` when nothing can be audited at all."""
    return Auditor(options, rules=rules, rule_options=rule_options, log=log).run()


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
    from .cli import EXIT_USAGE, emit, load_settings
    from .config import rule_options

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
        from .findings import Severity

        threshold = Severity.parse(report.severity or getattr(config, "severity", None) or "info")
        count = sum(1 for r in outcome.results for f in r.findings
                    if f.severity >= threshold and not f.suppressed_by)
        log(summary_line(outcome, count))
    if not outcome.audited and (outcome.region_errors or outcome.results or unmatched):
        code = EXIT_USAGE
    sys.exit(code)
