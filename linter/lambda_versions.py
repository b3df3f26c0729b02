"""Lambda versions and aliases: what an alias's ``FunctionVersion`` names, and the qualifier of a
provisioned-concurrency scaling target.

``graph.follow`` treats an alias or a version as the function it belongs to, which is what most rules
want; these helpers look at the reference itself.
"""
from __future__ import annotations

import re

from .values import TOKEN, Case, ResourceRef, display, is_symbolic

ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"
_VERSION_TEXT = re.compile(r"[0-9]+")

# What a FunctionVersion names (the first item of function_version_kind's answer).
FV_LATEST = "latest"          # $LATEST
FV_NUMBER = "number"          # a published version number, written or !GetAtt Version.Version
FV_ALIAS = "alias"        # another alias: Lambda rejects it
FV_VERSION_ARN = "version-arn"  # !Ref of an AWS::Lambda::Version, which returns its ARN
FV_INVALID = "invalid"        # text that is neither a number nor $LATEST, or the function itself
FV_DEPLOY_TIME = "deploy-time"  # known only at deploy time (a custom resource, a resource SAM creates)


def _reference(graph, value):
    """(resource, attribute) a Ref / GetAtt (or a string that is exactly one such token) names, else None."""
    if isinstance(value, ResourceRef):
        resource = graph.resources.get(value.logical_id)
        return (resource, value.attribute) if resource is not None else None
    if isinstance(value, str):
        match = TOKEN.fullmatch(value)
        if match and not match.group(1).startswith("AWS::"):
            logical_id, _, attribute = match.group(1).partition(".")
            resource = graph.resources.get(logical_id)
            return (resource, attribute or None) if resource is not None else None
    return None


def function_version_kind(graph, case: Case) -> tuple[str, str]:
    """What the known case of an alias's ``FunctionVersion`` (or a routing entry's) names, and how to say it.

    ``(FV_NUMBER, "version 3")``, ``(FV_LATEST, "$LATEST")``, ``(FV_ALIAS, "alias LiveAlias")``,
    ``(FV_VERSION_ARN, "the ARN of version FnVersion")``, ``(FV_INVALID, "'v2'")`` or ``(FV_DEPLOY_TIME, why)``.
    Example: ``kind, text = function_version_kind(graph, version_case)``.
    """
    value = case.value
    if isinstance(value, bool):
        return FV_INVALID, display(value)
    if isinstance(value, (int, float)):
        return (FV_NUMBER, f"version {value:g}") if float(value).is_integer() and value >= 1 else (FV_INVALID, display(value))
    found = _reference(graph, value)
    if found is not None:
        resource, attribute = found
        if resource.type == ALIAS:
            return FV_ALIAS, f"alias {resource.logical_id}"
        if resource.type == VERSION:
            if attribute == "Version":
                return FV_NUMBER, f"version {resource.logical_id}"
            return FV_VERSION_ARN, f"the ARN of version {resource.logical_id}"
        if resource.type in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            return FV_INVALID, f"function {resource.logical_id} itself"
        return FV_DEPLOY_TIME, f"{display(value)} is known only at deploy time"
    if isinstance(value, str):
        if is_symbolic(value):
            return FV_DEPLOY_TIME, f"{display(value)} is known only at deploy time"
        text = value.strip()
        if text == "$LATEST":
            return FV_LATEST, "$LATEST"
        if _VERSION_TEXT.fullmatch(text):
            return FV_NUMBER, f"version {text}"
        return FV_INVALID, repr(value)
    if isinstance(value, ResourceRef):
        return FV_DEPLOY_TIME, f"{display(value)} is not a resource of this template"
    return FV_INVALID, display(value)


def scaling_target_qualifier(resource_id: str) -> str | None:
    """The qualifier of a ``function:<name>:<qualifier>`` scalable-target ResourceId, or None when it has
    none; a qualifier known only at deploy time is returned as written (with its token).

    ``function:⟦Fn⟧:live`` → ``"live"``; ``function:⟦Fn⟧`` → None. Colons inside tokens do not count.
    """
    masked = TOKEN.sub(lambda m: "\0" * len(m.group(0)), resource_id)
    colons = [i for i, ch in enumerate(masked) if ch == ":"]
    if len(colons) < 2:
        return None
    return resource_id[colons[1] + 1:]


def is_function_resource_id(resource_id: str) -> bool:
    """Whether a scalable-target ResourceId is written as ``function:…`` (deploy-time parts allowed after it)."""
    return resource_id.startswith("function:")
