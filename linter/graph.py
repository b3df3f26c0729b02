"""The resource graph: resources with resolved properties, and typed edges between them.

Edge kinds (source → target):

- ``consumes``     queue or stream → function that polls it (via the event source mapping)
- ``dlq-of``       dead-letter target → what sends failures to it; ``role`` says how: ``redrive``,
                   ``lambda-dlq``, ``on-failure``, ``esm-on-failure``, ``eventbridge-target-dlq``,
                   ``scheduler-target-dlq``, ``event-bus-dlq``, ``sns-subscription-redrive``, ``pipe-dlq``
- ``destination-of`` async success destination → function (``role`` ``on-success``)
- ``alarms-on``    alarm → resource named by a metric dimension (``role`` is the metric name)
- ``subscribes``   topic → subscribed queue or function (via the subscription)
- ``notifies``     bucket → queue, topic or function of an S3 notification
- ``invokes``      rule, schedule, API method or HTTP API integration … → target; an edge into a function
                   carries ``mode`` (``sync``, ``async``, ``poll``: catalogue §B), as do ``consumes`` edges
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

from . import kinds
from .cfn import (ARN_SERVICE_TYPES, ATTRIBUTE_DEFAULTS, DEFAULTS, DEPENDENT_DEFAULTS, FUNCTION_TYPES,
                  NAME_PROPERTY, QUEUE)
from .findings import Location
from .load import Mapping, Sequence
from .values import TOKEN, Case, ResourceRef, Unknown, Value, is_symbolic

_ABSENT = object()
_INVOKER = object()   # index key: the invokes and consumes edges into a resource, in link order


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
        return self.graph.resolver.existence(self.condition)

    @property
    def absence(self) -> list[tuple]:
        """The scenarios in which this resource is not created (its Condition is false), as assumptions."""
        if not self.condition or self.graph is None:
            return []
        cases = self.graph.resolver.condition(self.condition).cases
        return [c.assumptions for c in cases if c.known and c.value is False]

    @property
    def implicit(self) -> bool:
        return self.origin is not None

    def describe(self) -> str:
        """How a message names this resource."""
        return f"{self.logical_id} ({self.origin})" if self.origin else self.logical_id

    def has(self, path: str) -> bool:
        return self._walk_raw(path)[0] is not _ABSENT

    def get(self, path: str, default: bool = True) -> Value:
        """The resolved value at a dotted property path, with its origin; the service default if absent.

        A list item is a number step (``Targets.0.Arn``). When the property is absent the default of
        catalogue §A applies (``linter.cfn.DEFAULTS``), cited as its origin ("30 (the SQS default)"); a
        default that depends on another value (an event source mapping's ``BatchSize``) follows that
        value's scenarios. An explicit ``null`` is unknown: CloudFormation rejects it.
        """
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
                out.extend(self._default(path, assumptions, default))
            elif node is None and not resolved:
                out.append(Case(Unknown(f"{path} is empty (null){', ' + origin if origin else ''}"), origin,
                                assumptions))
            elif resolved:
                out.append(Case(node, origin, assumptions))
            elif node is None:
                # ``Key:`` with nothing after it: CloudFormation rejects it; neither a value nor the default.
                out.append(Case(Unknown(f"{path} is empty (null) in the template"), "", assumptions))
            else:
                for c in resolver.resolve(node, origin):
                    merged = c.with_assumptions(assumptions)
                    if merged is None:
                        continue
                    if c.known and c.value is _no_value():
                        out.extend(self._default(path, merged.assumptions, default))
                        continue
                    out.append(merged)
        return Value(out)

    def _default(self, path: str, assumptions: tuple, apply: bool = True) -> list[Case]:
        """The cases of an absent property: its default (per scenario when it depends on another value)."""
        if not apply:
            return [Case(None, "not set", assumptions)]
        return _default_cases(self, default_key(path), assumptions, DEFAULTS, DEPENDENT_DEFAULTS)

    def attribute(self, name: str) -> Value:
        """A resource attribute beside Properties (``DeletionPolicy``, ``UpdateReplacePolicy``, ``Condition``),
        resolved, with its CloudFormation default when absent ("Delete (the CloudFormation default)")."""
        body = self.node if isinstance(self.node, dict) else {}
        if name in body and body[name] is not None:
            line = getattr(body, "value_pos", {}).get(name, (0, 0))[0]
            return self.graph.resolver.resolve(body[name], f"set on line {line}" if line else "")
        make = ATTRIBUTE_DEFAULTS.get(name)
        if make is None:
            return Value.known(None, "not set")
        return Value(Case(v, o, a) for v, o, a in make(self))

    def gather(self, path: str, field: str) -> Value:
        """``field`` of every item of the list ``path``, as one list per scenario.

        ``lb.gather("SubnetMappings", "SubnetId")`` → ``[subnet-a, subnet-b]`` (with each item's scenario
        kept), for rules that read a list of records the way they read a plain list.
        """
        from .values import combinations

        parts = [entry.get(field, default=False) for entry in self.entries(path)]
        cases = []
        for combo in combinations(*parts):
            assumptions: tuple | None = ()
            for case in combo:
                assumptions = _merge(assumptions, case.assumptions)
            if assumptions is not None:
                cases.append(Case([c.value for c in combo], f"{path}[].{field}", assumptions))
        return Value(cases)

    def entries(self, path: str) -> list["Entry"]:
        """The items of a list property as positioned :class:`Entry` objects, in order.

        ``for target in rule.entries("Targets"): target.get("Arn")``. An item that exists only in some
        scenarios (``!If [Cond, {...}, !Ref AWS::NoValue]``, or a whole list chosen by ``Fn::If``) carries
        them in ``entry.assumptions``, so its values stay paired with that scenario.
        """
        raw, _parent, _last = self._walk_raw(path)
        found: dict[tuple, Entry] = {}
        if isinstance(raw, list):
            for index in range(len(raw)):
                item = self.get(f"{path}.{index}", default=False)
                present = [c for c in item if c.value is not None]
                if not present:
                    continue
                absent = len(present) < len(item.cases)
                assumptions = _common(c.assumptions for c in present) if absent else ()
                found[(index, assumptions)] = Entry(self, f"{path}.{index}", index, assumptions)
        else:
            for case in self.get(path, default=False):
                if isinstance(case.value, list):
                    for index in range(len(case.value)):
                        found.setdefault((index, case.assumptions),
                                         Entry(self, f"{path}.{index}", index, case.assumptions))
        return list(found.values())

    def setting(self, path: str, key: str, *, key_field: str = "Key", value_field: str = "Value") -> Value:
        """The value of the entry named ``key`` in a Key/Value list property, or its default.

        ``group.setting("TargetGroupAttributes", "deregistration_delay.timeout_seconds")`` →
        ``300 (the ELB default)`` when no entry sets it.
        """
        cases: list[Case] = []
        for entry in self.entries(path):
            for name in entry.get(key_field, default=False):
                if not name.known:
                    cases.append(Case(name.value, "", name.assumptions))
                elif name.value == key:
                    cases.extend(c for c in entry.get(value_field, default=False)
                                 if c.with_assumptions(name.assumptions) is not None)
        if cases:
            return Value(cases)
        return Value(_default_cases(self, f"{path}[{key}]", (), DEFAULTS, DEPENDENT_DEFAULTS))

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


def default_key(path: str) -> str:
    """The DEFAULTS key of a property path: list indexes become ``*`` (``Targets.*.RetryPolicy...``)."""
    return ".".join("*" if step.isdigit() else step for step in path.split("."))


def _default_cases(resource, key: str, assumptions: tuple, table: dict, dependent: dict) -> list[Case]:
    if (resource.type, key) in table:
        value, origin = table[(resource.type, key)]
        return [Case(value, origin, assumptions)]
    make = dependent.get((resource.type, key))
    if make is None:
        return [Case(None, "not set", assumptions)]
    out = []
    for value, origin, depends_on in make(resource):
        merged = _merge(assumptions, depends_on)
        if merged is not None:
            out.append(Case(value, origin, merged))
    return out or [Case(None, "not set", assumptions)]


def _common(assumption_sets) -> tuple:
    """The assumptions every one of the sets makes."""
    sets = [set(a) for a in assumption_sets]
    if not sets:
        return ()
    shared = set.intersection(*sets)
    return tuple(sorted(shared, key=lambda kv: (kv[0], repr(kv[1]))))


class Entry:
    """One item of a list property (``Targets.2``): read its fields with ``get``, point at it with ``at``.

    ``assumptions`` is the scenario the item exists in (empty when always); the values ``get`` returns
    are restricted to it, so ``ctx.cases`` and ``ctx.finding`` name it.
    """

    def __init__(self, resource: "Resource", path: str, index: int, assumptions: tuple = ()):
        self.resource = resource
        self.path = path
        self.index = index
        self.assumptions = assumptions

    def __repr__(self):
        return f"<Entry {self.resource.logical_id}.{self.path}>"

    @property
    def at(self) -> str:
        """The property path to pass as ``ctx.finding(..., at=entry.at)``."""
        return self.path

    @property
    def line(self) -> int:
        return self.resource.position(self.path)[0]

    def has(self, path: str) -> bool:
        return self.resource.has(f"{self.path}.{path}")

    def get(self, path: str, default: bool = True) -> Value:
        """A field of the item, with its default (``Targets.*.RetryPolicy.MaximumRetryAttempts`` → 185)."""
        value = self.resource.get(f"{self.path}.{path}", default=default)
        if not self.assumptions:
            return value
        kept = [m for m in (c.with_assumptions(self.assumptions) for c in value) if m is not None]
        return Value(kept)

    def value(self) -> Value:
        """The whole item as one value (a dict per scenario)."""
        value = self.resource.get(self.path, default=False)
        kept = [m for m in (c.with_assumptions(self.assumptions) for c in value) if m is not None]
        return Value(kept)


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
    mode: str = ""        # how a function at the target is invoked: kinds.SYNC, ASYNC or POLL ("" otherwise)
    # Properties the link owns, by name: (path on ``via``, (default, its origin) or None). An API event's
    # ``TimeoutInMillis`` lives at ``Events.X.Properties.TimeoutInMillis`` of the function, a method's at
    # ``Integration.TimeoutInMillis``; ``get("TimeoutInMillis")`` reads either, with the API's default.
    # A Value stands for itself (a property that has no path, such as one inside an OpenAPI body).
    properties: dict = field(default_factory=dict)

    def get(self, path: str) -> Value:
        """A property of the resource that makes the link (the event source mapping, the subscription)."""
        holder = self.via or self.source
        if isinstance(self.properties.get(path), Value):
            return self.properties[path]
        if path in self.properties:
            real, default = self.properties[path]
            return _edge_property(holder.get(real, default=False), real, default)
        return holder.get(path)

    def use_text(self) -> str:
        """How a message names this use of the source: ``redrive target of queue Orders``."""
        return kinds.role_text(self.role, self.target.describe())


def _edge_property(value: Value, path: str, default) -> Value:
    """Cite the property by its path ("Integration.TimeoutInMillis, line 12"); the default when absent."""
    out = []
    for case in value:
        if case.known and case.value is None and case.origin == "not set" and default is not None:
            out.append(Case(default[0], default[1], case.assumptions))
        elif case.origin.startswith("set on line "):
            out.append(Case(case.value, f"{path}, line {case.origin[len('set on line '):]}", case.assumptions))
        else:
            out.append(case)
    return Value(out)


@dataclass
class Dangling:
    """A link that could not be followed to a resource of the template."""

    kind: str
    holder: Resource
    at: str
    reason: str
    external: bool = False   # a literal ARN or name of something outside this template
    value: object = None     # the resolved reference (a literal ARN for external links)

    @property
    def arn(self) -> "Arn | None":
        """The parts of the literal ARN this link names, or None when it is not one written in full."""
        return parse_arn(self.value)


@dataclass(frozen=True)
class Arn:
    """A literal ARN, split: ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def name(self) -> str:
        """The last part of the resource (a queue's or topic's name)."""
        return self.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def parse_arn(value) -> Arn | None:
    """A fully written ARN string split into its parts; None for anything else (tokens, names, URLs)."""
    if not isinstance(value, str) or is_symbolic(value) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    return Arn(*parts[1:6]) if len(parts) == 6 else None


@dataclass
class Graph:
    path: str
    template: dict
    resolver: object
    resources: dict[str, Resource] = field(default_factory=dict)
    _edges: list[Edge] = field(default_factory=list)
    _by_kind: dict[str, list[Edge]] = field(default_factory=dict)   # kind → its edges, filled by link
    # (kind, id of an end) → the edges of that kind from / to that resource, so a rule that asks about each
    # resource in turn costs time linear in the graph, not quadratic.
    _by_source: dict[tuple, list[Edge]] = field(default_factory=dict)
    _by_target: dict[tuple, list[Edge]] = field(default_factory=dict)
    dangling: list[Dangling] = field(default_factory=list)
    _names: dict | None = None
    _types: dict | None = None      # type → its resources in graph order (of_type), kept up to date by add
    _rank: dict = field(default_factory=dict)   # logical id → place in graph order, beside _types
    _written_types: dict | None = None   # type → (logical id, body) of the written template (switched_off)
    unseen: str | None = None   # why resources may exist that the template does not show (linter.langext)
    # The template's place among other templates checked with it (linter.stacks.Scope), None when alone:
    # references into another template's resources are followed through it.
    stack: object = None

    def add(self, resource: Resource) -> Resource:
        resource.graph = self
        replaced = resource.logical_id in self.resources
        self.resources[resource.logical_id] = resource
        self._names = None
        if replaced:
            self._types = None
        elif self._types is not None:
            self._types.setdefault(resource.type, []).append(resource)
            self._rank[resource.logical_id] = len(self.resources) - 1
        return resource

    def of_type(self, *types: str) -> list[Resource]:
        """The resources of these types, in graph order (an index: rules ask this for every resource)."""
        if self._types is None:
            self._types, self._rank = {}, {}
            for rank, r in enumerate(self.resources.values()):
                self._types.setdefault(r.type, []).append(r)
                self._rank[r.logical_id] = rank
        found = [r for t in dict.fromkeys(types) for r in self._types.get(t, ())]
        if len(types) > 1:
            found.sort(key=lambda r: self._rank[r.logical_id])
        return found

    def link(self, kind, source, target, *, via=None, role="", at="", assumptions=(), mode="",
             properties=None) -> Edge:
        # A link exists only when the resources that make it exist: add their Conditions.
        for resource in (source, target, via):
            if resource is not None and assumptions is not None:
                assumptions = _merge(assumptions, resource.existence)
        edge = Edge(kind, source, target, via, role, at, assumptions or (), mode=mode,
                    properties=properties or {})
        self._index(edge)
        # A link into another template's resource: that template's rules see it too.
        for other in {id(r.graph): r.graph for r in (source, target, via)
                      if r is not None and r.graph is not None and r.graph is not self}.values():
            other._index(edge)
        return edge

    def _index(self, edge: Edge) -> None:
        kind = edge.kind
        self._edges.append(edge)
        self._by_kind.setdefault(kind, []).append(edge)
        self._by_source.setdefault((kind, id(edge.source)), []).append(edge)
        self._by_target.setdefault((kind, id(edge.target)), []).append(edge)
        if kind in ("invokes", "consumes"):
            self._by_target.setdefault((_INVOKER, id(edge.target)), []).append(edge)

    def _home_of(self, *resources) -> "Graph":
        """The graph holding the edges of these resources: another template's, for one of its resources."""
        for resource in resources:
            if isinstance(resource, Resource) and resource.graph is not None and resource.graph is not self:
                return resource.graph
        return self

    def invokers(self, function: Resource) -> list[Edge]:
        """Every edge that invokes ``function`` (``invokes`` and ``consumes``), each with its ``mode``.

        ``all(e.mode == ASYNC for e in graph.invokers(fn))``: only async callers (catalogue §B). A caller the
        graph cannot see (another stack, the console, an SDK) is not among them; one whose reference cannot be
        followed is in ``dangling_links("invokes")`` / ``("consumes")``. ``mode`` is "" when it depends on a
        value that cannot be resolved (an invocation type from an import).
        """
        return list(self._home_of(function)._by_target.get((_INVOKER, id(function)), ()))

    def edges(self, kind: str, *, source_type=None, target_type=None, source=None, target=None) -> list[Edge]:
        """Edges of one kind (``kinds.CONSUMES`` …), optionally narrowed by the type or identity of either end.

        ``graph.edges(kinds.CONSUMES, source_type=QUEUE)``; ``graph.edges(kinds.ALARMS_ON, target=dlq)``.
        """
        def ok(resource, want):
            if want is None:
                return True
            if isinstance(want, Resource):
                return resource is want
            return resource.type in ((want,) if isinstance(want, str) else tuple(want))

        home = self._home_of(source, target)
        if isinstance(target, Resource):
            candidates = home._by_target.get((kind, id(target)), ())
        elif isinstance(source, Resource):
            candidates = home._by_source.get((kind, id(source)), ())
        else:
            candidates = home._by_kind.get(kind, ())
        return [e for e in candidates if ok(e.source, source_type) and ok(e.target, target_type)
                and ok(e.source, source) and ok(e.target, target)]

    def pseudo_value(self, name: str) -> str | None:
        """A pseudo parameter's value when it was given (``--region``, an audit), else None."""
        value = self.resolver.pseudo.get(name)
        return value if isinstance(value, str) else None

    def family(self) -> list["Graph"]:
        """This graph and those of the other templates checked with it (linter.stacks); [self] when alone."""
        others = [g for g in self.stack.graphs() if g is not self] if self.stack is not None else []
        return [self] + others

    def dangling_links(self, kind: str) -> list[Dangling]:
        """Links of ``kind`` that could not be followed: this template's, and those of the other templates
        checked with it (an alarm of another stack whose queue cannot be told may watch one of ours)."""
        return [d for graph in self.family() for d in graph.dangling if d.kind == kind]

    # ------------------------------------------------------------ following references

    def follow(self, case: Case, types=None) -> tuple[Resource | None, str]:
        """The resource a resolved reference names, or (None, reason)."""
        value = case.value
        if isinstance(value, Unknown):
            return None, value.reason
        resource = None
        if isinstance(value, ResourceRef) and self.stack is not None and value.scope not in (None, self.stack.label):
            resource = self.stack.resource(value.scope, value.logical_id)   # another template's resource
            if resource is None:
                return None, f"{value.logical_id} of {self.stack.describe(value.scope)} is not checked in this run"
        elif isinstance(value, ResourceRef):
            resource = self.resources.get(value.logical_id)
            if resource is not None and value.attribute in ("Alias", "Version") and resource.type in FUNCTION_TYPES:
                return resource, ""
        elif isinstance(value, str):
            if is_symbolic(value):
                ids = [m.group(1).split(".", 1)[0] for m in TOKEN.finditer(value)]
                foreign = [self.stack.resource_by_key(i) for i in ids] if self.stack is not None else []
                foreign = [r for r in foreign if r is not None]
                ids = [i for i in ids if i in self.resources]
                if foreign and not ids:
                    resource = foreign[-1]   # a name or ARN another template of the run exports
                elif ids:
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
            nxt, _ = (resource.graph or self).follow(target)
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

    # ------------------------------------------------------------ what the parameters switch off

    def switched_off(self, *types: str) -> list[Resource]:
        """Template resources of these types left out because their Condition is false with the given
        parameters (or the parameters' defaults): an alarm that exists only when a parameter is set.

        They are not part of the graph (no edges); read them like resources (``get``, ``entries``) to
        say what would be there, and ``why_off(resource.condition)`` says what turns them off.
        """
        if self._written_types is None:
            template_resources = self.template.get("Resources") if isinstance(self.template, dict) else None
            index: dict = {}
            for rank, (logical_id, body) in enumerate((template_resources or {}).items()):
                if isinstance(body, dict) and isinstance(body.get("Type"), str):
                    index.setdefault(body["Type"], []).append((rank, logical_id, body))
            self._written_types = index
        written = sorted(entry for t in dict.fromkeys(types) for entry in self._written_types.get(t, ()))
        out = []
        for _rank, logical_id, body in written:
            if logical_id in self.resources:
                continue
            condition = body.get("Condition")
            if not isinstance(condition, str):
                continue
            resource = Resource(str(logical_id), body["Type"], body.get("Properties"), node=body, condition=condition)
            resource.graph = self
            out.append(resource)
        return out

    def why_off(self, condition: str) -> str:
        """``the default of parameter AlarmEmail ('') turns it off``, when the parameters' defaults settle
        the condition to false; else ``condition HasAlarmEmail is false``."""
        resolver = self.resolver
        params = [p for p in dict.fromkeys(_refs(resolver.condition_defs.get(condition), resolver))
                  if p in resolver.parameter_defs]
        given = getattr(resolver, "parameters_given", {})
        defaults = [f"{p} ({_show_default(resolver.parameter_defs[p])})" for p in params if p not in given
                    and isinstance(resolver.parameter_defs[p], dict) and "Default" in resolver.parameter_defs[p]]
        if defaults:
            which = "parameter" if len(defaults) == 1 else "parameters"
            return f"the default of {which} {', '.join(defaults)} turns it off"
        return f"condition {condition} is false"

    def refers_to(self, value: Value, resource: Resource) -> bool:
        """Whether some case of a resolved reference names ``resource``."""
        return any(c.known and self.follow(c)[0] is resource for c in value)

    # ------------------------------------------------------------ locations for findings

    def location_of(self, subject, at: str | None = None) -> Location:
        if isinstance(subject, Location):
            return subject
        if isinstance(subject, Edge):
            holder = subject.via or subject.source
            return self.location_of(holder, at or subject.at or None)
        if isinstance(subject, Entry):
            return self.location_of(subject.resource, f"{subject.path}.{at}" if at else subject.path)
        if isinstance(subject, Resource):
            line, col = subject.position(at)
            path = subject.graph.path if subject.graph is not None else self.path   # its own template's file
            return Location(path, line, col, logical_id=subject.anchor[0] if subject.implicit else
                            subject.logical_id, pointer=subject.pointer(at))
        return Location(self.path, 1, 1)

    def logical_ids_of(self, subject) -> tuple[str, ...]:
        if isinstance(subject, Edge):
            return (subject.source.logical_id, subject.target.logical_id)
        if isinstance(subject, Resource):
            return (subject.logical_id,)
        if isinstance(subject, Entry):
            return (subject.resource.logical_id,)
        if isinstance(subject, Location) and subject.logical_id:
            return (subject.logical_id,)
        return ()


def _show_default(definition) -> str:
    default = definition.get("Default")
    return repr(default) if isinstance(default, str) else str(default)


def _refs(node, resolver, seen=None):
    """Names a condition refers to with ``Ref``, through the conditions it names."""
    seen = seen if seen is not None else set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Condition" and isinstance(value, str) and value not in seen:
                seen.add(value)
                yield from _refs(resolver.condition_defs.get(value), resolver, seen)
            else:
                yield from _refs(value, resolver, seen)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item, resolver, seen)


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


def own_graph(graph: Graph, resource) -> Graph:
    """The graph of ``resource``'s own template: helpers that judge a resource of another template of the run
    (reached through an import) read its route tables, rules and policies there, not in the caller's graph."""
    own = getattr(resource, "graph", None)
    return own if isinstance(own, Graph) else graph


def is_queue(resource: Resource | None) -> bool:
    return resource is not None and resource.type == QUEUE
