"""Strings that are only partly known until deploy time.

A resolved string may embed deploy-time pieces: ``!Sub "logs-${AWS::AccountId}"`` resolves to ``logs-`` followed
by a token for the account id. A rule that judges a name can still judge the literal runs: an uppercase letter
written in the template is wrong whatever the account id turns out to be.
"""
from __future__ import annotations

from .values import TOKEN


def literal_parts(text: str) -> list[str | None]:
    """The literal runs of a resolved string, with None for each piece known only at deploy time.

    ``"logs-⟦AWS::AccountId⟧-eu"`` → ``["logs-", None, "-eu"]``; a fully literal string → ``[text]``.
    """
    parts: list[str | None] = []
    at = 0
    for match in TOKEN.finditer(text):
        if match.start() > at:
            parts.append(text[at:match.start()])
        parts.append(None)
        at = match.end()
    if at < len(text) or not parts:
        parts.append(text[at:])
    return parts


def fully_literal(text: str) -> bool:
    """Whether every character of the resolved string is written in the template."""
    return all(part is not None for part in literal_parts(text))


def as_name(case) -> str | None:
    """A case's value as a name to judge: deploy-time pieces kept as tokens, numbers as written; None otherwise."""
    value = case.value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else None


def colon_parts(text: str) -> list[str]:
    """The colon-separated parts of an ARN-like string; a deploy-time token (``⟦AWS::Partition⟧``, which has
    colons of its own) stays inside one part."""
    tokens = [m.group(0) for m in TOKEN.finditer(text)]
    for i, tok in enumerate(tokens):
        text = text.replace(tok, f"\x00{i}\x00", 1)
    parts = text.split(":")
    for i, tok in enumerate(tokens):
        parts = [p.replace(f"\x00{i}\x00", tok) for p in parts]
    return parts
