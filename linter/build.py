"""Template → Graph: resolve, expand SAM, then draw the typed edges every rule shares."""
from __future__ import annotations

import json
import re

from .cfn import ALARM, ESM, FUNCTION_TYPES, QUEUE, TOPIC
from .graph import Dangling, Graph, Resource
from .kinds import ASYNC, CONSUMES, INVOKES, NOTIFIES, PIPE_DLQ, POLL, SUBSCRIBES, SYNC
from .langext import expand_transforms
from .resolve import Resolver
from .sam import IMPLICIT_APIS, expand
from .values import TOKEN, Case, ResourceRef, Unknown, Value, display, is_symbolic, merge_assumptions

DIMENSION_TYPES = {"QueueName": (QUEUE,), "FunctionName": FUNCTION_TYPES, "TopicName": (TOPIC,)}
# Resource types that name a dead-letter target in one property: (property path, role, where to point).
DEAD_LETTER_PROPERTIES = {
    QUEUE: ("RedrivePolicy.deadLetterTargetArn", "redrive", "RedrivePolicy"),
    "AWS::Lambda::Function": ("DeadLetterConfig.TargetArn", "lambda-dlq", "DeadLetterConfig"),
    "AWS::Serverless::Function": ("DeadLetterConfig.TargetArn", "lambda-dlq", "DeadLetterConfig"),
    "AWS::Scheduler::Schedule": ("Target.DeadLetterConfig.Arn", "scheduler-target-dlq", "Target.DeadLetterConfig"),
    "AWS::Events::EventBus": ("DeadLetterConfig.Arn", "event-bus-dlq", "DeadLetterConfig"),
}
# Integration timeouts (catalogue §A): what ``edge.get("TimeoutInMillis")`` says when the template is silent.
REST_TIMEOUT = (29000, "the API Gateway REST default")
HTTP_API_TIMEOUT = (30000, "the HTTP API default")
WEBSOCKET_TIMEOUT = (29000, "the WebSocket API default")
SAM_API_TIMEOUTS = {"Api": REST_TIMEOUT, "HttpApi": HTTP_API_TIMEOUT}
# Cognito LambdaConfig keys that are not triggers.
COGNITO_NOT_TRIGGERS = ("KMSKeyID",)
# A Step Functions Task that calls Lambda through the service integration (optionally via the AWS SDK).
LAMBDA_INVOKE_TASK = re.compile(r":states:[^:]*:[^:]*:(aws-sdk:)?lambda:invoke")
SUBSTITUTION = re.compile(r"\$\{([^}!][^}]*)\}")
ALIAS_TYPES = ("AWS::Lambda::Alias", "AWS::Lambda::Version")
ROUTE_TARGETS = ("GatewayId", "NatGatewayId", "InstanceId", "NetworkInterfaceId", "TransitGatewayId",
                 "VpcPeeringConnectionId", "VpcEndpointId", "CarrierGatewayId", "EgressOnlyInternetGatewayId",
                 "LocalGatewayId", "CoreNetworkArn")


def build_graph(path: str, template: dict, parameters: dict | None = None, pseudo: dict | None = None,
                parameter_source: str = "given on the command line", parameter_sources: dict | None = None,
                stack=None) -> Graph:
    graph = graph_resources(path, template, parameters, pseudo, parameter_source, parameter_sources, stack)
    link_graph(graph)
    return graph


def graph_resources(path: str, template: dict, parameters: dict | None = None, pseudo: dict | None = None,
                    parameter_source: str = "given on the command line", parameter_sources: dict | None = None,
                    stack=None) -> Graph:
    """The graph's resources without their links: templates checked together (linter.stacks) all have their
    resources before any is linked, so a link may end in another template."""
    template, unseen = expand_transforms(template, Resolver(template, parameters, pseudo, parameter_source,
                                                            parameter_sources, stack))
    resolver = Resolver(template, parameters, pseudo, parameter_source, parameter_sources, stack)
    resources = expand(template)
    resolver.add_resource_ids(r.logical_id for r in resources)
    graph = Graph(path, template, resolver, unseen=unseen, stack=stack)
    for resource in resources:
        if resource.condition and _never_created(resolver, resource.condition):
            continue
        if properties_malformed(resource.node):
            continue  # reported as CFN001; its defaults must not stand in for what the template meant
        graph.add(resource)
    return graph


def link_graph(graph: Graph) -> None:
    """Draw the typed edges between the graph's resources (and into other templates' ones)."""
    _Linker(graph).run()


def properties_malformed(body) -> bool:
    """A resource whose ``Properties`` is given but is not a mapping (an empty ``Properties:`` is fine)."""
    return isinstance(body, dict) and body.get("Properties") is not None and not isinstance(body["Properties"], dict)


def _never_created(resolver: Resolver, condition: str) -> bool:
    """A resource whose Condition is false in every scenario does not exist."""
    cases = resolver.condition(condition).cases
    return all(c.known and c.value is False for c in cases)


class _Linker:
    def __init__(self, graph: Graph):
        self.graph = graph

    def run(self):
        g = self.graph
        by_type = {}
        for r in list(g.resources.values()):
            by_type.setdefault(r.type, []).append(r)
        handlers = {
            ESM: self.event_source_mapping,
            "AWS::Lambda::Function": self.function,
            "AWS::Serverless::Function": self.function,
            "AWS::Lambda::EventInvokeConfig": self.event_invoke_config,
            "AWS::Events::Rule": self.events_rule,
            "AWS::Scheduler::Schedule": self.schedule,
            "AWS::SNS::Subscription": self.subscription,
            TOPIC: self.topic,
            ALARM: self.alarm,
            "AWS::S3::Bucket": self.bucket,
            "AWS::EC2::SubnetRouteTableAssociation": self.association,
            "AWS::EC2::Route": self.route,
            "AWS::ApiGateway::Method": self.rest_method,
            "AWS::ApiGatewayV2::Integration": self.http_integration,
            "AWS::Serverless::StateMachine": self.state_machine,
            "AWS::StepFunctions::StateMachine": self.state_machine,
            "AWS::Logs::SubscriptionFilter": self.subscription_filter,
            "AWS::IoT::TopicRule": self.topic_rule,
            "AWS::ElasticLoadBalancingV2::TargetGroup": self.target_group,
            "AWS::Cognito::UserPool": self.user_pool,
            "AWS::CloudFront::Distribution": self.distribution,
            "AWS::Pipes::Pipe": self.pipe,
            "AWS::ApiGateway::RestApi": self.api_definition,
            "AWS::Serverless::Api": self.api_definition,
            "AWS::ApiGatewayV2::Api": self.api_definition,
            "AWS::Serverless::HttpApi": self.api_definition,
            "AWS::EC2::SecurityGroup": self.security_group,
            "AWS::EC2::SecurityGroupIngress": self.ingress_rule,
        }
        for rtype, handler in handlers.items():
            for resource in by_type.get(rtype, ()):
                handler(resource)
        for rtype, (path, role, at) in DEAD_LETTER_PROPERTIES.items():
            for resource in by_type.get(rtype, ()):
                self.dead_letter(resource, path, role, at)

    # ------------------------------------------------------------ helpers

    def targets(self, holder: Resource, path: str, kind: str, types=None):
        """Follow the reference at ``path``; yields (resource, case). Records what cannot be followed."""
        for case in holder.get(path, default=False):
            if case.known and case.value is None:
                continue
            yield from self.follow_case(holder, case, path, kind, types)

    def follow_case(self, holder, case: Case, at: str, kind: str, types=None):
        if isinstance(case.value, list):
            for item in case.value:
                yield from self.follow_case(holder, Case(item, case.origin, case.assumptions), at, kind, types)
            return
        resource, reason = self.graph.follow(case, types)
        if resource is not None and resource.type in ALIAS_TYPES:
            # graph.follow stops at an alias or version whose FunctionName leads nowhere: the function
            # behind it, and so its settings, are unknown.
            resource, reason = None, (f"{resource.type.rsplit('::', 1)[-1].lower()} {resource.logical_id} "
                                      "does not name a function of this template")
        if resource is None:
            external = not isinstance(case.value, Unknown) and "not a resource of this template" in reason
            self.graph.dangling.append(Dangling(kind, holder, at, reason, external, case.value))
            return
        yield resource, case

    def link_each(self, kind, holder, path, make, types=None):
        for target, case in self.targets(holder, path, kind, types):
            make(target, case)

    def callees(self, holder: Resource, path: str):
        """Like ``targets``, for a property that names a function or something else (an HTTP URL, a log
        destination, another service's ARN): what is plainly not a function is neither followed nor
        recorded as dangling."""
        for case in holder.get(path, default=False):
            if (case.known and case.value is None) or self.plainly_not_a_function(case.value):
                continue
            yield from self.follow_case(holder, case, path, INVOKES, FUNCTION_TYPES)

    def plainly_not_a_function(self, value) -> bool:
        """A URL or an ARN of another service that names no resource of the template."""
        if not isinstance(value, str):
            return False
        text = display(value)
        if ":lambda:" in text or ":function:" in text:
            return False
        if any(m.group(1).split(".", 1)[0] in self.graph.resources for m in TOKEN.finditer(value)):
            return False
        return text.startswith(("arn:", "http:", "https:"))

    def invoke(self, source, target, mode, *, via, at, assumptions, properties=None, functions_only=False):
        """An ``invokes`` edge; ``mode`` is kept only when the target is a function (catalogue §B)."""
        is_function = target.type in FUNCTION_TYPES
        if functions_only and not is_function:
            return
        self.graph.link(INVOKES, source, target, via=via, at=at, assumptions=assumptions,
                        mode=mode if is_function else "", properties=properties)

    # ------------------------------------------------------------ per resource type

    def event_source_mapping(self, esm: Resource):
        g = self.graph
        sources = list(self.targets(esm, "EventSourceArn", "consumes"))
        functions = list(self.targets(esm, "FunctionName", "consumes", FUNCTION_TYPES))
        for source, scase in sources:
            for fn, fcase in functions:
                assumptions = merge_assumptions(scase.assumptions, fcase.assumptions)
                if assumptions is not None:
                    g.link(CONSUMES, source, fn, via=esm, at="EventSourceArn", assumptions=assumptions,
                           mode=POLL)
        for fn, _ in functions:
            self.link_each("dlq-of", esm, "DestinationConfig.OnFailure.Destination",
                           lambda t, c, fn=fn: g.link("dlq-of", t, fn, via=esm, role="esm-on-failure",
                                                      at="DestinationConfig.OnFailure.Destination",
                                                      assumptions=c.assumptions))

    def dead_letter(self, holder: Resource, path: str, role: str, at: str):
        """A dead-letter target named by one property of the resource that sends failures to it."""
        self.link_each("dlq-of", holder, path,
                       lambda t, c: self.graph.link("dlq-of", t, holder, via=holder, role=role, at=at,
                                                    assumptions=c.assumptions))

    def function(self, fn: Resource):
        g = self.graph
        for index, subnet_case in self._items(fn, "VpcConfig.SubnetIds"):
            for subnet, c in self.follow_case(fn, subnet_case, "VpcConfig.SubnetIds", "in-subnet"):
                g.link("in-subnet", fn, subnet, via=fn, at=f"VpcConfig.SubnetIds", assumptions=c.assumptions)
        if fn.type == "AWS::Serverless::Function":
            events = fn.props.get("Events")
            for name, event in (events.items() if isinstance(events, dict) else ()):
                if not isinstance(event, dict):
                    continue
                at = f"Events.{name}"
                if event.get("Type") == "S3":
                    for bucket, c in self.targets(fn, f"{at}.Properties.Bucket", NOTIFIES):
                        g.link(NOTIFIES, bucket, fn, via=fn, role="s3-notification", at=at,
                               assumptions=c.assumptions, mode=ASYNC)
                        self.invoke(bucket, fn, ASYNC, via=fn, at=at, assumptions=c.assumptions)
                elif event.get("Type") == "Cognito":
                    for pool, c in self.targets(fn, f"{at}.Properties.UserPool", INVOKES):
                        self.invoke(pool, fn, SYNC, via=fn, at=at, assumptions=c.assumptions)
                self.sam_api_event(fn, name, event, SYNC)

    def sam_api_event(self, owner: Resource, name: str, event: dict, mode: str):
        """SAM Api / HttpApi event: the API (named, or the one SAM creates) invokes the owner."""
        etype = event.get("Type")
        if etype not in IMPLICIT_APIS:
            return
        at = f"Events.{name}"
        implicit_id, _type, id_key = IMPLICIT_APIS[etype]
        properties = {"TimeoutInMillis": (f"{at}.Properties.TimeoutInMillis", SAM_API_TIMEOUTS[etype])}
        if owner.has(f"{at}.Properties.{id_key}"):
            apis = list(self.targets(owner, f"{at}.Properties.{id_key}", INVOKES))
        else:
            implicit = self.graph.resources.get(implicit_id)
            apis = [(implicit, Case(None))] if implicit is not None else []
        for api, c in apis:
            self.invoke(api, owner, mode, via=owner, at=at, assumptions=c.assumptions, properties=properties)

    def _items(self, holder, path):
        for case in holder.get(path, default=False):
            if not case.known:
                self.graph.dangling.append(Dangling("in-subnet", holder, path, case.value.reason))
            elif isinstance(case.value, list):
                for i, item in enumerate(case.value):
                    yield i, Case(item, case.origin, case.assumptions)

    def event_invoke_config(self, eic: Resource):
        g = self.graph
        for fn, fcase in self.targets(eic, "FunctionName", "dlq-of", FUNCTION_TYPES):
            for kind, edge_kind, role in (("OnFailure", "dlq-of", "on-failure"),
                                          ("OnSuccess", "destination-of", "on-success")):
                path = f"DestinationConfig.{kind}.Destination"
                self.link_each(edge_kind, eic, path,
                               lambda t, c, fn=fn, edge_kind=edge_kind, role=role, path=path:
                               g.link(edge_kind, t, fn, via=eic, role=role, at=path, assumptions=c.assumptions))

    def _list_entries(self, holder, path):
        """Known entries of a list property: (index, entry dict, assumptions)."""
        for case in holder.get(path, default=False):
            if case.known and isinstance(case.value, list):
                for i, entry in enumerate(case.value):
                    if isinstance(entry, dict):
                        yield i, entry, case

    def events_rule(self, rule: Resource):
        g = self.graph
        for i, target, case in self._list_entries(rule, "Targets"):
            for kind, key, role in (("invokes", "Arn", ""), ("dlq-of", "DeadLetterConfig", "eventbridge-target-dlq")):
                value = target.get(key)
                if kind == "dlq-of":
                    value = value.get("Arn") if isinstance(value, dict) else None
                if value is None:
                    continue
                at = f"Targets.{i}" + (".DeadLetterConfig" if kind == "dlq-of" else "")
                for t, c in self.follow_case(rule, Case(value, case.origin, case.assumptions), at, kind):
                    if kind == "invokes":
                        self.invoke(rule, t, ASYNC, via=rule, at=at, assumptions=c.assumptions)
                    else:
                        g.link("dlq-of", t, rule, via=rule, role=role, at=at, assumptions=c.assumptions)

    def schedule(self, schedule: Resource):
        g = self.graph
        self.link_each(INVOKES, schedule, "Target.Arn",
                       lambda t, c: self.invoke(schedule, t, ASYNC, via=schedule, at="Target",
                                                assumptions=c.assumptions))

    def subscription(self, sub: Resource):
        g = self.graph
        topics = list(self.targets(sub, "TopicArn", "subscribes", (TOPIC,)))
        for topic, tcase in topics:
            for t, c in self.targets(sub, "Endpoint", SUBSCRIBES):
                self.subscribe(topic, t, via=sub, at="Endpoint", assumptions=c.assumptions)
            self.link_each("dlq-of", sub, "RedrivePolicy.deadLetterTargetArn",
                           lambda t, c, topic=topic: g.link("dlq-of", t, topic, via=sub,
                                                            role="sns-subscription-redrive", at="RedrivePolicy",
                                                            assumptions=c.assumptions))

    def topic(self, topic: Resource):
        g = self.graph
        for i, entry, case in self._list_entries(topic, "Subscription"):
            if "Endpoint" in entry:
                for t, c in self.follow_case(topic, Case(entry["Endpoint"], case.origin, case.assumptions),
                                             f"Subscription.{i}", "subscribes"):
                    self.subscribe(topic, t, via=topic, at=f"Subscription.{i}", assumptions=c.assumptions)

    def subscribe(self, topic, endpoint, *, via, at, assumptions):
        """A subscription; a function endpoint is also invoked by the topic, asynchronously."""
        mode = ASYNC if endpoint.type in FUNCTION_TYPES else ""
        self.graph.link(SUBSCRIBES, topic, endpoint, via=via, at=at, assumptions=assumptions, mode=mode)
        self.invoke(topic, endpoint, ASYNC, via=via, at=at, assumptions=assumptions, functions_only=True)

    def alarm(self, alarm: Resource):
        g = self.graph
        metric = alarm.get("MetricName", default=False).single
        for i, dim, case in self._list_entries(alarm, "Dimensions"):
            self._dimension(alarm, dim, metric, "Dimensions", case)
        for i, entry, case in self._list_entries(alarm, "Metrics"):
            stat = entry.get("MetricStat")
            metric_def = stat.get("Metric") if isinstance(stat, dict) else None
            if not isinstance(metric_def, dict):
                continue
            dimensions = metric_def.get("Dimensions")
            if isinstance(dimensions, Unknown):
                self.graph.dangling.append(Dangling("alarms-on", alarm, f"Metrics.{i}", dimensions.reason))
                continue
            for dim in dimensions if isinstance(dimensions, list) else ():
                if isinstance(dim, dict):
                    self._dimension(alarm, dim, metric_def.get("MetricName"), f"Metrics.{i}", case)

    def _dimension(self, alarm, dim, metric, at, case):
        types = DIMENSION_TYPES.get(dim.get("Name")) if isinstance(dim.get("Name"), str) else None
        if types is None or "Value" not in dim:
            return
        for t, c in self.follow_case(alarm, Case(dim["Value"], case.origin, case.assumptions), at, "alarms-on",
                                     types):
            if t.type in types:
                self.graph.link("alarms-on", alarm, t, via=alarm, role=metric if isinstance(metric, str) else "",
                                at=at, assumptions=c.assumptions)

    def bucket(self, bucket: Resource):
        g = self.graph
        for list_key, key in (("QueueConfigurations", "Queue"), ("TopicConfigurations", "Topic"),
                              ("LambdaConfigurations", "Function")):
            path = f"NotificationConfiguration.{list_key}"
            for i, entry, case in self._list_entries(bucket, path):
                if key in entry:
                    for t, c in self.follow_case(bucket, Case(entry[key], case.origin, case.assumptions),
                                                 f"{path}.{i}", "notifies"):
                        g.link(NOTIFIES, bucket, t, via=bucket, role="s3-notification", at=f"{path}.{i}",
                               assumptions=c.assumptions, mode=ASYNC if t.type in FUNCTION_TYPES else "")
                        self.invoke(bucket, t, ASYNC, via=bucket, at=f"{path}.{i}", assumptions=c.assumptions,
                                    functions_only=True)

    def association(self, assoc: Resource):
        g = self.graph
        for subnet, scase in self.targets(assoc, "SubnetId", "routes-via"):
            self.link_each("routes-via", assoc, "RouteTableId",
                           lambda t, c, subnet=subnet: g.link("routes-via", subnet, t, via=assoc, role="association",
                                                              at="RouteTableId", assumptions=c.assumptions))

    def route(self, route: Resource):
        g = self.graph
        for table, tcase in self.targets(route, "RouteTableId", "routes-via"):
            for key in ROUTE_TARGETS:
                if route.has(key):
                    self.link_each("routes-via", route, key,
                                   lambda t, c, table=table, key=key: g.link("routes-via", table, t, via=route,
                                                                             role=key, at=key,
                                                                             assumptions=c.assumptions))

    def rest_method(self, method: Resource):
        """A REST method's Lambda integration: sync, or async when it sets X-Amz-Invocation-Type 'Event'."""
        properties = {"TimeoutInMillis": ("Integration.TimeoutInMillis", REST_TIMEOUT)}
        for target, c in self.callees(method, "Integration.Uri"):
            for params in method.get("Integration.RequestParameters", default=False):
                assumptions = merge_assumptions(c.assumptions, params.assumptions)
                if assumptions is not None:
                    self.invoke(method, target, _rest_mode(params.value), via=method, at="Integration.Uri",
                                assumptions=assumptions, properties=properties)

    def http_integration(self, integration: Resource):
        """An HTTP API integration (or a WebSocket one: its default timeout is 29 s, not 30)."""
        default = HTTP_API_TIMEOUT
        # Looked up quietly: an API we cannot see leaves the HTTP default, it is not a missing invoker.
        apis = [self.graph.follow(c)[0] for c in integration.get("ApiId", default=False)]
        if any(api is not None and str(api.get("ProtocolType", default=False).single).upper() == "WEBSOCKET"
               for api in apis):
            default = WEBSOCKET_TIMEOUT
        properties = {"TimeoutInMillis": ("TimeoutInMillis", default)}
        for t, c in self.callees(integration, "IntegrationUri"):
            self.invoke(integration, t, SYNC, via=integration, at="IntegrationUri", assumptions=c.assumptions,
                        properties=properties)

    def api_definition(self, api: Resource):
        """Lambda integrations written in an API's OpenAPI body (``x-amazon-apigateway-integration``)."""
        body_key = "Body" if api.type in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api") else "DefinitionBody"
        rest = api.type in ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api")
        if not api.has(body_key):
            for elsewhere in ("DefinitionUri", "BodyS3Location"):
                if api.has(elsewhere):
                    self.graph.dangling.append(Dangling(INVOKES, api, elsewhere, "the API definition is in a "
                                                                                 "separate file, not read by this tool"))
            return
        for body in api.get(body_key, default=False):
            if not body.known:
                self.graph.dangling.append(Dangling(INVOKES, api, body_key, body.value.reason))
                continue
            paths = body.value.get("paths") if isinstance(body.value, dict) else None
            for route, operations in (paths.items() if isinstance(paths, dict) else ()):
                for verb, operation in (operations.items() if isinstance(operations, dict) else ()):
                    integration = operation.get("x-amazon-apigateway-integration") if isinstance(
                        operation, dict) else None
                    if isinstance(integration, dict) and "uri" in integration:
                        # A route with a dot in it cannot be walked as a property path.
                        walkable = "." not in f"{route}{verb}"
                        self._body_integration(api, body, f"{body_key}.paths.{route}.{verb}" if walkable else
                                               body_key, integration, rest, walkable)

    def _body_integration(self, api: Resource, body: Case, at: str, integration: dict, rest: bool,
                          walkable: bool):
        uri = integration["uri"]
        if not (isinstance(uri, ResourceRef) or (isinstance(uri, str) and ":lambda:path/" in display(uri))):
            return  # an HTTP, mock or other AWS service integration
        default = REST_TIMEOUT if rest else HTTP_API_TIMEOUT
        if walkable:  # the timeout is read (and cited) by its path
            at = f"{at}.x-amazon-apigateway-integration"
            timeout = (f"{at}.timeoutInMillis", default)
        elif "timeoutInMillis" in integration:
            timeout = Value.known(integration["timeoutInMillis"], f"timeoutInMillis in {at}", body.assumptions)
        else:
            timeout = Value.known(default[0], default[1], body.assumptions)
        mode = _rest_mode(integration.get("requestParameters")) if rest else SYNC
        for t, c in self.follow_case(api, Case(uri, body.origin, body.assumptions), at, INVOKES, FUNCTION_TYPES):
            self.invoke(api, t, mode, via=api, at=at, assumptions=c.assumptions,
                        properties={"TimeoutInMillis": timeout})

    def subscription_filter(self, subscription: Resource):
        for t, c in self.callees(subscription, "DestinationArn"):
            self.invoke(subscription, t, ASYNC, via=subscription, at="DestinationArn", assumptions=c.assumptions)

    def topic_rule(self, rule: Resource):
        for i, action, case in self._list_entries(rule, "TopicRulePayload.Actions"):
            lam = action.get("Lambda")
            if isinstance(lam, dict) and "FunctionArn" in lam:
                at = f"TopicRulePayload.Actions.{i}"
                for t, c in self.follow_case(rule, Case(lam["FunctionArn"], case.origin, case.assumptions), at,
                                             INVOKES, FUNCTION_TYPES):
                    self.invoke(rule, t, ASYNC, via=rule, at=at, assumptions=c.assumptions)

    def target_group(self, group: Resource):
        """An ALB target group of TargetType lambda invokes its target synchronously."""
        for type_case in group.get("TargetType", default=False):
            if not (type_case.known and str(type_case.value).lower() == "lambda"):
                continue
            for i, entry, case in self._list_entries(group, "Targets"):
                if "Id" not in entry:
                    continue
                assumptions = merge_assumptions(case.assumptions, type_case.assumptions)
                if assumptions is None:
                    continue
                for t, c in self.follow_case(group, Case(entry["Id"], case.origin, assumptions), f"Targets.{i}",
                                             INVOKES, FUNCTION_TYPES):
                    self.invoke(group, t, SYNC, via=group, at=f"Targets.{i}", assumptions=c.assumptions)

    def user_pool(self, pool: Resource):
        """Cognito triggers are called synchronously; the sign-in waits for them."""
        for case in pool.get("LambdaConfig", default=False):
            if not (case.known and isinstance(case.value, dict)):
                continue
            for trigger, arn in case.value.items():
                if trigger in COGNITO_NOT_TRIGGERS:
                    continue
                if isinstance(arn, dict):  # CustomSMSSender, CustomEmailSender, PreTokenGenerationConfig
                    arn = arn.get("LambdaArn")
                if arn is None:
                    continue
                at = f"LambdaConfig.{trigger}"
                for t, c in self.follow_case(pool, Case(arn, case.origin, case.assumptions), at, INVOKES,
                                             FUNCTION_TYPES):
                    self.invoke(pool, t, SYNC, via=pool, at=at, assumptions=c.assumptions)

    def distribution(self, distribution: Resource):
        """Lambda@Edge: CloudFront waits for the function (default and per-path cache behaviours)."""
        behaviours = [("DistributionConfig.DefaultCacheBehavior", case.value, case)
                      for case in distribution.get("DistributionConfig.DefaultCacheBehavior", default=False)
                      if case.known and isinstance(case.value, dict)]
        behaviours += [(f"DistributionConfig.CacheBehaviors.{i}", entry, case)
                       for i, entry, case in self._list_entries(distribution, "DistributionConfig.CacheBehaviors")]
        for path, behaviour, case in behaviours:
            associations = behaviour.get("LambdaFunctionAssociations")
            for j, association in enumerate(associations if isinstance(associations, list) else ()):
                if isinstance(association, dict) and "LambdaFunctionARN" in association:
                    at = f"{path}.LambdaFunctionAssociations.{j}"
                    for t, c in self.follow_case(distribution, Case(association["LambdaFunctionARN"], case.origin,
                                                                    case.assumptions), at, INVOKES, FUNCTION_TYPES):
                        self.invoke(distribution, t, SYNC, via=distribution, at=at, assumptions=c.assumptions)

    def pipe(self, pipe: Resource):
        """A pipe's stream source sends failed batches to its DeadLetterConfig; a function target is invoked."""
        for params in ("KinesisStreamParameters", "DynamoDBStreamParameters"):
            self.dead_letter(pipe, f"SourceParameters.{params}.DeadLetterConfig.Arn", PIPE_DLQ,
                             f"SourceParameters.{params}.DeadLetterConfig")
        for t, c in self.callees(pipe, "Target"):
            for kind in pipe.get("TargetParameters.LambdaFunctionParameters.InvocationType", default=False):
                assumptions = merge_assumptions(c.assumptions, kind.assumptions)
                if assumptions is None:
                    continue
                mode = "" if not kind.known else ASYNC if kind.value == "FIRE_AND_FORGET" else SYNC
                self.invoke(pipe, t, mode, via=pipe, at="Target", assumptions=assumptions)

    def state_machine(self, machine: Resource):
        """Task states that call a function: a function ARN as Resource, or lambda:invoke (Event → async)."""
        if machine.type == "AWS::Serverless::StateMachine":
            events = machine.props.get("Events")
            for name, event in (events.items() if isinstance(events, dict) else ()):
                if isinstance(event, dict):
                    self.sam_api_event(machine, name, event, "")
            if machine.has("DefinitionUri") and not machine.has("Definition"):
                self.graph.dangling.append(Dangling(INVOKES, machine, "DefinitionUri",
                                                    "the definition is in a separate file, not read by this tool"))
        for path in ("Definition", "DefinitionString"):
            if not machine.has(path):
                continue
            substitutions = machine.get("DefinitionSubstitutions", default=False)
            for definition in machine.get(path, default=False):
                if not definition.known:
                    self.graph.dangling.append(Dangling(INVOKES, machine, path, definition.value.reason))
                    continue
                document = definition.value
                if isinstance(document, str):
                    try:
                        document = json.loads(document)
                    except ValueError:
                        self.graph.dangling.append(Dangling(INVOKES, machine, path, f"{path} is not valid JSON"))
                        continue
                for subs in substitutions:
                    assumptions = merge_assumptions(definition.assumptions, subs.assumptions)
                    if assumptions is None:
                        continue
                    table = subs.value if subs.known and isinstance(subs.value, dict) else {}
                    for task, at in _tasks(document, path, path == "Definition"):
                        self._task(machine, task, table, Case(None, definition.origin, assumptions), at)

    def _task(self, machine, task: dict, substitutions: dict, case: Case, at: str):
        resource = _substitute(task.get("Resource"), substitutions)
        if not isinstance(resource, (str, ResourceRef)):
            return
        text = display(resource) if isinstance(resource, str) else ""
        if LAMBDA_INVOKE_TASK.search(text):
            parameters = task.get("Parameters") or task.get("Arguments")
            parameters = parameters if isinstance(parameters, dict) else {}
            if "FunctionName" not in parameters:
                if "FunctionName.$" in parameters:
                    self.graph.dangling.append(Dangling(INVOKES, machine, at, "the function is chosen at run time "
                                                                              "(FunctionName.$)"))
                return
            function = _substitute(parameters["FunctionName"], substitutions)
            invocation = _substitute(parameters.get("InvocationType"), substitutions)
            mode = ASYNC if invocation == "Event" else SYNC
        elif isinstance(resource, ResourceRef) or ":function:" in text or (
                is_symbolic(resource) and ":states:" not in text):
            function, mode = resource, SYNC
        else:
            return  # another service integration (SQS, DynamoDB, ECS ...): no function is invoked
        for t, c in self.follow_case(machine, Case(function, case.origin, case.assumptions), at, INVOKES,
                                     FUNCTION_TYPES):
            self.invoke(machine, t, mode, via=machine, at=at, assumptions=c.assumptions)

    def security_group(self, group: Resource):
        for i, entry, case in self._list_entries(group, "SecurityGroupIngress"):
            if "SourceSecurityGroupId" in entry:
                at = f"SecurityGroupIngress.{i}"
                for source, c in self.follow_case(group, Case(entry["SourceSecurityGroupId"], case.origin,
                                                              case.assumptions), at, "sg-allows"):
                    self.graph.link("sg-allows", source, group, via=group, role=_ports(entry), at=at,
                                    assumptions=c.assumptions)

    def ingress_rule(self, rule: Resource):
        g = self.graph
        entry = {k: rule.get(k, default=False).single for k in ("IpProtocol", "FromPort", "ToPort")}
        for group, gcase in self.targets(rule, "GroupId", "sg-allows"):
            self.link_each("sg-allows", rule, "SourceSecurityGroupId",
                           lambda t, c, group=group: g.link("sg-allows", t, group, via=rule, role=_ports(entry),
                                                            at="SourceSecurityGroupId", assumptions=c.assumptions))


def _rest_mode(request_parameters) -> str:
    """SYNC, or ASYNC when the integration sends X-Amz-Invocation-Type 'Event'; "" when that is unknown."""
    if not isinstance(request_parameters, dict):
        return SYNC if request_parameters is None else ""
    for key, value in request_parameters.items():
        if str(key).lower() == "integration.request.header.x-amz-invocation-type":
            if isinstance(value, Unknown):
                return ""
            return ASYNC if str(value).strip("'\" ") == "Event" else SYNC
    return SYNC


def _tasks(node, path: str, walkable: bool):
    """Every Task state of a definition (in branches and map iterators too), with where it is written.

    ``walkable`` says the definition is a template mapping, so a nested path locates the state; a
    DefinitionString is located as a whole.
    """
    if isinstance(node, dict):
        if node.get("Type") == "Task" and "Resource" in node:
            yield node, path
        for key, child in node.items():
            if isinstance(child, (dict, list)):
                yield from _tasks(child, f"{path}.{key}" if walkable else path, walkable)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _tasks(child, f"{path}.{i}" if walkable else path, walkable)


def _substitute(value, substitutions: dict):
    """Apply DefinitionSubstitutions: ``${Name}`` alone takes the substituted value itself (a reference)."""
    if not isinstance(value, str) or not substitutions:
        return value
    whole = SUBSTITUTION.fullmatch(value)
    if whole and whole.group(1) in substitutions:
        return substitutions[whole.group(1)]

    def text(match):
        sub = substitutions.get(match.group(1))
        return match.group(0) if sub is None else str(sub)

    return SUBSTITUTION.sub(text, value)


def _ports(entry: dict) -> str:
    """``tcp/5432`` or ``tcp/1024-65535`` or ``all``: the edge role of an ingress rule."""
    protocol = str(entry.get("IpProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return "all"
    low, high = entry.get("FromPort"), entry.get("ToPort")
    return f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
