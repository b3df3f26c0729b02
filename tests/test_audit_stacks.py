"""``audit`` checks a region's stacks together (linter/stacks.py): an export of one audited stack resolves the
import of another, against a real ``moto_server`` (the fixtures of test_audit.py). Templates: fixtures/stacks/audit/.

  ap-southeast-2  queues   queues.yaml   Work redrives to WorkDLQ; exports queues-WorkDLQName
                  alarms   alarms.yaml   WorkDLQDepth alarms on !ImportValue queues-WorkDLQName
"""
from __future__ import annotations

import json
import pathlib

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

from test_audit import aws_env, moto_endpoint, run  # noqa: E402,F401  (module fixtures: a moto_server of our own)

STACKS = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "stacks" / "audit"
REGION = "ap-southeast-2"


@pytest.fixture(scope="module")
def endpoint(moto_endpoint):  # noqa: F811
    cf = boto3.client("cloudformation", region_name=REGION, endpoint_url=moto_endpoint)
    for name in ("queues", "alarms"):
        cf.create_stack(StackName=name, TemplateBody=(STACKS / f"{name}.yaml").read_text())
        assert cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    return moto_endpoint


def audit(endpoint, *args):
    result = run("--endpoint-url", endpoint, "--region", REGION, "-f", "json", "--select", "SQS002", *args)
    assert "Traceback" not in result.output
    return result, json.loads(result.stdout)


def test_the_alarm_of_another_audited_stack_covers_the_dead_letter_queue(endpoint):
    result, report = audit(endpoint)
    assert result.exit_code == 0, result.output
    assert report["findings"] == []
    assert "cannot list exports" not in result.stderr


def test_the_queue_stack_audited_alone_has_an_unalarmed_dead_letter_queue(endpoint):
    result, report = audit(endpoint, "--stack", "queues")
    assert result.exit_code == 1
    assert [(f["location"]["path"], f["location"]["logicalId"]) for f in report["findings"]] == \
        [(f"stack://{REGION}/queues", "WorkDLQ")]


def test_an_import_of_a_stack_outside_the_audit_is_read_from_list_exports(endpoint, monkeypatch):
    from linter.audit import discovery

    asked = []
    original = discovery._ExportList.lookup

    def lookup(self, name):
        found = original(self, name)
        asked.append((name, found))
        return found

    monkeypatch.setattr(discovery._ExportList, "lookup", lookup)
    result, report = audit(endpoint, "--stack", "alarms")
    assert result.exit_code == 0, result.output
    assert "cannot list exports" not in result.stderr
    [(name, (value, exporter))] = asked
    assert name == "queues-WorkDLQName" and exporter == "queues" and "WorkDLQ" in value
