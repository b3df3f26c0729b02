"""The composite GitHub Action: structure, inputs, and the commands it runs."""
from __future__ import annotations

import re
import shlex

import pytest

from cihelpers import ROOT


@pytest.fixture(scope="module")
def action():
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load((ROOT / "action.yml").read_text())


def test_metadata_and_inputs(action):
    assert action["name"] == "cfn-arch-lint" and action["description"]
    inputs = action["inputs"]
    assert {"paths", "args", "sarif-file", "category", "upload-sarif"} <= set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), name
    assert inputs["sarif-file"]["default"].endswith(".sarif")   # upload-sarif only picks up *.sarif in folders
    assert inputs["paths"]["default"] == "."
    assert "steps.lint.outputs.exit-code" in action["outputs"]["exit-code"]["value"]


def test_composite_steps(action):
    runs = action["runs"]
    assert runs["using"] == "composite"
    steps = runs["steps"]
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step          # composite run steps must name a shell
            # Inputs reach scripts through env, never by ${{ }} interpolation into the script.
            assert "${{" not in step["run"], step["run"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "$ACTION_PATH" in install["run"] and install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    lint = next(s for s in steps if s.get("id") == "lint")
    command = next(line for line in lint["run"].splitlines() if line.strip().startswith("cfn-arch-lint "))
    words = shlex.split(command)
    assert words[:2] == ["cfn-arch-lint", "check"]
    assert words[words.index("--format") + 1] == "github"
    assert words[words.index("--sarif-output") + 1] == "$SARIF_FILE"
    assert lint["env"]["SARIF_FILE"] == "${{ inputs.sarif-file }}" and lint["env"]["PATHS"] == "${{ inputs.paths }}"
    assert "GITHUB_OUTPUT" in lint["run"]
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}", "category": "${{ inputs.category }}"}
    assert "always()" in upload["if"] and "inputs.upload-sarif" in upload["if"]
    fail = steps[-1]
    assert "steps.lint.outputs.exit-code" in fail["if"] and 'exit "$CODE"' in fail["run"]
    assert steps.index(upload) < steps.index(fail)                  # findings still get uploaded


def test_the_lint_command_works_as_written(tmp_path, monkeypatch):
    """Run the action's command line (with its env) through the CLI: annotations out, SARIF written."""
    import json

    from cihelpers import BAD, run, write

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    write(tmp_path, "infra/app.yaml", BAD)
    from ruamel.yaml import YAML

    action = YAML(typ="safe", pure=True).load((ROOT / "action.yml").read_text())
    lint = next(s for s in action["runs"]["steps"] if s.get("id") == "lint")
    command = next(line for line in lint["run"].splitlines() if line.strip().startswith("cfn-arch-lint "))
    env = {"SARIF_FILE": "out.sarif", "ARGS": "--isolated", "PATHS": "infra"}
    # The PATHS lines are read into an array before; `--` is dropped since run() appends --select after it.
    command = command.replace('-- "${paths[@]}"', "$PATHS")
    expanded = re.sub(r'"?\$([A-Z_]+)"?', lambda m: env[m.group(1)], command)
    result = run(shlex.split(expanded)[1:])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=infra/app.yaml,line=4,col=3,title=SQS001 ")
    log = json.loads((tmp_path / "out.sarif").read_text())
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/app.yaml"


def test_readme_shows_a_workflow_using_the_action():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## CI and pre-commit"):]
    assert "uses: cfn-arch-lint/cfn-arch-lint@" in section
    assert "security-events: write" in section
    assert "id: cfn-arch-lint" in section
