"""Configuration files: ``[tool.cfn-arch-lint]`` in pyproject.toml, or ``.cfn-arch-lint.yaml``.

Discovery walks up from the working directory and takes the first folder that has ``.cfn-arch-lint.yaml``
(or ``.yml``), or a ``pyproject.toml`` with a ``[tool.cfn-arch-lint]`` table (the dedicated file wins when a
folder has both). The walk stops at the repository root (the folder holding ``.git``) or the filesystem
root. ``--config FILE`` names the file; ``--isolated`` ignores every config file.

Keys (YAML spelling; TOML is the same under ``[tool.cfn-arch-lint]``)::

    select: [SQS]                     # only these rules (codes, prefixes, names, ALL)
    ignore: [SQS002]                  # never these rules
    severity: warning                 # report threshold: info | warning | error
    severity-overrides: {SQS002: error}
    rules: {SQS001: {multiplier: 4}}  # rule options
    per-path-ignores: {"legacy/**": [SQS001]}   # globs relative to the config file's folder
    parameters: {Env: prod}           # template parameter values
    stacks:                           # per template (paths or globs relative to the config file's folder)
      network/template.yaml: {stack-name: net-prod, region: eu-west-1, parameters: {Env: prod}}
      app/template.yaml: {stack-name: app-prod, parameter-file: params/app-prod.json}

Precedence: a command-line flag beats the config value, except ``--ignore``, which adds to the config's
``ignore`` (it never replaces it); template suppressions always apply. ``--parameters`` beat
``--parameter-file``, which beats a ``stacks:`` entry, which beats ``parameters`` here (linter.stacks has
the whole order, samconfig included).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

YAML_NAMES = (".cfn-arch-lint.yaml", ".cfn-arch-lint.yml")
TOOL_KEY = "cfn-arch-lint"
SEVERITIES = ["info", "warning", "error"]

_CODE_LIST = {"anyOf": [{"type": "string", "minLength": 1},
                        {"type": "array", "items": {"type": "string", "minLength": 1}}]}

_PARAMETER_VALUE = {"anyOf": [{"type": ["string", "number", "boolean"]},
                               {"type": "array", "items": {"type": ["string", "number", "boolean"]}}]}

SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "select": _CODE_LIST,
        "ignore": _CODE_LIST,
        "severity": {"enum": SEVERITIES},
        "severity-overrides": {"type": "object", "additionalProperties": {"enum": SEVERITIES}},
        "rules": {"type": "object", "additionalProperties": {"type": "object"}},
        "per-path-ignores": {"type": "object", "additionalProperties": _CODE_LIST},
        "parameters": {"type": "object", "additionalProperties": _PARAMETER_VALUE},
        "stacks": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "properties": {"stack-name": {"type": "string", "minLength": 1},
                           "region": {"type": "string", "minLength": 1},
                           "parameters": {"type": "object", "additionalProperties": _PARAMETER_VALUE},
                           "parameter-file": {"type": "string", "minLength": 1}}}},
    },
}


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key path."""


@dataclass
class Config:
    path: str | None = None
    root: str = "."
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: str | None = None
    severity_overrides: dict[str, str] = field(default_factory=dict)
    rules: dict[str, dict] = field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    stacks: dict[str, dict] = field(default_factory=dict)   # template path → stack-name, region, parameters


def find(start: str | None = None) -> str | None:
    directory = os.path.abspath(start or os.getcwd())
    while True:
        for name in YAML_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        pyproject = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_tool_table(pyproject):
            return pyproject
        parent = os.path.dirname(directory)
        if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
            return None
        directory = parent


def _has_tool_table(path: str) -> bool:
    try:
        return TOOL_KEY in (_read_toml(path).get("tool") or {})
    except ConfigError:
        return True  # let load() report the broken file rather than silently skipping it


def _read_toml(path: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _read_yaml(path: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid YAML: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        detail = f"line {mark.line + 1}: {problem}" if mark is not None and problem else " ".join(str(exc).split())
        raise ConfigError(f"{path}: not valid YAML: {detail}") from None
    return {} if data is None else data


def read(path: str) -> dict:
    """The raw settings of one file (the ``[tool.cfn-arch-lint]`` table for pyproject.toml)."""
    if os.path.basename(path) == "pyproject.toml" or path.endswith(".toml"):
        data = _read_toml(path)
        if os.path.basename(path) == "pyproject.toml":
            tool = data.get("tool") or {}
            if TOOL_KEY not in tool:
                raise ConfigError(f"{path}: has no [tool.{TOOL_KEY}] table")
            data = tool[TOOL_KEY]
    else:
        data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    # Accept snake_case spellings of the top-level keys too (and of a stacks: entry's keys).
    data = {str(k).replace("_", "-"): v for k, v in data.items()}
    if isinstance(data.get("stacks"), dict):
        data["stacks"] = {k: ({str(key).replace("_", "-"): v for key, v in e.items()} if isinstance(e, dict) else e)
                          for k, e in data["stacks"].items()}
    return data


def _key_path(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            parts.append(str(extra[0]))
            return ".".join(parts) + f": unknown key (allowed: {', '.join(sorted(allowed))})"
    where = ".".join(parts) or "(top level)"
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "anyOf":
        expected = "a rule code or a list of codes" if parts and parts[0] in ("select", "ignore", "per-path-ignores") \
            else "a string, number, boolean or a list of them"
        return f"{where}: {error.instance!r} is not valid (expected {expected})"
    return f"{where}: {error.message}"


def validate(data: dict, path: str) -> None:
    from jsonschema import Draft7Validator

    errors = sorted(Draft7Validator(SCHEMA).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigError(f"{path}: invalid configuration: " + "; ".join(_key_path(e) for e in errors))


def _codes(value) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    return [s.strip() for v in items for s in str(v).split(",") if s.strip()]


def parameter_text(value) -> str:
    """A parameter value from JSON, TOML or YAML as CloudFormation receives it: text, lists comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(parameter_text(v) for v in value)
    return str(value)


def load(path: str) -> Config:
    data = read(path)
    validate(data, path)
    return Config(
        path=path,
        root=os.path.dirname(os.path.abspath(path)),
        select=_codes(data["select"]) if "select" in data else None,
        ignore=_codes(data.get("ignore")),
        severity=data.get("severity"),
        severity_overrides=dict(data.get("severity-overrides") or {}),
        rules={str(k): dict(v) for k, v in (data.get("rules") or {}).items()},
        per_path_ignores={str(k): _codes(v) for k, v in (data.get("per-path-ignores") or {}).items()},
        parameters={str(k): parameter_text(v) for k, v in (data.get("parameters") or {}).items()},
        stacks={str(k): dict(v) for k, v in (data.get("stacks") or {}).items()},
    )


def discover(explicit: str | None = None, isolated: bool = False, start: str | None = None) -> Config:
    """The config to use: ``explicit`` if given, none when ``isolated``, else the nearest one found."""
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"config file {explicit} does not exist")
        return load(explicit)
    if isolated:
        return Config()
    found = find(start)
    return load(found) if found else Config()


def check_rules(config: Config, rules) -> None:
    """Validate the keys that name rules against the registry (after the schema check)."""
    from .engine import PARSE_CODE

    def matches(selector):
        return selector.upper() == "ALL" or any(r.matches(selector) for r in rules)

    where = config.path or "config"
    problems = []
    for key in ("select", "ignore"):
        for s in (getattr(config, key) or []):
            if not matches(s):
                problems.append(f"{key}: {s!r} matches no rule code, prefix or name")
    for pattern, selectors in config.per_path_ignores.items():
        for s in selectors:
            if not matches(s) and s.upper() != PARSE_CODE:
                problems.append(f"per-path-ignores.{pattern}: {s!r} matches no rule code, prefix or name")
    by_key = {r.code.upper(): r for r in rules} | {r.name: r for r in rules}
    for code in config.severity_overrides:
        if code.upper() not in by_key and code not in by_key:
            problems.append(f"severity-overrides.{code}: no such rule")
    for code, options in config.rules.items():
        found = by_key.get(code.upper()) or by_key.get(code)
        if found is None:
            problems.append(f"rules.{code}: no such rule")
            continue
        for option, value in options.items():
            if option not in found.options:
                known = ", ".join(sorted(found.options)) or "none"
                problems.append(f"rules.{code}.{option}: {found.code} has no option {option!r} (options: {known})")
                continue
            default = found.options[option]
            if not _same_kind(default, value):
                problems.append(f"rules.{code}.{option}: expected {type(default).__name__}, got {value!r}")
    if problems:
        raise ConfigError(f"{where}: invalid configuration: " + "; ".join(problems))


def _same_kind(default, value) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if default is None:
        return True
    return isinstance(value, type(default))


def rule_options(config: Config, rules) -> dict[str, dict]:
    """``rules`` keyed by rule code (names accepted in the file)."""
    out: dict[str, dict] = {}
    for key, options in config.rules.items():
        for r in rules:
            if r.code.upper() == key.upper() or r.name == key:
                out.setdefault(r.code, {}).update(options)
    return out


def severity_overrides(config: Config, rules) -> dict[str, str]:
    out = {}
    for key, level in config.severity_overrides.items():
        for r in rules:
            if r.code.upper() == key.upper() or r.name == key:
                out[r.code] = level
    return out
