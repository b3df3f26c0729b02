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

The package is split along its seams: :mod:`.session` (options, boto3 session, credentials, role, regions,
error messages), :mod:`.discovery` (stacks, ``--stack`` globs, nested stacks, templates, parameters; the run)
and :mod:`.command` (the click command and its summary line). boto3 is the ``[aws]`` extra and is imported only
when a session starts, so importing this package (which ``linter.cli`` does to register the command) stays
cheap and works without it.
"""
from __future__ import annotations

from .command import audit_command, summary_line
from .discovery import (ALL_STATUSES, FETCH_WORKERS, SKIPPED_STATUSES, AuditOutcome, Auditor, audit,
                        deployed_parameters, matches, noecho_parameters, parse_stack_arn, pseudo_parameters,
                        skip_reason, stack_uri)
from .session import (DEFAULT_MAX_ATTEMPTS, DEFAULT_SESSION_NAME, INSTALL_HINT, AuditAbort, AuditOptions,
                      AwsSession, _is_credentials_failure, describe_error)

__all__ = ["ALL_STATUSES", "DEFAULT_MAX_ATTEMPTS", "DEFAULT_SESSION_NAME", "FETCH_WORKERS", "INSTALL_HINT",
           "SKIPPED_STATUSES", "AuditAbort", "AuditOptions", "AuditOutcome", "Auditor", "AwsSession", "audit",
           "audit_command", "deployed_parameters", "describe_error", "matches", "noecho_parameters",
           "parse_stack_arn", "pseudo_parameters", "skip_reason", "stack_uri", "summary_line"]
