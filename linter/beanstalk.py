"""Elastic Beanstalk option settings: the Namespace/OptionName/Value lists several rules read.

An environment's options come from its own ``OptionSettings``, then from the
``AWS::ElasticBeanstalk::ConfigurationTemplate`` its ``TemplateName`` names, then from the Elastic
Beanstalk default (``linter.cfn.DEFAULTS`` under ``OptionSettings[namespace:OptionName]``).
"""
from __future__ import annotations

from .cfn import DEFAULTS
from .graph import Entry, Resource
from .values import Case, Unknown, Value

ENVIRONMENT = "AWS::ElasticBeanstalk::Environment"
CONFIGURATION_TEMPLATE = "AWS::ElasticBeanstalk::ConfigurationTemplate"
APPLICATION = "AWS::ElasticBeanstalk::Application"


def option(resource: Resource, namespace: str, name: str) -> Value:
    """The value of option ``namespace``/``name`` for an environment or configuration template.

    Cases per scenario, with their origin; the environment's own setting wins over its configuration
    template's; absent everywhere, the Elastic Beanstalk default of DEFAULTS, else ``None (not set)``.
    Example: ``option(env, "aws:elasticbeanstalk:command", "DeploymentPolicy")`` →
    ``AllAtOnce (the Elastic Beanstalk default)``.
    """
    return _option(_holders(resource), resource.type, namespace, name)


def _option(holders: list[Resource], rtype: str, namespace: str, name: str) -> Value:
    if not holders:
        key = (rtype, f"OptionSettings[{namespace}:{name}]")
        if key in DEFAULTS:
            value, origin = DEFAULTS[key]
            return Value([Case(value, origin)])
        return Value([Case(None, "not set")])
    found = _own_option(holders[0], namespace, name)
    if found is None:
        return _option(holders[1:], rtype, namespace, name)
    # An entry that exists only in some scenarios: in the others the next source applies.
    scenarios = [c.assumptions for c in found]
    if all(scenarios):
        rest = _option(holders[1:], rtype, namespace, name)
        gaps = _complement(holders[0], scenarios)
        if gaps is None:
            gaps = [()]
            rest = Value([Case(Unknown(f"option {namespace} {name} of {holders[0].logical_id} is set only in some "
                                       "scenarios, and the others cannot be told"), "")])
        extra = [m for gap in gaps for m in (c.with_assumptions(gap) for c in rest) if m is not None]
        found = Value(list(found) + extra)
    return found


def _complement(holder: Resource, scenarios: list[tuple]) -> list[tuple] | None:
    """The scenarios none of ``scenarios`` covers, when each names one parameter value or condition."""
    keys = {key for scenario in scenarios for key, _choice in scenario}
    if len(keys) != 1 or any(len(scenario) != 1 for scenario in scenarios):
        return None
    kind, name = next(iter(keys))
    resolver = holder.graph.resolver
    if kind == "parameter":
        options = [c.assumptions for c in resolver.parameter(name) if c.assumptions]
    elif kind == "condition":
        options = [((("condition", name), flag),) for flag in (True, False)]
    else:
        return None
    if not options:
        return None
    taken = {choice for scenario in scenarios for _key, choice in scenario}
    out = []
    for option_scenario in options:
        if len(option_scenario) != 1 or option_scenario[0][0] != (kind, name):
            return None
        choice = option_scenario[0][1]
        if isinstance(choice, frozenset) or choice in taken:
            continue
        out.append(option_scenario)
    return out


def namespace_options(resource: Resource, namespace: str) -> list[Entry]:
    """The ``OptionSettings`` entries of the environment (and its configuration template) in ``namespace``."""
    out = []
    for holder in _holders(resource):
        for entry in holder.entries("OptionSettings"):
            if any(c.value == namespace for c in entry.get("Namespace", default=False)):
                out.append(entry)
    return out


def configuration_template(resource: Resource) -> Resource | None:
    """The template configuration template an environment's ``TemplateName`` names, if any."""
    graph = resource.graph
    if resource.type != ENVIRONMENT or not resource.has("TemplateName"):
        return None
    for case in resource.get("TemplateName", default=False):
        found, _ = graph.follow(case, (CONFIGURATION_TEMPLATE,))
        if found is not None and found.type == CONFIGURATION_TEMPLATE:
            return found
    return None


def _holders(resource: Resource) -> list[Resource]:
    template = configuration_template(resource)
    return [resource] + ([template] if template is not None else [])


def _own_option(holder: Resource, namespace: str, name: str) -> Value | None:
    """The option as the holder's own OptionSettings set it, or None when they do not set it."""
    whole = holder.get("OptionSettings", default=False)
    unknown = [c for c in whole if not c.known]
    cases: list[Case] = []
    for entry in holder.entries("OptionSettings"):
        for space in entry.get("Namespace", default=False):
            for option_name in entry.get("OptionName", default=False):
                pair = space.with_assumptions(option_name.assumptions)
                if pair is None:
                    continue
                if not space.known or not option_name.known:
                    reason = space.describe() if not space.known else option_name.describe()
                    cases.append(Case(Unknown(f"an option setting of {holder.logical_id} is not known: {reason}"),
                                      "", pair.assumptions))
                elif space.value == namespace and option_name.value == name:
                    for value in entry.get("Value", default=False):
                        merged = value.with_assumptions(pair.assumptions)
                        if merged is not None:
                            cases.append(merged)
    if unknown and not cases:
        return Value(unknown)
    if not cases:
        return None
    if all(not c.known for c in cases):
        return Value(cases)
    return Value([c for c in cases if c.known] + unknown)


def option_at(resource: Resource, namespace: str, name: str) -> str | None:
    """Where the resource's own ``OptionSettings`` set the option (``OptionSettings.2.Value``), for
    ``ctx.finding(at=...)``; else ``OptionSettings`` when it has some, else None (the resource itself)."""
    for entry in resource.entries("OptionSettings"):
        spaces = [c.value for c in entry.get("Namespace", default=False)]
        names = [c.value for c in entry.get("OptionName", default=False)]
        if namespace in spaces and name in names:
            return f"{entry.at}.Value"
    return "OptionSettings" if resource.has("OptionSettings") else None
