"""linter/reference_forms.py: which resource and attribute a reference takes, and which Lambda qualifier."""
from __future__ import annotations

import pytest

from linter.build import build_graph
from linter.load import parse
from linter.model import ALIAS, LATEST, UNQUALIFIED, VERSION, function_reference_kind, reference_of

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Qualifier:
    Type: String
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: src/, AutoPublishAlias: live}
  Plain:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Role: arn:aws:iam::123456789012:role/r, Code: {ZipFile: x}}
  PlainVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Plain}
  PlainAlias:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Plain, FunctionVersion: !GetAtt PlainVersion.Version, Name: live}
  Queue:
    Type: AWS::SQS::Queue
  Probe:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: probe
      Tags:
        version-ref: !Ref PlainVersion
        sam-version: !Ref Fn.Version
        sam-version-arn: !GetAtt Fn.Version.FunctionArn
        sam-alias: !Ref Fn.Alias
        alias: !Ref PlainAlias
        unqualified: !GetAtt Plain.Arn
        function-name: !Ref Plain
        sub-version: !Sub "${Plain.Arn}:${PlainVersion.Version}"
        sub-latest: !Sub "${Plain.Arn}:$LATEST"
        sub-alias: !Sub "${Plain.Arn}:live"
        sub-number: !Sub "${Plain.Arn}:7"
        sub-parameter: !Sub "${Plain.Arn}:${Qualifier}"
        queue-name: !GetAtt Queue.QueueName
        queue-url: !Ref Queue
        queue-sub: !Sub "${Queue.QueueName}"
        text: !Sub "${Queue.QueueName}-dlq"
"""


@pytest.fixture(scope="module")
def graph():
    return build_graph("t.yaml", parse(TEMPLATE, "t.yaml").data)


def tag(graph, key):
    return graph.resources["Probe"].get(f"Tags.{key}").cases[0]


@pytest.mark.parametrize("key, kind", [
    ("version-ref", VERSION), ("sam-version", VERSION), ("sam-version-arn", VERSION), ("sam-alias", ALIAS),
    ("alias", ALIAS), ("unqualified", UNQUALIFIED), ("function-name", UNQUALIFIED), ("sub-version", VERSION),
    ("sub-latest", LATEST), ("sub-alias", ALIAS), ("sub-number", VERSION), ("sub-parameter", None)])
def test_function_reference_kind(graph, key, kind):
    found, how = function_reference_kind(graph, tag(graph, key))
    assert found == kind, how
    assert how


@pytest.mark.parametrize("key, expected", [
    ("queue-name", ("Queue", "QueueName")), ("queue-url", ("Queue", None)), ("queue-sub", ("Queue", "QueueName")),
    ("text", None)])
def test_reference_of(graph, key, expected):
    assert reference_of(tag(graph, key)) == expected
