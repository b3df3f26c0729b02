"""The resource graph: resources with resolved properties, and typed edges between them.

Edge kinds (source → target):

- ``consumes``     queue or stream → function that polls it (via the event source mapping)
- ``dlq-of``       dead-letter target → what sends failures to it; ``role`` says how: ``redrive``,
                   ``lambda-dlq``, ``on-failure``, ``esm-on-failure``, ``eventbridge-target-dlq``,
                   ``scheduler-target-dlq``, ``event-bus-dlq``, ``sns-subscription-redrive``
- ``destination-of`` async success destination → function (``role`` ``on-success``)
- ``alarms-on``    alarm → resource named by a metric dimension (``role`` is the metric name)
- ``subscribes``   topic → subscribed queue or function (via the subscription)
- ``notifies``     bucket → queue, topic or function of an S3 notification
- ``invokes``      rule, schedule, API method or HTTP API integration → target
- ``in-subnet``    function → subnet
- ``sg-allows``    security group → security group whose ingress rules admit it (``role`` ``tcp/5432``)
- ``routes-via``   subnet → route table (``association``); route table → gateway (``role`` the destination)

References resolve through Ref, GetAtt, Sub/Join-built ARNs and literal ARNs, URLs or names of resources
in the template. A reference that cannot be followed is kept as a dangling link with the reason, so a
rule can say "not evaluated" instead of guessing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .cfn import ARN_SERVICE_TYPES, DEFAULTS, FUNCTION_TYPES, NAME_PROPERTY, QUEUE
from .findings import Location
from .load import Mapping, Sequence
from .values import TOKEN, Case, ResourceRef, Unknown, Value, is_symbolic

_ABSENT = object()


class Resource:
    """A resource of the template, or one SAM would create (then ``origin`` says from what)."""

    def __init__(self, logical_id: str, type_: str, props, *, node=None, origin: str | None = None,
                 anchor: tuple[str, str] | None = None, provenance: dict | None = None,
                 condition: str | None = None):
        self.logical_id = logical_id
        self.type = type_
        self.props = props if isinstance(props, dict) else {}
        self.node = node
        self.origin = origin
        # (logical id of the template resource that locates this one, property path inside it)
        self.anchor = anchor or (logical_id, "")
        self.provenance = provenance or {}
        self.condition = condition
        self.graph: Graph | None = None

    def __repr__(self):
        return f"<{self.type} {self.logical_id}>"

    @property
    def existence(self) -> tuple:
        """The assumptions under which this resource exists: its Condition, when that is undecided."""
        if not self.condition or self.graph is None:
            return ()
        cases = self.graph.resolver.condition(self.condition).cases
        if all(c.known and c.value is True and not c.assumptions for c in cases):
            return ()
        return ((("condition", self.condition), True),)

    @property
    def implicit(self) -> bool:
        return self.origin is not None

    def describe(self) -> str:
        """How a message names this resource."""
        return f"{self.logical_id} ({self.origin})" if self.origin else self.logical_id

    def has(self, path: str) -> bool:
        return self._walk_raw(path)[0] is not _ABSENT

    def get(self, path: str, default: bool = True) -> Value:
        """The resolved value at a dotted property path, with its origin; the service default if absent."""
        resolver = self.graph.resolver
        keys = path.split(".")
        cases: list[tuple[object, str, tuple, bool]] = [(self.props, "", (), False)]
        for i, key in enumerate(keys):
            next_cases = []
            for node, origin, assumptions, resolved in cases:
                for sub, sub_origin, sub_assumptions, sub_resolved in self._step(node, key, keys[:i], resolved, origin):
                    merged = _merge(assumptions, sub_assumptions)
                    if merged is not None:
                        next_cases.append((sub, sub_origin, merged, sub_resolved))
            cases = next_cases
        out = []
        for node, origin, assumptions, resolved in cases:
            if isinstance(node, Unknown):
                out.append(Case(node, "", assumptions))
            elif node is _ABSENT or (resolved and node is _no_value()):
                dv = DEFAULTS.get((self.type, path)) if default else None
                out.append(Case(dv[0], dv[1], assumptions) if dv else Case(None, "not set", assumptions))
            elif resolved:
                out.append(Case(node, origin, assumptions))
            else:
                for c in resolver.resolve(node, origin):
                    merged = c.with_assumptions(assumptions)
                    if merged is None:
                        continue
                    if c.known and c.value is _no_value():
                        dv = DEFAULTS.get((self.type, path)) if default else None
                        merged = Case(dv[0], dv[1], merged.assumptions) if dv else Case(None, "not set",
                                                                                        merged.assumptions)
                    out.append(merged)
        return Value(out)

    def _step(self, node, key, parents, resolved, origin):
        """One path step. Yields (child, origin, assumptions, resolved)."""
        if not resolved and isinstance(node, dict) and len(node) == 1 and _is_intrinsic(next(iter(node))):
            for c in self.graph.resolver.resolve(node):
                if not c.known:
                    yield c.value, "", c.assumptions, True
                else:
                    yield from ((v, o, _merge(c.assumptions, a) or (), r)
                                for v, o, a, r in self._step(c.value, key, parents, True, c.origin))
            return
        if isinstance(node, str) and node.lstrip().startswith("{"):
            try:
                node = json.loads(node)
                resolved = True
            except ValueError:
                yield Unknown(f"{'.'.join(parents)} is not valid JSON"), "", (), True
                return
        if isinstance(node, Unknown):
            yield node, "", (), True
            return
        if isinstance(node, list) and key.isdigit():
            index = int(key)
            if index >= len(node):
                yield _ABSENT, "", (), True
                return
            child = node[index]
            if resolved:
                yield child, origin, (), True
            else:
                line = node.pos(index)[0] if hasattr(node, "pos") else 0
                yield child, (f"line {line}" if line else origin), (), False
            return
        if not isinstance(node, dict):
            yield _ABSENT, "", (), True
            return
        if key not in node:
            yield _ABSENT, "", (), resolved
            return
        child = node[key]
        if resolved:
            yield child, origin, (), True
            return
        line = getattr(node, "value_pos", {}).get(key, (0, 0))[0]
        top = parents[0] if parents else key
        dotted = ".".join(parents + [key])
        source = self.provenance.get(top)
        if source:
            where = f"{source}.{dotted}" + (f", line {line}" if line else "")
        elif self.origin:
            where = f"set by SAM for {self.origin}" if not line else f"set on line {line}"
        else:
            where = f"set on line {line}" if line else ""
        yield child, where, (), False

    def _walk_raw(self, path: str):
        node = self.props
        parent, last = None, None
        for key in path.split("."):
            if isinstance(node, dict) and key in node and not (len(node) == 1 and _is_intrinsic(key)):
                parent, last, node = node, key, node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                parent, last, node = node, int(key), node[int(key)]
            else:
                return _ABSENT, parent, last
        return node, parent, last

    def position(self, path: str | None = None) -> tuple[int, int]:
        """Line and column of a property (or of the resource when the property is absent)."""
        if path:
            _node, parent, last = self._walk_raw(path)
            if parent is not None:
                pos = parent.pos(last) if hasattr(parent, "pos") else (0, 0)
                if pos[0]:
                    return pos
        anchor_id, anchor_path = self.anchor
        anchor = self.graph.resources.get(anchor_id) if self.graph else None
        if anchor is not None and anchor is not self and anchor_path:
            return anchor.position(anchor_path)
        resources = self.graph.template.get("Resources") if self.graph else None
        if isinstance(resources, Mapping) and anchor_id in resources:
            return resources.pos(anchor_id)
        return (1, 1)

    def pointer(self, path: str | None = None) -> str:
        anchor_id, anchor_path = self.anchor
        if self.implicit:
            base = f"Resources/{anchor_id}"
            return base + (f"/Properties/{anchor_path.replace('.', '/')}" if anchor_path else "")
        return f"Resources/{self.logical_id}" + (f"/Properties/{path.replace('.', '/')}" if path else "")


def _is_intrinsic(key) -> bool:
    return isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::"))


def _merge(a, b):
    from .values import merge_assumptions

    return merge_assumptions(a, b)


def _no_value():
    from .resolve import NO_VALUE

    return NO_VALUE


@dataclass
class Edge:
    kind: str
    source: Resource
    target: Resource
    via: Resource | None = None
    role: str = ""
    at: str = ""          # property path on ``via`` (or on the source) where the link is written
    assumptions: tuple = ()

    def get(self, path: str) -> Value:
        """A property of the resource that makes the link (the event source mapping, the subscription)."""
        holder = self.via or self.source
        return holder.get(path)


@dataclass
class Dangling:
    """A link that could not be followed to a resource of the template."""

    kind: str
    holder: Resource
    at: str
    reason: str
    external: bool = False   # a literal ARN or name of something outside this template
    value: object = None     # the resolved reference (a literal ARN for external links)


@dataclass
class Graph:
    path: str
    template: dict
    resolver: object
    resources: dict[str, Resource] = field(default_factory=dict)
    _edges: list[Edge] = field(default_factory=list)
    dangling: list[Dangling] = field(default_factory=list)
    _names: dict | None = None
    unseen: str | None = None   # why resources may exist that the template does not show (linter.langext)

    def add(self, resource: Resource) -> Resource:
        resource.graph = self
        self.resources[resource.logical_id] = resource
        self._names = None
        return resource

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]

    def link(self, kind, source, target, *, via=None, role="", at="", assumptions=()) -> Edge:
        # A link exists only when the resources that make it exist: add their Conditions.
        for resource in (source, target, via):
            if resource is not None and assumptions is not None:
                assumptions = _merge(assumptions, resource.existence)
        edge = Edge(kind, source, target, via, role, at, assumptions or ())
        self._edges.append(edge)
        return edge

    def edges(self, kind: str, *, source_type=None, target_type=None, source=None, target=None) -> list[Edge]:
        def ok(resource, want):
            if want is None:
                return True
            if isinstance(want, Resource):
                return resource is want
            return resource.type in ((want,) if isinstance(want, str) else tuple(want))

        return [e for e in self._edges if e.kind == kind and ok(e.source, source_type) and ok(e.target, target_type)
                and ok(e.source, source) and ok(e.target, target)]

    def dangling_links(self, kind: str) -> list[Dangling]:
        return [d for d in self.dangling if d.kind == kind]

    # ------------------------------------------------------------ following references

    def follow(self, case: Case, types=None) -> tuple[Resource | None, str]:
        """The resource a resolved reference names, or (None, reason)."""
        value = case.value
        if isinstance(value, Unknown):
            return None, value.reason
        resource = None
        if isinstance(value, ResourceRef):
            resource = self.resources.get(value.logical_id)
            if resource is not None and value.attribute in ("Alias", "Version") and resource.type in FUNCTION_TYPES:
                return resource, ""
        elif isinstance(value, str):
            if is_symbolic(value):
                ids = [m.group(1).split(".", 1)[0] for m in TOKEN.finditer(value)]
                ids = [i for i in ids if i in self.resources]
                if ids:
                    resource = self.resources[ids[-1]]
                else:
                    # Only pseudo parameters are unknown (region, account): the name may still be literal.
                    resource = self._by_name(TOKEN.sub("*", value), types)
                    if resource is None:
                        return None, f"{_show(value)} is known only at deploy time"
            else:
                resource = self._by_name(value, types)
                if resource is None:
                    return None, f"{value!r} is not a resource of this template"
        else:
            return None, "not a reference"
        if resource is None:
            return None, "reference to a resource that does not exist"
        # Lambda aliases and versions stand for their function.
        seen = set()
        while resource.type in ("AWS::Lambda::Alias", "AWS::Lambda::Version") and resource.logical_id not in seen:
            seen.add(resource.logical_id)
            target = resource.get("FunctionName").cases[0]
            nxt, _ = self.follow(target)
            if nxt is None:
                break
            resource = nxt
        return resource, ""

    def _by_name(self, text: str, types=None) -> Resource | None:
        service, name = _parse_reference(text)
        candidates_types = ARN_SERVICE_TYPES.get(service) if service else None
        index = self._name_index()
        if "*" in name:
            return None
        for resource in index.get(name, ()):
            if candidates_types and resource.type not in candidates_types:
                continue
            if types and resource.type not in types:
                continue
            return resource
        return None

    def _name_index(self) -> dict[str, list[Resource]]:
        if self._names is None:
            names: dict[str, list[Resource]] = {}
            for r in self.resources.values():
                prop = NAME_PROPERTY.get(r.type)
                if prop and r.has(prop):
                    v = r.get(prop, default=False).single
                    if isinstance(v, str) and not is_symbolic(v):
                        names.setdefault(v, []).append(r)
            self._names = names
        return self._names

    # ------------------------------------------------------------ locations for findings

    def location_of(self, subject, at: str | None = None) -> Location:
        if isinstance(subject, Location):
            return subject
        if isinstance(subject, Edge):
            holder = subject.via or subject.source
            return self.location_of(holder, at or subject.at or None)
        if isinstance(subject, Resource):
            line, col = subject.position(at)
            return Location(self.path, line, col, logical_id=subject.anchor[0] if subject.implicit else
                            subject.logical_id, pointer=subject.pointer(at))
        return Location(self.path, 1, 1)

    def logical_ids_of(self, subject) -> tuple[str, ...]:
        if isinstance(subject, Edge):
            return (subject.source.logical_id, subject.target.logical_id)
        if isinstance(subject, Resource):
            return (subject.logical_id,)
        if isinstance(subject, Location) and subject.logical_id:
            return (subject.logical_id,)
        return ()


def _show(value: str) -> str:
    from .values import display

    return display(value)


def _parse_reference(text: str) -> tuple[str | None, str]:
    """(service, name) from an ARN, a queue URL, or a bare name."""
    text = text.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) < 6:
            return None, text
        service, resource = parts[2], parts[5]
        if service == "lambda" and resource.startswith("function:"):
            return service, resource.split(":")[1]
        if service == "dynamodb" and resource.startswith("table/"):
            return service, resource.split("/")[1]
        if service == "kinesis" and resource.startswith("stream/"):
            return service, resource.split("/")[1]
        if service == "events" and resource.startswith("event-bus/"):
            return service, resource.split("/", 1)[1]
        return service, resource
    if text.startswith("https://sqs.") or text.startswith("https://queue.amazonaws.com"):
        return "sqs", text.rstrip("/").rsplit("/", 1)[-1]
    return None, text


def is_queue(resource: Resource | None) -> bool:
    return resource is not None and resource.type == QUEUE
