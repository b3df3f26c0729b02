"""The real pre-commit, running this repository's hook (the current working tree) on a throwaway repo.

pre-commit installs hooks from a git revision, so uncommitted work would not be seen: the test copies the
tracked files of this checkout (with their working-tree contents) into a temporary repository, commits
them there, and points a ``.pre-commit-config.yaml`` at that commit. Building the hook environment needs
pip access (PyPI or the local mirrors); the test is skipped only when that build fails.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from cihelpers import BAD, CLEAN, ROOT, WORKFLOW, write

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
MIXED = ROOT / "fixtures" / "repos" / "mixed"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def test_manifest_fields():
    from ruamel.yaml import YAML

    (hook,) = YAML(typ="safe", pure=True).load(MANIFEST.read_text())
    assert hook["id"] == "cfn-arch-lint"
    assert hook["entry"] == "cfn-arch-lint check"
    assert hook["language"] == "python"
    assert hook["files"] == r"\.(ya?ml|json|template)$"
    assert hook["types"] == ["text"] and "types_or" not in hook
    assert hook["require_serial"] is False
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p) for p in ("a.yaml", "b.yml", "c.json", "stack.template"))
    assert not pattern.search("README.md")


def test_manifest_validates_with_pre_commit():
    pytest.importorskip("pre_commit")
    result = subprocess.run(PRE_COMMIT + ["validate-manifest", str(MANIFEST)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_static_version_in_pyproject():
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    assert "version" not in project.get("dynamic", [])


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A git repository holding a snapshot of this checkout's tracked files; returns (path, sha)."""
    src = tmp_path_factory.mktemp("hook-src")
    tracked = _git(ROOT, "ls-files", "-z").split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            target = src / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # The hook manifest itself, even when it is not committed yet.
    shutil.copy2(MANIFEST, src / ".pre-commit-hooks.yaml")
    _git(src, "init", "-q", "-b", "main")
    _git(src, "add", "-A")
    _git(src, "commit", "-q", "-m", "snapshot of the working tree")
    return src, _git(src, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One PRE_COMMIT_HOME for the module, so the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _pre_commit(cwd, home, *args):
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(PRE_COMMIT + list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=170)


def _skip_when_the_environment_cannot_be_built(result):
    output = result.stdout + result.stderr
    if result.returncode == 3 and re.search(r"install|pip|virtualenv|environment", output, re.I):
        pytest.skip("pre-commit could not build the hook environment (no pip access?):\n" + output[-2000:])


def test_hook_fails_on_the_defect_only(tmp_path, hook_repo, pre_commit_home):
    pytest.importorskip("pre_commit")
    src, sha = hook_repo
    target = tmp_path / "project"
    target.mkdir()
    write(target, "templates/queue-worker.yaml", BAD)
    write(target, "templates/bucket.yaml", CLEAN)
    write(target, ".github/workflows/ci.yml", WORKFLOW)
    write(target, ".pre-commit-config.yaml",
          f"repos:\n  - repo: {src}\n    rev: {sha}\n    hooks:\n      - id: cfn-arch-lint\n")
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", "-A")
    home = pre_commit_home

    first = _pre_commit(target, home, "run", "cfn-arch-lint", "--all-files", "--color", "never")
    output = first.stdout + first.stderr
    _skip_when_the_environment_cannot_be_built(first)
    assert first.returncode == 1, output
    assert "cfn-arch-lint" in output and "Failed" in output
    assert "templates/queue-worker.yaml:4:3: SQS001 [error]" in output
    assert "bucket.yaml" not in output
    assert "ci.yml" not in output and "workflows" not in output

    # Only the clean template and the workflow: the hook passes and says nothing about them
    # (the environment built above is reused).
    second = _pre_commit(target, home, "run", "cfn-arch-lint", "--color", "never", "--files",
                         "templates/bucket.yaml", ".github/workflows/ci.yml")
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert "Passed" in output and "ci.yml" not in output


def _hook_config(target, src, sha, args=()):
    extra = f"        args: {list(args)!r}\n" if args else ""
    write(target, ".pre-commit-config.yaml",
          f"repos:\n  - repo: {src}\n    rev: {sha}\n    hooks:\n      - id: cfn-arch-lint\n{extra}")
    _git(target, "add", "-A")


def test_hook_on_a_mixed_repository_with_a_baseline(tmp_path, hook_repo, pre_commit_home):
    """Kubernetes manifests, a Helm chart, empty and comment-only YAML and a tsconfig.json beside two
    templates: the hook judges the templates only. A baseline written by the README's whole-repository
    recipe then matches the hook's file-by-file runs; a new defect in another file still fails."""
    pytest.importorskip("pre_commit")
    src, sha = hook_repo
    target = tmp_path / "mixed"
    shutil.copytree(MIXED, target)
    _git(target, "init", "-q", "-b", "main")
    _hook_config(target, src, sha)

    first = _pre_commit(target, pre_commit_home, "run", "cfn-arch-lint", "--all-files", "--color", "never")
    _skip_when_the_environment_cannot_be_built(first)
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "infra/queue-worker.yaml:4:3: SQS001 [error]" in output
    for other in ("k8s/", "charts/", "empty.yaml", "comments-only", "tsconfig", "CFN000"):
        assert other not in output, other

    written = subprocess.run([sys.executable, "-m", "linter", "check", ".", "--write-baseline",
                              ".cfn-arch-lint-baseline.json"], cwd=target, capture_output=True, text=True)
    assert written.returncode == 0, written.stdout + written.stderr
    _hook_config(target, src, sha, ["--baseline", ".cfn-arch-lint-baseline.json"])
    for run_args in (["--all-files"], ["--files", "infra/queue-worker.yaml", "k8s/deployment.yaml"]):
        result = _pre_commit(target, pre_commit_home, "run", "cfn-arch-lint", "--color", "never", *run_args)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Passed" in output and "stale" not in output

    write(target, "infra/second.yaml", BAD)
    _git(target, "add", "-A")
    result = _pre_commit(target, pre_commit_home, "run", "cfn-arch-lint", "--all-files", "--color", "never")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "infra/second.yaml:4:3: SQS001 [error]" in output and "queue-worker.yaml:4:3" not in output
