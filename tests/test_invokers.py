"""Invokers of a function and their modes (catalogue §B), API integration timeouts (§A), SAM parity."""
from __future__ import annotations

from linter.build import build_graph
from linter.kinds import ASYNC, CONSUMES, DLQ_OF, INVOKES, PIPE_DLQ, POLL, SYNC
from linter.load import parse


def graph(text: str, parameters: dict | None = None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def modes(g, function: str) -> dict[str, str]:
    """Invoker logical id → mode, for the invokers of one function."""
    return {e.source.logical_id: e.mode for e in g.invokers(g.resources[function])}


FUNCTION = """
  {name}:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/lambda
      Code: {{ZipFile: "def handler(e, c): return e"}}
"""

# ------------------------------------------------------------------ plain CloudFormation invokers

CFN_INVOKERS = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  InvocationType:
    Type: String
    AllowedValues: [RequestResponse, Event]
    Default: Event
Resources:
""" + "".join(FUNCTION.format(name=n) for n in (
    "ApiFn", "AsyncApiFn", "HttpFn", "UploadFn", "TopicFn", "RuleFn", "ScheduleFn", "LogsFn", "IotFn", "AlbFn",
    "CognitoFn", "EdgeFn", "WorkerFn", "StreamFn")) + """
  EdgeFnVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref EdgeFn}
  RestApi:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: orders}
  OrdersResource:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref RestApi, ParentId: !GetAtt RestApi.RootResourceId, PathPart: orders}
  GetOrders:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref RestApi
      ResourceId: !Ref OrdersResource
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiFn.Arn}/invocations
  PostOrders:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref RestApi
      ResourceId: !Ref OrdersResource
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        TimeoutInMillis: 5000
        RequestParameters:
          integration.request.header.X-Amz-Invocation-Type: "'Event'"
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AsyncApiFn.Arn}/invocations
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
  HttpIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref HttpApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt HttpFn.Arn
      PayloadFormatVersion: '2.0'
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt UploadFn.Arn
  Topic:
    Type: AWS::SNS::Topic
  TopicSubscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: lambda, Endpoint: !GetAtt TopicFn.Arn}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [orders]}
      Targets: [{Id: fn, Arn: !GetAtt RuleFn.Arn}]
  Schedule:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(1 hour)
      FlexibleTimeWindow: {Mode: "OFF"}
      Target: {Arn: !GetAtt ScheduleFn.Arn, RoleArn: arn:aws:iam::123456789012:role/scheduler}
  Logs:
    Type: AWS::Logs::LogGroup
  LogsFilter:
    Type: AWS::Logs::SubscriptionFilter
    Properties: {LogGroupName: !Ref Logs, FilterPattern: ERROR, DestinationArn: !GetAtt LogsFn.Arn}
  IotRule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: SELECT * FROM 'sensors/#'
        Actions:
          - Lambda: {FunctionArn: !GetAtt IotFn.Arn}
  AlbTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      TargetType: lambda
      Targets: [{Id: !GetAtt AlbFn.Arn}]
  Users:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig:
        PreSignUp: !GetAtt CognitoFn.Arn
        KMSKeyID: arn:aws:kms:eu-west-1:123456789012:key/1
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        DefaultCacheBehavior:
          TargetOriginId: site
          ViewerProtocolPolicy: redirect-to-https
          LambdaFunctionAssociations:
            - EventType: viewer-request
              LambdaFunctionARN: !Ref EdgeFnVersion
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 60}
  JobsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref WorkerFn}
  Workflow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionString: !Sub |
        {"StartAt": "Check", "States": {
          "Check": {"Type": "Task", "Resource": "${ApiFn.Arn}", "Next": "Fan"},
          "Fan": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Notify", "States": {"Notify": {"Type": "Task",
              "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "${TopicFn}", "InvocationType": "Event", "Payload.$": "$"},
              "End": true}}},
            {"StartAt": "Store", "States": {"Store": {"Type": "Task",
              "Resource": "arn:aws:states:::sqs:sendMessage",
              "Parameters": {"QueueUrl": "${Jobs}", "MessageBody.$": "$"}, "End": true}}}]}}}
  Mapped:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionSubstitutions:
        WorkerArn: !GetAtt WorkerFn.Arn
        Mode: !Ref InvocationType
      Definition:
        StartAt: Work
        States:
          Work:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${WorkerArn}", InvocationType: "${Mode}"}
            End: true
"""


def test_every_cfn_invoker_type_with_its_mode():
    g = graph(CFN_INVOKERS)
    assert modes(g, "ApiFn") == {"GetOrders": SYNC, "Workflow": SYNC}
    assert modes(g, "AsyncApiFn") == {"PostOrders": ASYNC}
    assert modes(g, "HttpFn") == {"HttpIntegration": SYNC}
    assert modes(g, "UploadFn") == {"Uploads": ASYNC}
    assert modes(g, "TopicFn") == {"Topic": ASYNC, "Workflow": ASYNC}
    assert modes(g, "RuleFn") == {"Rule": ASYNC}
    assert modes(g, "ScheduleFn") == {"Schedule": ASYNC}
    assert modes(g, "LogsFn") == {"LogsFilter": ASYNC}
    assert modes(g, "IotFn") == {"IotRule": ASYNC}
    assert modes(g, "AlbFn") == {"AlbTargets": SYNC}
    assert modes(g, "CognitoFn") == {"Users": SYNC}
    assert modes(g, "EdgeFn") == {"Cdn": SYNC}
    # The queue polls WorkerFn; the Mapped workflow calls it with InvocationType from a parameter (Event).
    assert modes(g, "WorkerFn") == {"Jobs": POLL, "Mapped": ASYNC}
    assert g.invokers(g.resources["StreamFn"]) == []


def test_invoker_edges_say_where_they_are_written():
    g = graph(CFN_INVOKERS)
    by_source = {e.source.logical_id: e for e in g.invokers(g.resources["WorkerFn"])}
    assert by_source["Jobs"].kind == CONSUMES and by_source["Jobs"].via.logical_id == "JobsMapping"
    assert by_source["Mapped"].kind == INVOKES and by_source["Mapped"].at == "Definition.States.Work"
    assert g.location_of(by_source["Mapped"]).line == g.resources["Mapped"].position("Definition.States.Work")[0]
    # Notifications and subscriptions keep their own edges, now with the mode.
    assert [e.mode for e in g.edges("notifies", target=g.resources["UploadFn"])] == [ASYNC]
    assert [e.mode for e in g.edges("subscribes", target=g.resources["TopicFn"])] == [ASYNC]
    # The workflow's SQS task invokes no function, and the KMS key is not a trigger.
    assert not [e for e in g.edges(INVOKES, source=g.resources["Workflow"]) if e.target.type == "AWS::SQS::Queue"]
    assert not [d for d in g.dangling_links(INVOKES) if d.holder.logical_id in ("Workflow", "Users")]


def test_step_functions_mode_follows_each_parameter_value():
    g = graph(CFN_INVOKERS, {"InvocationType": "RequestResponse"})
    assert modes(g, "WorkerFn")["Mapped"] == SYNC


def test_rest_method_timeout_default_and_override():
    g = graph(CFN_INVOKERS)
    (get,) = g.invokers(g.resources["ApiFn"])[:1]
    timeout = get.get("TimeoutInMillis").cases[0]
    assert (timeout.value, timeout.origin) == (29000, "the API Gateway REST default")
    assert timeout.show("ms") == "29000 ms (the API Gateway REST default)"
    (post,) = g.invokers(g.resources["AsyncApiFn"])
    timeout = post.get("TimeoutInMillis").cases[0]
    assert timeout.value == 5000
    assert timeout.origin.startswith("Integration.TimeoutInMillis, line ")
    line = int(timeout.origin.rsplit(" ", 1)[1])
    assert "TimeoutInMillis: 5000" in CFN_INVOKERS.splitlines()[line - 1]


def test_http_integration_timeout_default_override_and_websocket():
    g = graph(CFN_INVOKERS)
    (edge,) = g.invokers(g.resources["HttpFn"])
    assert edge.get("TimeoutInMillis").cases[0].show("ms") == "30000 ms (the HTTP API default)"
    overridden = CFN_INVOKERS.replace("PayloadFormatVersion: '2.0'", "PayloadFormatVersion: '2.0'\n"
                                      "      TimeoutInMillis: 12000")
    g = graph(overridden)
    (edge,) = g.invokers(g.resources["HttpFn"])
    assert edge.get("TimeoutInMillis").single == 12000
    websocket = CFN_INVOKERS.replace("ProtocolType: HTTP", "ProtocolType: WEBSOCKET")
    g = graph(websocket)
    (edge,) = g.invokers(g.resources["HttpFn"])
    assert edge.get("TimeoutInMillis").cases[0].show("ms") == "29000 ms (the WebSocket API default)"


def test_unknown_invocation_type_header_leaves_the_mode_open():
    text = CFN_INVOKERS.replace("""integration.request.header.X-Amz-Invocation-Type: "'Event'\"""",
                                "integration.request.header.X-Amz-Invocation-Type: !ImportValue shared-mode")
    g = graph(text)
    assert modes(g, "AsyncApiFn") == {"PostOrders": ""}


# ------------------------------------------------------------------ SAM events

SAM_API = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    EndpointConfiguration: REGIONAL
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        GetOrders:
          Type: Api
          Properties: {Path: /orders, Method: get}
        PostOrders:
          Type: Api
          Properties:
            Path: /orders
            Method: post
            TimeoutInMillis: 10000
  ReportsFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Report:
          Type: HttpApi
          Properties: {Path: /report, Method: get}
        Export:
          Type: HttpApi
          Properties: {ApiId: !Ref ExportApi, Path: /export, Method: get, TimeoutInMillis: 15000}
        Admin:
          Type: Api
          Properties: {RestApiId: !Ref AdminApi, Path: /admin, Method: get}
  ExportApi:
    Type: AWS::Serverless::HttpApi
  AdminApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
"""


def test_sam_api_events_are_sync_invokers_from_the_api_sam_creates_or_names():
    g = graph(SAM_API)
    rest = g.resources["ServerlessRestApi"]
    assert rest.type == "AWS::Serverless::Api" and rest.implicit
    assert rest.get("EndpointConfiguration").cases[0].origin.startswith("Globals.Api")
    assert g.resources["ServerlessHttpApi"].type == "AWS::Serverless::HttpApi"
    orders = g.invokers(g.resources["OrdersFn"])
    assert [(e.source.logical_id, e.mode, e.at) for e in orders] == [
        ("ServerlessRestApi", SYNC, "Events.GetOrders"), ("ServerlessRestApi", SYNC, "Events.PostOrders")]
    assert modes(g, "ReportsFn") == {"ServerlessHttpApi": SYNC, "ExportApi": SYNC, "AdminApi": SYNC}
    # Findings on the implicit API point at the event that made SAM create it.
    assert g.location_of(rest).line == g.resources["OrdersFn"].position("Events.GetOrders")[0]


def test_sam_api_event_timeouts():
    g = graph(SAM_API)
    get, post = g.invokers(g.resources["OrdersFn"])
    assert get.get("TimeoutInMillis").cases[0].show("ms") == "29000 ms (the API Gateway REST default)"
    timeout = post.get("TimeoutInMillis").cases[0]
    assert timeout.value == 10000
    assert timeout.origin.startswith("Events.PostOrders.Properties.TimeoutInMillis, line ")
    by_source = {e.source.logical_id: e for e in g.invokers(g.resources["ReportsFn"])}
    assert by_source["ServerlessHttpApi"].get("TimeoutInMillis").cases[0].show("ms") == \
        "30000 ms (the HTTP API default)"
    assert by_source["ExportApi"].get("TimeoutInMillis").single == 15000
    assert by_source["AdminApi"].get("TimeoutInMillis").single == 29000


def test_no_implicit_api_without_an_event_that_needs_it():
    g = graph(SAM_API.replace("Type: HttpApi\n          Properties: {Path: /report",
                              "Type: HttpApi\n          Properties: {ApiId: !Ref ExportApi, Path: /report"))
    assert "ServerlessHttpApi" not in g.resources and "ServerlessRestApi" in g.resources


SAM_PUSH = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads: {Type: AWS::S3::Bucket}
  Topic: {Type: AWS::SNS::Topic}
  Logs: {Type: AWS::Logs::LogGroup}
  Users: {Type: AWS::Cognito::UserPool}
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}}
        Direct: {Type: SNS, Properties: {Topic: !Ref Topic}}
        Buffered: {Type: SNS, Properties: {Topic: !Ref Topic, SqsSubscription: true}}
        Errors: {Type: CloudWatchLogs, Properties: {LogGroupName: !Ref Logs, FilterPattern: ERROR}}
        Sensors: {Type: IoTRule, Properties: {Sql: "SELECT * FROM 'sensors/#'"}}
        SignUp: {Type: Cognito, Properties: {UserPool: !Ref Users, Trigger: PreSignUp}}
        Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
"""


def test_sam_push_events_with_their_modes():
    g = graph(SAM_PUSH)
    invokers = [(e.source.logical_id, e.kind, e.mode) for e in g.invokers(g.resources["Handler"])]
    assert sorted(invokers) == sorted([
        ("Uploads", INVOKES, ASYNC), ("Topic", INVOKES, ASYNC), ("HandlerBufferedQueue", CONSUMES, POLL),
        ("HandlerErrors", INVOKES, ASYNC), ("HandlerSensors", INVOKES, ASYNC), ("Users", INVOKES, SYNC),
        ("HandlerNightly", INVOKES, ASYNC)])
    assert g.resources["HandlerErrors"].type == "AWS::Logs::SubscriptionFilter"
    assert g.resources["HandlerSensors"].origin == "SAM IoTRule event Sensors of Handler"


def test_sam_queue_policy_for_sqs_subscription():
    g = graph(SAM_PUSH)
    policy = g.resources["HandlerBufferedQueuePolicy"]
    assert policy.type == "AWS::SQS::QueuePolicy" and policy.implicit
    assert "SqsSubscription of event Buffered" in policy.origin
    statement = policy.get("PolicyDocument.Statement").single[0]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert str(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == str(g.resolver.resolve({"Ref": "Topic"})
                                                                            .single)
    assert g.follow(policy.get("Queues.0").cases[0])[0] is g.resources["HandlerBufferedQueue"]
    # A queue of the author's own needs its QueueUrl; SAM names the policy as told.
    own = SAM_PUSH.replace("SqsSubscription: true", "SqsSubscription: {QueueArn: !GetAtt Own.Arn, "
                           "QueueUrl: !Ref Own, QueuePolicyLogicalId: OwnPolicy}") + "  Own: {Type: AWS::SQS::Queue}\n"
    g = graph(own)
    assert g.follow(g.resources["OwnPolicy"].get("Queues.0").cases[0])[0] is g.resources["Own"]
    assert "HandlerBufferedQueue" not in g.resources


# ------------------------------------------------------------------ SAM state machines

SAM_STATE_MACHINE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ApproveFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
  NotifyFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
  Failures: {Type: AWS::SQS::Queue}
  Approvals:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies: [{LambdaInvokePolicy: {FunctionName: !Ref ApproveFn}}]
      DefinitionSubstitutions:
        ApproveArn: !GetAtt ApproveFn.Arn
      Definition:
        StartAt: Approve
        States:
          Approve: {Type: Task, Resource: "${ApproveArn}", Next: Notify}
          Notify:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: !Ref NotifyFn, InvocationType: Event}
            End: true
      Events:
        Requested:
          Type: EventBridgeRule
          Properties:
            Pattern: {detail-type: [ApprovalRequested]}
            DeadLetterConfig: {Type: SQS}
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            DeadLetterConfig: {Arn: !GetAtt Failures.Arn}
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
            DeadLetterConfig: {Type: SQS, QueueLogicalId: DailyDLQ}
        Start:
          Type: Api
          Properties: {Path: /approvals, Method: post}
"""


def test_sam_state_machine_invokes_its_functions():
    g = graph(SAM_STATE_MACHINE)
    assert modes(g, "ApproveFn") == {"Approvals": SYNC}
    assert modes(g, "NotifyFn") == {"Approvals": ASYNC}


def test_sam_state_machine_events_make_rules_schedules_and_dead_letter_queues():
    g = graph(SAM_STATE_MACHINE)
    machine = g.resources["Approvals"]
    rule = g.resources["ApprovalsRequested"]
    assert rule.type == "AWS::Events::Rule" and rule.origin == "SAM EventBridgeRule event Requested of Approvals"
    assert [e.source.logical_id for e in g.edges(INVOKES, target=machine)] == [
        "ApprovalsRequested", "ApprovalsHourly", "ApprovalsDaily", "ServerlessRestApi"]
    assert all(e.mode == "" for e in g.edges(INVOKES, target=machine))  # not a function
    dlqs = {(e.source.logical_id, e.target.logical_id, e.role) for e in g.edges(DLQ_OF)}
    assert dlqs == {("ApprovalsRequestedQueue", "ApprovalsRequested", "eventbridge-target-dlq"),
                    ("Failures", "ApprovalsHourly", "eventbridge-target-dlq"),
                    ("DailyDLQ", "ApprovalsDaily", "scheduler-target-dlq")}
    queue = g.resources["ApprovalsRequestedQueue"]
    assert queue.implicit and "event Requested of Approvals" in queue.origin
    assert g.location_of(queue).line == machine.position("Events.Requested.Properties.DeadLetterConfig")[0]
    assert g.resources["ApprovalsRequestedQueuePolicy"].type == "AWS::SQS::QueuePolicy"


def test_sam_state_machine_from_a_file_is_not_silently_empty():
    text = SAM_STATE_MACHINE.replace("      Definition:\n", "      DefinitionUri: statemachine/approvals.asl.json\n"
                                     "      Unused:\n")
    g = graph(text)
    assert modes(g, "ApproveFn") == {}
    (loose,) = [d for d in g.dangling_links(INVOKES) if d.holder.logical_id == "Approvals"]
    assert loose.at == "DefinitionUri" and "separate file" in loose.reason


def test_dynamic_function_name_is_dangling_not_guessed():
    text = SAM_STATE_MACHINE.replace("Parameters: {FunctionName: !Ref NotifyFn, InvocationType: Event}",
                                     "Parameters: {FunctionName.$: $.target, InvocationType: Event}")
    g = graph(text)
    assert modes(g, "NotifyFn") == {}
    assert any("run time" in d.reason for d in g.dangling_links(INVOKES))


# ------------------------------------------------------------------ EventBridge Pipes

PIPES = """
Resources:
  Contracts:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Events: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  PipeDLQ: {Type: AWS::SQS::Queue}
  PipeTopic: {Type: AWS::SNS::Topic}
""" + FUNCTION.format(name="Enrich") + """
  TablePipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/pipe
      Source: !GetAtt Contracts.StreamArn
      SourceParameters:
        DynamoDBStreamParameters:
          StartingPosition: LATEST
          MaximumRetryAttempts: 3
          DeadLetterConfig: {Arn: !GetAtt PipeDLQ.Arn}
      Target: !GetAtt Enrich.Arn
  StreamPipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/pipe
      Source: !GetAtt Events.Arn
      SourceParameters:
        KinesisStreamParameters:
          StartingPosition: TRIM_HORIZON
          DeadLetterConfig: {Arn: !Ref PipeTopic}
      Target: !GetAtt Enrich.Arn
      TargetParameters:
        LambdaFunctionParameters: {InvocationType: FIRE_AND_FORGET}
"""


def test_pipe_stream_dead_letter_targets_join_the_dlq_set():
    g = graph(PIPES)
    dlqs = {(e.source.logical_id, e.target.logical_id, e.role, e.at) for e in g.edges(DLQ_OF)}
    assert dlqs == {
        ("PipeDLQ", "TablePipe", PIPE_DLQ, "SourceParameters.DynamoDBStreamParameters.DeadLetterConfig"),
        ("PipeTopic", "StreamPipe", PIPE_DLQ, "SourceParameters.KinesisStreamParameters.DeadLetterConfig")}
    assert modes(g, "Enrich") == {"TablePipe": SYNC, "StreamPipe": ASYNC}


# ------------------------------------------------------------------ OpenAPI bodies

OPENAPI = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ListFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
  AuditFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
  Queue: {Type: AWS::SQS::Queue}
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ListFn.Arn}/invocations
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                timeoutInMillis: 3000
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: "'Event'"
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuditFn.Arn}/invocations
          /queue:
            post:
              x-amazon-apigateway-integration:
                type: aws
                uri: !Sub arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue.QueueName}
          /v1.0/items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ListFn.Arn}/invocations
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: '2.0'
                uri: !GetAtt ListFn.Arn
  Included:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://bucket/openapi.yaml}}
"""


def test_openapi_body_integrations_are_invokers_with_mode_and_timeout():
    g = graph(OPENAPI)
    edges = {(e.source.logical_id, e.at): e for e in g.invokers(g.resources["ListFn"])}
    get = edges[("RestApi", "DefinitionBody.paths./items.get.x-amazon-apigateway-integration")]
    assert get.mode == SYNC
    assert get.get("TimeoutInMillis").cases[0].show("ms") == "29000 ms (the API Gateway REST default)"
    dotted = edges[("RestApi", "DefinitionBody")]
    assert dotted.get("TimeoutInMillis").single == 29000
    http = edges[("HttpApi", "DefinitionBody.paths./items.get.x-amazon-apigateway-integration")]
    assert http.mode == SYNC and http.get("TimeoutInMillis").cases[0].show("ms") == "30000 ms (the HTTP API default)"
    (post,) = g.invokers(g.resources["AuditFn"])
    assert post.mode == ASYNC
    timeout = post.get("TimeoutInMillis").cases[0]
    assert timeout.value == 3000 and "timeoutInMillis, line" in timeout.origin
    # The SQS integration invokes no function; the included definition cannot be read and says so.
    assert not g.edges(INVOKES, target=g.resources["Queue"])
    (loose,) = g.dangling_links(INVOKES)
    assert loose.holder.logical_id == "Included" and loose.at == "DefinitionBody"


def test_what_is_plainly_not_a_function_is_neither_followed_nor_dangling():
    text = """
Resources:
  Logs: {Type: AWS::Logs::LogGroup}
  ToLogDestination:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: !Ref Logs
      FilterPattern: ''
      DestinationArn: arn:aws:logs:eu-west-2:123456789012:destination:central
  ToUnknown:
    Type: AWS::Logs::SubscriptionFilter
    Properties: {LogGroupName: !Ref Logs, FilterPattern: '', DestinationArn: !ImportValue shared-destination}
  StartWorkflow:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: api
      ResourceId: res
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:states:action/StartExecution
"""
    g = graph(text)
    assert not g.edges(INVOKES)
    (loose,) = g.dangling_links(INVOKES)  # an imported destination may be a function: not evaluated, not dropped
    assert loose.holder.logical_id == "ToUnknown"
