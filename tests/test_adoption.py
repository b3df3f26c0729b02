"""Adopting the tool in a real repository (issue #17, first half): fingerprints and baselines keyed on the
repository path, quiet on files that are not templates, folder walks that respect .gitignore, and the exit
policy (--fail-on, --exit-zero, CFN000 like any rule, -f parseable)."""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

import pytest

from cihelpers import BAD, BROKEN, CLEAN, TWO, ROOT, run, write

MIXED = ROOT / "fixtures" / "repos" / "mixed"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git work tree (``.git`` is all the root finder needs) as the working directory."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _git_repo(path: pathlib.Path) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q"], cwd=path, env=env, check=True)


def report(*args):
    """``check -f json`` with WorkerTimeout=60 (TWO gives SQS001 and SQS002); (click result, parsed JSON)."""
    result = run(["check", "--isolated", "-f", "json", "-p", "WorkerTimeout=60", *args])
    return result, json.loads(result.stdout) if result.stdout.strip() else None


# ---------------------------------------------------------------- one root, one spelling of a path


def test_repository_path_is_the_same_however_the_path_is_spelled(repo, monkeypatch):
    from linter.report.paths import repository_path, repository_root

    write(repo, "infra/x.yaml", TWO)
    assert repository_root() == str(repo.resolve())
    spellings = ["infra/x.yaml", "./infra/x.yaml", str(repo / "infra" / "x.yaml"), "infra/../infra/x.yaml"]
    assert {repository_path(p) for p in spellings} == {"infra/x.yaml"}
    monkeypatch.chdir(repo / "infra")
    assert repository_path("x.yaml") == repository_path("./x.yaml") == "infra/x.yaml"
    assert repository_path("-") == "<stdin>"


def test_root_falls_back_to_workspace_then_config_folder_then_cwd(tmp_path, monkeypatch):
    from linter.report.paths import repository_root

    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "proj" / "sub")
    assert repository_root() == str((tmp_path / "proj" / "sub").resolve())
    write(tmp_path / "proj", ".cfn-arch-lint.yaml", "severity: info\n")
    assert repository_root() == str((tmp_path / "proj").resolve())
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    assert repository_root() == str(tmp_path.resolve())
    (tmp_path / "proj" / ".git").mkdir()
    assert repository_root() == str((tmp_path / "proj").resolve())


def test_baseline_written_for_the_repo_matches_every_spelling(repo, monkeypatch):
    """The README recipe (``check . --write-baseline``) then pre-commit's ``check infra/x.yaml``."""
    write(repo, "infra/x.yaml", TWO)
    result, _ = report(".", "--write-baseline", "b.json")
    assert result.exit_code == 0
    entries = json.loads((repo / "b.json").read_text())["findings"]
    assert {e["path"] for e in entries} == {"infra/x.yaml"} and len(entries) == 2
    for spelling in ("infra/x.yaml", "./infra/x.yaml", str(repo / "infra" / "x.yaml"), "infra"):
        result, data = report(spelling, "--baseline", "b.json")
        assert result.exit_code == 0, (spelling, result.stdout)
        assert data["baseline"]["matched"] == 2 and data["baseline"]["stale"] == [], spelling
    monkeypatch.chdir(repo / "infra")
    result, data = report("x.yaml", "--baseline", "../b.json")
    assert result.exit_code == 0 and data["baseline"]["matched"] == 2


def test_stale_entries_warn_whatever_the_spelling(repo):
    write(repo, "infra/x.yaml", TWO)
    report(".", "--write-baseline", "b.json")
    write(repo, "infra/x.yaml", TWO.replace("VisibilityTimeout: 300", "VisibilityTimeout: 360"))   # SQS001 fixed
    result, data = report("./infra/x.yaml", "--baseline", "b.json")
    assert result.exit_code == 0
    assert [e["rule"] for e in data["baseline"]["stale"]] == ["SQS001"]
    assert "baseline b.json: stale entry SQS001 in infra/x.yaml" in result.stderr
    assert "--write-baseline b.json" in result.stderr


def test_baseline_of_the_earlier_format_still_applies(repo):
    """Schema 1 stored the path as given (``./infra/x.yaml``) and hashed it into the fingerprint."""
    from linter.api import lint_file
    from linter.engine import all_rules

    write(repo, "infra/x.yaml", TWO)
    rules = [r for r in all_rules() if r.code in ("SQS001", "SQS002")]
    findings = lint_file("./infra/x.yaml", parameters={"WorkerTimeout": "60"}, rules=rules).findings
    assert len(findings) == 2
    old = {"schemaVersion": 1, "tool": "cfn-arch-lint",
           "findings": [{"fingerprint": f.fingerprint_for("./infra/x.yaml"), "rule": f.code,
                         "path": "./infra/x.yaml", "logicalIds": list(f.logical_ids), "message": f.message}
                        for f in findings]}
    assert all(e["fingerprint"] != f.fingerprint for e, f in zip(old["findings"], findings))   # really the old key
    write(repo, "old.json", json.dumps(old))
    result, data = report("infra/x.yaml", "--baseline", "old.json")
    assert result.exit_code == 0, result.stdout
    assert data["baseline"]["matched"] == 2 and data["baseline"]["stale"] == []
    assert "written by an earlier cfn-arch-lint" in result.stderr and "--write-baseline old.json" in result.stderr


def test_parse_errors_are_never_baselined(repo):
    write(repo, "broken.yaml", BROKEN)
    write(repo, "two.yaml", TWO)
    result, _ = report(".", "--write-baseline", "b.json")
    assert [e["rule"] for e in json.loads((repo / "b.json").read_text())["findings"]] == ["SQS001", "SQS002"]
    result, data = report(".", "--baseline", "b.json")
    assert result.exit_code == 1 and [f["rule"]["code"] for f in data["findings"]] == ["CFN000"]
    # A baseline that holds a parse error (written by hand or by an earlier version) does not hide it,
    # nor a different one later.
    from linter.api import lint_file

    (finding,) = lint_file("broken.yaml").findings
    write(repo, "old.json", json.dumps({"schemaVersion": 2, "findings": [
        {"fingerprint": finding.fingerprint, "rule": "CFN000", "path": "broken.yaml", "logicalIds": []}]}))
    write(repo, "broken.yaml", BROKEN.replace("Other:", "Other: [\n"))
    result, data = report("broken.yaml", "--baseline", "old.json")
    assert result.exit_code != 0 and [f["rule"]["code"] for f in data["findings"]] == ["CFN000"]
    assert "parse errors are never baselined" in result.stderr


def _fingerprints(args, cwd):
    os.chdir(cwd)
    result = run(["check", "--isolated", "-f", "sarif", *args])
    log = json.loads(result.stdout)
    return {r["partialFingerprints"]["cfnArchLint/v2"] for r in log["runs"][0]["results"]}, log


def test_sarif_fingerprints_do_not_depend_on_the_paths_given(repo):
    write(repo, "infra/app.yaml", BAD)
    whole, log = _fingerprints(["."], repo)
    assert len(whole) == 1
    assert _fingerprints(["infra"], repo)[0] == whole
    assert _fingerprints([str(repo / "infra" / "app.yaml")], repo)[0] == whole
    assert _fingerprints(["app.yaml"], repo / "infra")[0] == whole
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "infra/app.yaml", "uriBaseId": "%SRCROOT%"}
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    # JSON shows the same fingerprint.
    os.chdir(repo)
    data = json.loads(run(["check", "--isolated", "-f", "json", "infra"]).stdout)
    assert {f["fingerprint"] for f in data["findings"]} == whole


def test_sarif_uri_for_stdin_and_for_a_file_outside_the_repository(repo, tmp_path_factory):
    from cihelpers import github_problems, schema_errors

    from click.testing import CliRunner

    from linter.cli import main

    piped = CliRunner().invoke(main, ["check", "--isolated", "-f", "sarif", "--select", "SQS001", "-"], input=BAD)
    log = json.loads(piped.stdout)
    assert not schema_errors(log) and not github_problems(log)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "stdin", "uriBaseId": "STDIN"}
    assert "STDIN" in log["runs"][0]["originalUriBaseIds"]

    outside = tmp_path_factory.mktemp("elsewhere")
    path = write(outside, "app.yaml", BAD)
    result = run(["check", "--isolated", "-f", "sarif", str(path)])
    log = json.loads(result.stdout)
    assert not schema_errors(log) and not github_problems(log)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art["uriBaseId"] == "FILESYSTEM_ROOT" and not art["uri"].startswith("/")
    base = log["runs"][0]["originalUriBaseIds"]["FILESYSTEM_ROOT"]["uri"]
    assert base + art["uri"] == path.resolve().as_uri()


# ---------------------------------------------------------------- quiet on files that are not templates


def test_mixed_repository_exit_reflects_only_the_templates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(MIXED, tmp_path / "mixed")
    result = run(["check", "--isolated", "-f", "json", "mixed"])
    data = json.loads(result.stdout)
    statuses = {f["path"].removeprefix("mixed/"): f["status"] for f in data["files"]}
    assert statuses == {"infra/bucket.yaml": "linted", "infra/queue-worker.yaml": "linted",
                        "k8s/deployment.yaml": "skipped", "charts/web/templates/service.yaml": "skipped",
                        "config/empty.yaml": "skipped", "config/comments-only.yml": "skipped",
                        "tsconfig.json": "skipped"}
    assert [f["rule"]["code"] for f in data["findings"]] == ["SQS001"]
    assert result.exit_code == 1
    assert "5 not a template" in result.stderr
    reasons = {f["path"].removeprefix("mixed/"): f.get("reason") for f in data["files"]}
    assert reasons["config/empty.yaml"] == "the file is empty" and reasons["infra/bucket.yaml"] is None

    # Without the defective template the run passes.
    (tmp_path / "mixed" / "infra" / "queue-worker.yaml").unlink()
    result = run(["check", "--isolated", "mixed"])
    assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize("name,expected", [
    ("k8s/deployment.yaml", "more than one YAML document"),
    ("charts/web/templates/service.yaml", "YAML syntax error"),
    ("config/empty.yaml", "the file is empty"),
    ("config/comments-only.yml", "only comments"),
    ("tsconfig.json", "JSON syntax error"),
])
def test_verbose_says_why_a_file_was_skipped(name, expected):
    path = MIXED / name
    quiet = run(["check", "--isolated", str(path)])
    assert quiet.exit_code == 0 and quiet.stdout == "" and "CFN000" not in quiet.output
    assert f"{path}: skipped" not in quiet.stderr
    verbose = run(["check", "--isolated", "--verbose", str(path)])
    assert verbose.exit_code == 0
    assert f"{path}: skipped: " in verbose.stderr and expected in verbose.stderr


@pytest.mark.parametrize("text", [
    'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Q: {Type: AWS::SQS::Queue\n',
    "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: [\n",
    "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Q:\n    Type: AWS::SNS::Topic\n",
    "Resources:\n  R:\n    Type: Custom::Thing\n---\nOther: 1\n",
    '{"Resources": {"Q": {"Type": "AWS::SQS::Queue",}}}',
])
def test_a_file_that_looks_like_a_template_is_a_parse_error(tmp_path, text):
    path = write(tmp_path, "t.json" if text.startswith("{") else "t.yaml", text)
    result = run(["check", "--isolated", "-f", "json", str(path)])
    data = json.loads(result.stdout)
    assert data["files"][0]["status"] == "parse-error"
    assert [f["rule"]["code"] for f in data["findings"]] == ["CFN000"]
    assert result.exit_code == 2   # nothing could be read


def test_a_template_embedded_in_a_kubernetes_configmap_is_not_one(tmp_path):
    text = ("apiVersion: v1\nkind: ConfigMap\ndata:\n  template.yaml: |\n    AWSTemplateFormatVersion: '2010-09-09'\n"
            "    Resources:\n      Q:\n        Type: AWS::SQS::Queue\n---\napiVersion: v1\nkind: Secret\n")
    path = write(tmp_path, "cm.yaml", text)
    assert run(["check", "--isolated", str(path)]).exit_code == 0


def test_readme_lists_what_is_a_parse_error_and_what_is_skipped():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**What counts as a template:**"):]
    section = section[:section.index("\n\n")]
    for words in ("Kubernetes", "Helm", "empty", "comments", "tsconfig.json", "--verbose", "CFN000"):
        assert words in section, words


# ---------------------------------------------------------------- folder walks


def test_walk_respects_gitignore_info_exclude_and_skips_generated_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _git_repo(tmp_path)
    for name in ("infra/app.yaml", "build/app.yaml", "local/app.yaml", "cdk.out/Stack.template.json",
                 "node_modules/pkg/app.yaml", ".aws-sam/build/template.yaml", "infra/nested/kept.yaml",
                 "infra/nested/drop.yaml"):
        write(tmp_path, name, BAD)
    write(tmp_path, ".gitignore", "build/\n")
    write(tmp_path, "infra/nested/.gitignore", "drop.yaml\n")
    write(tmp_path, ".git/info/exclude", "local/\n")
    result = run(["check", "--isolated", "-f", "json", "."])
    linted = sorted(f["path"] for f in json.loads(result.stdout)["files"])
    assert linted == ["infra/app.yaml", "infra/nested/kept.yaml"]
    # A file named on the command line is read even when git ignores it.
    result = run(["check", "--isolated", "-f", "json", "build/app.yaml"])
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == ["build/app.yaml"]


def test_walk_without_git_still_skips_the_default_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("app.yaml", "cdk.out/x.yaml", "node_modules/x.yaml", ".aws-sam/x.yaml", "build/app.yaml",
                 ".hidden.yaml"):
        write(tmp_path, name, BAD)
    write(tmp_path, ".gitignore", "build/\n")   # not a git repository: git would not apply it either
    result = run(["check", "--isolated", "-f", "json"])
    # Hidden folders are skipped, hidden files are not.
    assert sorted(f["path"] for f in json.loads(result.stdout)["files"]) == [".hidden.yaml", "app.yaml",
                                                                             "build/app.yaml"]


def test_exclude_and_extend_exclude_from_config_and_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("infra/app.yaml", "legacy/old.yaml", "infra/sandbox-x.yaml", "cdk.out/x.yaml", "gen/y.yaml"):
        write(tmp_path, name, BAD)
    write(tmp_path, ".cfn-arch-lint.yaml", "extend-exclude: [legacy/**, '*sandbox*']\n")

    def walked(*args):
        result = run(["check", "-f", "json", *args], only="SQS001")
        return sorted(f["path"] for f in json.loads(result.stdout)["files"] if f["status"] != "skipped")

    assert walked() == ["gen/y.yaml", "infra/app.yaml"]
    assert walked("--extend-exclude", "gen") == ["infra/app.yaml"]
    # --exclude replaces the defaults (and the config's exclude): cdk.out is walked again.
    assert walked("--exclude", "gen/") == ["cdk.out/x.yaml", "infra/app.yaml"]
    write(tmp_path, ".cfn-arch-lint.yaml", "exclude: [infra]\n")
    assert walked() == ["cdk.out/x.yaml", "gen/y.yaml", "legacy/old.yaml"]
    # Named files are read whatever the excludes say.
    assert walked("infra/app.yaml") == ["infra/app.yaml"]


def test_exclude_globs_are_validated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, ".cfn-arch-lint.yaml", "exclude: legacy\n")
    write(tmp_path, "app.yaml", CLEAN)
    result = run(["check", "app.yaml"])
    assert result.exit_code == 2 and "exclude" in result.stderr


def test_check_without_a_path_means_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "infra/app.yaml", BAD)
    result = run(["check", "--isolated"])
    assert result.exit_code == 1 and "infra/app.yaml:4:3: SQS001" in result.stdout


# ---------------------------------------------------------------- exit policy and output


def test_fail_on_and_exit_zero(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "two.yaml", TWO)   # SQS001 warning, SQS002 warning or info: see below

    def exit_for(*args):
        return run(["check", "--isolated", "-p", "WorkerTimeout=60", "two.yaml", *args]).exit_code

    data = json.loads(run(["check", "--isolated", "-f", "json", "-p", "WorkerTimeout=60", "two.yaml"]).stdout)
    worst = max(f["severity"] for f in data["findings"] if f["severity"] in ("warning", "info"))
    assert {f["severity"] for f in data["findings"]} <= {"warning", "info"} and worst == "warning"
    assert exit_for() == 1
    assert exit_for("--fail-on", "warning") == 1
    assert exit_for("--fail-on", "error") == 0
    assert exit_for("--fail-on", "never") == 0
    assert exit_for("--exit-zero") == 0
    # --severity filters what is reported, --fail-on decides among it.
    result = run(["check", "--isolated", "-p", "WorkerTimeout=60", "two.yaml", "--fail-on", "error"])
    assert "SQS001 [warning]" in result.stdout and result.exit_code == 0
    write(tmp_path, ".cfn-arch-lint.yaml", "fail-on: error\n")
    assert run(["check", "-p", "WorkerTimeout=60", "two.yaml"]).exit_code == 0
    assert run(["check", "-p", "WorkerTimeout=60", "two.yaml", "--fail-on", "warning"]).exit_code == 1


def test_internal_error_exits_2_whatever_fail_on_says(tmp_path, monkeypatch):
    import linter.build

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", CLEAN)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(linter.build, "build_graph", broken)
    for extra in ([], ["--exit-zero"], ["--fail-on", "never"], ["--ignore", "CFN000"]):
        result = run(["check", "--isolated", "app.yaml", *extra])
        assert result.exit_code == 2 and "CFN999" in result.stdout, extra


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit", "parseable"])
def test_summary_on_stderr_for_every_format_unless_quiet(tmp_path, monkeypatch, fmt):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    result = run(["check", "--isolated", "-f", fmt, "app.yaml"])
    assert "Found 1 problem (1 error, 0 warnings, 0 info) in 1 template linted" in result.stderr
    assert "Found" not in result.stdout
    quiet = run(["check", "--isolated", "-f", fmt, "-q", "app.yaml"])
    assert quiet.stderr == ""


def test_cfn000_is_ignored_overridden_and_selected_like_any_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "fixtures/broken/bad.yaml", BROKEN)
    write(tmp_path, "app.yaml", BAD)
    both = ["app.yaml", "fixtures/broken/bad.yaml"]
    result = run(["check", "--isolated", "--ignore", "CFN000", *both])
    assert result.exit_code == 1 and "CFN000" not in result.output and "SQS001" in result.stdout
    assert run(["check", "--isolated", "--ignore", "CFN000", "fixtures/broken/bad.yaml"]).exit_code == 0
    result = run(["check", "--isolated", "--select", "CFN000", *both], only=None)
    assert result.exit_code == 1 and "CFN000" in result.stdout and "SQS001" not in result.stdout
    # A selection that does not name CFN000 still reports files that cannot be read.
    assert "CFN000" in run(["check", "--isolated", "--select", "SQS001", *both]).stdout
    write(tmp_path, ".cfn-arch-lint.yaml", "per-path-ignores: {'fixtures/broken/**': [CFN000]}\n")
    result = run(["check", *both])
    assert "CFN000" not in result.output and "SQS001" in result.stdout
    write(tmp_path, ".cfn-arch-lint.yaml", "ignore: [CFN000]\n")
    assert "CFN000" not in run(["check", *both]).output
    write(tmp_path, ".cfn-arch-lint.yaml", "severity-overrides: {CFN000: warning}\nfail-on: error\n")
    result = run(["check", "fixtures/broken/bad.yaml", "app.yaml"])
    assert "CFN000 [warning]" in result.stdout
    assert run(["check", "fixtures/broken/bad.yaml"]).exit_code == 0


def test_missing_path_empty_folder_and_non_templates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = run(["check", "--isolated", "missing.yaml"])
    assert missing.exit_code == 2
    assert "missing.yaml: no such file or folder" in missing.stderr and "Found" not in missing.stderr
    (tmp_path / "empty").mkdir()
    write(tmp_path, "others/workflow.yml", "on: push\njobs: {}\n")
    write(tmp_path, "others/blank.yaml", "")
    empty, others = run(["check", "--isolated", "empty"]), run(["check", "--isolated", "others"])
    assert empty.exit_code == others.exit_code == 0
    for result in (empty, others):
        assert result.stdout == "" and "Found" not in result.stderr
        assert "no CloudFormation templates found in the given paths" in result.stderr


def test_an_unreadable_named_file_does_not_stop_the_others(tmp_path, monkeypatch):
    if not os.path.exists("/proc/self/mem"):
        pytest.skip("needs /proc/self/mem, a file that cannot be read even as root")
    monkeypatch.chdir(tmp_path)
    os.symlink("/proc/self/mem", tmp_path / "locked.yaml")
    write(tmp_path, "app.yaml", BAD)
    result = run(["check", "--isolated", "-f", "json", "locked.yaml", "app.yaml"])
    data = json.loads(result.stdout)
    assert {f["path"]: f["status"] for f in data["files"]} == {"locked.yaml": "unreadable", "app.yaml": "linted"}
    assert sorted(f["rule"]["code"] for f in data["findings"]) == ["CFN000", "SQS001"]
    assert result.exit_code == 1


def test_parseable_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.yaml", BAD)
    result = run(["check", "--isolated", "-f", "parseable", "app.yaml"])
    (line,) = result.stdout.splitlines()
    path, start_line, start_col, end_line, end_col, code, message = line.split(":", 6)
    assert (path, start_line, start_col, code) == ("app.yaml", "4", "3", "SQS001")
    assert int(end_line) >= 4 and int(end_col) >= 1
    assert message.startswith("visibility timeout of queue Jobs is 30 s") and message.endswith("(Jobs)")
    assert result.exit_code == 1
