"""S3 bucket facts several rules share: which parts of a bucket a policy statement names, TLS-only denies."""
from __future__ import annotations

from .graph import Resource
from .policy import Statement, _match_resource, statements
from .values import Unknown, display, is_symbolic

BUCKET_PART, OBJECTS_PART = "the bucket", "its objects"


def bucket_parts(st: Statement, bucket: Resource) -> tuple[set, str | None]:
    """Which parts of ``bucket`` a statement's ``Resource`` names: ``{BUCKET_PART, OBJECTS_PART}``.

    ``Resource: "*"`` names both; ``${Bucket.Arn}`` the bucket; ``${Bucket.Arn}/*`` its objects. The
    second item is the reason when an entry may name the bucket but does not resolve (else None).
    Example: ``parts, doubt = bucket_parts(st, bucket)``.
    """
    parts, doubt = set(), None
    for pattern in st.resources or ():
        if isinstance(pattern, Unknown):
            doubt = doubt or f"a Resource of {st.label} is not known: {pattern.reason}"
            continue
        if pattern == "*":
            parts |= {BUCKET_PART, OBJECTS_PART}
            continue
        names = _match_resource(pattern if not isinstance(pattern, str) else pattern.split("/", 1)[0], bucket)
        if names.unknown:
            doubt = doubt or names.reason
        elif names.yes:
            text = pattern if isinstance(pattern, str) else ""
            rest = text.split("/", 1)[1] if "/" in text else None
            if rest is None:
                parts.add(BUCKET_PART)
            elif rest == "*":
                parts.add(OBJECTS_PART)
            if text.endswith("*") and "/" not in text:
                parts |= {BUCKET_PART, OBJECTS_PART}
    return parts, doubt


def _is_false(value) -> bool:
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    return value is False or (isinstance(value, str) and value.lower() == "false")


def denies_insecure_transport(st: Statement) -> bool | str:
    """Is the statement a ``Deny`` for everyone of all S3 actions when ``aws:SecureTransport`` is false?

    True, False, or a text naming what it lacks ("only s3:GetObject") when it is a TLS deny that falls short.
    """
    if st.effect != "Deny" or not st.condition:
        return False
    insecure = False
    for operator, tests in st.condition.items():
        if not isinstance(operator, str) or operator not in ("Bool", "BoolIfExists") or not isinstance(tests, dict):
            continue
        insecure |= any(isinstance(k, str) and k.lower() == "aws:securetransport" and _is_false(v)
                        for k, v in tests.items())
    if not insecure:
        return False
    everyone = any(kind == "*" or (kind == "AWS" and value == "*") for kind, value in st.principals or ())
    if not everyone:
        return f"{st.label} denies insecure transport only to {', '.join(display(v) for _, v in st.principals or ()) or 'no principal'}"
    actions = [a.lower() for a in st.written("actions")]
    if "*" not in actions and "s3:*" not in actions:
        return f"{st.label} denies insecure transport only for {', '.join(st.written('actions')) or 'no action'}"
    return True


NOTIFICATION_KINDS = (("LambdaConfigurations", "Function"), ("QueueConfigurations", "Queue"),
                      ("TopicConfigurations", "Topic"))


def key_filter(value) -> tuple[tuple[str, str] | None, str]:
    """``((prefix, suffix), "")`` of a notification's resolved ``Filter`` (``""`` when absent), or
    ``(None, reason)`` when it is not known. Example: ``key_filter({"S3Key": {"Rules": [{"Name": "prefix", "Value": "images/"}]}})``."""
    if value is None:
        return ("", ""), ""
    rules = value.get("S3Key", {}).get("Rules", []) if isinstance(value, dict) and isinstance(value.get("S3Key", {}), dict) else None
    if not isinstance(rules, list):
        return None, "the Filter is known only at deploy time"
    found = {"prefix": "", "suffix": ""}
    for item in rules:
        name = item.get("Name") if isinstance(item, dict) else None
        text = item.get("Value") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(text, str) or is_symbolic(text) or name.lower() not in found:
            return None, "a filter rule is known only at deploy time"
        found[name.lower()] = text
    return (found["prefix"], found["suffix"]), ""


def events_overlap(first: str, second: str) -> bool:
    """Do two S3 event types overlap (``s3:ObjectCreated:*`` covers ``s3:ObjectCreated:Put``)?"""
    def covers(wide, narrow):
        return wide == narrow or (wide.endswith(":*") and narrow.startswith(wide[:-1]))
    return covers(first, second) or covers(second, first)


def filters_overlap(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Can one object key match both (prefix, suffix) filters?"""
    (p1, s1), (p2, s2) = first, second
    return (p1.startswith(p2) or p2.startswith(p1)) and (s1.endswith(s2) or s2.endswith(s1))


def notified_on_write(filter_value, events_value) -> bool | None:
    """Can an object the notified code writes to the bucket trigger this notification again?

    ``filter_value`` is the notification's resolved ``Filter`` (None when absent), ``events_value`` its
    ``Event`` (CloudFormation: one name) or ``Events`` (SAM: a name or a list). False when a prefix or
    suffix filter is set (taken to separate inputs from outputs) or no event is a created-object event;
    None when the filter or an event is known only at deploy time.
    """
    keys, _why = key_filter(filter_value)
    if keys is None:
        return None
    if keys != ("", ""):
        return False
    names = events_value if isinstance(events_value, list) else [events_value]
    if any(not isinstance(name, str) or is_symbolic(name) for name in names):
        return None
    return any(name == "s3:*" or events_overlap(name, "s3:ObjectCreated:*") for name in names)
