"""Template → Graph: resolve, expand SAM, then draw the typed edges every rule shares."""
from __future__ import annotations

from .cfn import ALARM, ESM, FUNCTION_TYPES, QUEUE, TOPIC
from .graph import Dangling, Graph, Resource
from .langext import expand_transforms
from .resolve import Resolver
from .sam import expand
from .values import Case, Unknown, merge_assumptions

DIMENSION_TYPES = {"QueueName": (QUEUE,), "FunctionName": FUNCTION_TYPES, "TopicName": (TOPIC,)}
# Resource types that name a dead-letter target in one property: (property path, role, where to point).
DEAD_LETTER_PROPERTIES = {
    QUEUE: ("RedrivePolicy.deadLetterTargetArn", "redrive", "RedrivePolicy"),
    "AWS::Lambda::Function": ("DeadLetterConfig.TargetArn", "lambda-dlq", "DeadLetterConfig"),
    "AWS::Serverless::Function": ("DeadLetterConfig.TargetArn", "lambda-dlq", "DeadLetterConfig"),
    "AWS::Scheduler::Schedule": ("Target.DeadLetterConfig.Arn", "scheduler-target-dlq", "Target.DeadLetterConfig"),
    "AWS::Events::EventBus": ("DeadLetterConfig.Arn", "event-bus-dlq", "DeadLetterConfig"),
}
ROUTE_TARGETS = ("GatewayId", "NatGatewayId", "InstanceId", "NetworkInterfaceId", "TransitGatewayId",
                 "VpcPeeringConnectionId", "VpcEndpointId", "CarrierGatewayId", "EgressOnlyInternetGatewayId",
                 "LocalGatewayId", "CoreNetworkArn")


def build_graph(path: str, template: dict, parameters: dict | None = None, pseudo: dict | None = None,
                parameter_source: str = "given on the command line") -> Graph:
    template, unseen = expand_transforms(template, Resolver(template, parameters, pseudo, parameter_source))
    resolver = Resolver(template, parameters, pseudo, parameter_source)
    resources = expand(template)
    resolver.add_resource_ids(r.logical_id for r in resources)
    graph = Graph(path, template, resolver, unseen=unseen)
    for resource in resources:
        if resource.condition and _never_created(resolver, resource.condition):
            continue
        graph.add(resource)
    _Linker(graph).run()
    return graph


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
        if resource is None:
            external = not isinstance(case.value, Unknown) and "not a resource of this template" in reason
            self.graph.dangling.append(Dangling(kind, holder, at, reason, external, case.value))
            return
        yield resource, case

    def link_each(self, kind, holder, path, make, types=None):
        for target, case in self.targets(holder, path, kind, types):
            make(target, case)

    # ------------------------------------------------------------ per resource type

    def event_source_mapping(self, esm: Resource):
        g = self.graph
        sources = list(self.targets(esm, "EventSourceArn", "consumes"))
        functions = list(self.targets(esm, "FunctionName", "consumes", FUNCTION_TYPES))
        for source, scase in sources:
            for fn, fcase in functions:
                assumptions = merge_assumptions(scase.assumptions, fcase.assumptions)
                if assumptions is not None:
                    g.link("consumes", source, fn, via=esm, at="EventSourceArn", assumptions=assumptions)
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
                if isinstance(event, dict) and event.get("Type") == "S3":
                    self.link_each("notifies", fn, f"Events.{name}.Properties.Bucket",
                                   lambda t, c, name=name: g.link("notifies", t, fn, via=fn, role="s3-notification",
                                                                  at=f"Events.{name}", assumptions=c.assumptions))

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
                        g.link("invokes", rule, t, via=rule, at=at, assumptions=c.assumptions)
                    else:
                        g.link("dlq-of", t, rule, via=rule, role=role, at=at, assumptions=c.assumptions)

    def schedule(self, schedule: Resource):
        g = self.graph
        self.link_each("invokes", schedule, "Target.Arn",
                       lambda t, c: g.link("invokes", schedule, t, via=schedule, at="Target",
                                           assumptions=c.assumptions))

    def subscription(self, sub: Resource):
        g = self.graph
        topics = list(self.targets(sub, "TopicArn", "subscribes", (TOPIC,)))
        for topic, tcase in topics:
            self.link_each("subscribes", sub, "Endpoint",
                           lambda t, c, topic=topic: g.link("subscribes", topic, t, via=sub, at="Endpoint",
                                                            assumptions=c.assumptions))
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
                    g.link("subscribes", topic, t, via=topic, at=f"Subscription.{i}", assumptions=c.assumptions)

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
            for dim in metric_def.get("Dimensions") or []:
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
                        g.link("notifies", bucket, t, via=bucket, role="s3-notification", at=f"{path}.{i}",
                               assumptions=c.assumptions)

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
        g = self.graph
        self.link_each("invokes", method, "Integration.Uri",
                       lambda t, c: g.link("invokes", method, t, via=method, at="Integration.Uri",
                                           assumptions=c.assumptions), FUNCTION_TYPES)

    def http_integration(self, integration: Resource):
        g = self.graph
        self.link_each("invokes", integration, "IntegrationUri",
                       lambda t, c: g.link("invokes", integration, t, via=integration, at="IntegrationUri",
                                           assumptions=c.assumptions), FUNCTION_TYPES)

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


def _ports(entry: dict) -> str:
    """``tcp/5432`` or ``tcp/1024-65535`` or ``all``: the edge role of an ingress rule."""
    protocol = str(entry.get("IpProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return "all"
    low, high = entry.get("FromPort"), entry.get("ToPort")
    return f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
