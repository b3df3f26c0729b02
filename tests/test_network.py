"""Subnet classes, zones, security group reachability and VPC endpoints."""
from __future__ import annotations

from linter.build import build_graph
from linter.load import parse
from linter.network import (EGRESS_ONLY, ELSEWHERE, ISOLATED, PRIVATE_NAT, PUBLIC, UNKNOWN, egress_allows,
                            endpoint_services, ingress_allows, security_groups_of, single_zone_scenario,
                            subnet_class, subnet_zone, subnets_of)

VPC = """
Parameters:
  UseNat: {Type: String, AllowedValues: ["yes", "no"]}
  ProxyPort: {Type: Number}
  Zone: {Type: String, Default: eu-west-1a}
Conditions:
  NatEgress: !Equals [!Ref UseNat, "yes"]
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  EgressOnly: {Type: AWS::EC2::EgressOnlyInternetGateway, Properties: {VpcId: !Ref Vpc}}
  Nat: {Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PublicSubnet, AllocationId: eipalloc-1}}
  Tgw: {Type: AWS::EC2::TransitGateway}

  PublicSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: !Ref Zone}}
  PrivateSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: eu-west-1b}}
  IsolatedSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24, AvailabilityZone: eu-west-1a}}
  MainTableSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.3.0/24}}
  ChosenSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.4.0/24}}
  TransitSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.5.0/24}}

  PublicTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  PublicDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicSubnet, RouteTableId: !Ref PublicTable}

  PrivateTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  PrivateDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateTable, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PrivateIpv6Default:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateTable, DestinationIpv6CidrBlock: "::/0", EgressOnlyInternetGatewayId: !Ref EgressOnly}
  PrivateAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PrivateSubnet, RouteTableId: !Ref PrivateTable}

  IsolatedTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  IsolatedAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref IsolatedSubnet, RouteTableId: !Ref IsolatedTable}

  ChosenTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  ChosenDefault:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref ChosenTable
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !If [NatEgress, !Ref Nat, !Ref AWS::NoValue]
      GatewayId: !If [NatEgress, !Ref AWS::NoValue, !Ref Igw]
  ChosenAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref ChosenSubnet, RouteTableId: !Ref ChosenTable}

  TransitTable: {Type: AWS::EC2::RouteTable, Properties: {VpcId: !Ref Vpc}}
  TransitDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref TransitTable, DestinationCidrBlock: 0.0.0.0/0, TransitGatewayId: !Ref Tgw}
  TransitAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref TransitSubnet, RouteTableId: !Ref TransitTable}

  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties: {VpcId: !Ref Vpc, ServiceName: !Sub "com.amazonaws.${AWS::Region}.s3"}

  LoadBalancerGroup:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: lb, VpcId: !Ref Vpc}
  AppGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref LoadBalancerGroup}
        - {IpProtocol: tcp, FromPort: 1024, ToPort: 2000, CidrIp: 10.0.0.0/16}
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, DestinationSecurityGroupId: !Ref DatabaseGroup}
  DatabaseGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: db
      VpcId: !Ref Vpc
  DatabaseFromApp:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref DatabaseGroup, IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !GetAtt AppGroup.GroupId}
  OpenGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: everything
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: "-1", CidrIp: 0.0.0.0/0}]
      SecurityGroupEgress: [{IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 10.0.0.2/32}]
  ProxyEgress:
    Type: AWS::EC2::SecurityGroupEgress
    Properties: {GroupId: !Ref OpenGroup, IpProtocol: tcp, FromPort: !Ref ProxyPort, ToPort: !Ref ProxyPort, CidrIp: 0.0.0.0/0}

  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
      VpcConfig:
        SubnetIds: [!Ref PrivateSubnet, !Ref IsolatedSubnet, subnet-0abc]
        SecurityGroupIds: [!Ref AppGroup, sg-0def]
"""


def graph(**parameters):
    return build_graph("vpc.yaml", parse(VPC, "vpc.yaml").data, parameters or None)


def test_subnet_classes_from_the_default_route():
    g = graph()
    r = g.resources
    public = subnet_class(g, r["PublicSubnet"])
    assert public.kind == PUBLIC and "PublicDefault" in public.reason and public.route_table is r["PublicTable"]
    private = subnet_class(g, r["PrivateSubnet"])
    assert private.kind == PRIVATE_NAT and "PrivateDefault" in private.reason
    isolated = subnet_class(g, r["IsolatedSubnet"])
    assert isolated.kind == ISOLATED and "IsolatedTable has no default route" in isolated.reason
    assert subnet_class(g, r["TransitSubnet"]).kind == ELSEWHERE


def test_ipv6_egress_only_route_does_not_make_a_subnet_public():
    g = graph()
    private = subnet_class(g, g.resources["PrivateSubnet"])
    assert private.kind == PRIVATE_NAT and private.ipv6 == EGRESS_ONLY
    assert subnet_class(g, g.resources["PublicSubnet"]).ipv6 == ISOLATED


def test_subnet_on_the_main_route_table_is_unknown():
    g = graph()
    main = subnet_class(g, g.resources["MainTableSubnet"])
    assert main.kind == UNKNOWN and "main route table" in main.reason and not main.settled


def test_route_target_chosen_by_a_condition_is_unknown_until_the_parameter_is_given():
    assert subnet_class(graph(), graph().resources["ChosenSubnet"]).kind == UNKNOWN
    g = graph(UseNat="yes")
    assert subnet_class(g, g.resources["ChosenSubnet"]).kind == PRIVATE_NAT
    g = graph(UseNat="no")
    assert subnet_class(g, g.resources["ChosenSubnet"]).kind == PUBLIC


def test_subnets_of_follows_references_and_names_what_it_cannot_follow():
    g = graph()
    members = subnets_of(g, g.resources["Worker"].get("VpcConfig.SubnetIds"))
    assert [m.resource.logical_id if m.resource else None for m in members] == ["PrivateSubnet", "IsolatedSubnet", None]
    assert "subnet-0abc" in members[2].reason
    groups = security_groups_of(g, g.resources["Worker"].get("VpcConfig.SecurityGroupIds"))
    assert groups[0].resource is g.resources["AppGroup"] and groups[1].resource is None


def test_subnet_zone_and_one_zone_scenarios():
    g = graph()
    r = g.resources
    assert subnet_zone(r["PrivateSubnet"]).single == "eu-west-1b"
    assert not subnet_zone(r["MainTableSubnet"]).is_known
    zone, _ = single_zone_scenario([r["PublicSubnet"], r["IsolatedSubnet"]])
    assert zone == "eu-west-1a"     # the parameter default and the literal agree
    assert single_zone_scenario([r["PublicSubnet"], r["PrivateSubnet"]]) is None
    assert single_zone_scenario([r["PrivateSubnet"], r["MainTableSubnet"]]) is None   # AWS picks a zone


def test_ingress_from_a_group_and_port_ranges():
    g = graph()
    r = g.resources
    assert ingress_allows(g, r["AppGroup"], port=8080, source_group=r["LoadBalancerGroup"]).yes
    assert ingress_allows(g, r["AppGroup"], port=8081, source_group=r["LoadBalancerGroup"]).no
    assert ingress_allows(g, r["DatabaseGroup"], port=5432, source_group=r["AppGroup"]).yes     # standalone rule
    other = ingress_allows(g, r["DatabaseGroup"], port=5432, source_group=r["LoadBalancerGroup"])
    assert other.no and "from LoadBalancerGroup" in other.reason
    assert ingress_allows(g, r["DatabaseGroup"], port=5432, protocol="udp").no


def test_ingress_from_a_cidr():
    g = graph()
    app = g.resources["AppGroup"]
    assert ingress_allows(g, app, port=1500, cidr="10.0.7.0/24").yes
    assert ingress_allows(g, app, port=2001, cidr="10.0.7.0/24").no
    assert ingress_allows(g, app, port=1500, cidr="192.168.0.0/24").no
    assert ingress_allows(g, app, port=1500, cidr="10.0.0.0/8").unknown        # only part of it
    # A narrower CIDR may or may not hold a group's members.
    assert ingress_allows(g, app, port=1500, source_group=g.resources["LoadBalancerGroup"]).unknown
    assert ingress_allows(g, g.resources["OpenGroup"], port=22, protocol="udp", cidr="203.0.113.0/24").yes


def test_egress_default_inline_standalone_and_unknown_port():
    g = graph()
    r = g.resources
    default = egress_allows(g, r["DatabaseGroup"], port=443)
    assert default.yes and "default" in default.reason
    postgres_only = egress_allows(g, r["AppGroup"], port=443)
    assert postgres_only.no
    assert egress_allows(g, r["AppGroup"], port=5432).yes
    proxy = egress_allows(g, r["OpenGroup"], port=443)
    assert proxy.unknown and "ProxyEgress" in proxy.reason
    g = graph(ProxyPort="443")
    assert egress_allows(g, g.resources["OpenGroup"], port=443).yes
    g = graph(ProxyPort="8080")
    assert egress_allows(g, g.resources["OpenGroup"], port=443).no


def test_endpoint_services():
    assert endpoint_services(graph()) == {"s3"}
