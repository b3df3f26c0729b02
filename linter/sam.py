"""SAM without the transform: Globals merged, and the implicit resources SAM would create.

Every implicit resource carries an ``origin`` ("SAM event MyQueue of Worker") and an anchor in the
SAM resource, so findings on it point at the lines the author wrote. Logical ids follow SAM's own
naming (``<Function><Event>``, ``<Function><Event>Queue``, ``<Function>Role`` ...).
"""
from __future__ import annotations

from .graph import Resource
from .load import Mapping, Sequence

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"
# The API SAM creates for Api / HttpApi events that name no RestApiId / ApiId (SAM's own logical ids).
IMPLICIT_APIS = {"Api": ("ServerlessRestApi", "AWS::Serverless::Api", "RestApiId"),
                 "HttpApi": ("ServerlessHttpApi", "AWS::Serverless::HttpApi", "ApiId")}
GLOBAL_SECTIONS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::Api": "Api",
                   "AWS::Serverless::HttpApi": "HttpApi", "AWS::Serverless::SimpleTable": "SimpleTable",
                   "AWS::Serverless::StateMachine": "StateMachine"}

POLL_EVENTS = {"SQS": "Queue", "Kinesis": "Stream", "DynamoDB": "Stream", "MQ": "Broker", "MSK": "Stream",
               "SelfManagedKafka": None, "DocumentDB": "Cluster"}
POLLER_POLICIES = {
    "SQS": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "Kinesis": "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
    "DynamoDB": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    "MQ": "arn:aws:iam::aws:policy/service-role/AWSLambdaMQExecutionRole",
    "MSK": "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole",
}
PUSH_PRINCIPALS = {
    "Api": "apigateway.amazonaws.com", "HttpApi": "apigateway.amazonaws.com", "S3": "s3.amazonaws.com",
    "SNS": "sns.amazonaws.com", "Schedule": "events.amazonaws.com", "EventBridgeRule": "events.amazonaws.com",
    "CloudWatchEvent": "events.amazonaws.com", "CloudWatchLogs": "logs.amazonaws.com",
    "IoTRule": "iot.amazonaws.com", "Cognito": "cognito-idp.amazonaws.com", "AlexaSkill": "alexa-appkit.amazon.com",
}
RULE_EVENTS = ("Schedule", "EventBridgeRule", "CloudWatchEvent")


def merge_globals(section: dict, props: dict) -> tuple[dict, dict]:
    """SAM's merge: scalars from the resource win, maps deep-merge, lists concatenate.

    Returns the merged properties and, per top-level key, where it came from when not the resource.
    """
    if not isinstance(section, dict):
        return props, {}
    merged = _copy(props)
    provenance = {}
    for key, gvalue in section.items():
        if key not in merged:
            merged[key] = gvalue
            _copy_pos(section, merged, key)
            provenance[key] = None  # filled by the caller with "Globals.<Section>"
        else:
            merged[key] = _merge_value(gvalue, merged[key])
    return merged, provenance


def _merge_value(gvalue, rvalue):
    if _plain_map(gvalue) and _plain_map(rvalue):
        out = _copy(gvalue)
        for k, v in rvalue.items():
            out[k] = _merge_value(gvalue[k], v) if k in gvalue else v
            _copy_pos(rvalue, out, k)
        return out
    if isinstance(gvalue, list) and isinstance(rvalue, list):
        out = Sequence(getattr(rvalue, "line", 0), getattr(rvalue, "column", 0))
        out.extend(gvalue)
        out.extend(rvalue)
        out.item_pos = list(getattr(gvalue, "item_pos", [(0, 0)] * len(gvalue))) + list(
            getattr(rvalue, "item_pos", [(0, 0)] * len(rvalue)))
        return out
    return rvalue


def _plain_map(v) -> bool:
    return isinstance(v, dict) and not (len(v) == 1 and str(next(iter(v))).startswith(("Fn::", "Ref")))


def _copy(node) -> Mapping:
    out = Mapping(getattr(node, "line", 0), getattr(node, "column", 0))
    if isinstance(node, dict):
        for k, v in node.items():
            out[k] = v
            _copy_pos(node, out, k)
    return out


def _copy_pos(src, dst, key, new_key=None):
    new_key = key if new_key is None else new_key
    if hasattr(src, "key_pos") and key in src.key_pos:
        dst.key_pos[new_key] = src.key_pos[key]
        dst.value_pos[new_key] = src.value_pos[key]


def _map(pairs: dict, like=None) -> Mapping:
    out = Mapping(getattr(like, "line", 0), getattr(like, "column", 0))
    out.update(pairs)
    return out


def _props_from(event_props: dict, renames: dict, drop=(), extra: dict | None = None) -> Mapping:
    """Copy an event's properties (with positions) into the implicit resource's properties."""
    out = Mapping(getattr(event_props, "line", 0), getattr(event_props, "column", 0))
    for k, v in (event_props or {}).items():
        if k in drop:
            continue
        new = renames.get(k, k)
        out[new] = v
        _copy_pos(event_props, out, k, new)
    for k, v in (extra or {}).items():
        out.setdefault(k, v)
    return out


def expand(template: dict) -> list[Resource]:
    """Resources of the template plus the ones SAM would create, each as a graph Resource."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return []
    globals_ = template.get("Globals") if isinstance(template.get("Globals"), dict) else {}
    out: list[Resource] = []
    implicit_apis: dict[str, Resource] = {}
    for logical_id, body in resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            continue
        rtype = body["Type"]
        props = body.get("Properties") if isinstance(body.get("Properties"), dict) else Mapping()
        condition = body.get("Condition") if isinstance(body.get("Condition"), str) else None
        provenance = {}
        section = GLOBAL_SECTIONS.get(rtype)
        if section and isinstance(globals_.get(section), dict):
            props, provenance = merge_globals(globals_[section], props)
            provenance = {k: f"Globals.{section}" for k in provenance}
        resource = Resource(str(logical_id), rtype, props, node=body, provenance=provenance, condition=condition)
        out.append(resource)
        if rtype == SERVERLESS_FUNCTION:
            out.extend(_function(resource, resources))
        elif rtype == SERVERLESS_STATE_MACHINE:
            out.extend(_state_machine(resource))
        if rtype in (SERVERLESS_FUNCTION, SERVERLESS_STATE_MACHINE):
            _note_implicit_api(resource, implicit_apis)
    for kind, api in implicit_apis.items():
        if api.logical_id in resources:
            continue  # the template defines it itself
        section = GLOBAL_SECTIONS[IMPLICIT_APIS[kind][1]]
        if isinstance(globals_.get(section), dict):
            api.props, provenance = merge_globals(globals_[section], api.props)
            api.provenance = {k: f"Globals.{section}" for k in provenance}
        out.append(api)
    return out


def _note_implicit_api(owner: Resource, apis: dict) -> None:
    """The first Api / HttpApi event without an explicit API makes SAM create ServerlessRestApi / -HttpApi."""
    events = owner.props.get("Events") if isinstance(owner.props.get("Events"), dict) else {}
    for name, event in events.items():
        if not isinstance(event, dict) or event.get("Type") not in IMPLICIT_APIS or event["Type"] in apis:
            continue
        logical_id, rtype, id_key = IMPLICIT_APIS[event["Type"]]
        eprops = event.get("Properties")
        if isinstance(eprops, dict) and id_key in eprops:
            continue
        # Conditions are not carried over: SAM makes one API for all events, whatever their owners' conditions.
        apis[event["Type"]] = Resource(logical_id, rtype, Mapping(), anchor=(owner.logical_id, f"Events.{name}"),
                                       origin=f"API SAM creates for {event['Type']} events, first used by event "
                                              f"{name} of {owner.logical_id}")


def _ref(name):
    return {"Ref": name}


def _arn(name):
    return {"Fn::GetAtt": [name, "Arn"]}


def _function(fn: Resource, resources: dict | None = None) -> list[Resource]:
    created: list[Resource] = []
    fid = fn.logical_id
    props = fn.props

    def make(logical_id, rtype, rprops, origin, at):
        r = Resource(logical_id, rtype, rprops, origin=origin, anchor=(fid, at), condition=fn.condition)
        created.append(r)
        return r

    # DeadLetterQueue → the function's DeadLetterConfig.
    dlq = props.get("DeadLetterQueue")
    if isinstance(dlq, dict) and "TargetArn" in dlq and "DeadLetterConfig" not in props:
        props["DeadLetterConfig"] = _props_from(dlq, {}, drop=("Type",))
        _copy_pos(props, props, "DeadLetterQueue", "DeadLetterConfig")
        if "DeadLetterQueue" in fn.provenance:
            fn.provenance["DeadLetterConfig"] = fn.provenance["DeadLetterQueue"]

    poll_types = []
    for name, etype, eprops, at, origin in _events(fid, props):
        if etype in POLL_EVENTS:
            poll_types.append(etype)
            source_key = POLL_EVENTS[etype]
            esm_props = _props_from(eprops, {source_key: "EventSourceArn"} if source_key else {},
                                    extra={"FunctionName": _ref(fid)})
            make(f"{fid}{name}", "AWS::Lambda::EventSourceMapping", esm_props, origin, at)
        if etype in PUSH_PRINCIPALS:
            make(f"{fid}{name}Permission", "AWS::Lambda::Permission",
                 _map({"Action": "lambda:InvokeFunction", "FunctionName": _ref(fid),
                       "Principal": PUSH_PRINCIPALS[etype]}), origin, at)
        if etype == "SNS":
            created.extend(_sns_event(fn, name, eprops, origin, at, make, resources))
        elif etype in RULE_EVENTS:
            _rule_event(fid, _arn(fid), "LambdaTarget", name, eprops, origin, at, make)
        elif etype == "ScheduleV2":
            _schedule_v2_event(fid, _arn(fid), name, eprops, origin, at, make)
        elif etype == "CloudWatchLogs":
            make(f"{fid}{name}", "AWS::Logs::SubscriptionFilter",
                 _props_from(eprops, {}, extra={"DestinationArn": _arn(fid)}), origin, at)
        elif etype == "IoTRule":
            payload = _map({"Sql": eprops.get("Sql"), "RuleDisabled": False,
                            "Actions": [_map({"Lambda": _map({"FunctionArn": _arn(fid)})})]})
            if "AwsIotSqlVersion" in eprops:
                payload["AwsIotSqlVersion"] = eprops["AwsIotSqlVersion"]
            make(f"{fid}{name}", "AWS::IoT::TopicRule", _map({"TopicRulePayload": payload}), origin, at)

    eic = props.get("EventInvokeConfig")
    if isinstance(eic, dict):
        _event_invoke_config(fn, eic, make)

    if "Role" not in props:
        managed = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
        if props.get("Tracing"):
            managed.append("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess")
        if props.get("VpcConfig"):
            managed.append("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
        managed.extend(POLLER_POLICIES[t] for t in dict.fromkeys(poll_types) if t in POLLER_POLICIES)
        # SAM's AssumeRolePolicyDocument property replaces the generated role's trust (Lambda@Edge adds edgelambda).
        trust = props.get("AssumeRolePolicyDocument") or {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": ["lambda.amazonaws.com"]}}]}
        role_props = _map({"ManagedPolicyArns": managed, "AssumeRolePolicyDocument": trust})
        if "Policies" in props:
            role_props["SamPolicies"] = props["Policies"]
        make(f"{fid}Role", "AWS::IAM::Role", role_props, f"role SAM generates for {fid}", "")
        props["Role"] = _arn(f"{fid}Role")
    return created


def _state_machine(machine: Resource) -> list[Resource]:
    """SAM StateMachine events: the rules and schedules that start it, and their dead-letter queues."""
    created: list[Resource] = []
    sid = machine.logical_id

    def make(logical_id, rtype, rprops, origin, at):
        r = Resource(logical_id, rtype, rprops, origin=origin, anchor=(sid, at), condition=machine.condition)
        created.append(r)
        return r

    for name, etype, eprops, at, origin in _events(sid, machine.props):
        # Ref of a state machine is its ARN.
        if etype in RULE_EVENTS:
            _rule_event(sid, _ref(sid), "StepFunctionsTarget", name, eprops, origin, at, make)
        elif etype == "ScheduleV2":
            _schedule_v2_event(sid, _ref(sid), name, eprops, origin, at, make)
    return created


def _sns_event(fn, name, eprops, origin, at, make, resources=None):
    fid = fn.logical_id
    sqs = eprops.get("SqsSubscription")
    if sqs is True or isinstance(sqs, dict) or (isinstance(sqs, str) and sqs.lower() == "true"):
        if isinstance(sqs, dict) and "QueueArn" in sqs:
            queue_arn = sqs["QueueArn"]
            queue_url = sqs.get("QueueUrl")
        else:
            queue_id = f"{fid}{name}Queue"
            # SAM creates this queue with every attribute at its default: visibility 30 s, no DLQ.
            make(queue_id, "AWS::SQS::Queue", _map({"FifoQueue": True}) if _fifo_topic(eprops.get("Topic"), resources)
                 else Mapping(), f"queue SAM creates for SqsSubscription of event {name} "
                 f"of {fid}", f"{at}.Properties.SqsSubscription")
            queue_arn, queue_url = _arn(queue_id), _ref(queue_id)
        # SAM lets the topic send to the queue: sqs:SendMessage for sns.amazonaws.com from this topic only.
        policy_id = sqs.get("QueuePolicyLogicalId") if isinstance(sqs, dict) else None
        if queue_url is not None:
            make(policy_id if isinstance(policy_id, str) else f"{fid}{name}QueuePolicy", "AWS::SQS::QueuePolicy",
                 _map({"Queues": [queue_url], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                     {"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": {"Service": "sns.amazonaws.com"},
                      "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": eprops.get("Topic")}}}]}}),
                 f"queue policy SAM creates for SqsSubscription of event {name} of {fid}",
                 f"{at}.Properties.SqsSubscription")
        make(f"{fid}{name}", "AWS::SNS::Subscription",
             _map({"TopicArn": eprops.get("Topic"), "Protocol": "sqs", "Endpoint": queue_arn,
                   **({"FilterPolicy": eprops["FilterPolicy"]} if "FilterPolicy" in eprops else {}),
                   **({"RedrivePolicy": eprops["RedrivePolicy"]} if "RedrivePolicy" in eprops else {})}),
             origin, at)
        esm = _map({"EventSourceArn": queue_arn, "FunctionName": _ref(fid)})
        if isinstance(sqs, dict):
            for key in ("BatchSize", "Enabled"):
                if key in sqs:
                    esm[key] = sqs[key]
        make(f"{fid}{name}EventSourceMapping", "AWS::Lambda::EventSourceMapping", esm, origin, at)
    else:
        make(f"{fid}{name}", "AWS::SNS::Subscription",
             _map({"TopicArn": eprops.get("Topic"), "Protocol": "lambda", "Endpoint": _arn(fid),
                   **({"RedrivePolicy": eprops["RedrivePolicy"]} if "RedrivePolicy" in eprops else {})}),
             origin, at)
    return []


def _event_dlq(rule_id, eprops, origin, at, make):
    """SAM event DeadLetterConfig: an Arn, or Type: SQS (SAM creates the queue)."""
    config = eprops.get("DeadLetterConfig")
    if not isinstance(config, dict):
        return None
    if "Arn" in config:
        return config["Arn"]
    if config.get("Type") == "SQS":
        queue_id = config.get("QueueLogicalId") if isinstance(config.get("QueueLogicalId"), str) else f"{rule_id}Queue"
        make(queue_id, "AWS::SQS::Queue", Mapping(), f"dead-letter queue SAM creates for {origin}",
             f"{at}.Properties.DeadLetterConfig")
        make(f"{queue_id}Policy", "AWS::SQS::QueuePolicy",
             _map({"Queues": [_ref(queue_id)], "PolicyDocument": {"Statement": [
                 {"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": {"Service": "events.amazonaws.com"},
                  "Resource": _arn(queue_id)}]}}), f"queue policy SAM creates for {origin}",
             f"{at}.Properties.DeadLetterConfig")
        return _arn(queue_id)
    return None


def _rule_event(owner_id, target_arn, target_suffix, name, eprops, origin, at, make):
    """Schedule / EventBridgeRule / CloudWatchEvent event → the Events::Rule SAM creates, targeting the owner."""
    rule_id = f"{owner_id}{name}"
    target = _map({"Arn": target_arn, "Id": f"{rule_id}{target_suffix}"})
    dlq_arn = _event_dlq(rule_id, eprops, origin, at, make)
    if dlq_arn is not None:
        target["DeadLetterConfig"] = _map({"Arn": dlq_arn})
    if "RetryPolicy" in eprops:
        target["RetryPolicy"] = eprops["RetryPolicy"]
    rule_props = _props_from(eprops, {"Schedule": "ScheduleExpression", "Pattern": "EventPattern"},
                             drop=("DeadLetterConfig", "RetryPolicy", "Input", "InputPath", "Target"),
                             extra={"Targets": [target]})
    make(rule_id, "AWS::Events::Rule", rule_props, origin, at)


def _schedule_v2_event(owner_id, target_arn, name, eprops, origin, at, make):
    """ScheduleV2 event → the Scheduler::Schedule SAM creates, targeting the owner."""
    target = _map({"Arn": target_arn})
    dlq_arn = _event_dlq(f"{owner_id}{name}", eprops, origin, at, make)
    if dlq_arn is not None:
        target["DeadLetterConfig"] = _map({"Arn": dlq_arn})
    make(f"{owner_id}{name}", "AWS::Scheduler::Schedule",
         _props_from(eprops, {}, drop=("DeadLetterConfig",), extra={"Target": target}), origin, at)


def _event_invoke_config(fn, eic, make):
    fid = fn.logical_id
    at = "EventInvokeConfig"
    origin = f"SAM EventInvokeConfig of {fid}"
    destinations = eic.get("DestinationConfig") if isinstance(eic.get("DestinationConfig"), dict) else {}
    config = Mapping()
    for kind in ("OnSuccess", "OnFailure"):
        dest = destinations.get(kind)
        if not isinstance(dest, dict):
            continue
        target = dest.get("Destination")
        dtype = dest.get("Type")
        if target is None and dtype in ("SQS", "SNS"):
            created_id = f"{fid}EventInvokeConfig{kind}{'Queue' if dtype == 'SQS' else 'Topic'}"
            make(created_id, "AWS::SQS::Queue" if dtype == "SQS" else "AWS::SNS::Topic", Mapping(),
                 f"{'queue' if dtype == 'SQS' else 'topic'} SAM creates for EventInvokeConfig {kind} of {fid}",
                 f"{at}.DestinationConfig.{kind}")
            target = _arn(created_id) if dtype == "SQS" else _ref(created_id)
        if target is not None:
            config[kind] = _map({"Destination": target})
            _copy_pos(destinations, config, kind)
    eic_props = _props_from(eic, {}, drop=("DestinationConfig",),
                            extra={"FunctionName": _ref(fid), "Qualifier": "$LATEST"})
    if config:
        eic_props["DestinationConfig"] = config
        _copy_pos(eic, eic_props, "DestinationConfig")
    make(f"{fid}EventInvokeConfig", "AWS::Lambda::EventInvokeConfig", eic_props, origin, at)


def _fifo_topic(topic, resources) -> bool:
    """Whether an SNS event's Topic is ``!Ref`` to a topic of the template written with ``FifoTopic: true``:
    SAM then makes the SqsSubscription queue FIFO too."""
    if not isinstance(topic, dict) or not isinstance(topic.get("Ref"), str) or not isinstance(resources, dict):
        return False
    body = resources.get(topic["Ref"])
    props = body.get("Properties") if isinstance(body, dict) else None
    flag = props.get("FifoTopic") if isinstance(props, dict) else None
    return flag is True or (isinstance(flag, str) and flag.lower() == "true")


def _events(owner_id: str, props: dict):
    """The well-formed ``Events`` of a SAM function or state machine: (name, type, properties, path, origin)."""
    events = props.get("Events") if isinstance(props.get("Events"), dict) else {}
    for name, event in events.items():
        if not isinstance(event, dict) or not isinstance(event.get("Type"), str):
            continue
        etype = event["Type"]
        eprops = event.get("Properties") if isinstance(event.get("Properties"), dict) else Mapping()
        yield name, etype, eprops, f"Events.{name}", f"SAM {etype} event {name} of {owner_id}"
