"""CloudFormation facts the engine needs: type groups and service defaults (catalogue §A).

A default is applied when a property is absent, and carries its origin so a message can say
"30 s (the SQS default)".
"""
from __future__ import annotations

FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
ESM = "AWS::Lambda::EventSourceMapping"
ALARM = "AWS::CloudWatch::Alarm"
STREAM_TYPES = ("AWS::Kinesis::Stream", "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

# (resource type, property path) → (value, origin)
DEFAULTS: dict[tuple[str, str], tuple[object, str]] = {
    (QUEUE, "VisibilityTimeout"): (30, "the SQS default"),
    (QUEUE, "MessageRetentionPeriod"): (345600, "the SQS default"),
    (QUEUE, "DelaySeconds"): (0, "the SQS default"),
    (QUEUE, "ReceiveMessageWaitTimeSeconds"): (0, "the SQS default"),
    (QUEUE, "MaximumMessageSize"): (262144, "the SQS default"),
    (QUEUE, "FifoQueue"): (False, "the SQS default"),
    (QUEUE, "SqsManagedSseEnabled"): (True, "the SQS default"),
    (TOPIC, "FifoTopic"): (False, "the SNS default"),
    ("AWS::Lambda::Function", "Timeout"): (3, "the Lambda default"),
    ("AWS::Serverless::Function", "Timeout"): (3, "the Lambda default"),
    ("AWS::Lambda::Function", "MemorySize"): (128, "the Lambda default"),
    ("AWS::Serverless::Function", "MemorySize"): (128, "the Lambda default"),
    (ESM, "MaximumBatchingWindowInSeconds"): (0, "the event source mapping default"),
    (ESM, "BisectBatchOnFunctionError"): (False, "the event source mapping default"),
    (ESM, "MaximumRetryAttempts"): (-1, "the event source mapping default (retry until the record expires)"),
    (ESM, "MaximumRecordAgeInSeconds"): (-1, "the event source mapping default (no age limit)"),
    (ESM, "ParallelizationFactor"): (1, "the event source mapping default"),
    (ALARM, "ActionsEnabled"): (True, "the CloudWatch default"),
    (ALARM, "EvaluationPeriods"): (1, "the CloudWatch default"),
    ("AWS::EC2::VPC", "EnableDnsSupport"): (True, "the VPC default"),
    ("AWS::EC2::VPC", "EnableDnsHostnames"): (False, "the VPC default"),
    ("AWS::EC2::NatGateway", "ConnectivityType"): ("public", "the NAT gateway default"),
    ("AWS::Kinesis::Stream", "RetentionPeriodHours"): (24, "the Kinesis default"),
    ("AWS::Logs::LogGroup", "RetentionInDays"): (None, "never expire, the CloudWatch Logs default"),
    # rules-ops-s: DNS001, CWA001, CFR004, KMS001 (paths with * are read through linter.shapes.get_entry)
    ("AWS::CloudFront::Distribution", "DistributionConfig.DefaultCacheBehavior.MinTTL"): (0, "the CloudFront default"),
    ("AWS::CloudFront::Distribution", "DistributionConfig.DefaultCacheBehavior.DefaultTTL"):
        (86400, "the CloudFront default"),
    ("AWS::CloudFront::Distribution", "DistributionConfig.DefaultCacheBehavior.MaxTTL"):
        (31536000, "the CloudFront default"),
    ("AWS::CloudFront::Distribution", "DistributionConfig.CacheBehaviors.*.MinTTL"): (0, "the CloudFront default"),
    ("AWS::CloudFront::Distribution", "DistributionConfig.CacheBehaviors.*.DefaultTTL"):
        (86400, "the CloudFront default"),
    ("AWS::CloudFront::Distribution", "DistributionConfig.CacheBehaviors.*.MaxTTL"):
        (31536000, "the CloudFront default"),
    (ALARM, "TreatMissingData"): ("missing", "the CloudWatch default"),
    ("AWS::Cognito::UserPool", "MfaConfiguration"): ("OFF", "the Cognito default"),
    ("AWS::Cognito::UserPool", "UserPoolAddOns.AdvancedSecurityMode"): ("OFF", "the Cognito default"),
    ("AWS::Cognito::IdentityPool", "AllowUnauthenticatedIdentities"): (False, "the Cognito default"),
    ("AWS::Route53::HealthCheck", "HealthCheckConfig.RequestInterval"): (30, "the Route 53 default"),
    ("AWS::Route53::HealthCheck", "HealthCheckConfig.FailureThreshold"): (3, "the Route 53 default"),
    ("AWS::KMS::Key", "EnableKeyRotation"): (False, "the KMS default"),
    ("AWS::KMS::Key", "PendingWindowInDays"): (30, "the KMS default"),
    ("AWS::KMS::Key", "KeySpec"): ("SYMMETRIC_DEFAULT", "the KMS default"),
    ("AWS::KMS::Key", "Enabled"): (True, "the KMS default"),
}

# Attributes that name a resource by its physical name rather than its ARN.
NAME_PROPERTY = {
    QUEUE: "QueueName",
    TOPIC: "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Events::EventBus": "Name",
    "AWS::S3::Bucket": "BucketName",
}

# Which ARN service segment belongs to which resource types, to match literal ARNs by name.
ARN_SERVICE_TYPES = {
    "sqs": (QUEUE,),
    "sns": (TOPIC,),
    "lambda": FUNCTION_TYPES,
    "kinesis": ("AWS::Kinesis::Stream",),
    "dynamodb": ("AWS::DynamoDB::Table",),
    "events": ("AWS::Events::EventBus",),
    "s3": ("AWS::S3::Bucket",),
}
