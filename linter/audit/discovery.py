"""Which stacks ``audit`` lints, and with what: listing stacks per region, ``--stack`` names and globs, nested
stacks and their parents, skipped statuses, fetching templates, and the deployed and pseudo parameters.
"""
from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .session import AuditAbort, AuditOptions, AwsSession, _is_credentials_failure, describe_error

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
    from ..values import Unknown

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


def _all_statuses(client) -> list:
    try:
        statuses = list(client.meta.service_model.shape_for("StackStatus").enum)
    except Exception:
        statuses = []
    return [s for s in (statuses or ALL_STATUSES) if s != "DELETE_COMPLETE"]


class Auditor:
    """One run of ``audit``: an :class:`AwsSession`, and for each of its regions the stacks to lint."""

    def __init__(self, options: AuditOptions, *, rules=None, rule_options=None, log=None):
        self.options = options
        self.rules = rules
        self.rule_options = rule_options
        self.log = log or (lambda message: None)
        self.aws = AwsSession(options, log=self.log)
        self.errors = self.aws.errors
        self.nested_logical_ids: dict = {}   # parent stack ARN → {child physical id: logical id in the parent}

    def client(self, service: str, region: str):
        return self.aws.client(service, region)

    def run(self) -> AuditOutcome:
        outcome = AuditOutcome()
        self.aws.connect()
        outcome.account = self.aws.account()
        for region in self.aws.regions(outcome.region_errors):
            try:
                self.audit_region(region, outcome)
            except self.aws.aws_errors as exc:
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
        # The region's stacks are checked together (linter.stacks): imports, nested stacks' outputs and SSM
        # names resolve across them; an import no audited stack exports is asked of ListExports.
        together = []
        for summary, item in zip(to_audit, fetched):
            together.append((summary, self.lint_stack(region, summary, *item, inputs=together)))
        checked = self.lint_together(client, region, [r for _s, r in together if isinstance(r, tuple)])
        for summary, result in together:
            result = checked.get(result[0].path, result[1]) if isinstance(result, tuple) else result
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
                        self.nested_logical_ids.setdefault(arn, {})[item["PhysicalResourceId"]] = \
                            item.get("LogicalResourceId") or ""
        except self.aws.aws_errors as exc:
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
        except self.aws.aws_errors as exc:
            return None, None, None, describe_error(exc, self.options.max_attempts)
        except _NoTemplate as exc:
            return None, None, None, str(exc)
        except Exception as exc:  # never a traceback for one stack
            return None, None, None, f"unexpected error while reading the stack: {exc!r}"

    def lint_together(self, client, region: str, prepared: list) -> dict:
        """Check the region's readable stacks in groups (linter.stacks): uri → FileResult."""
        from ..api import FileResult
        from ..stacks import group_inputs, lint_inputs

        by_arn = {meta["stackArn"]: item for item, meta in prepared}
        for item, meta in prepared:
            for physical_id, logical_id in self.nested_logical_ids.get(meta["stackArn"], {}).items():
                child = by_arn.get(physical_id) or next(
                    (i for i, m in prepared if m["stackName"] == parse_stack_arn(physical_id).get("name")), None)
                if child is not None and logical_id:
                    item.children[logical_id] = child.path
        exports = _ExportList(self, client, region)
        out = {}
        for group in group_inputs([item for item, _meta in prepared]):
            try:
                results = lint_inputs(group, rules=self.rules, rule_options=self.rule_options,
                                      external_export=exports.lookup)
            except Exception as exc:  # a bug of ours must not cost the user the other stacks
                results = [FileResult(i.path, "unreadable", errors=[f"{i.path}: internal error while linting: "
                                                                     f"{exc!r}"]) for i in group]
            out.update((r.path, r) for r in results)
        for item, meta in prepared:
            out[item.path].meta.update(meta)
        return out

    def lint_stack(self, region: str, summary: dict, stack, body, stage, error, inputs=None):
        """The FileResult of one stack; with ``inputs`` given, a readable stack is returned as (TemplateInput,
        meta) instead, to be checked with the region's other stacks (:meth:`lint_together`)."""
        from ..api import FileResult, lint_template, read_text

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
            elif inputs is not None and isinstance(template.get("Resources"), dict):
                from ..stacks import StackIdentity, TemplateInput

                meta["templateStage"] = stage
                return (TemplateInput(uri, template, None if isinstance(body, dict) else body,
                                      deployed_parameters(stack, noecho_parameters(template)),
                                      pseudo=pseudo_parameters(arn, name, region),
                                      parameter_source="the deployed value",
                                      identity=StackIdentity(name, region, where="the audited stack")), meta)
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


class _ExportList:
    """A region's exports (CloudFormation ListExports), read once and only when an import needs them."""

    def __init__(self, auditor: Auditor, client, region: str):
        self.auditor, self.client, self.region = auditor, client, region
        self.exports: dict | None = None

    def lookup(self, name: str):
        """(value, exporting stack name) of export ``name``, or None when it is not exported or unreadable."""
        if self.exports is None:
            self.exports = {}
            try:
                for page in self.client.get_paginator("list_exports").paginate():
                    for export in page.get("Exports", ()):
                        if export.get("Name") and isinstance(export.get("Value"), str):
                            exporter = parse_stack_arn(export.get("ExportingStackId", "")).get("name") or "?"
                            self.exports[export["Name"]] = (export["Value"], exporter)
            except self.auditor.aws.aws_errors as exc:
                self.auditor.log(f"{self.region}: cannot list exports, imports of other stacks stay unknown: "
                                 f"{describe_error(exc, self.auditor.options.max_attempts)}")
        return self.exports.get(name)


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
