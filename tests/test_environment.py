"""The production convention: which scenarios a "in production" sub-check applies to."""
from linter.build import build_graph
from linter.environment import environment_parameter, is_production_text, production
from linter.load import parse


def graph_of(text, parameters=None):
    return build_graph("t.yaml", parse(text, "t.yaml").data, parameters)


def cases(value):
    return sorted((c.value, c.origin) for c in value.cases if c.known)


def test_production_words():
    assert all(is_production_text(t) for t in ("prod", "Production", "PRD", "live", "prod-eu", "eu_prod"))
    assert not any(is_production_text(t) for t in ("dev", "staging", "preprod-like", "products", "delivery"))


def test_allowed_values_give_one_scenario_each():
    graph = graph_of("""
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, staging, prod]}
Resources:
  Q: {Type: AWS::SQS::Queue}
""")
    value = production(graph)
    assert [c.value for c in value.cases] == [False, False, True]
    assert value.cases[2].assumptions == ((("parameter", "Stage"), "prod"),)


def test_given_value_and_default():
    text = """
Parameters:
  EnvironmentName: {Type: String, Default: dev}
Resources:
  Q: {Type: AWS::SQS::Queue}
"""
    assert [c.value for c in production(graph_of(text)).cases] == [False]
    assert [c.value for c in production(graph_of(text, {"EnvironmentName": "production"})).cases] == [True]


def test_no_environment_value_means_as_written():
    graph = graph_of("""
Parameters:
  StorageTierClass: {Type: String, Default: STANDARD}
Resources:
  Q: {Type: AWS::SQS::Queue}
""")
    assert environment_parameter(graph.resolver) is None
    value = production(graph)
    assert value.single is True and "may run in production" in value.cases[0].origin


def test_unknown_environment_is_unknown():
    graph = graph_of("""
Parameters:
  AppEnv: {Type: String}
Resources:
  Q: {Type: AWS::SQS::Queue}
""")
    assert environment_parameter(graph.resolver) == "AppEnv"
    assert not production(graph).is_known


def test_condition_named_like_production():
    graph = graph_of("""
Parameters:
  ReleaseChannel: {Type: String, Default: beta, AllowedValues: [beta, ga]}
Conditions:
  IsProd: !Equals [!Ref ReleaseChannel, ga]
Resources:
  Q: {Type: AWS::SQS::Queue}
""")
    assert {c.value for c in production(graph).cases if c.known} == {True, False}
