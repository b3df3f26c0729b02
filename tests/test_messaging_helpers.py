"""Helpers the messaging rules share: schedule expressions, SNS filter policies, presence of a value,
reference lists and the source conditions of delivery policies."""
import pytest

from linter.api import lint_text
from linter.schedule import schedule_expression_problem
from linter.sns import filter_policy_problem
from linter.values import Case, Unknown, Value, presence


@pytest.mark.parametrize("text", ["rate(1 minute)", "rate(5 minutes)", "rate(1 day)", "cron(0 2 * * ? *)",
                                  "cron(15 10 ? * MON-FRI *)"])
def test_valid_schedule_expressions(text):
    assert schedule_expression_problem(text) == ""


@pytest.mark.parametrize("text, says", [("rate(1 minutes)", "rate(1 minute)"), ("rate(5 hour)", "rate(5 hours)"),
                                        ("rate(0 days)", "positive"), ("rate(2 weeks)", "unit"),
                                        ("cron(0 2 * * *)", "6 fields"), ("cron(0 2 1 * MON *)", "'?'"),
                                        ("at(2030-01-01T00:00:00)", "Scheduler"), ("every hour", "rate(...)")])
def test_invalid_schedule_expressions(text, says):
    assert says in schedule_expression_problem(text)


def test_filter_policy_limits():
    assert filter_policy_problem({"a": ["x"], "b": ["y", "z"]}) == ""
    assert filter_policy_problem(None) == ""
    assert "not valid JSON" in filter_policy_problem("{not json")
    assert "6 attribute keys" in filter_policy_problem({k: ["v"] for k in "abcdef"})
    assert "200 value combinations" in filter_policy_problem({"a": list(range(10)), "b": list(range(20))})


def test_presence_per_scenario():
    value = Value([Case(None, "not set", ((("condition", "A"), True),)),
                   Case(Unknown("parameter X has no Default"), "", ((("condition", "A"), False),))])
    assert [c.value for c in presence(value)] == [False, True]
    null = Value([Case(Unknown("RedrivePolicy.deadLetterTargetArn is empty (null)"), "")])
    assert not presence(null).cases[0].known


SHARED_DLQ = """
Resources:
  A:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ${AWS::StackName}-a
      RedrivePolicy: {deadLetterTargetArn: !GetAtt D.Arn, maxReceiveCount: 5}
  B:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: b-queue
      RedrivePolicy: {deadLetterTargetArn: !GetAtt D.Arn, maxReceiveCount: 5}
  D:
    Type: AWS::SQS::Queue
    Properties:
      RedriveAllowPolicy:
        redrivePermission: byQueue
        sourceQueueArns: [!Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-a"]
"""


def test_by_queue_list_matches_names_written_alike():
    result = lint_text(SHARED_DLQ, "shared.yaml")
    flagged = {f.location.logical_id for f in result.findings if f.code == "SQS007"}
    assert flagged == {"B"}   # A is named alike; "${AWS::StackName}-a" cannot be "b-queue"
    assert not [n for n in result.not_evaluated if n.code == "SQS007"]


TOPIC_POLICY = """
Resources:
  T1: {Type: AWS::SNS::Topic}
  T2: {Type: AWS::SNS::Topic}
  Q: {Type: AWS::SQS::Queue}
  P:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: "sqs:*"
            Resource: "*"
            Condition: {ArnLike: {aws:SourceArn: !Ref T1}}
  S1: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref T1, Protocol: sqs, Endpoint: !GetAtt Q.Arn}}
  S2: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref T2, Protocol: sqs, Endpoint: !GetAtt Q.Arn}}
"""


def test_source_arn_condition_decided_per_topic():
    result = lint_text(TOPIC_POLICY, "fanout.yaml")
    flagged = {f.location.logical_id for f in result.findings if f.code == "SNS001"}
    assert flagged == {"S2"}
    assert not [n for n in result.not_evaluated if n.code == "SNS001"]
