"""How the package hangs together: no import cycle between the commands, and boto3 only for ``audit``.

Each check runs in a fresh interpreter, where ``sys.modules`` shows what an import really pulled in.
"""
from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

LINTER = pathlib.Path(__file__).resolve().parent.parent / "linter"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::SQS::Queue
"""


def loaded_after(code: str, *modules: str) -> dict:
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {list(modules)!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_audit_and_the_pipeline_do_not_import_the_cli():
    assert loaded_after("import linter.audit", "linter.cli", "linter.audit.command") == {
        "linter.cli": False, "linter.audit.command": True}
    assert loaded_after("import linter.pipeline", "linter.cli", "linter.audit") == {
        "linter.cli": False, "linter.audit": False}


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, relative imports made absolute."""
    package = ".".join(path.relative_to(LINTER.parent).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(LINTER.parent).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_entry_points_import_the_cli():
    # The command line imports the commands; a command importing the command line back is a cycle.
    importers = sorted(str(path.relative_to(LINTER.parent)) for path in LINTER.rglob("*.py")
                       if "linter.cli" in imported_modules(path))
    assert importers == ["linter/__main__.py"]


def run_cli_then_list(args) -> str:
    return ("import sys\nfrom linter.cli import main\n"
            f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass")


def test_version_and_check_do_not_import_boto3(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    for args in (["--version"], ["check", str(template), "-q"], ["rules"]):
        assert loaded_after(run_cli_then_list(args), "boto3", "botocore", "linter.audit") == {
            "boto3": False, "botocore": False, "linter.audit": True}, args


def test_starting_an_audit_session_imports_boto3():
    # The other side of the check above: the probe does see boto3 when it is imported.
    code = ("from linter.audit import AuditOptions, AwsSession\n"
            "AwsSession(AuditOptions(regions=('us-east-1',)))")
    assert loaded_after(code, "boto3") == {"boto3": True}


RULES = LINTER.parent / "rules"


def test_rules_read_the_graph_through_the_public_model_only():
    # linter/model.py is the rule API: a rule importing an internal module couples it to that module's
    # shape, and two rules then grow twin helpers. Plugins follow the same contract.
    offenders = {}
    for path in sorted(RULES.rglob("*.py")):
        internal = sorted(m for m in imported_modules(path)
                          if m.startswith("linter") and m.split(".")[:2] != ["linter", "model"]
                          and m != "linter")
        if internal:
            offenders[str(path.relative_to(RULES.parent))] = internal
    assert offenders == {}


def test_rules_do_not_look_inside_values():
    # "Unknown" is the engine's business: ctx.cases records not-evaluated, Value.known_cases() lists what is
    # decided. A rule that tests case.known itself can turn an unresolved value into a finding.
    offenders = []
    for path in sorted(RULES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "known" and not (
                    isinstance(node.value, ast.Name) and node.value.id == "Value"):
                offenders.append(f"{path.relative_to(RULES.parent)}:{node.lineno} .known")
            if isinstance(node, ast.Name) and node.id == "Unknown":
                offenders.append(f"{path.relative_to(RULES.parent)}:{node.lineno} Unknown")
    assert offenders == []
