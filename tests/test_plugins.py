"""Third-party rules: a plugin package, installed with pip, registers its module under the
``cfn_arch_lint.rules`` entry point, and its rule shows in ``rules``, ``explain`` and ``check``.

The plugin is built here as a wheel by hand (no build backend, no network) and installed with
``pip install --no-index --target``; the commands then run in a subprocess with that directory on
``PYTHONPATH``, which is where ``importlib.metadata`` finds its entry point.
"""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

PLUGIN_MODULE = '''\
"""Acme's house rules for cfn-arch-lint."""
from linter.model import QUEUE, rule


@rule("XTN901", "acme-queue-owner-tag", severity="warning", tags=("acme",))
def queue_owner_tag(graph, ctx):
    """Every SQS queue carries Acme's owner tag.

    **What it checks.** An `AWS::SQS::Queue` without `Tags`.

    **Fix.** Tag the queue with `Key: owner`.
    """
    for queue in graph.of_type(QUEUE):
        if not queue.has("Tags"):
            yield ctx.finding(queue, f"queue {queue.logical_id} has no Tags (Acme needs an owner tag)")
'''

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Invoices:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: owner
          Value: billing
"""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder, distribution: str, modules: dict[str, str], entry_points: dict[str, str]) -> str:
    """A minimal, valid wheel: the modules, METADATA, WHEEL, entry_points.txt and RECORD."""
    dist_info = f"{distribution}-1.0.dist-info"
    files = {f"{name}.py": text for name, text in modules.items()}
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
    files[f"{dist_info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/entry_points.txt"] = "[cfn_arch_lint.rules]\n" + "".join(
        f"{name} = {target}\n" for name, target in entry_points.items())
    path = os.path.join(folder, f"{distribution}-1.0-py3-none-any.whl")
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text.encode())
            record.append(_record_line(name, text.encode()))
        record.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return path


def pip_install(wheel: str, target) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), wheel],
                   check=True, capture_output=True, text=True)


def run_cli(site, *args, cwd):
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    wheel = build_wheel(str(root), "acme_rules", {"acme_rules": PLUGIN_MODULE}, {"acme": "acme_rules"})
    site = root / "site"
    pip_install(wheel, site)
    return site


def test_a_plugin_module_shows_in_rules_explain_and_check(plugin_site, tmp_path):
    listed = run_cli(plugin_site, "rules", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == ""
    codes = [line.split()[0] for line in listed.stdout.splitlines()]
    assert "XTN901" in codes and "SQS001" in codes  # the plugin's rule beside the built-in ones

    explained = run_cli(plugin_site, "explain", "XTN901", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "acme-queue-owner-tag" in explained.stdout and "Tag the queue" in explained.stdout

    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    checked = run_cli(plugin_site, "check", str(template), "--select", "XTN", "-f", "json", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    assert '"XTN901"' in checked.stdout
    assert "queue Orders has no Tags" in checked.stdout
    assert "Invoices" not in checked.stdout  # the tagged queue passes


def test_a_plugin_that_fails_to_import_costs_one_line_and_the_builtin_rules_run(tmp_path):
    broken = textwrap.dedent("""\
        import acme_missing_dependency  # not installed
        """)
    wheel = build_wheel(str(tmp_path), "acme_broken", {"acme_broken": broken},
                        {"acme": "acme_broken", "ghost": "acme_not_a_module"})
    site = tmp_path / "site"
    pip_install(wheel, site)

    listed = run_cli(site, "rules", cwd=tmp_path)
    assert listed.returncode == 0
    lines = listed.stderr.splitlines()
    assert lines == [
        "cfn-arch-lint: plugin 'acme_broken' (entry point acme) failed to load: ModuleNotFoundError: "
        "No module named 'acme_missing_dependency'; its rules are skipped",
        "cfn-arch-lint: plugin 'acme_not_a_module' (entry point ghost) failed to load: ModuleNotFoundError: "
        "No module named 'acme_not_a_module'; its rules are skipped",
    ]
    assert "Traceback" not in listed.stderr
    assert "SQS001" in listed.stdout

    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    checked = run_cli(site, "check", str(template), "-q", cwd=tmp_path)
    assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr


def test_a_plugin_reusing_a_taken_code_is_skipped_with_one_line(tmp_path):
    clash = PLUGIN_MODULE.replace('"XTN901"', '"SQS001"')
    wheel = build_wheel(str(tmp_path), "acme_clash", {"acme_clash": clash}, {"acme": "acme_clash"})
    site = tmp_path / "site"
    pip_install(wheel, site)

    listed = run_cli(site, "rules", "-f", "json", cwd=tmp_path)
    assert listed.returncode == 0
    [line] = listed.stderr.splitlines()
    assert line.startswith("cfn-arch-lint: plugin 'acme_clash' (entry point acme) failed to load: rule code "
                           "SQS001 of acme_clash.queue_owner_tag is already taken by rules.sqs.")
    assert line.endswith("; its rules are skipped")
    assert '"sqs-visibility-timeout-vs-lambda"' in listed.stdout
    assert "acme-queue-owner-tag" not in listed.stdout
