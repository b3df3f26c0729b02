"""``cfn-arch-lint audit`` end to end against a real ``moto_server`` (moto[server]) on 127.0.0.1.

The server is started once for this module on a free port; the stacks below are deployed to it with
``create_stack`` and audited through the CLI (click's CliRunner, and once as a subprocess that only has
``AWS_ENDPOINT_URL``). Templates live in fixtures/audit/ (see its README.md).

Deployed (account 123456789012 unless said otherwise):

  us-east-1  defects        defects.yaml      SQS001 error on Jobs, SQS002 warning on JobsDLQ
             vis-low        visibility.yaml   Vis=20  -> SQS001 error on Queue (the Default 600 would pass)
             vis-high       visibility.yaml   Vis=600 -> nothing
             secret         noecho.yaml       Vis=20 but NoEcho -> SQS001 not evaluated, no finding
             orders-json    defects.json      JSON body (a dict from botocore) -> SQS001 warning on Orders
             parent         parent.yaml       nested stack parent-Child-XXXX (child.yaml, Timeout=45 passed
                                              down) -> SQS001 error on Inbox in the child, linked to parent
             sam-app        sam-processed.json  the SAM expansion as AWS would return it -> SQS001 on Queue
             sam-source     sam-source.yaml   the SAM source (moto does not transform it) -> SQS001 on Queue
             gone           visibility.yaml   deleted -> never listed
             pending        visibility.yaml   REVIEW_IN_PROGRESS (change set never executed) -> skipped
  eu-west-1  eu-defects     defects.yaml      SQS001 + SQS002
  account 210987654321 (through sts:AssumeRole), us-east-1:
             other-account  visibility.yaml   Vis=20 -> SQS001
"""
from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

from click.testing import CliRunner  # noqa: E402

from linter import audit as audit_mod  # noqa: E402
from linter.cli import main  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "audit"
OTHER_ACCOUNT = "210987654321"
BUCKET = "audit-templates"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def aws_env():
    """Fake credentials for this module; nothing from the developer's AWS setup leaks in."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                     "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDFORMATION", "AWS_ENDPOINT_URL_STS",
                     "AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_MAX_ATTEMPTS",
                     "AWS_RETRY_MODE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="module")
def moto_endpoint(aws_env, tmp_path_factory):
    """A real moto_server on 127.0.0.1, killed when this module's tests are done."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _create(cf, name, template_file, **parameters):
    body = (FIXTURES / template_file).read_text()
    cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()])
    status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE", (name, status)


@pytest.fixture(scope="module")
def deployed(moto_endpoint):
    def client(service, region="us-east-1", **kwargs):
        return boto3.client(service, region_name=region, endpoint_url=moto_endpoint, **kwargs)

    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="child.yaml", Body=(FIXTURES / "child.yaml").read_bytes())

    cf = client("cloudformation")
    _create(cf, "defects", "defects.yaml")
    _create(cf, "vis-low", "visibility.yaml", Vis=20)
    _create(cf, "vis-high", "visibility.yaml", Vis=600)
    _create(cf, "secret", "noecho.yaml", Vis=20)
    _create(cf, "orders-json", "defects.json")
    # moto resolves a TemplateURL of the form https://<bucket>.s3.amazonaws.com/<key> against its own S3.
    _create(cf, "parent", "parent.yaml", TemplateBucketUrl=f"https://{BUCKET}.s3.amazonaws.com")
    _create(cf, "sam-app", "sam-processed.json")
    _create(cf, "sam-source", "sam-source.yaml")
    _create(cf, "gone", "visibility.yaml", Vis=20)
    cf.delete_stack(StackName="gone")
    # A change set that was never executed leaves a stack in REVIEW_IN_PROGRESS: listed, nothing deployed.
    cf.create_change_set(StackName="pending", ChangeSetName="never-run", ChangeSetType="CREATE",
                         TemplateBody=(FIXTURES / "visibility.yaml").read_text(),
                         Parameters=[{"ParameterKey": "Vis", "ParameterValue": "20"}],
                         Capabilities=["CAPABILITY_IAM"])

    _create(client("cloudformation", "eu-west-1"), "eu-defects", "defects.yaml")

    credentials = client("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/Deployer",
                                            RoleSessionName="deploy")["Credentials"]
    other = client("cloudformation", aws_access_key_id=credentials["AccessKeyId"],
                   aws_secret_access_key=credentials["SecretAccessKey"],
                   aws_session_token=credentials["SessionToken"])
    _create(other, "other-account", "visibility.yaml", Vis=20)

    children = [s["StackName"] for s in cf.list_stacks()["StackSummaries"] if s["StackName"].startswith("parent-")]
    assert len(children) == 1, children
    return {"endpoint": moto_endpoint, "child": children[0]}


def runner() -> CliRunner:
    """stdout and stderr apart (click 8.2+ always keeps them apart; 8.1 needs mix_stderr=False)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


# The deployed stacks exercise SQS001 and SQS002; other rules may report on them too.
EXERCISED_RULES = ("--select", "SQS001,SQS002")


def run(*args, env=None):
    select = () if "--select" in args else EXERCISED_RULES
    return runner().invoke(main, ["audit", *args, *select], env=env, catch_exceptions=False)


def run_json(deployed, *args):
    result = run("--endpoint-url", deployed["endpoint"], "-f", "json", *args)
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    return result, report


def found(report):
    """{(stack uri, rule code, logical id, severity)} of the findings in a JSON report."""
    return {(f["location"]["path"], f["rule"]["code"], f["location"]["logicalId"], f["severity"])
            for f in report["findings"]}


# ------------------------------------------------------------------------------------------- end to end


def test_audit_two_regions_finds_the_deployed_defects(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--region", "eu-west-1")
    assert result.exit_code == 1, result.output
    child = f"stack://us-east-1/{deployed['child']}"
    assert found(report) == {
        ("stack://us-east-1/defects", "SQS001", "Jobs", "error"),
        ("stack://us-east-1/defects", "SQS002", "JobsDLQ", "warning"),
        ("stack://us-east-1/vis-low", "SQS001", "Queue", "error"),
        ("stack://us-east-1/orders-json", "SQS001", "Orders", "warning"),
        (child, "SQS001", "Inbox", "error"),
        ("stack://us-east-1/sam-app", "SQS001", "Queue", "error"),
        ("stack://us-east-1/sam-source", "SQS001", "Queue", "error"),
        ("stack://eu-west-1/eu-defects", "SQS001", "Jobs", "error"),
        ("stack://eu-west-1/eu-defects", "SQS002", "JobsDLQ", "warning"),
    }
    files = {f["path"]: f["status"] for f in report["files"]}
    assert files == {uri: "linted" for uri in (
        "stack://us-east-1/defects", "stack://us-east-1/vis-low", "stack://us-east-1/vis-high",
        "stack://us-east-1/secret", "stack://us-east-1/orders-json", "stack://us-east-1/parent", child,
        "stack://us-east-1/sam-app", "stack://us-east-1/sam-source", "stack://eu-west-1/eu-defects")}
    # The deleted stack is not listed; the other account's stack is not visible with these credentials.
    assert "stack://us-east-1/gone" not in files and "stack://us-east-1/other-account" not in files
    # Summary on stderr: stacks scanned, regions, the nested link, findings.
    assert "Audited 10 stacks in 2 regions (us-east-1, eu-west-1), account 123456789012" in result.stderr
    assert f"1 nested: {child} in stack://us-east-1/parent" in result.stderr
    assert "9 findings." in result.stderr
    assert ("skipped 1: stack://us-east-1/pending (REVIEW_IN_PROGRESS: it was created for a change set that was "
            "never executed: nothing is deployed)") in result.stderr


def test_deployed_parameter_values_decide_the_verdict(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "vis-*")
    assert result.exit_code == 1
    assert [f["path"] for f in report["files"]] == ["stack://us-east-1/vis-low", "stack://us-east-1/vis-high"]
    (finding,) = report["findings"]
    assert finding["location"]["path"] == "stack://us-east-1/vis-low"
    assert "is 20 s (parameter Vis = 20, the deployed value)" in finding["message"]
    # Line numbers point into the fetched YAML body: VisibilityTimeout is on line 12 of visibility.yaml.
    assert finding["location"]["line"] == 12

    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "vis-high")
    assert result.exit_code == 0 and report["findings"] == []


def test_noecho_parameter_is_not_evaluated(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "secret", "--show-not-evaluated")
    assert result.exit_code == 0, result.output
    assert report["findings"] == []
    # Every rule that reads the masked value reports it (SQS001, SQS008 ...); SQS001 is the one under test.
    reasons = [(n["rule"]["code"], n["location"]["path"], n["reason"]) for n in report["notEvaluated"]
               if n["rule"]["code"] == "SQS001"]
    assert reasons == [("SQS001", "stack://us-east-1/secret",
                        "parameter Vis is NoEcho: its deployed value is masked")]


def test_nested_stack_is_audited_with_the_parameters_its_parent_passed(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "parent")
    child = f"stack://us-east-1/{deployed['child']}"
    # Only "parent" matches, its child comes with it.
    assert [f["path"] for f in report["files"]] == ["stack://us-east-1/parent", child]
    assert found(report) == {(child, "SQS001", "Inbox", "error")}
    (finding,) = report["findings"]
    assert "45 s (parameter Timeout = 45" in finding["message"]
    assert f"{child} in stack://us-east-1/parent" in result.stderr
    assert result.exit_code == 1

    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "parent*", "--no-include-nested")
    assert [f["path"] for f in report["files"]] == ["stack://us-east-1/parent"]
    assert report["findings"] == [] and result.exit_code == 0
    assert f"skipped 1: {child} (nested in stack://us-east-1/parent, and --no-include-nested was given)" \
        in result.stderr


def test_meta_links_stack_arn_account_and_parent(deployed):
    outcome = audit_mod.audit(audit_mod.AuditOptions(regions=("us-east-1",), stacks=("parent", "orders-json"),
                                                     endpoint_url=deployed["endpoint"]))
    by_name = {r.meta["stackName"]: r for r in outcome.results}
    assert set(by_name) == {"parent", deployed["child"], "orders-json"}
    parent, child = by_name["parent"], by_name[deployed["child"]]
    assert parent.meta["stackArn"].startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/parent/")
    assert {k: parent.meta[k] for k in ("region", "account", "templateStage", "stackStatus")} == {
        "region": "us-east-1", "account": "123456789012", "templateStage": "Processed",
        "stackStatus": "CREATE_COMPLETE"}
    assert "parentStackArn" not in parent.meta
    assert child.meta["parentStackArn"] == parent.meta["stackArn"]
    assert child.path == f"stack://us-east-1/{deployed['child']}"
    # A JSON body arrives as a dict and goes through lint_template; a YAML body keeps its text.
    assert by_name["orders-json"].text is None and by_name["orders-json"].template["Resources"]["Orders"]
    (orders,) = [f for f in by_name["orders-json"].findings if f.code == "SQS001"]
    assert (orders.location.line, orders.location.pointer) == (1, "Resources/Orders/Properties/VisibilityTimeout")
    assert isinstance(parent.text, str) and "AWS::CloudFormation::Stack" in parent.text
    assert outcome.account == "123456789012"


def test_template_stage_option(deployed):
    outcome = audit_mod.audit(audit_mod.AuditOptions(regions=("us-east-1",), stacks=("sam-*",),
                                                     endpoint_url=deployed["endpoint"], template_stage="original"))
    assert {r.meta["stackName"]: r.meta["templateStage"] for r in outcome.results} == {
        "sam-app": "Original", "sam-source": "Original"}
    # moto ignores TemplateStage; the SAM source is expanded by our own engine and gives the same verdict
    # as the processed fixture that aws-sam-translator made.
    verdicts = {r.meta["stackName"]: sorted((f.code, f.location.logical_id, f.severity.label) for f in r.findings
                                            if f.code == "SQS001") for r in outcome.results}
    assert verdicts == {"sam-app": [("SQS001", "Queue", "error")], "sam-source": [("SQS001", "Queue", "error")]}


def test_role_arn_audits_the_other_account(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--role-arn",
                              f"arn:aws:iam::{OTHER_ACCOUNT}:role/ReadOnlyAudit", "--role-session-name", "ci",
                              "--external-id", "xyz")
    assert result.exit_code == 1, result.output
    assert found(report) == {("stack://us-east-1/other-account", "SQS001", "Queue", "error")}
    assert f"account {OTHER_ACCOUNT}" in result.stderr


def test_bogus_region_is_reported_and_the_other_region_goes_on(deployed):
    result, report = run_json(deployed, "--region", "xx-nowhere-9", "--region", "eu-west-1")
    assert result.exit_code == 1
    assert found(report) == {("stack://eu-west-1/eu-defects", "SQS001", "Jobs", "error"),
                             ("stack://eu-west-1/eu-defects", "SQS002", "JobsDLQ", "warning")}
    lines = [line for line in result.stderr.splitlines() if "xx-nowhere-9" in line]
    assert lines[0].startswith("cfn-arch-lint: xx-nowhere-9: unknown region 'xx-nowhere-9'")
    assert "1 region failed: xx-nowhere-9" in result.stderr


def test_access_denied_on_get_template_is_one_line_per_stack(deployed):
    """moto enforces IAM when asked to (POST /moto-api/reset-auth): a user without GetTemplate."""
    endpoint = deployed["endpoint"]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    iam.create_user(UserName="lister")
    iam.put_user_policy(UserName="lister", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*",
                       "Action": ["cloudformation:ListStacks", "cloudformation:DescribeStacks",
                                  "cloudformation:ListStackResources"]}]}))
    key = iam.create_access_key(UserName="lister")["AccessKey"]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    def set_auth(count):
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=count.encode(), method="POST",
                                         headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    set_auth("0")
    try:
        result = run("--endpoint-url", endpoint, "-f", "json", "--region", "us-east-1", "--stack", "vis-*",
                     env=env)
    finally:
        set_auth("inf")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    denied = [line for line in result.stderr.splitlines() if "access denied" in line]
    assert len(denied) == 2, result.stderr
    assert denied[0].startswith("cfn-arch-lint: stack://us-east-1/vis-low: access denied (AccessDenied")
    report = json.loads(result.stdout)
    assert {f["path"]: f["status"] for f in report["files"]} == {
        "stack://us-east-1/vis-low": "unreadable", "stack://us-east-1/vis-high": "unreadable"}
    assert "2 stacks could not be read" in result.stderr


def test_unreachable_endpoint_exits_2_without_traceback(deployed):
    port = _free_port()  # nothing listens there
    result = run("--endpoint-url", f"http://127.0.0.1:{port}", "--region", "us-east-1", "--region", "eu-west-1",
                 "--max-attempts", "1")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for region in ("us-east-1", "eu-west-1"):
        assert f"cfn-arch-lint: {region}: cannot list stacks: cannot reach the endpoint" in result.stderr
    assert "Audited 0 stacks in 0 regions; 2 regions failed: us-east-1, eu-west-1; 0 findings." in result.stderr


def test_stack_filter_matching_nothing_exits_2(deployed):
    result = run("--endpoint-url", deployed["endpoint"], "--region", "us-east-1", "--stack", "no-such-*")
    assert result.exit_code == 2
    assert "no stack matches --stack no-such-* in us-east-1" in result.stderr


def test_empty_region_is_clean(deployed):
    result = run("--endpoint-url", deployed["endpoint"], "--region", "ap-southeast-2")
    assert result.exit_code == 0, result.output
    assert "no stacks found in ap-southeast-2" in result.stderr


def test_all_regions(deployed):
    result, report = run_json(deployed, "--all-regions", "--select", "SQS001")
    assert result.exit_code == 1
    paths = {f["location"]["path"] for f in report["findings"]}
    assert "stack://eu-west-1/eu-defects" in paths and "stack://us-east-1/defects" in paths
    assert {f["rule"]["code"] for f in report["findings"]} == {"SQS001"}


def test_every_output_format_renders_stack_uris(deployed, tmp_path):
    from linter.options import FORMATS

    assert set(FORMATS) == {"text", "json", "sarif", "github", "junit", "html"}
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = run("--endpoint-url", deployed["endpoint"], "--region", "us-east-1", "--stack", "defects",
                     "-f", fmt, "-o", str(out), "--no-color")
        assert result.exit_code == 1, (fmt, result.output)
        # (github annotations escape the ":" of a property value as %3A)
        assert "us-east-1/defects" in out.read_text(), fmt
    text = (tmp_path / "report.text").read_text()
    assert "stack://us-east-1/defects:8:3: SQS001 [error]" in text
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert uris == {"stack://us-east-1/defects"}


def test_severity_and_select_apply(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "defects", "--severity", "error")
    assert found(report) == {("stack://us-east-1/defects", "SQS001", "Jobs", "error")}
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "defects", "--ignore", "SQS001")
    assert found(report) == {("stack://us-east-1/defects", "SQS002", "JobsDLQ", "warning")}


def test_console_script_with_aws_endpoint_url_only(deployed):
    """The installed command, in a subprocess, pointed at moto only through AWS_ENDPOINT_URL."""
    env = dict(os.environ, AWS_ENDPOINT_URL=deployed["endpoint"])
    proc = subprocess.run([sys.executable, "-m", "linter", "audit", "--region", "eu-west-1", "-f", "json",
                           *EXERCISED_RULES],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert found(report) == {("stack://eu-west-1/eu-defects", "SQS001", "Jobs", "error"),
                             ("stack://eu-west-1/eu-defects", "SQS002", "JobsDLQ", "warning")}
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------- without AWS


def test_missing_boto3_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` now raises ImportError
    result = runner().invoke(main, ["audit", "--region", "us-east-1"])
    assert result.exit_code == 2
    assert "pip install 'cfn-arch-lint[aws]'" in result.stderr
    assert "Traceback" not in result.output
    with pytest.raises(audit_mod.AuditAbort, match=r"cfn-arch-lint\[aws\]"):
        audit_mod.audit(audit_mod.AuditOptions(regions=("us-east-1",)))


def test_importing_the_cli_does_not_import_boto3():
    code = "import sys, linter.cli, linter.audit; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_no_region_anywhere_is_a_clear_error(monkeypatch, aws_env):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    result = runner().invoke(main, ["audit", "--endpoint-url", "http://127.0.0.1:9", "--max-attempts", "1"])
    assert result.exit_code == 2
    assert "no region: give --region" in result.stderr


def test_unknown_profile_is_a_clear_error(aws_env):
    result = runner().invoke(main, ["audit", "--profile", "nope", "--region", "us-east-1"])
    assert result.exit_code == 2
    assert "the AWS profile 'nope' is not in the AWS config or credentials file" in result.stderr


def _client_error(code, message="m"):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, "GetTemplate")


@pytest.mark.parametrize("code, expected", [
    ("AccessDenied", "access denied (AccessDenied: m)"),
    ("ExpiredToken", "the credentials have expired"),
    ("InvalidClientTokenId", "the credentials are not valid here"),
    ("Throttling", "throttled by AWS after 10 attempts; run again later or raise --max-attempts"),
    ("ValidationError", "ValidationError: m"),
])
def test_error_messages(code, expected):
    assert audit_mod.describe_error(_client_error(code), 10).startswith(expected)


def test_expired_credentials_are_fatal_once():
    assert audit_mod._is_credentials_failure(_client_error("ExpiredToken"))
    assert not audit_mod._is_credentials_failure(_client_error("AccessDenied"))


def test_helpers():
    arn = "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/app/0f0e-11"
    assert audit_mod.pseudo_parameters(arn, "app", "cn-north-1") == {
        "AWS::StackName": "app", "AWS::StackId": arn, "AWS::Region": "cn-north-1",
        "AWS::AccountId": "111122223333", "AWS::Partition": "aws-cn", "AWS::URLSuffix": "amazonaws.com.cn"}
    assert audit_mod.matches(("prod-*",), "prod-api", arn)
    assert audit_mod.matches((arn,), "app", arn)
    assert audit_mod.matches(("*:111122223333:*",), "app", arn)
    assert not audit_mod.matches(("prod-*",), "app", arn)
    assert audit_mod.skip_reason("ROLLBACK_COMPLETE").startswith("its creation failed")
    assert audit_mod.skip_reason("REVIEW_IN_PROGRESS")
    assert audit_mod.skip_reason("UPDATE_ROLLBACK_COMPLETE") is None
    assert audit_mod.skip_reason("DELETE_FAILED") is None
    from linter.values import Unknown

    params = audit_mod.deployed_parameters(
        {"Parameters": [{"ParameterKey": "A", "ParameterValue": "1"},
                        {"ParameterKey": "B", "ParameterValue": "****"},
                        {"ParameterKey": "C", "ParameterValue": "secret"},
                        {"ParameterKey": "D", "ParameterValue": "/ssm/name", "ResolvedValue": "42"}]}, {"C"})
    assert params == {"A": "1", "B": Unknown("parameter B is NoEcho: its deployed value is masked"),
                      "C": Unknown("parameter C is NoEcho: its deployed value is masked"), "D": "42"}


def test_no_credentials_is_one_clear_message(deployed):
    result = run("--endpoint-url", deployed["endpoint"], "--region", "us-east-1",
                 env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "cfn-arch-lint: no AWS credentials found: set AWS_PROFILE or give --profile, or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run where an instance/task role is available"]


def test_json_files_carry_the_stack_source(deployed):
    result, report = run_json(deployed, "--region", "us-east-1", "--stack", "vis-low")
    (entry,) = report["files"]
    source = entry["source"]
    assert source["stackName"] == "vis-low" and source["region"] == "us-east-1"
    assert source["stackArn"].startswith("arn:aws:cloudformation:us-east-1:") and source["account"]
