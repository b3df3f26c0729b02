"""Which scenarios are production: the catalogue's convention for sub-checks that apply "in production".

A sub-check that matters in production (a single-instance broker, one NAT gateway, a short backup
retention) applies in the scenarios whose environment-like value is production-like: ``prod``,
``production``, ``prd`` or ``live`` in any case. The environment-like value is a parameter named like
``Env``, ``Environment``, ``Stage``, ``StageName``, ``Deployment`` or ``Tier`` (or ending in ``Env``,
``Environment`` or ``Stage``), else a condition named like ``IsProd``/``IsProduction``. With neither, the
template as written may be deployed to production, so the sub-check applies. A parameter without a value
is unknown, so the sub-check is not evaluated.
"""
from __future__ import annotations

import re

from .values import Case, Value

PRODUCTION_WORD = re.compile(r"(?i)(^|[^a-z])(prod|production|prd|live)($|[^a-z])")
_PARAMETER_NAMES = {"env", "environment", "environmentname", "envname", "envtype", "environmenttype",
                    "stage", "stagename", "deploymentstage", "deployment", "deploymentenvironment", "tier",
                    "environmenttier"}
_PARAMETER_SUFFIXES = ("env", "environment", "stage", "stagename")
_CONDITION_NAME = re.compile(r"(?i)^(is|in|on|use|when|for)?_?(prod|production|prd|live)(env|environment|stage)?$")


def is_production_text(text: str) -> bool:
    """``prod``, ``Production``, ``prd-eu``, ``live``: a production-like environment name."""
    return bool(PRODUCTION_WORD.search(text))


def environment_parameter(resolver) -> str | None:
    """The template's environment-like parameter, if it has one."""
    names = [n for n in resolver.parameter_defs if isinstance(n, str)]
    for name in names:
        if _letters(name) in _PARAMETER_NAMES:
            return name
    for name in names:
        if _letters(name).endswith(_PARAMETER_SUFFIXES):
            return name
    return None


def production(graph) -> Value:
    """Whether each scenario is production, as a Value of booleans with their origin and scenario.

    Pair it with the values a sub-check reads, in one ``ctx.cases`` call, and judge only the cases where
    it is true: the parameter's allowed values and the condition's branches stay paired with the rest.
    """
    resolver = graph.resolver
    name = environment_parameter(resolver)
    if name is not None:
        value = resolver.parameter(name)
        return value.map(lambda v: isinstance(v, str) and is_production_text(v))
    for condition in resolver.condition_defs:
        if isinstance(condition, str) and _CONDITION_NAME.match(condition):
            return resolver.condition(condition)
    return Value([Case(True, "no environment parameter: the template as written may run in production")])


def _letters(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())
