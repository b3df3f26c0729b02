"""linter.beanstalk (option settings) and linter.ecs (Fargate, images, task sizes) helpers."""
from __future__ import annotations

from linter.build import build_graph
from linter.load import parse
from linter.model import (Case, fargate_size_fits, namespace_options, option, option_at, private_ecr_image,
                          requires_fargate, secret_like_name, services_of, task_size)


def graph_of(text: str, parameters=None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def shown(value) -> list[str]:
    return sorted(c.show() if c.known else f"unknown: {c.describe()}" for c in value)


BEANSTALK = """
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod]}
  Policy: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  App: {Type: AWS::ElasticBeanstalk::Application}
  Config:
    Type: AWS::ElasticBeanstalk::ConfigurationTemplate
    Properties:
      ApplicationName: !Ref App
      OptionSettings:
        - {Namespace: aws:elasticbeanstalk:command, OptionName: DeploymentPolicy, Value: Rolling}
        - {Namespace: aws:elasticbeanstalk:sqsd, OptionName: InactivityTimeout, Value: "600"}
  Env:
    Type: AWS::ElasticBeanstalk::Environment
    Properties:
      ApplicationName: !Ref App
      TemplateName: !Ref Config
      OptionSettings:
        - {Namespace: aws:elasticbeanstalk:command, OptionName: DeploymentPolicy, Value: Immutable}
        - !If
          - IsProd
          - {Namespace: aws:elasticbeanstalk:environment, OptionName: EnvironmentType, Value: LoadBalanced}
          - !Ref AWS::NoValue
        - {Namespace: aws:rds:dbinstance, OptionName: DBEngine, Value: postgres}
  Bare:
    Type: AWS::ElasticBeanstalk::Environment
    Properties:
      ApplicationName: !Ref App
      OptionSettings:
        - {Namespace: aws:elasticbeanstalk:command, OptionName: DeploymentPolicy, Value: !Ref Policy}
"""


def test_environment_option_wins_over_its_configuration_template():
    graph = graph_of(BEANSTALK)
    env = graph.resources["Env"]
    assert [c.value for c in option(env, "aws:elasticbeanstalk:command", "DeploymentPolicy")] == ["Immutable"]
    assert [c.value for c in option(env, "aws:elasticbeanstalk:sqsd", "InactivityTimeout")] == ["600"]


def test_absent_option_takes_the_elastic_beanstalk_default():
    env = graph_of(BEANSTALK).resources["Env"]
    assert shown(option(env, "aws:elasticbeanstalk:sqsd", "VisibilityTimeout")) == \
        ["300 (the Elastic Beanstalk worker default)"]
    assert shown(option(env, "aws:elasticbeanstalk:sqsd", "HttpPath")) == ["None (not set)"]


def test_conditional_option_falls_back_to_the_default_in_the_other_scenario():
    env = graph_of(BEANSTALK).resources["Env"]
    value = option(env, "aws:elasticbeanstalk:environment", "EnvironmentType")
    by_scenario = {dict(c.assumptions)[("parameter", "Stage")]: c.origin for c in value}
    assert by_scenario["prod"].startswith("Fn::If IsProd true branch")
    assert by_scenario["dev"] == "the Elastic Beanstalk default"


def test_unknown_option_value_stays_unknown():
    bare = graph_of(BEANSTALK).resources["Bare"]
    value = option(bare, "aws:elasticbeanstalk:command", "DeploymentPolicy")
    assert all(not c.known for c in value)


def test_namespace_options_and_where_an_option_is_written():
    env = graph_of(BEANSTALK).resources["Env"]
    assert [e.at for e in namespace_options(env, "aws:rds:dbinstance")] == ["OptionSettings.2"]
    assert option_at(env, "aws:elasticbeanstalk:command", "DeploymentPolicy") == "OptionSettings.0.Value"
    assert option_at(env, "aws:elasticbeanstalk:sqsd", "InactivityTimeout") == "OptionSettings"


ECS = """
Resources:
  Repo: {Type: AWS::ECR::Repository}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [EC2, FARGATE]
      ContainerDefinitions: [{Name: a, Image: x}]
  Legacy:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions: [{Name: a, Image: x}]
  Service:
    Type: AWS::ECS::Service
    Properties: {TaskDefinition: !Ref Task}
"""


def test_requires_fargate_and_services_of():
    graph = graph_of(ECS)
    assert [c.value for c in requires_fargate(graph.resources["Task"])] == [True]
    assert shown(requires_fargate(graph.resources["Legacy"])) == ["false (RequiresCompatibilities not set, so EC2 only)"]
    assert services_of(graph, graph.resources["Task"]) == [graph.resources["Service"]]
    assert services_of(graph, graph.resources["Legacy"]) == []


def test_private_ecr_images():
    graph = graph_of(ECS)
    from linter.values import ResourceRef, token
    assert private_ecr_image(graph, Case(ResourceRef("Repo", "RepositoryUri"))) is True
    assert private_ecr_image(graph, Case(token("Repo.RepositoryUri") + ":1")) is True
    assert private_ecr_image(graph, Case(token("AWS::AccountId") + ".dkr.ecr.eu-west-1.amazonaws.com/app:1")) is True
    assert private_ecr_image(graph, Case("public.ecr.aws/nginx/nginx:1.27")) is False
    assert private_ecr_image(graph, Case("nginx:latest")) is False
    assert private_ecr_image(graph, Case(token("Registry") + "/app:1")) is None


def test_task_sizes():
    assert [task_size(Case(v)) for v in ("1 vCPU", "0.25 vCPU", "2 GB", "512", 1024, "lots")] == \
        [1024, 256, 2048, 512, 1024, None]
    assert fargate_size_fits(256, 2048) is None
    assert fargate_size_fits(256, 4096) == "with 256 CPU units Fargate offers 512, 1024, 2048 MiB of memory"
    assert fargate_size_fits(4096, 30720) is None
    assert fargate_size_fits(8192, 18432) is not None   # 8192 units: 4 GiB steps
    assert fargate_size_fits(3072, 8192).startswith("Fargate CPU must be one of")


def test_secret_like_names():
    assert [secret_like_name(n) for n in ("DB_PASSWORD", "STRIPE_API_KEY", "GITHUB_TOKEN", "DB_SECRET_ARN",
                                          "TOKEN_URL", "LOG_LEVEL")] == [True, True, True, False, False, False]
