"""May an AWS service deliver to a queue or topic of the template? Its resource policy, with the
``aws:SourceArn`` / ``aws:SourceAccount`` conditions decided for the one source that delivers.

:func:`linter.policy.allows` treats every conditional statement as unknown, because conditions are judged
at request time. The usual delivery policy, though, is conditional on the source only
(``ArnEquals: {aws:SourceArn: !Ref Topic}``), and for a delivery from a source of the template that
condition can be decided: it names the source (the statement applies), another resource (it does not),
or a value known only at deploy time (still unknown).
"""
from __future__ import annotations


from .policy import allows, resource_policies
from .graph import own_graph
from .tri import Verdict
from .values import Case, Unknown, Value, is_symbolic, token

_SOURCE_ARN = "aws:sourcearn"
_SOURCE_ACCOUNT = ("aws:sourceaccount", "aws:sourceowner")
_OPERATORS = {"arnequals", "arnlike", "stringequals", "stringlike"}


def _operator(name: str) -> str | None:
    base = name[:-len("IfExists")] if name.endswith("IfExists") else name
    return base.lower() if base.lower() in _OPERATORS else None


def _matches_source(graph, value, source) -> bool | None:
    """Does one condition value name ``source``? None when it cannot be told."""
    if isinstance(value, Unknown):
        return None
    if isinstance(value, str) and not is_symbolic(value):
        resource_part = value.split(":", 5)[-1] if value.startswith("arn:") else value
        if value == "*" or resource_part == "*":
            return True
    found, reason = graph.follow(Case(value, "", ()))
    if found is not None:
        return found is source
    if isinstance(value, str) and not is_symbolic(value) and "not a resource of this template" in reason:
        return False if "*" not in value and "?" not in value else None
    return None


def _matches_account(value) -> bool | None:
    return True if value == token("AWS::AccountId") else None


def _decide_condition(graph, condition, source) -> bool | None:
    """True / False when every key of the condition is about the source and decides; else None."""
    if not isinstance(condition, dict) or not condition:
        return None
    results = []
    for operator, block in condition.items():
        if not isinstance(operator, str) or _operator(operator) is None or not isinstance(block, dict):
            return None
        for key, values in block.items():
            values = values if isinstance(values, list) else [values]
            key = key.lower() if isinstance(key, str) else ""
            if key == _SOURCE_ARN:
                answers = [_matches_source(graph, v, source) for v in values]
            elif key in _SOURCE_ACCOUNT:
                answers = [_matches_account(v) for v in values]
            else:
                return None
            results.append(True if True in answers else None if None in answers else False)
    if False in results:
        return False
    return None if None in results else True


def decide_source_conditions(graph, document, source):
    """The document with each statement's source conditions decided for ``source``: a statement whose
    condition names the source loses its Condition, one that names something else is dropped, any other
    stays as it is (and :func:`~linter.policy.allows` answers unknown for it)."""
    if not isinstance(document, dict) or source is None:
        return document
    raw = document.get("Statement")
    if not isinstance(raw, (list, dict)):
        return document
    out = []
    for st in raw if isinstance(raw, list) else [raw]:
        if isinstance(st, dict) and "Condition" in st:
            decided = _decide_condition(graph, st["Condition"], source)
            if decided is False:
                continue
            if decided is True:
                st = {k: v for k, v in st.items() if k != "Condition"}
        out.append(st)
    return {**document, "Statement": out}


def delivery_verdict(graph, document, *, principal: str, action: str, resource, source=None) -> Verdict:
    """``allows`` for one plain policy document, with the source conditions decided for ``source``."""
    return allows(decide_source_conditions(graph, document, source), principal=principal, action=action,
                  resource=resource)


def delivery_providers(graph, target, *, principal: str, action: str, source=None) -> list:
    """``(document, predicate)`` pairs for ``ctx.coverage``: the resource policies of ``target`` (a queue
    or topic), each covering in the scenarios where it lets ``principal`` perform ``action`` on it for a
    delivery from ``source``. Example::

        coverage = ctx.coverage(edge, delivery_providers(graph, queue, principal="sns.amazonaws.com",
                                                         action="sqs:SendMessage", source=topic))
    """
    def predicate(case):
        verdict = delivery_verdict(graph, case.value, principal=principal, action=action, resource=target,
                                   source=source)
        return True if verdict.yes else False if verdict.no else verdict.reason

    out = []
    for _policy, document in resource_policies(graph, target):
        if isinstance(document, Value):
            # A policy present only in some scenarios gives None in the others: it does not cover there.
            out.append((document, predicate))
    # SAM connectors (AWS::Serverless::Connector, or a resource's embedded Connectors) with Write
    # permission from the source to the target: SAM writes the resource policy for them.
    for connector, source_id in connectors(graph):
        if _connector_names(graph, connector, "Destination", target) and (
                source is None or source_id == getattr(source, "logical_id", None)
                or _connector_names(graph, connector, "Source", source)):
            out.append((connector.get("Permissions", default=False),
                        lambda case: isinstance(case.value, list) and "Write" in case.value))
    return out


def connectors(graph) -> list:
    """SAM connectors of the template: ``(connector, source logical id or None)``. A standalone
    ``AWS::Serverless::Connector`` names its source; an embedded one (a resource's ``Connectors``
    attribute) is a resource whose source is the resource it is written in."""
    from .graph import Resource

    out = [(c, None) for c in graph.of_type("AWS::Serverless::Connector")]
    for resource in list(graph.resources.values()):
        node = getattr(resource, "node", None)
        embedded = node.get("Connectors") if isinstance(node, dict) else None
        if not isinstance(embedded, dict):
            continue
        for name, body in embedded.items():
            props = body.get("Properties") if isinstance(body, dict) else None
            if isinstance(props, dict):
                connector = Resource(f"{resource.logical_id}{name}", "AWS::Serverless::Connector", props,
                                     node=body, origin=f"connector {name} of {resource.logical_id}",
                                     anchor=(resource.logical_id, ""), condition=resource.condition)
                connector.graph = graph
                out.append((connector, resource.logical_id))
    return out


def _connector_names(graph, connector, end: str, resource) -> bool:
    """Whether the connector's Source or Destination (``Id`` or ``Arn``; a Destination may be a list) is
    ``resource``."""
    for case in connector.get(end, default=False):
        ends = case.value if isinstance(case.value, list) else [case.value]
        for item in ends:
            if not isinstance(item, dict):
                continue
            if item.get("Id") == resource.logical_id:
                return True
            if item.get("Arn") is not None and graph.follow(Case(item["Arn"], case.origin, case.assumptions))[0] is resource:
                return True
    return False


def connector_writes(graph, source, target) -> bool:
    """Whether a SAM connector lets ``source`` write to ``target`` (SAM then adds the permission to the
    source's role, or the resource policy to the target)."""
    for connector, source_id in connectors(graph):
        if not _connector_names(graph, connector, "Destination", target):
            continue
        if source_id != source.logical_id and not _connector_names(graph, connector, "Source", source):
            continue
        if any(isinstance(c.value, list) and "Write" in c.value for c in connector.get("Permissions", default=False)):
            return True
    return False


def delivery_policies(graph, target) -> list:
    """The policy resources that apply to ``target``, for messages (``related=``)."""
    graph = own_graph(graph, target)   # a resource of another template: judged there
    return [policy for policy, _doc in resource_policies(graph, target) if policy is not target]




# ---------------------------------------------------------------- KMS keys of queues and topics

AWS_MANAGED_ALIASES = ("alias/aws/sqs", "alias/aws/sns")
KEY = "AWS::KMS::Key"
ALIAS = "AWS::KMS::Alias"


def kms_key_of(graph, case):
    """What a ``KmsMasterKeyId`` case names: ``("none", None, "")`` when not set, ``("aws-managed", None,
    alias)`` for ``alias/aws/sqs`` / ``alias/aws/sns`` (also as an alias ARN), ``("customer", key, "")``
    for an ``AWS::KMS::Key`` of the template (directly or through an ``AWS::KMS::Alias``), and
    ``("unknown", None, reason)`` for anything else (an imported key, a literal key ARN)."""
    value = case.value
    if value is None:
        return "none", None, ""
    if isinstance(value, str) and not is_symbolic(value):
        for alias in AWS_MANAGED_ALIASES:
            if value == alias or value.endswith(":" + alias):
                return "aws-managed", None, alias
    found, reason = graph.follow(case)
    seen = set()
    while found is not None and found.type == ALIAS and found.logical_id not in seen:
        seen.add(found.logical_id)
        target = found.get("TargetKeyId", default=False)
        if len(target.cases) != 1:
            return "unknown", None, f"alias {found.logical_id} points at a key chosen per scenario"
        found, reason = graph.follow(target.cases[0])
    if found is not None and found.type == KEY:
        return "customer", found, ""
    if found is not None:
        return "unknown", None, f"{found.describe()} is not a KMS key"
    return "unknown", None, reason or "the key cannot be followed"


def key_allows(graph, key, principal: str, source=None) -> Verdict:
    """Does the key policy of ``key`` let ``principal`` use it to deliver encrypted messages
    (``kms:GenerateDataKey*`` and ``kms:Decrypt``), with source conditions decided for ``source``?"""
    from .tri import all_of
    from .tri import across_cases

    policy = key.get("KeyPolicy", default=False)

    def one(document):
        return all_of([delivery_verdict(graph, document, principal=principal, action=action, resource=None,
                                        source=source) for action in ("kms:GenerateDataKey", "kms:Decrypt")])

    return across_cases((c, one(c.value) if c.known else Verdict.unknown(c.describe())) for c in policy)


ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def alarm_action_targets(graph, alarm) -> list:
    """``(resource, property)`` for each resource of the template an alarm's actions name (topics, mostly)."""
    out = []
    for prop in ALARM_ACTIONS:
        for case in alarm.get(prop, default=False):
            items = case.value if isinstance(case.value, list) else []
            for item in items:
                found, _reason = graph.follow(Case(item, case.origin, case.assumptions))
                if found is not None and all(found is not r for r, _p in out):
                    out.append((found, prop))
    return out


def connector_may_write(graph, source, target) -> bool:
    """Like :func:`connector_writes`, but also true for a connector with ``Write`` to ``target`` whose Source
    has ``source``'s type and an ARN this tool cannot pin to a resource (it may be ``source``)."""
    if connector_writes(graph, source, target):
        return True
    for connector, _source_id in connectors(graph):
        if not _connector_names(graph, connector, "Destination", target):
            continue
        if not any(isinstance(c.value, list) and "Write" in c.value for c in connector.get("Permissions", default=False)):
            continue
        for case in connector.get("Source", default=False):
            item = case.value if isinstance(case.value, dict) else {}
            if item.get("Type") == source.type and item.get("Arn") is not None and \
                    graph.follow(Case(item["Arn"], case.origin, case.assumptions))[0] is None:
                return True
    return False


def connector_grants(graph, source, target, permission: str) -> bool:
    """Whether a SAM connector (standalone or embedded) from ``source`` to ``target`` lists ``permission``
    (``"Read"`` or ``"Write"``): SAM then adds the matching permissions to the source's role."""
    for connector, source_id in connectors(graph):
        if not _connector_names(graph, connector, "Destination", target):
            continue
        if source_id != source.logical_id and not _connector_names(graph, connector, "Source", source):
            continue
        if any(isinstance(c.value, list) and permission in c.value for c in connector.get("Permissions", default=False)):
            return True
    return False


def connector_may_grant(graph, source, target, permission: str) -> bool:
    """Whether some SAM connector to ``target`` with ``permission`` has a source this tool cannot pin to a
    resource (a ``RoleName``, an ARN it cannot follow): it may be ``source``, so the question is open."""
    for connector, source_id in connectors(graph):
        if source_id is not None or not _connector_names(graph, connector, "Destination", target):
            continue
        if not any(isinstance(c.value, list) and permission in c.value for c in connector.get("Permissions", default=False)):
            continue
        for case in connector.get("Source", default=False):
            item = case.value if isinstance(case.value, dict) else {}
            if "Id" in item:
                continue
            arn = item.get("Arn")
            if arn is None or graph.follow(Case(arn, case.origin, case.assumptions))[0] is None:
                return True
    return False
