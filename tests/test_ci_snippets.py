"""The README's CI snippets and the Action work as written: refs that resolve, an upload condition that holds on
pushes and skips fork pull requests, the permissions upload-sarif needs, newline-separated paths, Python and pip
cache handling, the changelog and the packaging of test-only dependencies.

No workflow can run here, so the snippets are read, their expressions evaluated for the events that matter,
and the Action's shell steps run with bash.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest

from cihelpers import BAD, ROOT, write

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SECTION = README[README.index("## CI and pre-commit"):README.index("### Output formats for CI")]


def _yaml(text):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def _blocks(section: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def _version() -> str:
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def action():
    return _yaml((ROOT / "action.yml").read_text())


@pytest.fixture(scope="module")
def workflow():
    (block,) = [b for b in _blocks(CI_SECTION) if "# .github/workflows/" in b]
    return _yaml(block)


# ------------------------------------------------------------------ refs

def _released() -> list[str]:
    """Versions with a dated section in CHANGELOG.md."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)


def _resolves(ref: str) -> bool:
    """A tag this repository has, or a commit it holds; a release tag not created yet counts when it is the
    version of pyproject.toml and CHANGELOG.md lists that release (the tag is made on main at release)."""
    tags = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if ref in tags:
        return True
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        return subprocess.run(["git", "cat-file", "-e", f"{ref}^{{commit}}"], cwd=ROOT).returncode == 0
    return ref == f"v{_version()}" and _version() in _released()


def test_changelog_starts_with_the_released_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings and headings[0] in ("Unreleased", _version()), headings
    assert _released() and _released()[0] == _version()   # the newest dated release is pyproject's version


def test_precommit_rev_resolves():
    (block,) = [b for b in _blocks(CI_SECTION) if ".pre-commit-config.yaml" in b]
    (repo,) = _yaml(block)["repos"]
    assert repo["repo"].startswith("https://github.com/")
    assert _resolves(str(repo["rev"])), f"rev {repo['rev']} is neither a tag, a commit, nor the released version"
    assert [h["id"] for h in repo["hooks"]] == ["cfn-arch-lint"]


def test_every_ref_in_the_ci_section_resolves(workflow):
    refs = re.findall(r"cfn-arch-lint/cfn-arch-lint@([\w.\-]+)", CI_SECTION)
    assert len(refs) >= 2, refs      # the Action and the plain pip install
    for ref in refs:
        assert _resolves(ref), ref
    assert not _resolves("v9.9.9") and not _resolves("0" * 40)


# ------------------------------------------------------------------ expressions

_EXPR_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|\|\||&&|==|!=|!|\(|\)|[A-Za-z_][\w.\-]*\(\)|[A-Za-z_][\w.\-]*)")


def evaluate(expression: str, context: dict):
    """A GitHub Actions expression with the operators the snippets use: ``== != ! && || ( )``, strings,
    property paths (a missing property is null) and ``always()``."""
    text = expression.strip()
    if text.startswith("${{"):
        text = text[3:-2]
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _EXPR_TOKEN.match(text, pos)
        assert match, f"cannot read {text[pos:]!r}"
        token = match.group(1)
        pos = match.end()
        if token in ("||", "&&", "!"):
            out.append({"||": " or ", "&&": " and ", "!": " not "}[token])
        elif token in ("==", "!=", "(", ")"):
            out.append(token)
        elif token.startswith("'"):
            out.append(repr(token[1:-1].replace("''", "'")))
        elif token == "always()":
            out.append("True")
        elif token in ("true", "false", "null"):
            out.append({"true": "True", "false": "False", "null": "None"}[token])
        else:
            value = context
            for part in token.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            out.append(repr(value))
    return eval("".join(out), {"__builtins__": {}})  # noqa: S307  (only literals and operators built above)


EVENTS = {
    "push to main": {"github": {"event_name": "push", "repository": "acme/app", "ref": "refs/heads/main",
                                "event": {"ref": "refs/heads/main"}}},
    "pull request from a branch": {"github": {"event_name": "pull_request", "repository": "acme/app", "event": {
        "pull_request": {"head": {"repo": {"full_name": "acme/app"}}}}}},
    "pull request from a fork": {"github": {"event_name": "pull_request", "repository": "acme/app", "event": {
        "pull_request": {"head": {"repo": {"full_name": "someone/app"}}}}}},
}
UPLOADS = {"push to main": True, "pull request from a branch": True, "pull request from a fork": False}


def test_expression_reader():
    ctx = EVENTS["push to main"]
    assert evaluate("${{ github.event.pull_request.head.repo.full_name == github.repository }}", ctx) is False
    assert evaluate("${{ github.event_name != 'pull_request' || false }}", ctx) is True
    assert evaluate("always() && !(github.ref == 'refs/heads/main')", ctx) is False


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_action_upload_condition(workflow, action, event):
    """The snippet's ``upload-sarif`` is true on a push and a same-repository pull request, false for a fork;
    the Action's upload step then runs exactly when it is true (and the SARIF file exists)."""
    (step,) = [s for s in workflow["jobs"]["lint"]["steps"] if "cfn-arch-lint/cfn-arch-lint@" in s.get("uses", "")]
    given = evaluate(step["with"]["upload-sarif"], EVENTS[event])
    assert bool(given) is UPLOADS[event]
    upload = next(s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    condition = upload["if"].replace("hashFiles(inputs.sarif-file) != ''", "true")
    inputs = {"upload-sarif": str(bool(given)).lower()}
    assert evaluate(condition, {**EVENTS[event], "inputs": inputs}) is UPLOADS[event]


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_plain_steps_upload_condition(event):
    (block,) = [b for b in _blocks(CI_SECTION) if "upload-sarif@" in b and "# .github/workflows/" not in b]
    (upload,) = [s for s in _yaml(block) if "upload-sarif" in s.get("uses", "")]
    assert evaluate(upload["if"], EVENTS[event]) is UPLOADS[event]


def test_workflow_runs_on_pushes_and_pull_requests_with_the_permissions_upload_needs(workflow):
    on = workflow.get("on", workflow.get(True))   # YAML 1.1 readers turn the key `on` into true
    assert "push" in on and "pull_request" in on
    assert workflow["permissions"] == {"contents": "read", "actions": "read", "security-events": "write"}


# ------------------------------------------------------------------ the Action

def _step(action, step_id):
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def _bash(script: str, env: dict, cwd) -> tuple[subprocess.CompletedProcess, dict]:
    output = cwd / "github_output.txt"
    output.write_text("")
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PATH": path, "GITHUB_OUTPUT": str(output), **env})
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, outputs


def test_paths_input_is_one_path_per_line(action, tmp_path):
    """Run the lint step's script: two paths, one with a space, blank lines and indentation around them."""
    import json

    assert "one per line" in action["inputs"]["paths"]["description"]
    write(tmp_path, "stacks/my app/app.yaml", BAD)
    write(tmp_path, "infra/queue.yaml", BAD)
    write(tmp_path, "ignored/other.yaml", BAD)
    lint = _step(action, "lint")
    done, outputs = _bash(lint["run"], {"PATHS": "  stacks/my app \n\ninfra/queue.yaml\n", "SARIF_FILE": "o.sarif",
                                         "ARGS": "--isolated --select SQS001"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "1", done.stdout + done.stderr
    files = sorted(re.findall(r"^::error file=([^,]+),", done.stdout, re.M))
    assert files == ["infra/queue.yaml", "stacks/my app/app.yaml"], done.stdout
    log = json.loads((tmp_path / "o.sarif").read_text())
    assert len(log["runs"][0]["results"]) == 2


def test_setup_python_runs_only_without_a_suitable_python(action, tmp_path):
    find = _step(action, "python")
    done, outputs = _bash(find["run"], {}, tmp_path)
    assert done.returncode == 0 and outputs == {"suitable": "true"}        # the Python running these tests
    setup = next(s for s in action["runs"]["steps"] if "setup-python" in s.get("uses", ""))
    context = {"inputs": {"python-version": "3.12"}}
    assert evaluate(setup["if"], {**context, "steps": {"python": {"outputs": {"suitable": "true"}}}}) is False
    assert evaluate(setup["if"], {**context, "steps": {"python": {"outputs": {"suitable": "false"}}}}) is True
    # A python3 older than 3.10 on PATH is not suitable.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")
    (fake / "python3").chmod(0o755)
    done, outputs = _bash(find["run"], {"PATH": f"{fake}:/usr/bin:/bin"}, tmp_path)
    assert outputs == {"suitable": "false"}, done.stderr
    steps = action["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert steps.index(find) < steps.index(setup) < steps.index(install)


def test_pip_downloads_are_cached(action, tmp_path):
    pip = _step(action, "pip")
    done, outputs = _bash(pip["run"], {"ACTION_PATH": str(ROOT), "RUNNER_OS_NAME": "Linux"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs["dir"] and outputs["key"].startswith(outputs["restore"]) and len(outputs["key"]) > len(
        outputs["restore"])
    cache = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"] == {"path": "${{ steps.pip.outputs.dir }}", "key": "${{ steps.pip.outputs.key }}",
                             "restore-keys": "${{ steps.pip.outputs.restore }}"}
    steps = action["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert steps.index(cache) < steps.index(install)


# ------------------------------------------------------------------ packaging

def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_cfn_flip_is_a_test_dependency_only():
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    name = lambda req: re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower()  # noqa: E731
    assert "cfn-flip" not in {name(r) for r in project["dependencies"]}
    assert "cfn-flip" in {name(r) for r in project["optional-dependencies"]["test"]}
    shipped = [p for d in ("linter", "rules") for p in (ROOT / d).rglob("*.py")]
    assert shipped and not any({"cfn_flip", "cfn_tools"} & _imports(p) for p in shipped)
    assert any("cfn_tools" in _imports(p) for p in (ROOT / "tests").glob("*.py"))


def test_install_uses_a_virtual_environment_of_its_own(action, tmp_path):
    """Run the install step with a stand-in python3 that logs its calls: a venv under RUNNER_TEMP, the venv's pip,
    and the venv's bin on GITHUB_PATH for the lint step (the runner's Python may be externally managed)."""
    install = next(s for s in action["runs"]["steps"] if "pip install" in s.get("run", ""))
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(
        "#!/bin/sh\n"
        f'echo "python3 $*" >> {log}\n'
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; '
        f'printf \'#!/bin/sh\\necho "venv-python $*" >> {log}\\n\' > "$3/bin/python"; chmod +x "$3/bin/python"; fi\n')
    (fake / "python3").chmod(0o755)
    github_path = tmp_path / "github_path.txt"
    github_path.write_text("")
    done, _ = _bash(install["run"], {"PATH": f"{fake}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path / "runner"),
                                     "ACTION_PATH": "/actions/cfn-arch-lint", "GITHUB_PATH": str(github_path)},
                    tmp_path)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "runner" / "cfn-arch-lint-venv"
    assert log.read_text().splitlines() == [
        f"python3 -m venv {venv}",
        "venv-python -m pip install --disable-pip-version-check /actions/cfn-arch-lint"]
    assert github_path.read_text().splitlines() == [f"{venv}/bin"]
