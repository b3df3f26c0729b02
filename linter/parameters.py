"""Parameter values given to a run: where each came from, which ones a template may use, NoEcho masking.

Values come from the config file's ``parameters``, ``--parameter-file``, ``-p KEY=VALUE`` (each beats the one
before) and ``--region`` / ``--account-id`` (pseudo parameters). :class:`ParameterSources` remembers, for each
name, the source a message should cite ("from --parameter-file params.json") and collects warnings about
values that cannot be used. A value is not used when it violates the declaration of the parameter in the
template being checked (:func:`violation`: Type, AllowedValues, AllowedPattern, MinLength/MaxLength,
MinValue/MaxValue), when no template of the run declares its name, or when a parameter-file entry has no
value; each case is a warning on standard error naming the file or flag, never a silent drop.
"""
from __future__ import annotations

import json
import os
import re

COMMAND_LINE = "given on the command line"
PSEUDO_NAMES = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::StackId",
                "AWS::URLSuffix", "AWS::NotificationARNs")
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
ACCOUNT_PATTERN = re.compile(r"\d{12}")
# Parameter types whose values are resource ids with a fixed prefix (checked like CloudFormation does).
ID_PREFIXES = {
    "AWS::EC2::VPC::Id": "vpc-", "AWS::EC2::Subnet::Id": "subnet-", "AWS::EC2::SecurityGroup::Id": "sg-",
    "AWS::EC2::Image::Id": "ami-", "AWS::EC2::Instance::Id": "i-", "AWS::Route53::HostedZone::Id": "Z",
}


class ParameterError(ValueError):
    """A parameter option or file that cannot be read at all (the message names the flag or file)."""


class ParameterSources:
    """Where each given parameter value came from, and the warnings about values that are not used.

    Passed as ``parameter_source`` to :func:`linter.api.lint_file` (a plain string still works there):
    ``sources.of("Env")`` → ``"from --parameter-file params.json"``; ``sources.warn(text)`` records a
    warning once; ``sources.take_warnings()`` hands the recorded ones over and forgets them.
    """

    def __init__(self, default: str = COMMAND_LINE):
        self.default = default
        self.by_name: dict[str, str] = {}
        self._warnings: list[str] = []

    def of(self, name: str) -> str:
        return self.by_name.get(name, self.default)

    def flag(self, name: str) -> str:
        """The source as a warning names it: ``--parameter-file params.json``, ``-p``, ``config file x``."""
        text = self.of(name)
        if text == COMMAND_LINE:
            return "-p"
        return text[len("from "):] if text.startswith("from ") else text

    def warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)

    def take_warnings(self) -> list[str]:
        taken, self._warnings = self._warnings, []
        return taken


def text_of(value) -> str:
    """A parameter value from JSON, TOML or YAML as CloudFormation receives it: text, lists comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(text_of(v) for v in value)
    return str(value)


def parse_pairs(pairs) -> dict:
    """``-p KEY=VALUE`` options, one pair each: the value is everything after the first ``=``, spaces and
    commas included (``-p "Description=my stack"``, ``-p Subnets=subnet-1,subnet-2``)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"-p {pair!r} is not KEY=VALUE (give one pair per -p; repeat -p for several)")
        out[key.strip()] = value
    return out


def read_file(path: str) -> tuple[dict, list[str]]:
    """A parameter file: AWS CLI JSON (``[{"ParameterKey", "ParameterValue"}]``) or ``{"Parameters": {...}}``.

    Returns the values and a warning for each entry that has no value (``UsePreviousValue``, a missing
    ``ParameterValue``, ``null``). Raises :class:`ParameterError` when the file cannot be used at all.
    """
    where = f"--parameter-file {path}"
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ParameterError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ParameterError(f"{path} is not valid JSON: {exc}") from None
    values, warnings = {}, []
    if isinstance(data, list):
        for i, item in enumerate(data):
            if not isinstance(item, dict) or "ParameterKey" not in item:
                raise ParameterError(f"{path}: item {i} has no ParameterKey")
            key = str(item["ParameterKey"])
            if item.get("ParameterValue") is None:
                why = "UsePreviousValue, which only a deployed stack has" if item.get("UsePreviousValue") \
                    else "no ParameterValue"
                warnings.append(f"{where}: parameter {key} has {why}; it is not used")
                continue
            values[key] = text_of(item["ParameterValue"])
        return values, warnings
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        for key, value in data["Parameters"].items():
            if value is None:
                warnings.append(f"{where}: parameter {key} has no value (null); it is not used")
                continue
            values[str(key)] = text_of(value)
        return values, warnings
    raise ParameterError(f'{path}: expected a list of {{ParameterKey, ParameterValue}} or {{"Parameters": {{...}}}}')


def pseudo_parameters(region: str | None = None, account_id: str | None = None) -> dict:
    """``--region`` / ``--account-id`` as pseudo parameter values; the partition follows from the region.

    Raises :class:`ParameterError` for a region or account id that cannot be one.
    """
    out = {}
    if region:
        if not REGION_PATTERN.fullmatch(region):
            raise ParameterError(f"--region {region!r} is not a region name like eu-west-1")
        out["AWS::Region"] = region
        out["AWS::Partition"] = ("aws-cn" if region.startswith("cn-") else
                                 "aws-us-gov" if region.startswith("us-gov-") else "aws")
    if account_id:
        if not ACCOUNT_PATTERN.fullmatch(account_id):
            raise ParameterError(f"--account-id {account_id!r} is not a 12-digit account id")
        out["AWS::AccountId"] = account_id
    return out


def gather(config=None, parameter_file: str | None = None, pairs=(), region: str | None = None,
           account_id: str | None = None) -> tuple[dict, ParameterSources, list[str]]:
    """Every given value, its source and the warnings found while reading them.

    Precedence: ``-p`` beats ``--region``/``--account-id`` for the same pseudo parameter and the parameter
    file, which beats the config file. Raises :class:`ParameterError` for an option or file that cannot be read.
    """
    sources = ParameterSources()
    values: dict = {}
    warnings: list[str] = []
    if config is not None and config.parameters:
        name = os.path.relpath(config.path) if config.path else "the config file"
        for key, value in config.parameters.items():
            values[key] = value
            sources.by_name[key] = f"from config file {name}"
    if parameter_file:
        from_file, file_warnings = read_file(parameter_file)
        warnings += file_warnings
        for key, value in from_file.items():
            values[key] = value
            sources.by_name[key] = f"from --parameter-file {parameter_file}"
    for key, value in pseudo_parameters(region, account_id).items():
        values[key] = value
        sources.by_name[key] = "from --region" if key != "AWS::AccountId" else "from --account-id"
    for key, value in parse_pairs(pairs).items():
        values[key] = value
        sources.by_name[key] = COMMAND_LINE
    return values, sources, warnings


def undeclared(values: dict, templates) -> list[str]:
    """The given names (pseudo parameters aside) that none of ``templates`` declares in ``Parameters``."""
    declared = set()
    for template in templates:
        params = template.get("Parameters") if isinstance(template, dict) else None
        if isinstance(params, dict):
            declared.update(str(k) for k in params)
    return [name for name in values if name not in declared and name not in PSEUDO_NAMES]


def _is_true(flag) -> bool:
    return str(flag).strip().lower() == "true"


def is_noecho(definition) -> bool:
    """Whether a parameter declaration says ``NoEcho: true``."""
    return isinstance(definition, dict) and _is_true(definition.get("NoEcho", False))


def _number(text: str):
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def violation(value, definition) -> str | None:
    """Why ``value`` (text, as given) cannot be a value of the parameter ``definition``; None when it can.

    ``violation("qa", {"AllowedValues": ["dev", "prod"]})`` → ``"it is not one of its AllowedValues (dev, prod)"``.
    Constraints CloudFormation does not apply to a type (MinLength on a Number) are not applied either; a
    value that is not text (an audit's masked value) and SSM-typed parameters are not judged.
    """
    if not isinstance(value, str) or not isinstance(definition, dict):
        return None
    ptype = str(definition.get("Type", "String")).strip()
    if ptype.startswith("AWS::SSM::Parameter::"):
        return None
    is_list = ptype.startswith("List<") or ptype == "CommaDelimitedList"
    items = [v.strip() for v in value.split(",")] if is_list else [value]
    numeric = ptype in ("Number", "List<Number>")
    shown = "****" if is_noecho(definition) else None
    for item in items:
        label = shown or repr(item)
        if numeric and _number(item) is None:
            return f"{label} is not a number (Type {ptype})"
        inner = ptype[5:-1] if ptype.startswith("List<") else ptype
        prefix = ID_PREFIXES.get(inner)
        if prefix and not item.startswith(prefix):
            return f"{label} is not an {inner} (it should start with {prefix!r})"
        allowed = definition.get("AllowedValues")
        if isinstance(allowed, list) and allowed:
            texts = [text_of(a) for a in allowed if not isinstance(a, dict)]
            if item not in texts and not (numeric and _number(item) in {_number(t) for t in texts}):
                listed = "" if shown else f" ({', '.join(texts)})"
                return f"{label} is not one of its AllowedValues{listed}"
        pattern = definition.get("AllowedPattern")
        if isinstance(pattern, str) and not numeric:
            try:
                matches = re.fullmatch(pattern, item) is not None
            except re.error:
                matches = True  # a Java-only pattern we cannot judge: not a reason to drop the value
            if not matches:
                return f"{label} does not match its AllowedPattern {pattern}"
        if ptype == "String":   # CloudFormation applies the length limits to String parameters only
            for key, test, word in (("MinLength", lambda n: len(item) < n, "shorter"),
                                    ("MaxLength", lambda n: len(item) > n, "longer")):
                limit = _number(text_of(definition.get(key))) if key in definition else None
                if limit is not None and test(limit):
                    return f"{label} is {word} than its {key} {int(limit)}"
        elif numeric:
            number = _number(item)
            for key, test, word in (("MinValue", lambda n: number < n, "less"),
                                    ("MaxValue", lambda n: number > n, "more")):
                limit = _number(text_of(definition.get(key))) if key in definition else None
                if limit is not None and test(limit):
                    return f"{label} is {word} than its {key} {text_of(definition.get(key))}"
    return None


def usable(given: dict, definitions: dict, sources) -> dict:
    """The given values a template may use: each one that violates its declaration is dropped, with a
    warning to ``sources`` (a :class:`ParameterSources`; a plain string collects nothing)."""
    out = {}
    for name, value in given.items():
        reason = violation(value, definitions.get(name)) if name in definitions else None
        if reason is None:
            out[name] = value
        elif isinstance(sources, ParameterSources):
            sources.warn(f"parameter {name} ({sources.flag(name)}): {reason}; it is not used")
    return out


def noecho_values(template, given: dict) -> list[str]:
    """The texts a NoEcho parameter of ``template`` may take in this run (its given value, its Default), for
    masking them wherever a message would show them. Very short texts are left out: masking "1" everywhere
    would garble line numbers, and their display is masked where the value itself is shown."""
    params = template.get("Parameters") if isinstance(template, dict) else None
    out = []
    for name, definition in (params.items() if isinstance(params, dict) else ()):
        if not is_noecho(definition):
            continue
        for value in (given.get(name), definition.get("Default")):
            if value is not None and not isinstance(value, (dict, list)):
                text = text_of(value)
                out += [t for t in {text, *text.split(",")} if len(t.strip()) >= 3]
    return sorted(set(out), key=len, reverse=True)


def mask_secrets(result, given: dict) -> None:
    """Replace every NoEcho value of a linted file's template in its findings and not-evaluated reasons."""
    secrets = noecho_values(result.template, given) if result.template is not None else []
    if not secrets:
        return
    from dataclasses import replace

    pattern = re.compile("|".join(re.escape(s) for s in secrets))
    for finding in result.findings:
        finding.message = pattern.sub("****", finding.message)
        finding.related = [replace(loc, note=pattern.sub("****", loc.note)) if loc.note else loc
                           for loc in finding.related]
    result.not_evaluated[:] = [replace(item, reason=pattern.sub("****", item.reason))
                               for item in result.not_evaluated]
