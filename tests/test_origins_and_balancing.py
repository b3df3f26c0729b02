"""Helpers of linter/s3_origins.py and linter/balancing.py: origin domains, public statements, Block
Public Access settings, load balancer wiring and port ranges."""
from __future__ import annotations

from linter.balancing import balancers_of, cluster_instances, ingress_allows_span, instance_security_groups
from linter.build import build_graph
from linter.load import parse
from linter.policy import statements
from linter.s3_origins import S3_REST, S3_WEBSITE, OTHER_HOST, block_public_access, origin_endpoint, public_statement

ORIGINS = """
Parameters:
  Host: {Type: String}
Resources:
  Site: {Type: AWS::S3::Bucket, Properties: {BucketName: site-bucket}}
  Dist:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Origins:
          - {Id: a, DomainName: !GetAtt Site.RegionalDomainName}
          - {Id: b, DomainName: !Select [2, !Split ["/", !GetAtt Site.WebsiteURL]]}
          - {Id: c, DomainName: !Sub "${Site}.s3-website-${AWS::Region}.amazonaws.com"}
          - {Id: d, DomainName: site-bucket.s3.eu-west-1.amazonaws.com}
          - {Id: e, DomainName: api.example.com}
          - {Id: f, DomainName: !Ref Host}
"""


def graph_of(text, parameters=None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def test_origin_domains_are_classed_with_their_bucket():
    g = graph_of(ORIGINS)
    origins = g.resources["Dist"].entries("DistributionConfig.Origins")
    got = [[(e.kind, e.bucket.logical_id if e.bucket else None) for e in origin_endpoint(g, o)] for o in origins]
    assert got[:5] == [[(S3_REST, "Site")], [(S3_WEBSITE, "Site")], [(S3_WEBSITE, "Site")], [(S3_REST, "Site")],
                       [(OTHER_HOST, None)]]
    unknown, = origin_endpoint(g, origins[5])
    assert unknown.kind is None and "Host" in unknown.reason


def test_public_statement_follows_block_public_access():
    doc = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringLike": {"aws:Referer": "https://example.com/*"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
         "Resource": "*"}]}
    verdicts = [public_statement(st) for st in statements(doc)]
    assert [v.yes for v in verdicts] == [True, True, False, False]


BPA = """
Parameters:
  Block: {Type: String, AllowedValues: ["true", "false"]}
Resources:
  Plain: {Type: AWS::S3::Bucket}
  Partial: {Type: AWS::S3::Bucket, Properties: {PublicAccessBlockConfiguration: {BlockPublicAcls: true}}}
  Chosen: {Type: AWS::S3::Bucket, Properties: {PublicAccessBlockConfiguration: {BlockPublicPolicy: !Ref Block}}}
"""


def test_block_public_access_defaults_and_omissions():
    g = graph_of(BPA)
    plain, = block_public_access(g.resources["Plain"], "BlockPublicPolicy")
    assert plain.value is True and "default" in plain.origin
    partial, = block_public_access(g.resources["Partial"], "BlockPublicPolicy")
    assert partial.value is False and "left out" in partial.origin
    chosen = block_public_access(g.resources["Chosen"], "BlockPublicPolicy")
    assert sorted(c.value for c in chosen) == ["false", "true"]


BALANCING = """
Resources:
  Cluster: {Type: AWS::ECS::Cluster}
  AlbSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: alb}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 32768, ToPort: 50000, SourceSecurityGroupId: !Ref AlbSg}
        - {IpProtocol: tcp, FromPort: 50001, ToPort: 65535, SourceSecurityGroupId: !Ref AlbSg}
  NarrowSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: narrow
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 49153, ToPort: 55000, SourceSecurityGroupId: !Ref AlbSg}
  Lb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {SecurityGroups: [!Ref AlbSg]}}
  Tg: {Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: {Port: 80}}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      Port: 80
      DefaultActions: [{Type: fixed-response}]
  Rule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Actions: [{Type: forward, ForwardConfig: {TargetGroups: [{TargetGroupArn: !Ref Tg}]}}]
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        SecurityGroupIds: [!Ref AppSg]
        UserData: {"Fn::Base64": !Sub "echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config"}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {LaunchTemplate: {LaunchTemplateId: !Ref Template, Version: "1"}, MinSize: "1", MaxSize: "2"}
"""


def test_balancers_instances_and_port_spans():
    g = graph_of(BALANCING)
    r = g.resources
    assert balancers_of(g, r["Tg"]) == [(r["Lb"], r["Listener"])]
    assert [m.resource for m in instance_security_groups(g, r["Group"])] == [r["AppSg"]]
    assert r["Template"] in cluster_instances(g, r["Cluster"])
    assert ingress_allows_span(g, [r["AppSg"]], low=49153, high=60999, source_groups=[r["AlbSg"]]).yes
    narrow = ingress_allows_span(g, [r["NarrowSg"]], low=49153, high=60999, source_groups=[r["AlbSg"]])
    assert narrow.no and "NarrowSg admits TCP 5" in narrow.reason
