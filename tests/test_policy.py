"""Policy documents, role permissions and resource policies, answered yes / no / unknown."""
from __future__ import annotations

import pytest

from linter.build import build_graph
from linter.load import parse
from linter.policy import (allows, function_role, lambda_permissions, permission_allows, resource_policies,
                           role_allows, role_documents, services_used, statements)
from linter.tri import Verdict, across_cases, all_of, any_of
from linter.values import Case, ResourceRef, Unknown, Value


def build(text: str, **parameters):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters or None)


def doc(*statements_):
    return {"Version": "2012-10-17", "Statement": list(statements_)}


# ---------------------------------------------------------------- Verdict


def test_verdict_is_three_valued_and_not_a_bool():
    yes, no, unknown = Verdict.true("a"), Verdict.false("b"), Verdict.unknown("c")
    assert (yes.yes, yes.no, yes.unknown) == (True, False, False)
    assert (no.yes, no.no, no.unknown) == (False, True, False)
    assert (unknown.yes, unknown.no, unknown.unknown) == (False, False, True)
    assert unknown.reason == "c"
    with pytest.raises(TypeError):
        bool(yes)


def test_any_of_and_all_of_follow_three_valued_logic():
    yes, no, unknown = Verdict.true("y"), Verdict.false("n"), Verdict.unknown("u")
    assert any_of([no, unknown]).unknown and any_of([no, unknown, yes]).yes and any_of([no, no]).no
    assert all_of([yes, unknown]).unknown and all_of([yes, unknown, no]).no and all_of([yes, yes]).yes
    assert any_of([]).no and all_of([]).yes


def test_across_cases_agrees_or_names_the_scenarios():
    a = Case(1, "", ((("condition", "IsProd"), True),))
    b = Case(2, "", ((("condition", "IsProd"), False),))
    assert across_cases([(a, Verdict.true("x")), (b, Verdict.true("y"))]).yes
    mixed = across_cases([(a, Verdict.true("x")), (b, Verdict.false("y"))])
    assert mixed.unknown and "condition IsProd is true" in mixed.reason and "condition IsProd is false" in mixed.reason


# ---------------------------------------------------------------- statements and allows


def test_statement_as_a_dict_and_normalised_elements():
    sts = statements({"Statement": {"Effect": "Allow", "Principal": {"Service": ["sns.amazonaws.com"]},
                                    "Action": "sqs:SendMessage", "Resource": ResourceRef("Q", "Arn")}})
    assert len(sts) == 1
    st = sts[0]
    assert st.effect == "Allow" and st.actions == ["sqs:SendMessage"] and st.resources == [ResourceRef("Q", "Arn")]
    assert st.principals == [("Service", "sns.amazonaws.com")] and not st.has_condition and not st.unresolved


def test_principal_star_and_aws_star_mean_anyone():
    assert statements(doc({"Effect": "Allow", "Principal": "*", "Action": "*"}))[0].principals == [("*", "*")]
    assert statements(doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}))[0].principals == [("*", "*")]
    v = allows(doc({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}),
               principal="sns.amazonaws.com", action="sqs:SendMessage", resource="⟦Q.Arn⟧")
    assert v.yes


def test_wildcard_action_is_case_insensitive():
    policy = doc({"Effect": "Allow", "Action": "SQS:Send*", "Resource": "*"})
    assert allows(policy, action="sqs:SendMessage").yes
    assert allows(policy, action="sqs:ReceiveMessage").no


def test_service_principal_must_match():
    policy = doc({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                  "Resource": "*"})
    assert allows(policy, principal="events.amazonaws.com", action="sqs:SendMessage").yes
    no = allows(policy, principal="sns.amazonaws.com", action="sqs:SendMessage")
    assert no.no and "sns.amazonaws.com" in no.reason


def test_condition_makes_the_answer_unknown_never_false():
    policy = doc({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                  "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "⟦Topic⟧"}}})
    v = allows(policy, principal="sns.amazonaws.com", action="sqs:SendMessage")
    assert v.unknown and "Condition" in v.reason
    # A statement that does not match on its action stays a no, Condition or not.
    assert allows(policy, principal="sns.amazonaws.com", action="sqs:DeleteQueue").no


def test_explicit_deny_wins():
    policy = doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
                 {"Sid": "NoDelete", "Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": "*"})
    assert allows(policy, action="sqs:SendMessage").yes
    denied = allows(policy, action="sqs:DeleteMessage")
    assert denied.no and "NoDelete" in denied.reason


def test_deny_under_condition_makes_an_allow_unknown():
    policy = doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "sqs:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert allows(policy, action="sqs:SendMessage").unknown


def test_not_action_allows_everything_else():
    policy = doc({"Effect": "Allow", "NotAction": ["iam:*", "sqs:Delete*"], "Resource": "*"})
    assert allows(policy, action="sqs:SendMessage").yes
    assert allows(policy, action="sqs:DeleteQueue").no
    assert allows(policy, action="iam:PassRole").no


def test_resource_wildcards_and_arns_built_from_refs():
    policy = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports-?/*"})
    assert allows(policy, action="s3:GetObject", resource="arn:aws:s3:::reports-1/2024/a.csv").yes
    assert allows(policy, action="s3:GetObject", resource="arn:aws:s3:::reports-12/a.csv").no
    by_token = doc({"Effect": "Allow", "Action": "sqs:SendMessage",
                    "Resource": "arn:⟦AWS::Partition⟧:sqs:⟦AWS::Region⟧:⟦AWS::AccountId⟧:⟦Orders.QueueName⟧"})
    assert allows(by_token, action="sqs:SendMessage", resource=ResourceRef("Orders", "Arn")).yes
    assert allows(by_token, action="sqs:SendMessage", resource="⟦Refunds.Arn⟧").no


def test_unresolved_element_makes_the_answer_unknown():
    policy = doc({"Effect": "Allow", "Action": "sqs:SendMessage",
                  "Resource": Unknown("parameter QueueArn has no Default")})
    v = allows(policy, action="sqs:SendMessage", resource="⟦Q.Arn⟧")
    assert v.unknown and "QueueArn" in v.reason
    # ... unless another element already rules the statement out.
    assert allows(policy, action="sns:Publish", resource="⟦Q.Arn⟧").no
    assert allows(Unknown("the document is imported"), action="sqs:SendMessage").unknown


def test_a_document_per_scenario_agrees_or_is_unknown():
    allow = doc({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"})
    deny = doc({"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"})
    key = ("condition", "Open")
    value = Value([Case(allow, "", ((key, True),)), Case(deny, "", ((key, False),))])
    v = allows(value, action="sqs:SendMessage")
    assert v.unknown and "condition Open is true" in v.reason
    assert allows(Value([Case(allow, "", ((key, True),)), Case(allow, "", ((key, False),))]),
                  action="sqs:SendMessage").yes


# ---------------------------------------------------------------- roles

ROLES = """
Parameters:
  ExtraPolicy: {Type: String}
Resources:
  Orders: {Type: AWS::SQS::Queue}
  Refunds: {Type: AWS::SQS::Queue}
  Archive: {Type: AWS::S3::Bucket, Properties: {BucketName: order-archive}}
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: send
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:SendMessage]
                Resource: !GetAtt Orders.Arn
  ArchiveAccess:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: archive
      Roles: [!Ref WorkerRole]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: s3:PutObject, Resource: arn:aws:s3:::order-archive/*}
  ReadRefunds:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref WorkerRole
      PolicyName: read-refunds
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: "sqs:ReceiveMessage", Resource: !GetAtt Refunds.Arn}
          - {Effect: Deny, Action: "sqs:SendMessage", Resource: !GetAtt Refunds.Arn}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: !GetAtt WorkerRole.Arn
  OpaqueRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns: [!Ref ExtraPolicy]
"""


def test_function_role_and_role_allows_on_inline_and_attached_policies():
    g = build(ROLES, ExtraPolicy="arn:aws:iam::123456789012:policy/x")
    role, reason = function_role(g, g.resources["Worker"])
    assert role is g.resources["WorkerRole"] and reason == ""
    assert role_allows(g, role, "sqs:SendMessage", g.resources["Orders"]).yes
    other = role_allows(g, role, "sqs:DeleteMessage", g.resources["Refunds"])
    assert other.no and "Refunds" in other.reason
    assert role_allows(g, role, "sqs:ReceiveMessage", g.resources["Refunds"]).yes      # RolePolicy
    denied = role_allows(g, role, "sqs:SendMessage", g.resources["Refunds"])
    assert denied.no and "explicitly denied" in denied.reason
    assert role_allows(g, role, "s3:PutObject", g.resources["Archive"]).yes
    assert role_allows(g, role, "logs:PutLogEvents").yes     # AWSLambdaBasicExecutionRole via !Sub
    documents, unknown = role_documents(g, role)
    assert len(documents) == 4 and unknown is None
    assert services_used(g, role) == {"sqs", "s3"}


def test_unknown_managed_policy_makes_role_answers_unknown():
    g = build(ROLES)   # ExtraPolicy has no value
    role = g.resources["OpaqueRole"]
    v = role_allows(g, role, "sqs:SendMessage")
    assert v.unknown and "ExtraPolicy" in v.reason
    assert services_used(g, role) is None
    g = build(ROLES, ExtraPolicy="arn:aws:iam::123456789012:policy/x")
    assert role_allows(g, g.resources["OpaqueRole"], "sqs:SendMessage").unknown


SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Results: {Type: AWS::SNS::Topic}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt Jobs.QueueName}
        - SNSPublishMessagePolicy: {TopicName: !GetAtt Results.TopicName}
        - RekognitionDetectOnlyPolicy: {}
      Events:
        FromJobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Policies: [AmazonS3ReadOnlyAccess]
"""


def test_sam_policy_templates_and_managed_policies_of_the_generated_role():
    g = build(SAM)
    role, _ = function_role(g, g.resources["Worker"])
    assert role.logical_id == "WorkerRole"
    # The template we do not know makes answers unknown, but an explicit grant is still found.
    receive = role_allows(g, role, "sqs:ReceiveMessage", g.resources["Jobs"])
    assert receive.unknown and "RekognitionDetectOnlyPolicy" in receive.reason
    assert services_used(g, role) == {"sns", "rekognition"}
    plain, _ = function_role(g, g.resources["Plain"])
    assert role_allows(g, plain, "s3:GetObject").yes
    assert role_allows(g, plain, "s3:PutObject").no
    assert services_used(g, plain) == {"s3"}


def test_sam_template_grants_are_scoped_to_their_resource():
    g = build(SAM.replace("        - RekognitionDetectOnlyPolicy: {}\n", ""))
    role, _ = function_role(g, g.resources["Worker"])
    assert role_allows(g, role, "sqs:ReceiveMessage", g.resources["Jobs"]).yes
    assert role_allows(g, role, "sns:Publish", g.resources["Results"]).yes
    assert role_allows(g, role, "sqs:SendMessage", g.resources["Jobs"]).no


# ---------------------------------------------------------------- resource policies and permissions

RESOURCE_POLICIES = """
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Alerts: {Type: AWS::SNS::Topic}
  Inbox: {Type: AWS::SQS::Queue}
  Audit: {Type: AWS::SQS::Queue}
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Statement:
          Effect: Allow
          Principal: {Service: sns.amazonaws.com}
          Action: sqs:SendMessage
          Resource: !GetAtt Inbox.Arn
  AuditPolicy:
    Type: AWS::SQS::QueuePolicy
    Condition: IsProd
    Properties:
      Queues: [!Ref Audit]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Audit.Arn
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/handler
      Code: {ZipFile: "def handler(e, c): pass"}
  AlertsInvoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Handler.Arn
      Principal: sns.amazonaws.com
      SourceArn: !Ref Alerts
"""


def test_queue_policy_allows_the_topic_service_principal():
    g = build(RESOURCE_POLICIES)
    inbox = g.resources["Inbox"]
    (policy, document), = resource_policies(g, inbox)
    assert policy.logical_id == "InboxPolicy"
    assert allows(document, principal="sns.amazonaws.com", action="sqs:SendMessage", resource=inbox).yes
    assert allows(document, principal="events.amazonaws.com", action="sqs:SendMessage", resource=inbox).no


def test_a_policy_that_exists_under_a_condition_gives_an_unknown_answer():
    g = build(RESOURCE_POLICIES)
    audit = g.resources["Audit"]
    (_, document), = resource_policies(g, audit)
    v = allows(document, principal="sns.amazonaws.com", action="sqs:SendMessage", resource=audit)
    assert v.unknown and "parameter Env = prod" in v.reason and "parameter Env = dev" in v.reason
    assert allows(document, principal="sns.amazonaws.com", action="sqs:SendMessage", resource=audit).unknown
    g = build(RESOURCE_POLICIES, Env="prod")
    (_, document), = resource_policies(g, g.resources["Audit"])
    assert allows(document, principal="sns.amazonaws.com", action="sqs:SendMessage",
                  resource=g.resources["Audit"]).yes


def test_lambda_permissions_by_principal_and_source():
    g = build(RESOURCE_POLICIES)
    handler = g.resources["Handler"]
    assert [p.logical_id for p in lambda_permissions(g, handler)] == ["AlertsInvoke"]
    assert permission_allows(g, handler, "sns.amazonaws.com", source_arn=g.resources["Alerts"]).yes
    assert permission_allows(g, handler, "sns.amazonaws.com", source_arn="⟦Inbox⟧").no
    assert permission_allows(g, handler, "sns.amazonaws.com").unknown      # limited to a source not given
    assert permission_allows(g, handler, "events.amazonaws.com").no


def test_sam_event_permissions_are_found():
    g = build(SAM.replace("      Events:\n", "      Events:\n        Topic: {Type: SNS, Properties: {Topic: !Ref Results}}\n"))
    worker = g.resources["Worker"]
    assert permission_allows(g, worker, "sns.amazonaws.com").yes
    assert permission_allows(g, worker, "s3.amazonaws.com").no


BUCKET_AND_KEY = """
Resources:
  Uploads: {Type: AWS::S3::Bucket, Properties: {BucketName: acme-uploads}}
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: s3.amazonaws.com}
            Action: s3:PutObject
            Resource: arn:aws:s3:::acme-uploads/*
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [arn:aws:s3:::acme-uploads, arn:aws:s3:::acme-uploads/*]
            Condition: {Bool: {aws:SecureTransport: "false"}}
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {AWS: arn:aws:iam::123456789012:role/publisher}
            Action: [kms:Decrypt, kms:GenerateDataKey*]
            Resource: "*"
"""


def test_bucket_policy_with_a_deny_under_condition_is_unknown_for_what_it_allows():
    g = build(BUCKET_AND_KEY)
    uploads = g.resources["Uploads"]
    (policy, document), = resource_policies(g, uploads)
    assert policy.logical_id == "UploadsPolicy"
    v = allows(document, principal="s3.amazonaws.com", action="s3:PutObject", resource=uploads)
    assert v.unknown and "Deny" in v.reason
    assert allows(document, principal="s3.amazonaws.com", action="s3:GetObject", resource=uploads).no


def test_key_policy_principals_by_arn_and_account():
    g = build(BUCKET_AND_KEY)
    key = g.resources["Key"]
    (holder, document), = resource_policies(g, key)
    assert holder is key
    publisher = "arn:aws:iam::123456789012:role/publisher"
    assert allows(document, principal=publisher, action="kms:GenerateDataKey", resource=key).yes
    # The account root is granted through a pseudo parameter: the account's IAM policies decide.
    assert allows(document, principal="arn:aws:iam::123456789012:role/other", action="kms:Decrypt").unknown
    assert allows(document, principal="sns.amazonaws.com", action="kms:Decrypt").no


def test_trusts_service_reads_url_suffix_regional_principals_and_ignores_conditions():
    from linter.policy import trusts_service
    from linter.values import token

    def trust(principal, **extra):
        return {"Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole",
                               **extra}]}

    suffix = "lambda." + token("AWS::URLSuffix")
    assert trusts_service(trust(suffix), "lambda.amazonaws.com").yes
    assert trusts_service(trust(suffix), "ec2.amazonaws.com").no
    assert trusts_service(trust("states." + token("AWS::Region") + ".amazonaws.com"), "states.amazonaws.com").yes
    conditioned = trust(["ec2.amazonaws.com"], Condition={"StringEquals": {"aws:SourceAccount": "1"}})
    assert trusts_service(conditioned, "ec2.amazonaws.com").yes
    assert trusts_service(conditioned, "lambda.amazonaws.com").no
    assert trusts_service(trust(token("ServicePrincipal")), "lambda.amazonaws.com").unknown
