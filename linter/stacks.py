"""Templates checked together: stack identity, exports and imports, nested stacks and SSM hand-offs.

Real applications are split into stacks: a network stack exports subnets that an application stack imports,
a monitoring stack alarms on queues another stack owns, a parent passes parameters to nested stacks. When
several templates are checked in one run, the templates linked by such hand-offs form a *group*
(:func:`group_templates`), and a group is checked as one graph (:func:`lint_group`):

- **Stack identity** (:func:`stack_identities`): a stack name, region and parameter values from a SAM config
  in the template's folder (``samconfig.toml``, else ``.yaml``/``.yml``; ``[<env>.deploy.parameters]``, else
  ``[<env>.global.parameters]``; ``<env>`` is ``--config-env``, default ``default``) or from the config file's
  ``stacks:`` table. Otherwise ``AWS::StackName`` stays unknown.
- **Parameter precedence**: ``-p`` > ``--parameter-file`` > the config's ``stacks:`` entry > the config's
  ``parameters`` > samconfig ``parameter_overrides`` > ``Default``. A nested child takes what its parent
  passes first, then its own defaults.
- ``Fn::ImportValue`` resolves to the output of the template in the run whose ``Export.Name`` resolves to
  the same text, with the resource behind it; ``{{resolve:ssm:NAME}}`` and ``AWS::SSM::Parameter::Value``
  parameters resolve to the ``Value`` of an ``AWS::SSM::Parameter`` named NAME in the run;
  ``!GetAtt Child.Outputs.X`` resolves to a local nested stack's output (``TemplateURL`` or ``Location``
  naming a file of the run).
- Resources stay keyed by their template: a reference into another template carries that template's label
  (:attr:`linter.values.ResourceRef.scope`), so equal logical ids of two templates never merge. A finding
  belongs to the file of its subject; other files appear in its related locations.

A template checked alone (a group of one) is checked exactly as before, apart from its stack identity.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
from dataclasses import dataclass, field

from .values import TOKEN, Case, ForeignRef, ResourceRef, Unknown, Value, is_symbolic, token

NESTED_STACK_TEMPLATE = {"AWS::CloudFormation::Stack": "TemplateURL", "AWS::Serverless::Application": "Location"}
SAMCONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
SSM_REFERENCE = re.compile(r"\{\{resolve:ssm:([^:}]+)(?::\d+)?\}\}")
CLI_SOURCE = "given on the command line"


# ---------------------------------------------------------------- stack identity


@dataclass
class StackIdentity:
    """What is known of the stack a template is deployed as, and where each part came from."""

    name: str | None = None
    region: str | None = None
    parameters: dict = field(default_factory=dict)   # name → text
    sources: dict = field(default_factory=dict)      # parameter name → where its value came from
    where: str = ""                                   # "samconfig.toml [default.deploy.parameters]"

    def pseudo(self) -> dict:
        out = {}
        if self.name:
            out["AWS::StackName"] = self.name
        if self.region:
            out["AWS::Region"] = self.region
        return out


class StackConfigError(Exception):
    """A samconfig file or ``stacks:`` entry that cannot be used; the message names the file."""


def read_samconfig(folder: str, env: str = "default") -> tuple[str, StackIdentity] | None:
    """The template a folder's SAM config deploys (an absolute path) and its identity, or None without one.

    ``read_samconfig("app", "prod")`` → ``("/…/app/template.yaml", StackIdentity(name="orders-prod", …))``.
    Raises :class:`StackConfigError` for a config that cannot be read.
    """
    for name in SAMCONFIG_NAMES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return _samconfig(path, env)
    return None


def _samconfig(path: str, env: str) -> tuple[str, StackIdentity]:
    from .config import ConfigError, _read_toml, _read_yaml

    try:
        data = _read_toml(path) if path.endswith(".toml") else _read_yaml(path)
    except ConfigError as exc:
        raise StackConfigError(str(exc)) from None
    section = data.get(env) if isinstance(data, dict) else None
    section = section if isinstance(section, dict) else {}
    tables = []
    for command in ("deploy", "global"):
        table = (section.get(command) or {}) if isinstance(section.get(command), dict) else {}
        params = table.get("parameters") if isinstance(table.get("parameters"), dict) else {}
        tables.append((f"{os.path.basename(path)} [{env}.{command}.parameters]", params))

    def setting(key):
        for where, params in tables:
            if params.get(key) not in (None, ""):
                return params[key], where
        return None, ""

    template_file, _ = setting("template_file")
    folder = os.path.dirname(os.path.abspath(path))
    template = os.path.normpath(os.path.join(folder, str(template_file or "template.yaml")))
    identity = StackIdentity(where=os.path.basename(path))
    name, where = setting("stack_name")
    if name:
        identity.name, identity.where = str(name), where
    region, _ = setting("region")
    identity.region = str(region) if region else None
    overrides, where = setting("parameter_overrides")
    for key, value in _overrides(overrides, path).items():
        identity.parameters[key] = value
        identity.sources[key] = f"from {where} parameter_overrides"
    return template, identity


def _overrides(value, path: str) -> dict:
    """``parameter_overrides``: ``"A=1 B=\\"two words\\""`` or a list of ``"A=1"`` items."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            items = shlex.split(value)
        except ValueError as exc:
            raise StackConfigError(f"{path}: parameter_overrides cannot be read: {exc}") from None
    elif isinstance(value, list):
        items = [str(v) for v in value]
    else:
        raise StackConfigError(f"{path}: parameter_overrides must be text or a list of KEY=VALUE")
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise StackConfigError(f"{path}: parameter_overrides item {item!r} is not KEY=VALUE")
        out[key] = text
    return out


def stack_identities(paths, config=None, env: str = "default") -> dict[str, StackIdentity]:
    """Each path's identity when one is known: the config's ``stacks:`` entry over the folder's samconfig.

    Keys are the paths as given. Raises :class:`StackConfigError` for a config that cannot be used.
    """
    out: dict[str, StackIdentity] = {}
    samconfigs: dict[str, tuple[str, StackIdentity] | None] = {}
    for path in paths:
        if path == "-":
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in samconfigs:
            samconfigs[folder] = read_samconfig(folder, env)
        found = samconfigs[folder]
        identity = None
        if found is not None and found[0] == os.path.abspath(path):
            identity = found[1]
        entry = _stacks_entry(path, config)
        if entry is not None:
            identity = _apply_entry(identity or StackIdentity(), *entry)
        if identity is not None:
            out[path] = identity
    return out


def _stacks_entry(path: str, config):
    stacks = getattr(config, "stacks", None) or {}
    full = os.path.abspath(path)
    for key, entry in stacks.items():
        pattern = os.path.normpath(os.path.join(config.root, key))
        if full == pattern or fnmatch.fnmatch(full, pattern):
            return key, entry, config
    return None


def _apply_entry(identity: StackIdentity, key: str, entry: dict, config) -> StackIdentity:
    from .config import parameter_text

    where = f"{os.path.basename(config.path or 'config')} stacks: {key}"
    cited = f"from {where}"
    out = StackIdentity(identity.name, identity.region, dict(identity.parameters), dict(identity.sources),
                        identity.where)
    if entry.get("stack-name"):
        out.name, out.where = str(entry["stack-name"]), where
    if entry.get("region"):
        out.region = str(entry["region"])
    layers = []
    if entry.get("parameter-file"):
        file = os.path.join(config.root, str(entry["parameter-file"]))
        layers.append((read_parameter_file(file), f"{cited} parameter-file {entry['parameter-file']}"))
    layers.append(({str(k): parameter_text(v) for k, v in (entry.get("parameters") or {}).items()}, cited))
    for values, source in layers:
        for name, value in values.items():
            out.parameters[name] = value
            out.sources[name] = source
    return out


def read_parameter_file(path: str) -> dict:
    """CloudFormation CLI JSON (``[{"ParameterKey", "ParameterValue"}]``) or ``{"Parameters": {...}}``."""
    from .config import parameter_text

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise StackConfigError(f"cannot read parameter file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise StackConfigError(f"parameter file {path} is not valid JSON: {exc}") from None
    if isinstance(data, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in data):
        return {str(i["ParameterKey"]): parameter_text(i["ParameterValue"]) for i in data if "ParameterValue" in i}
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): parameter_text(v) for k, v in data["Parameters"].items()}
    raise StackConfigError(f'parameter file {path}: expected [{{"ParameterKey", "ParameterValue"}}] or '
                           '{"Parameters": {...}}')


def template_parameters(identity: StackIdentity | None, config=None, given: dict | None = None,
                        given_sources: dict | None = None) -> tuple[dict, dict, dict]:
    """(parameters, their sources, pseudo parameters) of one template, in the documented precedence.

    ``given`` are ``--parameter-file`` and ``-p`` values already merged (``-p`` winning); ``config``'s
    ``parameters`` apply to every template.
    """
    parameters: dict = {}
    sources: dict = {}
    if identity is not None:
        samconfig = {k: v for k, v in identity.parameters.items() if "stacks:" not in identity.sources.get(k, "")}
        for name, value in samconfig.items():
            parameters[name], sources[name] = value, identity.sources[name]
    for name, value in (getattr(config, "parameters", None) or {}).items():
        parameters[name] = value
        sources.pop(name, None)   # cited as before: "given on the command line"
    if identity is not None:
        for name, value in identity.parameters.items():
            if "stacks:" in identity.sources.get(name, ""):
                parameters[name], sources[name] = value, identity.sources[name]
    for name, value in (given or {}).items():
        parameters[name] = value
        sources.pop(name, None)
        if given_sources and name in given_sources:
            sources[name] = given_sources[name]
    pseudo = identity.pseudo() if identity is not None else {}
    for name in list(pseudo):
        if name in parameters:
            del pseudo[name]   # -p AWS::Region=… (or --region) beats the samconfig region
    if "AWS::StackName" in pseudo and identity.where:
        sources["AWS::StackName"] = f"from {identity.where}"
    return parameters, sources, pseudo


class TemplateSources:
    """Where one template's parameter values came from: its own (samconfig, the config's ``stacks:`` entry)
    over the run's (a text, or a :class:`linter.parameters.ParameterSources`, which also keeps the warnings)."""

    def __init__(self, run, own: dict):
        self.run = run
        self.own = dict(own)
        self.by_name = {**getattr(run, "by_name", {}), **self.own}
        self.default = run if isinstance(run, str) else getattr(run, "default", CLI_SOURCE)

    def of(self, name: str) -> str:
        if name in self.own:
            return self.own[name]
        return self.run.of(name) if hasattr(self.run, "of") else self.run

    def flag(self, name: str) -> str:
        if name in self.own:
            return self.own[name][len("from "):] if self.own[name].startswith("from ") else self.own[name]
        return self.run.flag(name) if hasattr(self.run, "flag") else self.of(name)

    def warn(self, message: str) -> None:
        if hasattr(self.run, "warn"):
            self.run.warn(message)

    def take_warnings(self) -> list[str]:
        return self.run.take_warnings() if hasattr(self.run, "take_warnings") else []


# ---------------------------------------------------------------- what links templates


@dataclass
class Links:
    """What one template hands over to, and takes from, others (names as resolved with its parameters)."""

    exports: set = field(default_factory=set)
    imports: set = field(default_factory=set)
    ssm_written: set = field(default_factory=set)
    ssm_read: set = field(default_factory=set)
    children: set = field(default_factory=set)   # absolute paths of local nested stack templates


def template_links(path: str, template: dict, parameters=None, pseudo=None) -> Links:
    """The export names, imports, SSM names and nested templates of one parsed template."""
    from .resolve import Resolver

    resolver = Resolver(template, parameters, pseudo)
    links = Links()
    for _output, name, _node in exports_of(template, resolver):
        links.exports.add(name)
    resources = template.get("Resources")
    for logical_id, body in (resources.items() if isinstance(resources, dict) else ()):
        if not isinstance(body, dict):
            continue
        props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        if body.get("Type") == "AWS::SSM::Parameter" and "Name" in props:
            name = _text(resolver.resolve(props["Name"]))
            if name:
                links.ssm_written.add(name)
        child = nested_template_path(path, body)
        if child:
            links.children.add(child)
    _walk_reads(template.get("Resources"), resolver, links)
    _walk_reads(template.get("Outputs"), resolver, links)
    params = template.get("Parameters")
    for name, definition in (params.items() if isinstance(params, dict) else ()):
        if isinstance(definition, dict) and str(definition.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            value = (parameters or {}).get(name, definition.get("Default"))
            if isinstance(value, str):
                links.ssm_read.add(value)
    return links


def _walk_reads(node, resolver, links: Links, depth: int = 0) -> None:
    if depth > 60:
        return
    if isinstance(node, dict):
        if len(node) == 1 and "Fn::ImportValue" in node:
            name = _text(resolver.resolve(node["Fn::ImportValue"]))
            if name:
                links.imports.add(name)
            return
        for value in node.values():
            _walk_reads(value, resolver, links, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _walk_reads(value, resolver, links, depth + 1)
    elif isinstance(node, str) and "{{resolve:ssm:" in node:
        links.ssm_read.update(m.group(1) for m in SSM_REFERENCE.finditer(node))


def _text(value: Value) -> str | None:
    """A resolved name: one known, fully literal string."""
    single = value.single
    return single if isinstance(single, str) and not is_symbolic(single) else None


def exports_of(template: dict, resolver):
    """``(output name, export name, output node)`` for every output whose ``Export.Name`` resolves to text."""
    outputs = template.get("Outputs")
    for output, node in (outputs.items() if isinstance(outputs, dict) else ()):
        export = node.get("Export") if isinstance(node, dict) else None
        if isinstance(export, dict) and "Name" in export:
            name = _text(resolver.resolve(export["Name"]))
            if name:
                yield str(output), name, node


def nested_template_path(parent_path: str, body: dict) -> str | None:
    """The absolute path of a nested stack's local template (``TemplateURL: ./child.yaml`` before
    ``package``), or None for an S3 or HTTPS URL, or a computed one."""
    kind = body.get("Type") if isinstance(body, dict) else None
    prop = NESTED_STACK_TEMPLATE.get(kind) if isinstance(kind, str) else None
    props = body.get("Properties") if prop else None
    url = props.get(prop) if isinstance(props, dict) else None
    if not isinstance(url, str) or not url.strip() or "://" in url or url.startswith("s3:"):
        return None
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(parent_path)), url.strip()))


def group_templates(paths, config=None, *, config_env: str = "default", parameters: dict | None = None,
                    identities: dict | None = None) -> list[list[str]]:
    """The run's templates in groups that must be checked together; every other template is a group of one.

    Templates are linked when one imports what another exports, one reads an SSM parameter another writes,
    or one is a local nested stack of another. Paths keep the order given, and so do the groups (by their
    first path). A file that cannot be read or parsed is a group of one (checking it says why).

    ``group_templates(["net.yaml", "app.yaml", "other.yaml"])`` → ``[["net.yaml", "app.yaml"], ["other.yaml"]]``
    """
    paths = list(paths)
    if len(paths) < 2:
        return [paths] if paths else []
    if identities is None:
        try:
            identities = stack_identities(paths, config, config_env)
        except StackConfigError:
            identities = {}
    links = {}
    for path in paths:
        template = _read_template(path)
        if template is None:
            continue
        params, _sources, pseudo = template_parameters(identities.get(path), config, parameters)
        try:
            links[path] = template_links(path, template, params, pseudo)
        except Exception:  # noqa: BLE001  a template we cannot read links from is checked alone, which says why
            continue
    return _groups(paths, links)


def _groups(paths: list, links: dict) -> list[list]:
    """Union the paths whose :class:`Links` meet; groups in the order of their first path."""
    parent = {p: p for p in paths}

    def root(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def join(a, b):
        ra, rb = root(a), root(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=paths.index)
            parent[second] = first

    by_abspath = {os.path.abspath(p): p for p in paths}
    exporters: dict[str, list[str]] = {}
    writers: dict[str, list[str]] = {}
    for path, link in links.items():
        for name in link.exports:
            exporters.setdefault(name, []).append(path)
        for name in link.ssm_written:
            writers.setdefault(name, []).append(path)
    for path, link in links.items():
        for name in link.imports:
            for other in exporters.get(name, ()):
                join(path, other)
        for name in link.ssm_read:
            for other in writers.get(name, ()):
                join(path, other)
        for child in link.children:
            if child in by_abspath:
                join(path, by_abspath[child])
        for name in link.exports:   # two templates exporting one name: the clash is reported
            for other in exporters.get(name, ()):
                join(path, other)
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(root(path), []).append(path)
    return list(groups.values())


def _read_template(path: str):
    from .api import read_text
    from .load import ParseError, decode

    if path == "-":
        return None
    try:
        with open(path, "rb") as handle:
            text = decode(handle.read())
    except (OSError, ParseError):
        return None
    template = read_text(text, path)
    return template if isinstance(template, dict) else None


# ---------------------------------------------------------------- one template among others


class Group:
    """The templates checked together, each with its :class:`Scope`."""

    def __init__(self):
        self.scopes: dict[str, Scope] = {}
        self.ready = False          # every template has its resources: imports and outputs may be read
        self._exports: dict | None = None
        self._ssm: dict | None = None
        self._busy: set = set()     # hand-offs being resolved (a cycle gives an unknown)
        self.external_export = None  # name → (value, exporting stack) or None, for exports outside the run

    def add(self, path: str, template: dict, identity: StackIdentity | None) -> "Scope":
        base = identity.name if identity is not None and identity.name else os.path.splitext(path)[0]
        label = re.sub(r"[^A-Za-z0-9/_-]+", "-", base).strip("-/") or "template"
        label = f"t-{label}" if label.startswith("AWS") else label   # never mistaken for AWS::Region …
        unique, n = label, 2
        while unique in self.scopes:
            unique, n = f"{label}-{n}", n + 1
        scope = Scope(self, unique, path, template, identity)
        self.scopes[unique] = scope
        return scope

    def exports(self) -> dict[str, list[tuple["Scope", str, dict]]]:
        """Export name → every (scope, output name, output node) that exports it."""
        if self._exports is None:
            found: dict = {}
            for scope in self.scopes.values():
                if scope.graph is None:
                    continue
                for output, name, node in exports_of(scope.graph.template, scope.graph.resolver):
                    found.setdefault(name, []).append((scope, output, node))
            self._exports = found
        return self._exports

    def ssm_parameters(self) -> dict[str, list[tuple["Scope", object]]]:
        """SSM parameter name → every (scope, resource) of the run that writes it."""
        if self._ssm is None:
            found: dict = {}
            for scope in self.scopes.values():
                for resource in (scope.graph.of_type("AWS::SSM::Parameter") if scope.graph is not None else ()):
                    name = _text(resource.get("Name", default=False))
                    if name:
                        found.setdefault(name, []).append((scope, resource))
            self._ssm = found
        return self._ssm

    def guarded(self, key, compute):
        """``compute()``, or an unknown when ``key`` is already being resolved (hand-offs that go round in a cycle)."""
        if key in self._busy:
            return Value.unknown(f"{key[0]} {key[1]!r} is handed over in a cycle")
        self._busy.add(key)
        try:
            return compute()
        finally:
            self._busy.discard(key)


class Scope:
    """One template's place in a :class:`Group`: what the resolver and the graph ask of the others."""

    def __init__(self, group: Group, label: str, path: str, template: dict, identity: StackIdentity | None):
        self.group = group
        self.label = label
        self.path = path
        self.template = template
        self.identity = identity
        self.graph = None
        self.parents: list[tuple[Scope, str]] = []     # (parent scope, logical id of the nested stack)
        self.children: dict[str, Scope] = {}           # logical id → the child's scope

    # -- naming
    def describe(self, label: str | None = None) -> str:
        scope = self.group.scopes.get(label or self.label)
        return f"{scope.path}" if scope is not None else str(label)

    def resource(self, label: str, logical_id: str):
        scope = self.group.scopes.get(label)
        return scope.graph.resources.get(logical_id) if scope is not None and scope.graph is not None else None

    def resource_by_key(self, key: str):
        """The resource a qualified token names (``network::PrivateSubnet``), or None."""
        label, sep, logical_id = key.rpartition("::")
        return self.resource(label, logical_id) if sep and label in self.group.scopes else None

    def graphs(self) -> list:
        """The graphs of every template of the group (this one's included)."""
        return [s.graph for s in self.group.scopes.values() if s.graph is not None]

    # -- hand-offs
    def import_value(self, name: str) -> Value | None:
        """The value another template of the run exports under ``name``, or None when none does."""
        if not self.group.ready:
            return None
        found = [e for e in self.group.exports().get(name, ()) if e[0] is not self]
        if not found:
            return self._external_import(name)
        if len(found) > 1:
            paths = ", ".join(sorted({s.path for s, _o, _n in found}))
            return Value.unknown(f"Fn::ImportValue {name!r}: several templates of the run export it ({paths})")
        scope, output, node = found[0]

        def compute():
            line = _line(scope.template.get("Outputs"), output)
            origin = f"export {name} of {scope.path} (Outputs.{output}{', line ' + str(line) if line else ''})"
            return scope.hand_over(scope.graph.resolver.resolve(node.get("Value"), ""), origin)

        return self.group.guarded(("export", name), compute)

    def _external_import(self, name: str) -> Value | None:
        """An export of a stack outside the run, when the run can ask for it (an audit: ListExports)."""
        lookup = getattr(self.group, "external_export", None)
        found = lookup(name) if lookup is not None else None
        if found is None:
            return None
        value, exporter = found
        return Value.known(value, f"export {name} of deployed stack {exporter} (ListExports)")

    def ssm_value(self, name: str, read_as: str = "") -> Value | None:
        """The ``Value`` of the ``AWS::SSM::Parameter`` of another template named ``name``, or None."""
        if not self.group.ready:
            return None
        found = [e for e in self.group.ssm_parameters().get(name, ()) if e[0] is not self]
        if len(found) != 1:
            return None if not found else Value.unknown(f"SSM parameter {name!r} is written by several templates")
        scope, resource = found[0]

        def compute():
            line = resource.position("Value")[0]
            origin = (f"SSM parameter {name} written by {scope.path} ({resource.logical_id}.Value"
                      f"{', line ' + str(line) if line else ''})" + (f", read as {read_as}" if read_as else ""))
            return scope.hand_over(resource.get("Value", default=False), origin)

        return self.group.guarded(("ssm", name), compute)

    def dynamic_reference(self, text: str) -> Value | None:
        """``{{resolve:ssm:NAME}}`` (the whole string) as the value another template writes, or None."""
        match = SSM_REFERENCE.fullmatch(text.strip())
        return self.ssm_value(match.group(1)) if match else None

    def child_output(self, logical_id: str, output: str) -> Value | None:
        """``!GetAtt Child.Outputs.X`` of a local nested stack checked in the run, or None."""
        child = self.children.get(logical_id)
        if child is None or not self.group.ready or child.graph is None:
            return None
        outputs = child.template.get("Outputs")
        node = outputs.get(output) if isinstance(outputs, dict) else None
        if not isinstance(node, dict) or "Value" not in node:
            return Value.unknown(f"nested stack {logical_id} ({child.path}) has no output {output}")

        def compute():
            line = _line(outputs, output)
            origin = (f"output {output} of nested stack {logical_id} ({child.path}"
                      f"{', line ' + str(line) if line else ''})")
            return child.hand_over(child.graph.resolver.resolve(node["Value"], ""), origin)

        return self.group.guarded(("output", f"{child.label}.{output}"), compute)

    def passed_parameter(self, name: str) -> Value | None:
        """What the parent stack passes for parameter ``name`` of this nested stack, or None."""
        if not self.parents:
            return None
        if len(self.parents) > 1:
            return Value.unknown(f"parameter {name} is passed by {len(self.parents)} parent stacks "
                                 f"({', '.join(p.path for p, _ in self.parents)})")
        parent, logical_id = self.parents[0]
        passed = nested_parameters(parent.template, logical_id)
        if not isinstance(passed, dict) or name not in passed:
            return None

        def compute():
            line = _line(passed, name)
            origin = (f"passed by parent stack {parent.path} (Resources.{logical_id}.Parameters.{name}"
                      f"{', line ' + str(line) if line else ''})")
            resolver = parent.graph.resolver if parent.graph is not None else parent.resolver()
            return parent.hand_over(resolver.resolve(passed[name], ""), origin)

        return self.group.guarded(("parameter", f"{self.label}.{name}"), compute)

    def resolver(self):
        from .resolve import Resolver

        if not hasattr(self, "_resolver"):
            item = self.input
            self._resolver = Resolver(self.template, item.parameters, item.pseudo, item.parameter_source,
                                      item.sources, self)
        return self._resolver

    def hand_over(self, value: Value, origin: str) -> Value:
        """This template's value as another template sees it: cited by ``origin``, its references and
        scenario keys qualified by this template's label so they never meet the reader's own."""
        out = []
        for case in value:
            assumptions = tuple(((kind, f"{self.label}::{name}"), choice) for (kind, name), choice in case.assumptions)
            if not case.known:
                out.append(Case(Unknown(f"{origin}: {case.value.reason}"), "", assumptions))
                continue
            shown = f"{origin}: {case.origin}" if case.origin else origin
            out.append(Case(self._qualified(case.value), shown, assumptions))
        return Value(out)

    def _qualified(self, value):
        if isinstance(value, ResourceRef):
            return ForeignRef(value.logical_id, value.attribute, value.scope or self.label)
        if isinstance(value, str) and is_symbolic(value):
            return TOKEN.sub(lambda m: m.group(0) if m.group(1).startswith("AWS::") or "::" in m.group(1)
                             else token(f"{self.label}::{m.group(1)}"), value)
        if isinstance(value, list):
            return [self._qualified(v) for v in value]
        if isinstance(value, dict):
            return {k: self._qualified(v) for k, v in value.items()}
        return value


def nested_parameters(template: dict, logical_id: str):
    """The ``Parameters`` mapping a parent passes to nested stack ``logical_id`` (None when absent)."""
    resources = template.get("Resources")
    body = resources.get(logical_id) if isinstance(resources, dict) else None
    props = body.get("Properties") if isinstance(body, dict) else None
    return props.get("Parameters") if isinstance(props, dict) else None


def _line(mapping, key) -> int:
    return getattr(mapping, "key_pos", {}).get(key, (0, 0))[0] if mapping is not None else 0


# ---------------------------------------------------------------- checking a group


def lint_group(paths, *, rules=None, rule_options=None, config=None, config_env: str = "default",
               given: dict | None = None, given_sources: dict | None = None, identities: dict | None = None,
               parameter_source=CLI_SOURCE) -> list:
    """Check the templates of one group (see :func:`group_templates`) together: a FileResult per path, in order.

    ``given`` are the ``--parameter-file``, ``--region`` and ``-p`` values (``-p`` winning) and
    ``parameter_source`` where they came from (a :class:`linter.parameters.ParameterSources`), ``config`` the
    :class:`linter.config.Config` (its ``parameters`` and ``stacks:``), ``identities`` the stack identities
    when already read (:func:`stack_identities`). A group of one is checked as :func:`linter.api.lint_file`
    checks a file.

    ``lint_group(["net.yaml", "app.yaml"], rules=all_rules())`` → ``[FileResult(net.yaml), FileResult(app.yaml)]``
    """
    from .api import lint_file

    paths = list(paths)
    if identities is None:
        identities = stack_identities(paths, config, config_env)
    if len(paths) == 1:
        parameters, sources, pseudo = template_parameters(identities.get(paths[0]), config, given, given_sources)
        return [lint_file(paths[0], parameters=parameters, pseudo=pseudo or None, rules=rules,
                          rule_options=rule_options, parameter_source=parameter_source,
                          parameter_sources=sources or None)]
    return _lint_together(paths, rules, rule_options, config, given, given_sources, identities, parameter_source)


@dataclass
class TemplateInput:
    """One template to check with others: already parsed, with its parameters and identity.

    ``children`` maps a nested stack's logical id to the ``path`` of its template's input when the link is
    known some other way than a local ``TemplateURL`` (an audit: the deployed nested stack).
    """

    path: str
    template: dict
    text: str | None = None
    parameters: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    pseudo: dict = field(default_factory=dict)
    parameter_source: str = CLI_SOURCE
    identity: StackIdentity | None = None
    children: dict = field(default_factory=dict)


def _lint_together(paths, rules, rule_options, config, given, given_sources, identities,
                   parameter_source=CLI_SOURCE) -> list:
    from .api import lint_file, read_text
    from .load import ParseError, decode

    results: dict = {}
    inputs = []
    for path in paths:
        template, text = None, None
        try:
            with open(path, "rb") as handle:
                text = decode(handle.read())
            template = read_text(text, path)
        except (OSError, ParseError):
            pass
        identity = identities.get(path)
        parameters, sources, pseudo = template_parameters(identity, config, given, given_sources)
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            # Unreadable, not a template, a parse error: checked alone says exactly why.
            results[path] = lint_file(path, parameters=parameters, pseudo=pseudo or None, rules=rules,
                                      rule_options=rule_options, parameter_source=parameter_source,
                                      parameter_sources=sources or None)
            continue
        inputs.append(TemplateInput(path, template, text, parameters, sources, pseudo, parameter_source,
                                    identity=identity))
    for result in lint_inputs(inputs, rules=rules, rule_options=rule_options):
        results[result.path] = result
    return [results[p] for p in paths]


def lint_inputs(inputs, *, rules=None, rule_options=None, external_export=None) -> list:
    """Check parsed templates together as one group: a FileResult per input, in order.

    ``external_export(name)`` may answer an import no input exports: ``(value, who exports it)`` or None
    (an audit asks CloudFormation ListExports). Nested stacks are linked by a local ``TemplateURL`` naming
    another input's path, or by an input's ``children``.
    """
    from .api import FileResult, _internal_error, parse_finding, structure_findings
    from .build import graph_resources, link_graph
    from .engine import all_rules, run_rules

    rules = rules if rules is not None else all_rules()
    results: dict = {}
    group = Group()
    group.external_export = external_export
    scopes: list[Scope] = []
    for item in inputs:
        result = FileResult(item.path, "linted", text=item.text, template=item.template)
        results[item.path] = result
        scope = group.add(item.path, item.template, item.identity)
        scope.input, scope.result = item, result
        scopes.append(scope)
    by_path = {s.path: s for s in scopes}
    by_abspath = {os.path.abspath(s.path): s for s in scopes}
    for scope in scopes:
        links = dict(scope.input.children)
        for logical_id, body in scope.template["Resources"].items():
            local = nested_template_path(scope.path, body)
            if local and local in by_abspath:
                links.setdefault(str(logical_id), by_abspath[local].path)
        for logical_id, child_path in links.items():
            child = by_path.get(child_path)
            if child is not None and child is not scope:
                scope.children[logical_id] = child
                child.parents.append((scope, logical_id))

    for scope in scopes:
        result, item = scope.result, scope.input
        try:
            result.findings.extend(structure_findings(scope.template, scope.path))
        except Exception as exc:  # a bug of ours: say so, and still check the rest
            _internal_error(result, "the template's structure", exc)
        try:
            scope.graph = graph_resources(scope.path, scope.template, item.parameters, item.pseudo or None,
                                          item.parameter_source, item.sources or None, scope)
        except RecursionError:
            result.findings.append(parse_finding(scope.path, "the template's references are nested too deeply "
                                                             "to resolve"))
            result.status = "parse-error"
        except Exception as exc:  # a bug of ours must not cost the user the other files
            _internal_error(result, "the template (building the resource graph)", exc)
    group.ready = True
    built = [s for s in scopes if s.graph is not None]
    for scope in list(built):
        try:
            link_graph(scope.graph)
        except RecursionError:
            scope.result.findings.append(parse_finding(scope.path, "the template's references are nested too "
                                                                   "deeply to resolve"))
            scope.result.status = "parse-error"
            built.remove(scope)
        except Exception as exc:
            _internal_error(scope.result, "the template (building the resource graph)", exc)
            built.remove(scope)
    produced = []
    for scope in built:
        scope.result.graph = scope.graph   # what the rules ran on, for drawings (as lint_file keeps it)
        outcome = run_rules(scope.graph, rules, rule_options)
        produced.append((scope.result, outcome))
        scope.result.errors.extend(f"{scope.path}: {e}" for e in outcome.errors)
    _distribute(produced, results)
    return [results[item.path] for item in inputs]


def group_inputs(inputs) -> list[list]:
    """:class:`TemplateInput` objects in groups, as :func:`group_templates` groups files."""
    keyed = {}
    for item in inputs:
        try:
            links = template_links(item.path, item.template, item.parameters, item.pseudo)
        except Exception:  # noqa: BLE001  checked alone, the template says what is wrong with it
            links = Links()
        links.children.update(os.path.abspath(p) for p in item.children.values())
        keyed[item.path] = links
    index = {item.path: item for item in inputs}
    return [[index[path] for path in group] for group in _groups(list(index), keyed)]


def _distribute(produced, results: dict) -> None:
    """Give each finding and not-evaluated record to the file of its subject, once."""
    seen_findings, seen_unknowns = set(), set()
    for result, outcome in produced:
        for finding in outcome.findings:
            home = results.get(finding.location.path, result)
            key = (finding.fingerprint, finding.message)
            if key in seen_findings:
                continue
            seen_findings.add(key)
            home.findings.append(finding)
        for record in outcome.not_evaluated:
            home = results.get(record.location.path, result)
            key = (record.code, record.location.path, record.location.logical_id, record.location.pointer,
                   record.reason)
            if key in seen_unknowns:
                continue
            seen_unknowns.add(key)
            home.not_evaluated.append(record)


# ---------------------------------------------------------------- what the CloudFormation rules ask


@dataclass
class ExportClash:
    """An export name given by this template's output and by other outputs of the same account and region."""

    name: str
    output: str
    location: object                 # linter.findings.Location of this output's Export.Name
    others: list = field(default_factory=list)   # Locations of the other outputs exporting it


def export_clashes(graph) -> list[ExportClash]:
    """Exports of ``graph``'s template whose name another output exports too: in the same template, or in
    another template of the run deployed to the same region (when both regions are known they must match).

    ``for clash in export_clashes(graph): ctx.finding(clash.location, …, related=clash.others)``
    """
    scope = getattr(graph, "stack", None)
    mine = list(exports_of(graph.template, graph.resolver))
    if scope is None:
        everyone = {}
        for output, name, _node in mine:
            everyone.setdefault(name, []).append((None, output))
    else:
        everyone = {name: [(s, o) for s, o, _n in found] for name, found in scope.group.exports().items()}
    out = []
    for output, name, _node in mine:
        others = [(s, o) for s, o in everyone.get(name, ()) if not (o == output and s in (None, scope))
                  and _same_region(scope, s)]
        if others:
            out.append(ExportClash(name, output, _output_location(graph.template, graph.path, output),
                                   [_output_location(s.template if s else graph.template, s.path if s else graph.path,
                                                     o, f"also exports {name}") for s, o in others]))
    return out


def _same_region(mine, other) -> bool:
    regions = [getattr(getattr(s, "identity", None), "region", None) for s in (mine, other)]
    return None in regions or regions[0] == regions[1]


def _output_location(template, path: str, output: str, note: str = ""):
    from .findings import Location

    outputs = template.get("Outputs")
    node = outputs.get(output) if isinstance(outputs, dict) else None
    export = node.get("Export") if isinstance(node, dict) else None
    if isinstance(export, dict) and hasattr(export, "pos") and "Name" in export:
        line, column = export.pos("Name")
    else:
        line, column = (outputs.pos(output) if hasattr(outputs, "pos") else (1, 1))
    return Location(path, line, column, logical_id=output, pointer=f"Outputs/{output}/Export/Name", note=note)


@dataclass
class NestedParameterProblem:
    """A parameter a parent passes that its nested stack does not declare, or a required one it omits."""

    stack: object          # the nested stack resource of the parent (linter.graph.Resource)
    parameter: str
    kind: str              # "undeclared" | "missing"
    child_path: str
    child_location: object  # linter.findings.Location of the child's Parameters entry (or its template)


def nested_stack_children(graph) -> list[tuple[object, str, dict | None]]:
    """(nested stack resource, child template path, child template or None when it cannot be read) for each
    ``AWS::CloudFormation::Stack`` / ``AWS::Serverless::Application`` of ``graph`` with a local template.

    The child is the one checked in the same run when it is; otherwise it is read from its file."""
    scope = getattr(graph, "stack", None)
    out = []
    for resource in graph.of_type(*NESTED_STACK_TEMPLATE):
        child_path = nested_template_path(graph.path, resource.node if isinstance(resource.node, dict) else {})
        if child_path is None:
            continue
        child = scope.children.get(resource.logical_id) if scope is not None else None
        out.append((resource, child.path if child else os.path.relpath(child_path),
                    child.template if child else _read_template(child_path)))
    return out


def nested_stack_parameter_problems(graph) -> list:
    """The parameter mismatches of ``graph``'s local nested stacks; a child that cannot be read is returned
    as ``(resource, reason)`` instead, for a not-evaluated record."""
    from .findings import Location

    out = []
    for resource, child_path, child in nested_stack_children(graph):
        if child is None:
            out.append((resource, f"its template {child_path} cannot be read as a template"))
            continue
        passed = resource.props.get("Parameters")
        if passed is None:
            passed = {}
        if not isinstance(passed, dict) or (len(passed) == 1 and str(next(iter(passed))).startswith("Fn::")):
            out.append((resource, "its Parameters are computed (an intrinsic function)"))
            continue
        declared = child.get("Parameters")
        declared = declared if isinstance(declared, dict) else {}

        def where(name):
            line, column = declared.pos(name) if hasattr(declared, "pos") and name in declared else (1, 1)
            return Location(child_path, line, column, pointer=f"Parameters/{name}" if name in declared else "",
                            note=f"parameter {name} of the nested template" if name in declared
                            else "the nested template")

        for name in passed:
            if name not in declared:
                out.append(NestedParameterProblem(resource, str(name), "undeclared", child_path, where(None)))
        for name, definition in declared.items():
            if name not in passed and not (isinstance(definition, dict) and "Default" in definition):
                out.append(NestedParameterProblem(resource, str(name), "missing", child_path, where(name)))
    return out
