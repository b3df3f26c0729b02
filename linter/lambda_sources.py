"""What an event source mapping reads: the kind of its source, per scenario of ``EventSourceArn``.

Several Lambda rules judge a mapping by its source (a stream's poison-pill behaviour, the SQS batch
limits, the permissions the poller needs). :func:`event_source_kind` answers it once, from the
resource the ARN names or, for a literal ARN of something outside the template, from its service.
"""
from __future__ import annotations

import re

from .cfn import QUEUE
from .values import TOKEN, Case, Unknown, Value, display

_ARN = re.compile(r"^arn:[^:]*:([a-z0-9-]+):")

SQS, KINESIS, DYNAMODB, KAFKA, MQ, DOCDB = "sqs", "kinesis", "dynamodb", "kafka", "mq", "docdb"
STREAM_KINDS = (KINESIS, DYNAMODB)

SOURCE_KIND_BY_TYPE = {
    QUEUE: SQS,
    "AWS::Kinesis::Stream": KINESIS,
    "AWS::Kinesis::StreamConsumer": KINESIS,
    "AWS::DynamoDB::Table": DYNAMODB,
    "AWS::DynamoDB::GlobalTable": DYNAMODB,
    "AWS::MSK::Cluster": KAFKA,
    "AWS::MSK::ServerlessCluster": KAFKA,
    "AWS::AmazonMQ::Broker": MQ,
    "AWS::DocDB::DBCluster": DOCDB,
}
SOURCE_KIND_BY_ARN_SERVICE = {"sqs": SQS, "kinesis": KINESIS, "dynamodb": DYNAMODB, "kafka": KAFKA, "mq": MQ,
                              "rds": DOCDB}
SOURCE_KIND_TEXT = {SQS: "SQS queue", KINESIS: "Kinesis stream", DYNAMODB: "DynamoDB stream", KAFKA: "Kafka topic",
                    MQ: "Amazon MQ broker", DOCDB: "DocumentDB change stream"}


def event_source_kind(esm) -> Value:
    """The kind of source an event source mapping reads (``"sqs"``, ``"kinesis"``, ``"dynamodb"``,
    ``"kafka"``, ``"mq"``, ``"docdb"``), one case per scenario of its ``EventSourceArn``.

    A mapping with ``SelfManagedEventSource`` reads Kafka. A source that cannot be told (a parameter
    without a value, an import) is an unknown case with the reason.
    Example: ``ctx.cases(esm, event_source_kind(esm), esm.get("BatchSize"))``.
    """
    graph = esm.graph
    out = []
    sam_kind = _sam_event_kind(esm)
    for case in esm.get("EventSourceArn", default=False):
        if sam_kind is not None:
            out.append(Case(sam_kind[0], sam_kind[1], case.assumptions))
            continue
        if not case.known:
            out.append(Case(Unknown(f"the event source of {esm.describe()} is not known: {case.value.reason}"),
                            "", case.assumptions))
            continue
        if case.value is None:
            if esm.has("SelfManagedEventSource"):
                out.append(Case(KAFKA, "SelfManagedEventSource", case.assumptions))
            else:
                out.append(Case(Unknown(f"{esm.describe()} has no EventSourceArn"), "", case.assumptions))
            continue
        source, reason = graph.follow(case)
        kind = SOURCE_KIND_BY_TYPE.get(source.type) if source is not None else None
        if source is not None and kind is not None:
            out.append(Case(kind, f"source {source.describe()}", case.assumptions))
            continue
        text = case.value if isinstance(case.value, str) else ""
        service = arn_service(text)
        if service in SOURCE_KIND_BY_ARN_SERVICE:
            out.append(Case(SOURCE_KIND_BY_ARN_SERVICE[service], f"source {display(text)}", case.assumptions))
        else:
            why = reason or f"{display(case.value)} is not an event source this tool knows"
            out.append(Case(Unknown(f"the event source of {esm.describe()} cannot be told: {why}"), "",
                            case.assumptions))
    return Value(out)


SAM_EVENT_KINDS = {"SQS": SQS, "Kinesis": KINESIS, "DynamoDB": DYNAMODB, "MSK": KAFKA, "SelfManagedKafka": KAFKA,
                   "MQ": MQ, "DocumentDB": DOCDB}


def _sam_event_kind(esm):
    """(kind, origin) of a mapping SAM creates for a poll event: the event's Type says what it reads."""
    owner_id, path = esm.anchor
    if not esm.implicit or not path.startswith("Events."):
        return None
    owner = esm.graph.resources.get(owner_id)
    events = owner.props.get("Events") if owner is not None else None
    event = events.get(path[len("Events."):]) if isinstance(events, dict) else None
    etype = event.get("Type") if isinstance(event, dict) else None
    if etype in SAM_EVENT_KINDS:
        return SAM_EVENT_KINDS[etype], f"SAM {etype} event {path[len('Events.'):]}"
    return None


def arn_service(text: str) -> str:
    """The service segment of an ARN (``sqs`` in ``arn:${AWS::Partition}:sqs:…``), or ""."""
    found = _ARN.match(TOKEN.sub("x", text)) if isinstance(text, str) else None
    return found.group(1) if found else ""


def event_source(esm, case: Case):
    """The template resource a case of ``EventSourceArn`` names, or None (an outside ARN, unknown)."""
    if not case.known or case.value is None:
        return None
    source, _ = esm.graph.follow(case)
    return source


def written(value: Value) -> Value:
    """Whether a property is written, per scenario: True for a value, even one known only at deploy time
    (a dead-letter ARN from an import is still a dead-letter queue), False where it is absent."""
    return Value(Case(not (c.known and c.value is None), c.origin, c.assumptions) for c in value)


def event_invoke_configs(function) -> list:
    """The ``AWS::Lambda::EventInvokeConfig`` resources (SAM's included) of a function, and those whose
    ``FunctionName`` cannot be followed (they may be this function's): ``(mine, unsure)``."""
    graph = function.graph
    mine, unsure = [], []
    for config in graph.of_type("AWS::Lambda::EventInvokeConfig"):
        targets = [graph.follow(c) for c in config.get("FunctionName")]
        if any(found is function for found, _ in targets):
            mine.append(config)
        elif any(found is None and "not a resource of this template" not in why for found, why in targets):
            unsure.append(config)
    return mine, unsure


def sam_connector_destinations(graph) -> set:
    """Logical ids that a SAM connector (``AWS::Serverless::Connector`` or a resource's embedded
    ``Connectors``) names as its destination: SAM gives their sources the permissions to reach them
    (invoke permissions, role policies), which this tool does not model one by one."""
    out = set()
    resources = graph.template.get("Resources") if isinstance(graph.template, dict) else None
    for body in (resources.values() if isinstance(resources, dict) else ()):
        if not isinstance(body, dict):
            continue
        connectors = []
        if body.get("Type") == "AWS::Serverless::Connector":
            connectors.append(body.get("Properties"))
        embedded = body.get("Connectors")
        if isinstance(embedded, dict):
            connectors.extend(c.get("Properties") for c in embedded.values() if isinstance(c, dict))
        for props in connectors:
            destinations = props.get("Destination") if isinstance(props, dict) else None
            for destination in (destinations if isinstance(destinations, list) else [destinations]):
                if isinstance(destination, dict) and isinstance(destination.get("Id"), str):
                    out.add(destination["Id"])
    return out
