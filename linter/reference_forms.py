"""How a reference is written: which resource and attribute it takes, and which Lambda qualifier it carries.

``graph.follow`` says which resource a reference leads to; some checks also need the form: ``!Ref Queue``
is the queue's URL while an alarm's ``QueueName`` dimension wants ``!GetAtt Queue.QueueName``, and
CloudFront accepts a Lambda@Edge function only as a numbered version ARN, not ``!GetAtt Fn.Arn``.
"""
from __future__ import annotations

import re

from .text import colon_parts, literal_parts
from .values import TOKEN, Case, ResourceRef, Unknown, display

# What a Lambda function reference names (``function_reference_kind``).
VERSION = "a numbered version"
ALIAS = "an alias"
LATEST = "$LATEST"
UNQUALIFIED = "the unqualified function"

_VERSION_TYPE = "AWS::Lambda::Version"
_ALIAS_TYPE = "AWS::Lambda::Alias"
_FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")


def reference_of(case: Case) -> tuple[str, str | None] | None:
    """(logical id, attribute) when the case is exactly a ``Ref`` (attribute None) or ``Fn::GetAtt`` of a
    resource, or a ``!Sub`` made of that one reference; None for anything else (a literal, a longer string).

    ``!GetAtt Topic.TopicName`` → ``("Topic", "TopicName")``; ``!Ref Queue`` → ``("Queue", None)``.
    """
    value = case.value
    if isinstance(value, ResourceRef):
        return value.logical_id, value.attribute
    if isinstance(value, str):
        match = TOKEN.fullmatch(value)
        if match and "::" not in match.group(1):
            base, _, attribute = match.group(1).partition(".")
            return base, attribute or None
    return None


def function_reference_kind(graph, case: Case) -> tuple[str | None, str]:
    """What a reference to a Lambda function of the template names: ``VERSION``, ``ALIAS``, ``LATEST`` or
    ``UNQUALIFIED``, with how it is written; ``(None, reason)`` when that cannot be told.

    ``!Ref FnVersion`` (an ``AWS::Lambda::Version``) and SAM's ``!Ref Fn.Version`` are versions;
    ``!GetAtt Fn.Arn`` and ``!Ref Fn`` are the unqualified function; ``!Sub ${Fn.Arn}:${V.Version}`` is a
    version; ``!Sub ${Fn.Arn}:live`` an alias. Example: ``kind, how = function_reference_kind(graph, case)``.
    """
    value = case.value
    if isinstance(value, Unknown):
        return None, value.reason
    whole = reference_of(case)
    if whole is not None:
        return _kind_of_reference(graph, *whole)
    if not isinstance(value, str):
        return None, f"{display(value)} is not a function ARN"
    parts = colon_parts(value)
    if len(parts) < 2:
        return None, f"{display(value)} is not a function ARN"
    head, last = parts[:-1], parts[-1]
    # ``${Fn.Arn}:<qualifier>`` or a written ARN ``arn:...:function:name:<qualifier>``.
    qualified = (len(head) == 1 and reference_of(Case(head[0])) is not None) or \
        (len(parts) == 8 and parts[5] == "function")
    if not qualified:
        if len(parts) == 7 and parts[5] == "function":
            return UNQUALIFIED, display(value)
        return None, f"{display(value)} is not a function ARN this tool can read"
    if last == "$LATEST":
        return LATEST, display(value)
    if re.fullmatch(r"[0-9]+", last):
        return VERSION, display(value)
    inner = reference_of(Case(last))
    if inner is not None:
        return _kind_of_reference(graph, *inner, qualifier=True)
    if all(p is not None for p in literal_parts(last)):
        return ALIAS, display(value)
    return None, f"the qualifier of {display(value)} is known only at deploy time"


def _kind_of_reference(graph, logical_id: str, attribute: str | None, qualifier: bool = False):
    resource = graph.resources.get(logical_id)
    shown = f"!Ref {logical_id}" if attribute is None else f"!GetAtt {logical_id}.{attribute}"
    if resource is None:
        return None, f"{shown} names no resource of this template"
    if resource.type == _VERSION_TYPE:
        return VERSION, shown
    if resource.type == _ALIAS_TYPE:
        return (None, f"{shown} is not a qualifier") if qualifier and attribute is not None else (ALIAS, shown)
    if resource.type in _FUNCTION_TYPES:
        # SAM: ``!Ref Fn.Version`` / ``!Ref Fn.Alias``, and ``!GetAtt Fn.Version.FunctionArn`` (the version's ARN).
        if attribute is not None and attribute.split(".", 1)[0] == "Version":
            return VERSION, shown if "." in attribute else f"!Ref {logical_id}.Version"
        if attribute is not None and attribute.split(".", 1)[0] == "Alias":
            return ALIAS, shown if "." in attribute else f"!Ref {logical_id}.Alias"
        if not qualifier:
            return UNQUALIFIED, shown
    return None, f"{shown} is not a function version"
