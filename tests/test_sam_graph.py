"""SAM expansion (Globals, implicit resources with origins) and the typed edges of the graph."""
from __future__ import annotations

from linter.build import build_graph
from linter.load import parse

SAM = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 45
    Environment:
      Variables: {A: global, B: global}
    Layers: [arn:aws:lambda:eu-west-1:123456789012:layer:shared:1]
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Topic: {Type: AWS::SNS::Topic}
  Failures: {Type: AWS::SQS::Queue}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Timeout: 10
      Environment:
        Variables: {B: mine}
      Layers: [arn:aws:lambda:eu-west-1:123456789012:layer:mine:2]
      Tracing: Active
      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Failures.Arn}
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS}
      Events:
        FromQueue: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn, MaximumBatchingWindowInSeconds: 5}}
        FromStream: {Type: Kinesis, Properties: {Stream: !GetAtt Stream.Arn, StartingPosition: LATEST}}
        FromTopic: {Type: SNS, Properties: {Topic: !Ref Topic, SqsSubscription: true}}
        Nightly:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
            DeadLetterConfig: {Type: SQS}
  Plain:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.b, Runtime: python3.12, Role: arn:aws:iam::123456789012:role/x}
"""


def graph():
    return build_graph("t.yaml", parse(SAM, "t.yaml").data)


def test_globals_merge_scalars_maps_lists():
    g = graph()
    worker, plain = g.resources["Worker"], g.resources["Plain"]
    assert worker.get("Timeout").single == 10
    timeout = plain.get("Timeout").cases[0]
    assert timeout.value == 45 and timeout.origin.startswith("Globals.Function.Timeout")
    assert worker.get("Environment.Variables").single == {"A": "global", "B": "mine"}
    assert len(worker.get("Layers").single) == 2


def test_implicit_event_source_mappings_with_origin():
    g = graph()
    esm = g.resources["WorkerFromQueue"]
    assert esm.type == "AWS::Lambda::EventSourceMapping" and esm.implicit
    assert "FromQueue" in esm.origin
    consumes = {(e.source.logical_id, e.target.logical_id) for e in g.edges("consumes")}
    assert ("Jobs", "Worker") in consumes
    assert ("Stream", "Worker") in consumes
    assert ("WorkerFromTopicQueue", "Worker") in consumes
    link = next(e for e in g.edges("consumes") if e.source.logical_id == "Jobs")
    assert link.get("MaximumBatchingWindowInSeconds").single == 5


def test_sqs_subscription_queue_has_all_defaults():
    queue = graph().resources["WorkerFromTopicQueue"]
    visibility = queue.get("VisibilityTimeout").cases[0]
    assert visibility.value == 30 and visibility.origin == "the SQS default"
    assert queue.position()[0] > 0


def test_dead_letter_targets_and_destinations():
    g = graph()
    roles = {(e.source.logical_id, e.target.logical_id, e.role) for e in g.edges("dlq-of")}
    assert ("Failures", "Worker", "lambda-dlq") in roles
    assert ("WorkerEventInvokeConfigOnFailureQueue", "Worker", "on-failure") in roles
    assert ("WorkerNightlyQueue", "WorkerNightly", "eventbridge-target-dlq") in roles


def test_generated_role_and_permissions():
    g = graph()
    role = g.resources["WorkerRole"]
    policies = role.get("ManagedPolicyArns").single
    assert any("AWSLambdaBasicExecutionRole" in p for p in policies)
    assert any("AWSXrayWriteOnlyAccess" in p for p in policies)
    assert any("AWSLambdaVPCAccessExecutionRole" in p for p in policies)
    assert any("AWSLambdaSQSQueueExecutionRole" in p for p in policies)
    assert any("AWSLambdaKinesisExecutionRole" in p for p in policies)
    assert "PlainRole" not in g.resources
    assert "WorkerFromTopicPermission" in g.resources and "WorkerNightlyPermission" in g.resources


def test_subnets_outside_the_template_are_dangling():
    g = graph()
    loose = [d for d in g.dangling_links("in-subnet") if d.holder.logical_id == "Worker"]
    assert loose and loose[0].external


CFN = """
Parameters:
  QueueNameParam: {Type: String}
Resources:
  Named: {Type: AWS::SQS::Queue, Properties: {QueueName: orders}}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: ApproximateNumberOfMessagesVisible
      Namespace: AWS/SQS
      Dimensions: [{Name: QueueName, Value: orders}]
  Alarm2:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: ApproximateNumberOfMessagesVisible
      Namespace: AWS/SQS
      Dimensions: [{Name: QueueName, Value: !Ref QueueNameParam}]
  Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: worker}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: arn:aws:sqs:eu-west-1:123456789012:orders
      FunctionName: arn:aws:lambda:eu-west-1:123456789012:function:worker:live
  Table: {Type: AWS::EC2::RouteTable}
  Subnet: {Type: AWS::EC2::Subnet}
  Assoc: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref Subnet, RouteTableId: !Ref Table}}
  Nat: {Type: AWS::EC2::NatGateway}
  Route:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Table, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
"""


def test_literal_names_and_arns_link_to_template_resources():
    g = build_graph("c.yaml", parse(CFN, "c.yaml").data)
    assert [(e.source.logical_id, e.target.logical_id) for e in g.edges("consumes")] == [("Named", "Fn")]
    assert [e.source.logical_id for e in g.edges("alarms-on", target=g.resources["Named"])] == ["Alarm"]
    assert [d.holder.logical_id for d in g.dangling_links("alarms-on")] == ["Alarm2"]
    routes = {(e.source.logical_id, e.target.logical_id, e.role) for e in g.edges("routes-via")}
    assert routes == {("Subnet", "Table", "association"), ("Table", "Nat", "NatGatewayId")}


def test_resource_whose_condition_is_always_false_is_not_in_the_graph():
    text = """
Parameters:
  WithWorker: {Type: String, Default: "no", AllowedValues: ["no"]}
  Maybe: {Type: String}
Conditions:
  CreateWorker: !Equals [!Ref WithWorker, "yes"]
  Unsure: !Equals [!Ref Maybe, "yes"]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Worker: {Type: AWS::Lambda::Function, Condition: CreateWorker, Properties: {Timeout: 900}}
  Other: {Type: AWS::Lambda::Function, Condition: Unsure, Properties: {Timeout: 900}}
"""
    g = build_graph("c.yaml", parse(text, "c.yaml").data)
    assert "Worker" not in g.resources
    assert "Other" in g.resources


def test_security_group_and_api_edges():
    text = """
Resources:
  AppSG: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: app}}
  DbSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref AppSG}
  CacheSG: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: cache}}
  CacheIngress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref CacheSG, IpProtocol: tcp, FromPort: 6379, ToPort: 6379, SourceSecurityGroupId: !GetAtt AppSG.GroupId}
  Fn: {Type: AWS::Lambda::Function}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: GET
      Integration:
        Type: AWS_PROXY
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"
"""
    g = build_graph("c.yaml", parse(text, "c.yaml").data)
    allows = {(e.source.logical_id, e.target.logical_id, e.role) for e in g.edges("sg-allows")}
    assert allows == {("AppSG", "DbSG", "tcp/5432"), ("AppSG", "CacheSG", "tcp/6379")}
    assert [(e.source.logical_id, e.target.logical_id) for e in g.edges("invokes")] == [("Method", "Fn")]
