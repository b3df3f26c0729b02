"""Intrinsic functions, parameters, mappings and conditions → values with origins.

The resolver never raises on template content: anything it cannot work out (a parameter without a
value, ``Fn::ImportValue``, a dynamic reference, a reference cycle) becomes an :class:`Unknown` case with
the reason.
"""
from __future__ import annotations

import itertools
import json
import re

from .load import Mapping, Sequence
from .values import (MAX_CASES, Case, OneOf, ResourceRef, TooManyScenarios, Unknown, Value, combinations, conceal,
                     display, is_symbolic, merge_assumptions, token)

PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::StackId",
          "AWS::URLSuffix", "AWS::NotificationARNs")
NO_VALUE = object()  # AWS::NoValue: the property is treated as absent


class AzList(list):
    """``Fn::GetAZs``: the region's zones are unknown, but distinct indexes are distinct zones."""


class Resolver:
    def __init__(self, template: dict, parameters: dict | None = None, pseudo: dict | None = None,
                 parameter_source: str = "given on the command line", parameter_sources: dict | None = None,
                 stack=None):
        from .parameters import usable

        self.template = template
        self.parameters_given = dict(parameters or {})
        # A string, or a :class:`linter.parameters.ParameterSources` naming each value's source.
        self.parameter_source = parameter_source
        if parameter_sources:
            # Sources of single values (samconfig, the config's stacks: entry) over the run's (linter.stacks).
            from .stacks import TemplateSources

            self.parameter_source = TemplateSources(parameter_source, parameter_sources)
        # The template's place among the other templates of the run (linter.stacks.Scope), or None alone:
        # it answers Fn::ImportValue, SSM names, nested stacks' outputs and the parameters a parent passes.
        self.stack = stack
        # Its references name resources of this template: with other templates in the graph, say which.
        self.scope = getattr(stack, "label", None)
        self.pseudo = dict(pseudo or {})
        # ``-p AWS::Region=eu-west-1``: a pseudo parameter given like a parameter sets the pseudo parameter.
        for name in PSEUDO:
            if name in self.parameters_given and name not in self.pseudo:
                self.pseudo[name] = self.parameters_given.pop(name)
        params = template.get("Parameters")
        self.parameter_defs = params if isinstance(params, dict) else {}
        # A value that breaks the parameter's declaration is not used (the source records a warning).
        self.parameters_given = usable(self.parameters_given, self.parameter_defs, self.parameter_source)
        mappings = template.get("Mappings")
        self.mappings = mappings if isinstance(mappings, dict) else {}
        conditions = template.get("Conditions")
        self.condition_defs = conditions if isinstance(conditions, dict) else {}
        resources = template.get("Resources")
        self.resource_ids = set(resources) if isinstance(resources, dict) else set()
        self._conditions: dict[str, Value] = {}
        self._holds: dict[str, Value] = {}
        self._existence: dict[str, tuple] = {}
        self._active: set = set()
        self._cycles: dict[str, tuple[str, ...]] | None = None

    def add_resource_ids(self, ids) -> None:
        self.resource_ids.update(ids)

    # ------------------------------------------------------------ entry point

    def resolve(self, node, origin: str = "") -> Value:
        """Resolve a node to a value. ``origin`` describes a literal found at this place."""
        try:
            return self._resolve(node, origin, 0)
        except RecursionError:
            return Value.unknown("the expression is nested too deeply to resolve")

    def _resolve(self, node, origin, depth) -> Value:
        if depth > 60:
            return Value.unknown("the expression is nested too deeply to resolve")
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" or key == "Condition" or (isinstance(key, str) and key.startswith("Fn::")):
                    handler = _FUNCTIONS.get(key)
                    if handler is None:
                        return Value.unknown(f"{key} is not evaluated by this tool")
                    return handler(self, arg, depth + 1)
            return self._combine_mapping(node, origin, depth)
        if isinstance(node, list):
            return self._combine_list(node, origin, depth)
        if isinstance(node, str) and "{{resolve:" in node:
            handed_over = self.stack.dynamic_reference(node) if self.stack is not None else None
            if handed_over is not None:
                return handed_over
            return Value.unknown(f"dynamic reference {node.strip()!r} is resolved only at deploy time")
        return Value.known(node, origin)

    def _combine_list(self, items, origin, depth) -> Value:
        parts = [self._resolve(item, origin, depth + 1) for item in items]
        return _product(parts, lambda values: [v for v in values if v is not NO_VALUE], origin)

    def _combine_mapping(self, node, origin, depth) -> Value:
        keys = list(node)
        parts = [self._resolve(node[k], origin, depth + 1) for k in keys]

        def build(values):
            out = {}
            for k, v in zip(keys, values):
                if v is not NO_VALUE:
                    out[k] = v
            return out

        return _product(parts, build, origin)

    # ------------------------------------------------------------ parameters and conditions

    def ref(self, name, depth=0) -> Value:
        if not isinstance(name, str):
            return Value.unknown("Ref needs a name")
        if name == "AWS::NoValue":
            return Value.known(NO_VALUE)
        if name in PSEUDO:
            if name in self.pseudo:
                v = self.pseudo[name]
                if isinstance(v, Unknown):
                    return Value.unknown(v.reason)
                return Value.known(v, f"pseudo parameter {name} = {v}, {self.source_of(name)}"
                                   if self.source_of(name) else f"pseudo parameter {name}")
            if name == "AWS::NotificationARNs":
                return Value.unknown("AWS::NotificationARNs is known only at deploy time")
            return Value.known(token(name), f"pseudo parameter {name}")
        if name in self.parameter_defs:
            return self.parameter(name)
        if name in self.resource_ids:
            return Value.known(ResourceRef(name, None, self.scope), "")
        if "." in name and name.split(".", 1)[0] in self.resource_ids:
            # SAM: !Ref Function.Alias / Function.Version
            base, attr = name.split(".", 1)
            return Value.known(ResourceRef(base, attr, self.scope), "")
        return Value.unknown(f"Ref to {name!r}, which is neither a parameter nor a resource of this template")

    def source_of(self, name: str) -> str:
        """Where the given value of ``name`` came from ("from --parameter-file p.json"); "" for a pseudo
        parameter nobody gave."""
        source = self.parameter_source
        if isinstance(source, str):
            return source if name in self.parameters_given else ""
        return source.of(name) if name in self.parameters_given or name in source.by_name else ""

    def parameter(self, name: str) -> Value:
        from .parameters import is_noecho

        definition = self.parameter_defs.get(name)
        definition = definition if isinstance(definition, dict) else {}
        ptype = str(definition.get("Type", "String"))
        line = getattr(self.parameter_defs, "key_pos", {}).get(name, (0, 0))[0]
        where = f", line {line}" if line else ""
        passed = self.stack.passed_parameter(name) if self.stack is not None else None
        if passed is not None:
            return passed   # a nested stack: what its parent passes wins
        # NoEcho: the value is used, but every message shows it as **** (see linter.values.Concealed).
        shown = conceal if is_noecho(definition) else (lambda v: v)
        if name in self.parameters_given:
            given = self.parameters_given[name]
            if isinstance(given, Unknown):
                return Value.unknown(given.reason)
            source = self.source_of(name)
            if ptype.startswith("AWS::SSM::Parameter::Value") and self.stack is not None:
                handed_over = self.stack.ssm_value(str(given), f"parameter {name} = {given}, {source}")
                if handed_over is not None:
                    return handed_over
            return Value.known(shown(_coerce(given, ptype)), f"parameter {name} = {display(shown(given))}, {source}"
                               if not isinstance(given, (list, dict)) else f"parameter {name}, {source}")
        if ptype.startswith("AWS::SSM::Parameter::Value"):
            default = definition.get("Default")
            if self.stack is not None and isinstance(default, str):
                handed_over = self.stack.ssm_value(default, f"parameter {name} default{where}")
                if handed_over is not None:
                    return handed_over
            return Value.unknown(f"parameter {name} is read from SSM Parameter Store at deploy time")
        allowed = definition.get("AllowedValues")
        if isinstance(allowed, list) and allowed and all(not isinstance(a, (dict, list)) for a in allowed):
            key = ("parameter", name)
            return Value(Case(shown(_coerce(a, ptype)), f"parameter {name}, one of its AllowedValues{where}",
                              ((key, shown(a)),)) for a in allowed)
        if "Default" in definition and not isinstance(definition.get("Default"), (dict, list)):
            default = definition["Default"]
            return Value.known(shown(_coerce(default, ptype)), f"parameter {name} default{where}")
        return Value.unknown(f"parameter {name} has no Default and no value was given (--parameters {name}=...)")

    def condition(self, name) -> Value:
        """The condition as evaluated: true/false cases under the parameter values that decide them.

        A case is unknown when nothing in the template decides it (``AWS::Region``, a parameter with no
        value); :meth:`condition_holds` turns such a case into a free boolean.
        """
        if not isinstance(name, str) or name not in self.condition_defs:
            return Value.unknown(f"condition {name!r} is not defined")
        if name in self._conditions:
            return self._conditions[name]
        cycle = self.condition_cycles().get(name)
        if cycle is not None:
            # Every condition of a cycle is unknown, whichever is asked for first.
            return Value.unknown(f"condition {name} is part of the cycle {' → '.join(cycle)}")
        if name in self._active:
            return Value([Case(_Cycle(f"condition {name} refers to itself"), "")])
        self._active.add(name)
        try:
            raw = self._resolve(self.condition_defs[name], "", 1)
        finally:
            self._active.discard(name)
        cases = []
        for case in raw:
            if case.known and isinstance(case.value, bool):
                cases.append(Case(case.value, f"condition {name}", case.assumptions))
            elif case.known:
                cases.append(Case(Unknown(f"condition {name} does not evaluate to true or false"), "",
                                  case.assumptions))
            else:
                cases.append(case)
        value = Value(cases)
        self._conditions[name] = value
        return value

    def condition_cycles(self) -> dict[str, tuple[str, ...]]:
        """Each condition that is part of a reference cycle → that cycle, starting and ending with it."""
        if self._cycles is None:
            self._cycles = {}
            for cycle in condition_cycles(self.condition_defs):
                for member in cycle[:-1]:
                    self._cycles.setdefault(member, cycle)
        return self._cycles

    def condition_holds(self, name) -> Value:
        """The condition as true/false scenarios, for ``Fn::If``, ``Condition`` and resources.

        A case decided by parameters carries those parameters' values as assumptions. A case nothing
        decides becomes a free boolean keyed by the condition's name, so every use of the condition
        (an ``Fn::If``, a resource's ``Condition``, a ``Condition`` nested in another) is the same boolean
        and ``IsDev`` and ``Not IsDev`` never both hold. A condition that refers to itself stays unknown.
        """
        if not isinstance(name, str) or name not in self.condition_defs or name in self.condition_cycles():
            return self.condition(name)   # undefined, or part of a cycle: unknown, never a free boolean
        if name in self._active:
            return Value([Case(_Cycle(f"condition {name} refers to itself"), "")])
        if name in self._holds:
            return self._holds[name]
        key = ("condition", name)
        decided = []
        for case in self.condition(name):
            if case.known or isinstance(case.value, _Cycle):
                decided.append(case)
                continue
            for truth in (True, False):
                free = Case(truth, f"condition {name}", case.assumptions).with_assumptions(((key, truth),))
                if free is not None:
                    decided.append(free)
        decided = self._compact(name, list(dict.fromkeys(decided)))
        true = [c.assumptions for c in decided if c.known and c.value is True]
        existence = self._product_form(true) if all(c.known for c in decided) else None
        if not true:
            existence = ((key, True),)  # never true: the resource is left out of the graph
        elif existence is None:
            # The scenarios in which it is true are no single set of parameter values: name the
            # condition itself in every case, so a resource under it pairs with its Fn::If branches.
            decided = [c for c in (c.with_assumptions(((key, c.value),)) if c.known else c for c in decided)
                       if c is not None]
            existence = ((key, True),)
        self._existence[name] = existence
        value = Value(decided)
        self._holds[name] = value
        return value

    def existence(self, name) -> tuple:
        """The assumptions under which a resource with ``Condition: name`` exists (() when always).

        ``IsNotDev`` with ``Environment`` in {dev, build, production} gives
        ``(("parameter", "Environment"), OneOf({"build", "production"}))``.
        """
        if not isinstance(name, str) or name not in self.condition_defs:
            return ((("condition", name), True),)
        if name not in self._existence:
            self.condition_holds(name)
        return self._existence.get(name, ((("condition", name), True),))

    def _compact(self, name, cases) -> list:
        """Merge the true cases, and the false ones, into one case each when they form one set of choices."""
        if any(not c.known for c in cases):
            return cases
        out = []
        for truth in (True, False):
            group = [c for c in cases if c.value is truth]
            merged = self._product_form([c.assumptions for c in group]) if len(group) > 1 else None
            out += [Case(truth, f"condition {name}", merged)] if merged is not None else group
        return out

    def _product_form(self, scenarios: list) -> tuple | None:
        """Several assumption sets as one set of "one of" choices, or None when they are not one.

        Environment = build, or Environment = production, is Environment in {build, production};
        (Env prod and Size 20) or (Env dev and Size 10) is no single set, and gives None.
        """
        if not scenarios:
            return None
        if any(not a for a in scenarios):
            return ()
        keys = {tuple(k for k, _ in a) for a in scenarios}
        if len(keys) != 1:
            return None
        keys = next(iter(keys))
        # Each scenario is itself a product of choices ("one of" sets); the union is one product when
        # it has exactly as many single assignments as the product of each key's choices.
        atoms = set()
        for a in scenarios:
            atoms.update(itertools.product(*(_choices(v) for _, v in a)))
            if len(atoms) > MAX_CASES * 4:
                return None
        choices = {k: {atom[i] for atom in atoms} for i, k in enumerate(keys)}
        total = 1
        for values in choices.values():
            total *= len(values)
        if total != len(atoms):
            return None
        out = []
        for k in keys:
            values, domain = choices[k], self._domain(k)
            if values == domain:
                continue  # every value allowed: no constraint
            if k[0] == "condition" or (domain is None and len(values) == 1):
                out.append((k, next(iter(values))))
            else:
                out.append((k, OneOf(values, domain)))
        return tuple(out)

    def _domain(self, key) -> set | None:
        """Every choice an assumption key can take, when finite and known."""
        kind, name = key
        if kind == "condition":
            return {True, False}
        if kind == "parameter":
            definition = self.parameter_defs.get(name)
            allowed = definition.get("AllowedValues") if isinstance(definition, dict) else None
            return set(allowed) if isinstance(allowed, list) and name not in self.parameters_given else None
        if kind == "mapping":
            mapping = self.mappings.get(name)
            return set(mapping) if isinstance(mapping, dict) else None
        return None


def _choices(choice) -> tuple:
    return tuple(choice) if isinstance(choice, frozenset) else (choice,)


class _Cycle(Unknown):
    """A condition that refers to itself: an error in the template, never a free boolean."""


def _condition_references(node, out: list) -> list:
    """Names of the conditions a condition definition refers to, in the order written."""
    if isinstance(node, dict):
        for key, arg in node.items():
            if key == "Condition" and isinstance(arg, str):
                out.append(arg)
            elif key == "Fn::If" and isinstance(arg, list) and arg and isinstance(arg[0], str):
                out.append(arg[0])
                _condition_references(arg[1:], out)
            else:
                _condition_references(arg, out)
    elif isinstance(node, list):
        for item in node:
            _condition_references(item, out)
    return out


def condition_cycles(condition_defs: dict) -> list[tuple[str, ...]]:
    """The reference cycles among ``Conditions``, each as names from a condition back to itself
    (``("A", "B", "A")``), in template order, each cycle once.

    ``condition_cycles(template["Conditions"])`` → ``[("IsProd", "IsBig", "IsProd")]``
    """
    if not isinstance(condition_defs, dict):
        return []
    edges = {name: [n for n in dict.fromkeys(_condition_references(body, [])) if n in condition_defs]
             for name, body in condition_defs.items()}
    cycles, seen_members = [], set()
    done: set = set()

    def visit(name, path, on_path):
        # Depth-first, iterative over the children so deep chains do not exhaust Python's stack.
        stack = [(name, iter(edges.get(name, ())))]
        path.append(name)
        on_path[name] = len(path) - 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                del on_path[current]
                done.add(current)
                continue
            if child in on_path:
                cycle = tuple(path[on_path[child]:]) + (child,)
                if not seen_members & set(cycle):
                    cycles.append(cycle)
                    seen_members.update(cycle)
            elif child not in done:
                stack.append((child, iter(edges.get(child, ()))))
                path.append(child)
                on_path[child] = len(path) - 1

    for name in condition_defs:
        if name not in done:
            visit(name, [], {})
    return cycles


def _coerce(value, ptype: str):
    if isinstance(value, str):
        if ptype == "Number":
            try:
                number = float(value)
                return int(number) if number.is_integer() else number
            except ValueError:
                return value
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            return [v.strip() for v in value.split(",")] if value else []
    return value


def _product(parts: list[Value], build, origin: str) -> Value:
    if all(len(p.cases) == 1 for p in parts):
        assumptions = ()
        values = []
        for p in parts:
            c = p.cases[0]
            assumptions = merge_assumptions(assumptions, c.assumptions)
            values.append(c.value)
        return Value([Case(build(values), origin, assumptions or ())])
    out = []
    try:
        # Parts that read the same parameter pair up: Or of four Equals on one parameter with five
        # allowed values is five scenarios, not 625.
        for combo in combinations(*parts, limit=MAX_CASES * 4):
            assumptions = ()
            for c in combo:
                assumptions = merge_assumptions(assumptions, c.assumptions)
            # An unknown part leaves a marker inside the structure; the structure itself is known.
            out.append(Case(build([c.value for c in combo]), origin, assumptions))
    except TooManyScenarios:
        return Value.unknown(f"more than {MAX_CASES} condition scenarios")
    return Value(out)


# ---------------------------------------------------------------- intrinsic functions


def _fn_ref(r: Resolver, arg, depth):
    return r.ref(arg, depth)


def _fn_condition(r: Resolver, arg, depth):
    return r.condition_holds(arg)


def _fn_getatt(r: Resolver, arg, depth):
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2:
        return Value.unknown("Fn::GetAtt needs a resource and an attribute")
    resource, attribute = arg
    if isinstance(attribute, dict):
        attr = r._resolve(attribute, "", depth + 1).single
        attribute = attr if isinstance(attr, str) else None
    if not isinstance(resource, str) or not isinstance(attribute, str):
        return Value.unknown("Fn::GetAtt with a computed attribute name")
    if resource not in r.resource_ids:
        return Value.unknown(f"Fn::GetAtt to {resource!r}, which is not a resource of this template")
    if r.stack is not None and attribute.startswith("Outputs."):
        output = r.stack.child_output(resource, attribute[len("Outputs."):])
        if output is not None:
            return output   # a nested stack checked in the same run
    return Value.known(ResourceRef(resource, attribute, r.scope), "")


def _fn_if(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
        return Value.unknown("Fn::If needs [condition, value if true, value if false]")
    name = arg[0]
    out = []
    for case in r.condition_holds(name):
        if not case.known:
            out.append(case)
            continue
        index = 1 if case.value else 2
        line = arg.pos(index)[0] if hasattr(arg, "pos") else 0
        origin = f"Fn::If {name} {'true' if case.value else 'false'} branch" + (f", line {line}" if line else "")
        branch = r._resolve(arg[index], origin, depth + 1)
        for b in branch:
            merged = b.with_assumptions(case.assumptions)
            if merged is not None:
                out.append(merged)
    return Value(out)


def _fn_equals(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) != 2:
        return Value.unknown("Fn::Equals needs two values")
    left, right = r._resolve(arg[0], "", depth + 1), r._resolve(arg[1], "", depth + 1)

    def equal(values):
        a, b = values
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return a if isinstance(a, Unknown) else b
        if is_symbolic(a) or is_symbolic(b) or isinstance(a, ResourceRef) or isinstance(b, ResourceRef):
            if a == b:
                return True
            return Unknown("Fn::Equals compares a value known only at deploy time")
        return _norm(a) == _norm(b)

    return _product([left, right], equal, "")


def _norm(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _logic(kind):
    def fn(r: Resolver, arg, depth):
        if not isinstance(arg, list) or not arg:
            return Value.unknown(f"Fn::{kind} needs a list of conditions")
        parts = [r._resolve(a, "", depth + 1) for a in arg]

        def combine(values):
            unknown = next((v for v in values if isinstance(v, Unknown)), None)
            bools = [v for v in values if isinstance(v, bool)]
            if kind == "Not":
                return unknown if unknown else (not bools[0] if bools else Unknown("Fn::Not of a non-boolean"))
            if kind == "And":
                if any(b is False for b in bools):
                    return False
                return unknown if unknown else all(bools)
            if any(b is True for b in bools):
                return True
            return unknown if unknown else False

        return _product(parts, combine, "")

    return fn


def _fn_findinmap(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        return Value.unknown("Fn::FindInMap needs [map, top key, second key]")
    name, top, second = arg[:3]
    default = arg[3].get("DefaultValue") if len(arg) == 4 and isinstance(arg[3], dict) else None
    has_default = len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]
    mapping = r.mappings.get(name) if isinstance(name, str) else None
    if not isinstance(mapping, dict):
        return Value.unknown(f"mapping {name!r} is not defined")
    out = []
    for top_case in r._resolve(top, "", depth + 1):
        if top_case.known and isinstance(top_case.value, (dict, list)):
            out.append(Case(Unknown(f"Fn::FindInMap top-level key of {name} must be a string, not a "
                                    f"{'list' if isinstance(top_case.value, list) else 'mapping'}"),
                            "", top_case.assumptions))
            continue
        rows = ([(top_case.value, top_case.assumptions)] if top_case.known and not is_symbolic(top_case.value)
                else [(row, ((("mapping", name), row),)) for row in mapping])
        for row, row_assumptions in rows:
            row_assumptions = merge_assumptions(top_case.assumptions, row_assumptions)
            if row_assumptions is None:
                continue
            entries = mapping.get(_norm(row)) if not isinstance(row, Unknown) else None
            for second_case in r._resolve(second, "", depth + 1):
                assumptions = merge_assumptions(row_assumptions, second_case.assumptions)
                if assumptions is None:
                    continue
                if not second_case.known or is_symbolic(second_case.value):
                    out.append(Case(Unknown(f"Fn::FindInMap second key of {name} is known only at deploy time"),
                                    "", assumptions))
                    continue
                if isinstance(second_case.value, (dict, list)):
                    out.append(Case(Unknown(f"Fn::FindInMap second key of {name} must be a string, not a "
                                            f"{'list' if isinstance(second_case.value, list) else 'mapping'}"),
                                    "", assumptions))
                    continue
                key = _norm(second_case.value)
                if isinstance(entries, dict) and key in entries:
                    origin = f"Mappings.{name}.{display(row)}.{key}"
                    line = getattr(entries, "key_pos", {}).get(key, (0, 0))[0]
                    if line:
                        origin += f", line {line}"
                    for c in r._resolve(entries[key], origin, depth + 1):
                        merged = c.with_assumptions(assumptions)
                        if merged is not None:
                            out.append(merged)
                elif has_default:
                    for c in r._resolve(default, f"Fn::FindInMap DefaultValue for {name}", depth + 1):
                        merged = c.with_assumptions(assumptions)
                        if merged is not None:
                            out.append(merged)
                elif isinstance(row, Unknown):
                    out.append(Case(row, "", assumptions))
                else:
                    out.append(Case(Unknown(f"mapping {name} has no entry {display(row)}.{key}"), "", assumptions))
    return Value(out)


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _fn_sub(r: Resolver, arg, depth):
    if isinstance(arg, str):
        text, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        text, variables = arg
    else:
        return Value.unknown("Fn::Sub needs a string, or [string, variables]")
    if "{{resolve:" in text:
        return Value.unknown("a dynamic reference is resolved only at deploy time")
    pieces: list = []
    last = 0
    for m in _SUB_VAR.finditer(text):
        pieces.append(Value.known(text[last:m.start()]))
        name = m.group(1).strip()
        if name.startswith("!"):
            pieces.append(Value.known("${" + name[1:] + "}"))
        elif name in variables:
            pieces.append(r._resolve(variables[name], "", depth + 1))
        elif "." in name and name.split(".", 1)[0] in r.resource_ids:
            pieces.append(_fn_getatt(r, name.split(".", 1), depth + 1))
        else:
            pieces.append(r.ref(name, depth + 1))
        last = m.end()
    pieces.append(Value.known(text[last:]))
    return _concat(pieces, "Fn::Sub")


def _stringify(v):
    if isinstance(v, (Unknown, ResourceRef)):
        return v if isinstance(v, Unknown) else str(v)
    if v is NO_VALUE:
        return Unknown("AWS::NoValue inside a string")
    if isinstance(v, (dict, list)):
        return Unknown("a list or mapping inside a string")
    return display(v) if isinstance(v, (bool, float)) else str(v)


def _concat(pieces: list[Value], what: str) -> Value:
    def build(values):
        out = []
        for v in values:
            s = _stringify(v)
            if isinstance(s, Unknown):
                return s
            out.append(s)
        return "".join(out)

    value = _product(pieces, build, "")
    # Name the source of a computed string by the first origin it used (a parameter, a mapping...).
    origins = [c.origin for p in pieces for c in p.cases if c.origin]
    origin = f"{what} with {origins[0]}" if origins else what
    return Value(Case(c.value, origin, c.assumptions) if c.known else c for c in value.cases)


def _fn_join(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) != 2:
        return Value.unknown("Fn::Join needs [delimiter, list]")
    delimiter = r._resolve(arg[0], "", depth + 1)
    items = r._resolve(arg[1], "", depth + 1)

    def build(values):
        sep, seq = values
        if isinstance(sep, Unknown):
            return sep
        if isinstance(seq, Unknown):
            return seq
        if not isinstance(seq, list) or not isinstance(sep, str):
            return Unknown("Fn::Join needs a string delimiter and a list")
        out = []
        for v in seq:
            s = _stringify(v)
            if isinstance(s, Unknown):
                return s
            out.append(s)
        return sep.join(out)

    value = _product([delimiter, items], build, "")
    return Value(Case(c.value, "Fn::Join", c.assumptions) if c.known else c for c in value.cases)


def _fn_select(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) != 2:
        return Value.unknown("Fn::Select needs [index, list]")
    index, items = r._resolve(arg[0], "", depth + 1), r._resolve(arg[1], "", depth + 1)

    def build(values):
        i, seq = values
        if isinstance(i, Unknown):
            return i
        if isinstance(seq, Unknown):
            return seq
        try:
            i = int(i)
        except (TypeError, ValueError):
            return Unknown("Fn::Select index is not a number")
        if isinstance(seq, AzList):
            return token(f"Fn::GetAZs[{i}]")
        if not isinstance(seq, list):
            return Unknown("Fn::Select of something that is not a list")
        if not 0 <= i < len(seq):
            return Unknown(f"Fn::Select index {i} is outside the list")
        return seq[i]

    return _product([index, items], build, "")


def _fn_split(r: Resolver, arg, depth):
    if not isinstance(arg, list) or len(arg) != 2:
        return Value.unknown("Fn::Split needs [delimiter, string]")

    def build(values):
        sep, text = values
        for v in values:
            if isinstance(v, Unknown):
                return v
        if not isinstance(sep, str) or not isinstance(text, str) or is_symbolic(text) or not sep:
            return Unknown("Fn::Split of a string known only at deploy time")
        return text.split(sep)

    return _product([r._resolve(arg[0], "", depth + 1), r._resolve(arg[1], "", depth + 1)], build, "")


def _fn_getazs(r: Resolver, arg, depth):
    # The zones of the stack's region are unknown until deploy; an index into them is still distinct.
    return Value.known(AzList(), "Fn::GetAZs")


def _fn_base64(r: Resolver, arg, depth):
    return r._resolve(arg, "", depth + 1)


def _fn_tojson(r: Resolver, arg, depth):
    def build(v):
        try:
            return json.dumps(v, default=_json_part)
        except _UnknownPart as part:
            return part.unknown
        except (TypeError, ValueError):
            return Unknown("Fn::ToJsonString of a value that is not JSON")

    return r._resolve(arg, "", depth + 1).map(build)


class _UnknownPart(Exception):
    def __init__(self, unknown: Unknown):
        self.unknown = unknown


def _json_part(v):
    """Fn::ToJsonString: an unknown part makes the whole string unknown; references stay tokens."""
    if isinstance(v, Unknown):
        raise _UnknownPart(v)
    return str(v)


def _fn_length(r: Resolver, arg, depth):
    return r._resolve(arg, "", depth + 1).map(
        lambda v: len(v) if isinstance(v, list) else Unknown("Fn::Length of a value that is not a list"))


def _fn_import(r: Resolver, arg, depth):
    name = r._resolve(arg, "", depth + 1).single
    if r.stack is not None and isinstance(name, str) and not is_symbolic(name):
        exported = r.stack.import_value(name)
        if exported is not None:
            return exported   # another template of the run exports it
    what = f" {display(name)!r}" if isinstance(name, str) else ""
    return Value.unknown(f"Fn::ImportValue{what} is exported by another stack")


def _unknown(what):
    def fn(r, arg, depth):
        # A part the transforms left unexpanded carries its reason (linter.langext).
        return Value.unknown(arg.reason if isinstance(arg, Unknown) else f"{what} is not evaluated by this tool")

    return fn


_FUNCTIONS = {
    "Ref": _fn_ref, "Condition": _fn_condition, "Fn::GetAtt": _fn_getatt, "Fn::If": _fn_if,
    "Fn::Equals": _fn_equals, "Fn::And": _logic("And"), "Fn::Or": _logic("Or"), "Fn::Not": _logic("Not"),
    "Fn::FindInMap": _fn_findinmap, "Fn::Sub": _fn_sub, "Fn::Join": _fn_join, "Fn::Select": _fn_select,
    "Fn::Split": _fn_split, "Fn::GetAZs": _fn_getazs, "Fn::Base64": _fn_base64, "Fn::ToJsonString": _fn_tojson,
    "Fn::ImportValue": _fn_import, "Fn::Cidr": _unknown("Fn::Cidr"), "Fn::Transform": _unknown("Fn::Transform"),
    "Fn::Length": _fn_length, "Fn::ForEach": _unknown("Fn::ForEach"),
}
