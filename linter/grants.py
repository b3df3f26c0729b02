"""Whether a policy grants a request at all, its conditions aside.

:func:`linter.policy.allows` answers "unknown" for a statement with a ``Condition``: the template does not
say whether the condition holds. Some checks ask a weaker question — is there a grant for this principal
at all? — where the usual grant is conditional (the S3 log delivery policy restricted by ``aws:SourceArn``,
a KMS key policy for a service restricted by ``kms:ViaService``). :func:`may_allow` answers that: the
``Allow`` statements count without their conditions, and ``Deny`` statements with a condition are left out
(they deny only in some requests).
"""
from __future__ import annotations

from .policy import allows
from .tri import Verdict
from .values import Value


def _unconditioned(document):
    if not isinstance(document, dict) or "Statement" not in document:
        return document
    raw = document["Statement"]
    entries = raw if isinstance(raw, list) else [raw]
    kept = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("Condition") not in (None, {}):
            if entry.get("Effect") == "Deny":
                continue
            entry = {k: v for k, v in entry.items() if k != "Condition"}
        kept.append(entry)
    return {**document, "Statement": kept}


def may_allow(document, *, principal=None, action: str | None = None, resource=None) -> Verdict:
    """Does some ``Allow`` of the document grant the request, whatever its conditions say?

    Same arguments as :func:`linter.policy.allows`; ``document`` may be a Value (one document per
    scenario). Example: ``may_allow(doc, principal="logging.s3.amazonaws.com", action="s3:PutObject",
    resource=log_bucket)``.
    """
    if isinstance(document, Value):
        document = document.map(_unconditioned)
    else:
        document = _unconditioned(document)
    return allows(document, principal=principal, action=action, resource=resource)


# Verbs of actions that only read. Anything else (Put, Create, Delete, Update, Invoke, Send …) changes state.
READ_VERBS = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "Head", "Select", "Search", "Read", "View",
              "Lookup", "Check", "Validate", "Verify", "Filter", "Retrieve", "Estimate", "Test", "Detect")


def write_or_broad_actions(documents) -> tuple[list[str], str | None]:
    """The allowed actions of policy documents that change state or use wildcards, and why some are unknown.

    ``documents`` are Values (as :func:`linter.policy.role_documents` returns them). An action with ``*``
    anywhere counts as broad (``s3:*``, ``*``, ``dynamodb:Put*``); an action whose verb is not a read verb
    (``Get``, ``List``, ``Describe`` …) counts as write. ``NotAction`` with Allow counts as broad.
    Example: ``actions, unknown = write_or_broad_actions(role_documents(graph, role)[0])``.
    """
    from .policy import statements
    from .values import display

    found, unknown = [], None
    for document in documents:
        for case in document:
            if not case.known:
                unknown = unknown or case.value.reason
                continue
            for st in statements(case.value):
                if st.effect != "Allow":
                    if st.effect is None and st.unresolved:
                        unknown = unknown or st.unresolved[0]
                    continue
                if st.not_actions is not None:
                    found.append("NotAction " + ", ".join(display(a) for a in st.not_actions if isinstance(a, str)))
                for action in st.actions or ():
                    if not isinstance(action, str):
                        unknown = unknown or getattr(action, "reason", "an action is not known")
                        continue
                    verb = action.split(":", 1)[-1]
                    if "*" in action or not verb.startswith(READ_VERBS):
                        found.append(action)
    return list(dict.fromkeys(found)), unknown
