"""Config files: discovery, keys, validation, and how command-line flags merge with them."""
from __future__ import annotations

import json
import textwrap

import pytest

from cihelpers import TWO, codes, run, write


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository root (with .git) holding TWO; the cwd is the root."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (tmp_path / ".git").mkdir()
    write(tmp_path, "stacks/two.yaml", TWO)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args):
    return run(["check", "-f", "json", *args])


PARAMS60 = "[tool.cfn-arch-lint]\nparameters = {WorkerTimeout = 60}\n"


def test_no_config_baseline_behaviour(repo):
    assert codes(check("stacks/two.yaml")) == ["SQS002"]


def test_pyproject_found_from_a_subfolder(repo, monkeypatch):
    write(repo, "pyproject.toml", "[project]\nname = 'x'\n\n" + PARAMS60)
    monkeypatch.chdir(repo / "stacks")
    assert codes(check("two.yaml")) == ["SQS001", "SQS002"]


def test_yaml_config_and_precedence_over_pyproject(repo):
    write(repo, "pyproject.toml", PARAMS60 + "ignore = ['SQS002']\n")
    write(repo, ".cfn-arch-lint.yaml", "parameters:\n  WorkerTimeout: 60\nignore: [SQS001]\n")
    assert codes(check("stacks/two.yaml")) == ["SQS002"]


def test_pyproject_without_table_is_passed_over(repo, monkeypatch):
    write(repo, ".cfn-arch-lint.yaml", "parameters: {WorkerTimeout: 60}\n")
    write(repo, "stacks/pyproject.toml", "[project]\nname = 'x'\n")
    monkeypatch.chdir(repo / "stacks")
    assert codes(check("two.yaml")) == ["SQS001", "SQS002"]


def test_search_stops_at_the_repository_root(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    write(tmp_path, ".cfn-arch-lint.yaml", "ignore: [SQS002]\n")       # outside the repository
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path, "repo/two.yaml", TWO)
    monkeypatch.chdir(tmp_path / "repo")
    assert codes(check("two.yaml")) == ["SQS002"]
    monkeypatch.chdir(tmp_path)
    assert codes(check("repo/two.yaml")) == []


def test_explicit_config_and_isolated(repo):
    write(repo, ".cfn-arch-lint.yaml", "ignore: [SQS002]\n")
    write(repo, "ci/strict.yaml", "parameters: {WorkerTimeout: 60}\n")
    assert codes(check("stacks/two.yaml")) == []
    assert codes(check("--isolated", "stacks/two.yaml")) == ["SQS002"]
    assert codes(check("--config", "ci/strict.yaml", "stacks/two.yaml")) == ["SQS001", "SQS002"]
    missing = check("--config", "nope.yaml", "stacks/two.yaml")
    assert missing.exit_code == 2 and "nope.yaml does not exist" in missing.stderr


def test_cli_ignore_extends_config_ignore_and_suppressions(repo):
    """cfn-lint #3816: a CLI ignore list must add to the config and template suppressions, not replace them."""
    write(repo, ".cfn-arch-lint.yaml", "parameters: {WorkerTimeout: 60}\nignore: [SQS002]\n")
    assert codes(check("stacks/two.yaml")) == ["SQS001"]
    # --ignore of another rule: SQS002 stays ignored by the config.
    assert codes(check("--ignore", "VPC001", "stacks/two.yaml")) == ["SQS001"]
    assert codes(check("--ignore", "SQS001", "stacks/two.yaml")) == []
    # Template suppressions still apply when the CLI names its own ignores.
    suppressed = TWO.replace("  Jobs:\n", "  Jobs:  # cfn-arch-lint: ignore[SQS001] batch job, retried\n")
    write(repo, "stacks/two.yaml", suppressed)
    result = check("--ignore", "VPC001", "stacks/two.yaml")
    assert codes(result) == [] and json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_cli_select_replaces_config_select_but_not_ignore(repo):
    write(repo, ".cfn-arch-lint.yaml", "parameters: {WorkerTimeout: 60}\nselect: [SQS001]\n")
    assert codes(run(["check", "-f", "json", "stacks/two.yaml"], only=None)) == ["SQS001"]
    assert codes(check("--select", "SQS002", "stacks/two.yaml")) == ["SQS002"]
    assert codes(check("--select", "SQS00", "stacks/two.yaml")) == ["SQS001", "SQS002"]


def test_severity_threshold_and_overrides(repo):
    write(repo, ".cfn-arch-lint.yaml", textwrap.dedent("""\
        parameters: {WorkerTimeout: 60}
        severity: error
        severity-overrides: {SQS001: error}
        """))
    result = check("stacks/two.yaml")
    data = json.loads(result.stdout)
    assert [(f["rule"]["code"], f["severity"]) for f in data["findings"]] == [("SQS001", "error")]
    assert result.exit_code == 1
    # The CLI threshold beats the config's.
    assert codes(check("--severity", "warning", "stacks/two.yaml")) == ["SQS001", "SQS002"]


def test_rule_options_reach_the_rule(repo):
    write(repo, "pyproject.toml", PARAMS60 + "\n[tool.cfn-arch-lint.rules.SQS001]\nmultiplier = 4\n")
    assert codes(check("stacks/two.yaml")) == ["SQS002"]          # 300 s >= 4 x 60 s
    write(repo, "pyproject.toml", PARAMS60 + "\n[tool.cfn-arch-lint.rules.sqs-visibility-timeout-vs-lambda]\n"
                                             "multiplier = 5.5\n")
    assert codes(check("stacks/two.yaml")) == ["SQS001", "SQS002"]  # 300 s < 330 s


def test_per_path_ignores(repo):
    write(repo, "legacy/old/two.yaml", TWO)
    write(repo, ".cfn-arch-lint.yaml", textwrap.dedent("""\
        parameters: {WorkerTimeout: 60}
        per-path-ignores:
          "legacy/**": [SQS001, SQS002]
          "*.yaml": [SQS002]
        """))
    result = check("stacks", "legacy")
    data = json.loads(result.stdout)
    assert [(f["location"]["path"], f["rule"]["code"]) for f in data["findings"]] == [("stacks/two.yaml", "SQS001")]
    assert data["summary"]["suppressed"] == 3


def test_parameters_precedence(repo):
    write(repo, ".cfn-arch-lint.yaml", "parameters: {WorkerTimeout: 60}\n")
    write(repo, "params.json", json.dumps([{"ParameterKey": "WorkerTimeout", "ParameterValue": "20"}]))
    assert codes(check("stacks/two.yaml")) == ["SQS001", "SQS002"]
    assert codes(check("--parameter-file", "params.json", "stacks/two.yaml")) == ["SQS002"]
    assert codes(check("--parameter-file", "params.json", "-p", "WorkerTimeout=55", "stacks/two.yaml")) == \
        ["SQS001", "SQS002"]


@pytest.mark.parametrize("name,text,expected", [
    (".cfn-arch-lint.yaml", "selct: [SQS001]\n", "selct: unknown key"),
    (".cfn-arch-lint.yaml", "severity: loud\n", "severity: 'loud' is not one of info, warning, error"),
    (".cfn-arch-lint.yaml", "ignore: 3\n", "ignore: 3 is not valid"),
    (".cfn-arch-lint.yaml", "rules: {SQS001: 4}\n", "rules.SQS001: 4 is not of type 'object'"),
    (".cfn-arch-lint.yaml", "rules: {SQS001: {multipler: 4}}\n", "rules.SQS001.multipler: SQS001 has no option"),
    (".cfn-arch-lint.yaml", "rules: {SQS001: {multiplier: lots}}\n", "rules.SQS001.multiplier: expected int"),
    (".cfn-arch-lint.yaml", "rules: {NOPE001: {}}\n", "rules.NOPE001: no such rule"),
    (".cfn-arch-lint.yaml", "severity-overrides: {SQS001: fatal}\n", "severity-overrides.SQS001: 'fatal' is not one"),
    (".cfn-arch-lint.yaml", "per-path-ignores: {'a/*': [XYZ9]}\n", "per-path-ignores.a/*: 'XYZ9' matches no rule"),
    (".cfn-arch-lint.yaml", "parameters: {Env: {a: 1}}\n", "parameters.Env: {'a': 1} is not valid"),
    (".cfn-arch-lint.yaml", "ignore: [SQS001\n", "not valid YAML"),
    (".cfn-arch-lint.yaml", "- just a list\n", "must be a mapping"),
    ("pyproject.toml", "[tool.cfn-arch-lint]\nignore = [\n", "not valid TOML"),
    ("pyproject.toml", "[tool.cfn-arch-lint.per-path-ignores]\n'x/**' = 'SQS001'\n[tool.cfn-arch-lint.bogus]\n",
     "bogus: unknown key"),
])
def test_bad_config_is_a_clear_error(repo, name, text, expected):
    write(repo, name, text)
    result = check("stacks/two.yaml")
    assert result.exit_code == 2
    assert expected in result.stderr, result.stderr
    assert name in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_config_module_api(repo):
    from linter.config import discover, find

    write(repo, ".cfn-arch-lint.yml", "select: SQS001,SQS002\nparameters: {Flag: true, Subnets: [a, b]}\n")
    assert find(str(repo / "stacks")) == str(repo / ".cfn-arch-lint.yml")
    config = discover()
    assert config.select == ["SQS001", "SQS002"]
    assert config.parameters == {"Flag": "true", "Subnets": "a,b"}
    assert config.root == str(repo)


@pytest.mark.parametrize("name,raw,expected", [
    (".cfn-arch-lint.yaml", b"ignore: [SQS001]\nignore: [SQS002]\n", 'line 2: found duplicate key "ignore"'),
    (".cfn-arch-lint.yaml", b"\xff\xfeignore: []\n", "not UTF-8 text"),
    ("pyproject.toml", b"[tool.cfn-arch-lint]\nignore = ['\xff']\n", "not valid TOML"),
])
def test_unreadable_config_is_a_clear_error(repo, name, raw, expected):
    (repo / name).write_bytes(raw)
    result = check("stacks/two.yaml")
    assert result.exit_code == 2 and expected in result.stderr
    assert "Traceback" not in result.output
