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

# (resource type, property path) → (value, origin). A path step into a list is written ``*``
# (``Targets.*.RetryPolicy.MaximumRetryAttempts``); ``List[Key]`` names the ``Value`` of the entry of a
# Key/Value list whose ``Key`` is Key (``TargetGroupAttributes[deregistration_delay.timeout_seconds]``),
# read with ``Resource.setting``.
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
    ("AWS::Lambda::Function", "EphemeralStorage.Size"): (512, "the Lambda default"),
    ("AWS::Serverless::Function", "EphemeralStorage.Size"): (512, "the Lambda default"),
    # Asynchronous invocation without an EventInvokeConfig behaves like one with these values.
    ("AWS::Lambda::EventInvokeConfig", "MaximumRetryAttempts"): (2, "the Lambda async invocation default"),
    ("AWS::Lambda::EventInvokeConfig", "MaximumEventAgeInSeconds"): (21600, "the Lambda async invocation default"),
    ("AWS::Serverless::Function", "EventInvokeConfig.MaximumRetryAttempts"):
        (2, "the Lambda async invocation default"),
    ("AWS::Serverless::Function", "EventInvokeConfig.MaximumEventAgeInSeconds"):
        (21600, "the Lambda async invocation default"),
    (ESM, "MaximumBatchingWindowInSeconds"): (0, "the event source mapping default"),
    (ESM, "BisectBatchOnFunctionError"): (False, "the event source mapping default"),
    (ESM, "MaximumRetryAttempts"): (-1, "the event source mapping default (retry until the record expires)"),
    (ESM, "MaximumRecordAgeInSeconds"): (-1, "the event source mapping default (no age limit)"),
    (ESM, "ParallelizationFactor"): (1, "the event source mapping default"),
    ("AWS::Events::Rule", "Targets.*.RetryPolicy.MaximumRetryAttempts"): (185, "the EventBridge default"),
    ("AWS::Events::Rule", "Targets.*.RetryPolicy.MaximumEventAgeInSeconds"): (86400, "the EventBridge default"),
    ("AWS::ApiGateway::Method", "Integration.TimeoutInMillis"): (29000, "the API Gateway REST default"),
    ("AWS::ApiGateway::RestApi", "EndpointConfiguration.Types"): (["EDGE"], "the API Gateway default"),
    ("AWS::Serverless::Api", "EndpointConfiguration.Type"): ("EDGE", "the API Gateway default"),
    ("AWS::AutoScaling::AutoScalingGroup", "HealthCheckType"): ("EC2", "the Auto Scaling default"),
    ("AWS::AutoScaling::AutoScalingGroup", "HealthCheckGracePeriod"): (0, "the Auto Scaling default"),
    ("AWS::AutoScaling::AutoScalingGroup", "Cooldown"): (300, "the Auto Scaling default"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupAttributes[deregistration_delay.timeout_seconds]"):
        (300, "the ELB default"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "HealthCheckPath"): ("/", "the ELB default"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetType"): ("instance", "the ELB default"),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Type"): ("application", "the ELB default"),
    ("AWS::ElasticLoadBalancing::LoadBalancer", "CrossZone"): (False, "the Classic Load Balancer default"),
    ("AWS::RDS::DBInstance", "MultiAZ"): (False, "the RDS default"),
    ("AWS::RDS::DBInstance", "BackupRetentionPeriod"): (1, "the RDS default for CloudFormation"),
    ("AWS::RDS::DBInstance", "StorageEncrypted"): (False, "the RDS default"),
    ("AWS::RDS::DBInstance", "DeletionProtection"): (False, "the RDS default"),
    ("AWS::RDS::DBCluster", "BackupRetentionPeriod"): (1, "the RDS default for CloudFormation"),
    ("AWS::RDS::DBCluster", "StorageEncrypted"): (False, "the RDS default"),
    ("AWS::RDS::DBCluster", "DeletionProtection"): (False, "the RDS default"),
    ("AWS::DynamoDB::Table", "BillingMode"): ("PROVISIONED", "the DynamoDB default"),
    ("AWS::StepFunctions::StateMachine", "StateMachineType"): ("STANDARD", "the Step Functions default"),
    ("AWS::Serverless::StateMachine", "Type"): ("STANDARD", "the Step Functions default"),
    ("AWS::KMS::Key", "EnableKeyRotation"): (False, "the KMS default"),
    ("AWS::Route53::HealthCheck", "HealthCheckConfig.RequestInterval"): (30, "the Route 53 default"),
    ("AWS::Route53::HealthCheck", "HealthCheckConfig.FailureThreshold"): (3, "the Route 53 default"),
    (ALARM, "ActionsEnabled"): (True, "the CloudWatch default"),
    (ALARM, "EvaluationPeriods"): (1, "the CloudWatch default"),
    ("AWS::EC2::VPC", "EnableDnsSupport"): (True, "the VPC default"),
    ("AWS::EC2::VPC", "EnableDnsHostnames"): (False, "the VPC default"),
    ("AWS::EC2::NatGateway", "ConnectivityType"): ("public", "the NAT gateway default"),
    ("AWS::Kinesis::Stream", "RetentionPeriodHours"): (24, "the Kinesis default"),
    ("AWS::Kinesis::Stream", "StreamModeDetails.StreamMode"): ("PROVISIONED", "the Kinesis default"),
    ("AWS::Logs::LogGroup", "RetentionInDays"): (None, "never expire, the CloudWatch Logs default"),
    # LAM012 lambda-quota-ranges, SFN001 sfn-express-constraints
    ("AWS::Lambda::Function", "EphemeralStorage.Size"): (512, "the Lambda default"),
    ("AWS::Serverless::Function", "EphemeralStorage.Size"): (512, "the Lambda default"),
    ("AWS::StepFunctions::StateMachine", "StateMachineType"): ("STANDARD", "the Step Functions default"),
    ("AWS::Serverless::StateMachine", "Type"): ("STANDARD", "the Step Functions default"),
    # KIN003 firehose-buffering-and-backup: destinations that back up only failed records unless told otherwise
    ("AWS::KinesisFirehose::DeliveryStream", "HttpEndpointDestinationConfiguration.S3BackupMode"):
        ("FailedDataOnly", "the Firehose default"),
    ("AWS::KinesisFirehose::DeliveryStream", "SplunkDestinationConfiguration.S3BackupMode"):
        ("FailedEventsOnly", "the Firehose default"),
    ("AWS::KinesisFirehose::DeliveryStream", "ElasticsearchDestinationConfiguration.S3BackupMode"):
        ("FailedDocumentsOnly", "the Firehose default"),
    ("AWS::KinesisFirehose::DeliveryStream", "AmazonopensearchserviceDestinationConfiguration.S3BackupMode"):
        ("FailedDocumentsOnly", "the Firehose default"),
    ("AWS::KinesisFirehose::DeliveryStream", "AmazonOpenSearchServerlessDestinationConfiguration.S3BackupMode"):
        ("FailedDocumentsOnly", "the Firehose default"),
    # rules ASG004, EC002, ECS002, EBN001-EBN003 (rules-compute)
    ("AWS::AutoScaling::AutoScalingGroup", "MixedInstancesPolicy.InstancesDistribution.OnDemandBaseCapacity"):
        (0, "the Auto Scaling default"),
    ("AWS::AutoScaling::AutoScalingGroup",
     "MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity"): (100, "the Auto Scaling default"),
    ("AWS::EC2::Volume", "VolumeType"): ("gp2", "the EBS default for CloudFormation"),
    ("AWS::ECS::Service", "DesiredCount"): (1, "the ECS default for a new service"),
    ("AWS::ECS::Service", "DeploymentConfiguration.MinimumHealthyPercent"): (100, "the ECS default"),
    ("AWS::ECS::Service", "DeploymentConfiguration.MaximumPercent"): (200, "the ECS default"),
    **{(beanstalk_type, f"OptionSettings[{namespace}:{name}]"): default
       for beanstalk_type in ("AWS::ElasticBeanstalk::Environment", "AWS::ElasticBeanstalk::ConfigurationTemplate")
       for (namespace, name), default in {
           ("aws:elasticbeanstalk:command", "DeploymentPolicy"): ("AllAtOnce", "the Elastic Beanstalk API default"),
           ("aws:elasticbeanstalk:environment", "EnvironmentType"): ("LoadBalanced", "the Elastic Beanstalk default"),
           ("aws:elasticbeanstalk:sqsd", "VisibilityTimeout"): (300, "the Elastic Beanstalk worker default"),
           ("aws:elasticbeanstalk:sqsd", "InactivityTimeout"): (299, "the Elastic Beanstalk worker default"),
           ("aws:rds:dbinstance", "DBDeletionPolicy"): ("Delete", "the Elastic Beanstalk default"),
       }.items()},
    # API Gateway rules (APG004 ... APG008)
    ("AWS::ApiGateway::Method", "AuthorizationType"): ("NONE", "the API Gateway default"),
    ("AWS::ApiGatewayV2::Route", "AuthorizationType"): ("NONE", "the API Gateway default"),
    ("AWS::ApiGateway::Method", "ApiKeyRequired"): (False, "the API Gateway default"),
    ("AWS::ApiGatewayV2::Api", "ProtocolType"): ("HTTP", "the API Gateway default"),
    ("AWS::ApiGateway::Stage", "TracingEnabled"): (False, "the API Gateway default"),
    ("AWS::Serverless::Api", "Auth.ApiKeyRequired"): (False, "the API Gateway default"),
    # ACM001: where a custom domain's certificate must live depends on its endpoint type.
    ("AWS::ApiGateway::DomainName", "EndpointConfiguration.Types"): (["EDGE"], "the API Gateway default"),
    ("AWS::Serverless::Api", "Domain.EndpointConfiguration"): ("REGIONAL", "the SAM default"),
    ("AWS::Serverless::Api", "Auth.UsagePlan.CreateUsagePlan"): ("NONE", "the SAM default"),
    ("AWS::Serverless::Api", "TracingEnabled"): (False, "the API Gateway default"),
    ("AWS::ApiGateway::Stage", "CacheClusterEnabled"): (False, "the API Gateway default"),
    ("AWS::Serverless::Api", "CacheClusterEnabled"): (False, "the API Gateway default"),
    ("AWS::ApiGateway::Stage", "MethodSettings.*.CachingEnabled"): (False, "the API Gateway default"),
    ("AWS::Serverless::Api", "MethodSettings.*.CachingEnabled"): (False, "the API Gateway default"),
    ("AWS::ApiGateway::Stage", "MethodSettings.*.CacheDataEncrypted"): (False, "the API Gateway default"),
    ("AWS::Serverless::Api", "MethodSettings.*.CacheDataEncrypted"): (False, "the API Gateway default"),
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
    # DynamoDB, DAX, ElastiCache and RDS data-store rules (DDB002, DDB005, ECH001, RDS004, RDS005).
    ("AWS::DynamoDB::Table", "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"):
        (False, "the DynamoDB default"),
    ("AWS::DynamoDB::Table", "DeletionProtectionEnabled"): (False, "the DynamoDB default"),
    ("AWS::DAX::Cluster", "SSESpecification.SSEEnabled"): (False, "the DAX default"),
    ("AWS::ElastiCache::ReplicationGroup", "Engine"): ("redis", "the ElastiCache default"),
    ("AWS::ElastiCache::ReplicationGroup", "AutomaticFailoverEnabled"): (False, "the ElastiCache default"),
    ("AWS::ElastiCache::ReplicationGroup", "MultiAZEnabled"): (False, "the ElastiCache default"),
    ("AWS::ElastiCache::ReplicationGroup", "SnapshotRetentionLimit"): (0, "the ElastiCache default"),
    ("AWS::ElastiCache::ReplicationGroup", "AtRestEncryptionEnabled"): (False, "the ElastiCache default"),
    ("AWS::ElastiCache::ReplicationGroup", "TransitEncryptionEnabled"): (False, "the ElastiCache default"),
    ("AWS::ElastiCache::CacheCluster", "SnapshotRetentionLimit"): (0, "the ElastiCache default"),
    ("AWS::ElastiCache::CacheCluster", "AZMode"): ("single-az", "the ElastiCache default"),
    ("AWS::RDS::DBInstance", "EnableIAMDatabaseAuthentication"): (False, "the RDS default"),
    # rules-network (EFS001)
    ("AWS::EFS::FileSystem", "Encrypted"): (False, "the EFS default"),
    # ELB004 (elb-target-group-and-cross-zone)
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupAttributes[stickiness.enabled]"):
        (False, "the ELB default"),
    # BKT002 s3-replication-needs-versioning (rules-edge-iam)
    ("AWS::S3::Bucket", "VersioningConfiguration.Status"): (None, "versioning never enabled, the S3 default"),
    # BKT004 s3-public-website-vs-bpa (rules-b): new buckets block public access and disable ACLs (April 2023).
    ("AWS::S3::Bucket", "PublicAccessBlockConfiguration"):
        ({"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
         "all four Block Public Access settings on, the S3 default for new buckets"),
    ("AWS::S3::Bucket", "OwnershipControls"):
        ({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, "BucketOwnerEnforced, the S3 default for new buckets"),
    # ECS001 ecs-lb-security-group-ports (rules-b)
    ("AWS::ECS::TaskDefinition", "NetworkMode"): ("bridge", "the ECS default for EC2 tasks"),
    # DPL001 deploy-auto-rollback (rules-c)
    ("AWS::CodeDeploy::Application", "ComputePlatform"): ("Server", "the CodeDeploy default"),
    ("AWS::CodeDeploy::DeploymentGroup", "DeploymentStyle.DeploymentType"): ("IN_PLACE", "the CodeDeploy default"),
    ("AWS::CodeDeploy::DeploymentGroup", "AutoRollbackConfiguration.Enabled"):
        (False, "no automatic rollback, the CodeDeploy default"),
    ("AWS::Serverless::Function", "DeploymentPreference.Enabled"): (True, "the SAM default"),
    # CWA002 cloudwatch-alarm-target-valid (rules-c): basic (5-minute) EC2 monitoring unless turned on.
    ("AWS::EC2::Instance", "Monitoring"): (False, "basic monitoring, the EC2 default"),
    ("AWS::EC2::LaunchTemplate", "LaunchTemplateData.Monitoring.Enabled"): (False, "basic monitoring, the EC2 default"),
    ("AWS::AutoScaling::LaunchConfiguration", "InstanceMonitoring"):
        (True, "detailed monitoring, the Auto Scaling default"),
}

# Event source types whose mappings read batches of 10 by default; every other source (streams,
# Kafka, MQ, DocumentDB) reads 100.
_BATCH_OF_TEN = (QUEUE,)
_STREAM_ARN_SERVICES = ("kinesis", "dynamodb", "kafka", "mq", "rds")


def esm_batch_size(resource):
    """``BatchSize`` of an event source mapping: 10 for SQS, 100 for streams and brokers.

    Returns (value, origin) pairs with the assumptions of the ``EventSourceArn`` case they follow from,
    or an unknown reason when the source cannot be told.
    """
    out = []
    for case in resource.get("EventSourceArn", default=False):
        source, _reason = resource.graph.follow(case) if case.known else (None, "")
        kind = None
        if source is not None:
            kind = "SQS" if source.type in _BATCH_OF_TEN else "stream"
        elif case.known and isinstance(case.value, str) and case.value.startswith("arn:"):
            service = case.value.split(":")[2] if case.value.count(":") >= 2 else ""
            kind = "SQS" if service == "sqs" else "stream" if service in _STREAM_ARN_SERVICES else None
        if kind == "SQS":
            out.append((10, "the event source mapping default for SQS", case.assumptions))
        elif kind == "stream":
            out.append((100, "the event source mapping default for streams", case.assumptions))
        else:
            out.append((_unknown("the BatchSize default depends on the event source's type, which is not known"),
                        "", case.assumptions))
    return out


def http_integration_timeout(resource):
    """``TimeoutInMillis`` of an API Gateway v2 integration: 30000 for HTTP APIs, 29000 for WebSocket."""
    out = []
    for case in resource.get("ApiId", default=False):
        api, _reason = resource.graph.follow(case) if case.known else (None, "")
        protocols = api.get("ProtocolType", default=False) if api is not None else ()
        for p in protocols:
            merged = p.with_assumptions(case.assumptions)
            if merged is None:
                continue
            if p.value == "WEBSOCKET":
                out.append((29000, "the API Gateway WebSocket default", merged.assumptions))
            else:
                out.append((30000, "the API Gateway HTTP API default", merged.assumptions))
        if api is None:
            out.append((30000, "the API Gateway HTTP API default", case.assumptions))
    return out


def nlb_cross_zone(resource):
    """Cross-zone load balancing: always on for an ALB, off by default for an NLB."""
    out = []
    for case in resource.get("Type"):
        if case.value == "application":
            out.append((True, "always on for an Application Load Balancer", case.assumptions))
        else:
            out.append((False, "the Network Load Balancer default", case.assumptions))
    return out


# Defaults that depend on another value of the resource: (type, path) → function(resource) returning
# (value, origin, assumptions) triples, one per scenario of the value it depends on.
DEPENDENT_DEFAULTS = {
    (ESM, "BatchSize"): esm_batch_size,
    ("AWS::ApiGatewayV2::Integration", "TimeoutInMillis"): http_integration_timeout,
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerAttributes[load_balancing.cross_zone.enabled]"):
        nlb_cross_zone,
}


def deletion_policy_default(resource):
    """``DeletionPolicy`` when absent: Delete, except Snapshot for RDS clusters and stand-alone instances."""
    if resource.type == "AWS::RDS::DBCluster":
        return [("Snapshot", "the CloudFormation default for DB clusters", ())]
    if resource.type == "AWS::RDS::DBInstance":
        out = []
        for case in resource.get("DBClusterIdentifier", default=False):
            if case.value is None:
                out.append(("Snapshot", "the CloudFormation default for DB instances", case.assumptions))
            else:
                out.append(("Delete", "the CloudFormation default for DB instances in a cluster", case.assumptions))
        return out
    return [("Delete", "the CloudFormation default", ())]


# Resource attributes (beside Properties) and their defaults, read with ``Resource.attribute``.
ATTRIBUTE_DEFAULTS = {
    "DeletionPolicy": deletion_policy_default,
    "UpdateReplacePolicy": lambda resource: [("Delete", "the CloudFormation default", ())],
}


def _unknown(reason: str):
    from .values import Unknown

    return Unknown(reason)


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
