"""The resolver: every intrinsic, parameters, conditions and scenarios, and unknowns with reasons."""
from __future__ import annotations

from linter.load import parse
from linter.resolve import Resolver
from linter.values import ResourceRef, Unknown, as_number, combinations, display, scenario_text

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: Number, AllowedValues: [10, 20]}
  NoDefault: {Type: String}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-1,subnet-2"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/size}
Mappings:
  Sizes:
    dev: {Timeout: 10}
    prod: {Timeout: 60}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsBig: !Equals [!Ref Size, 20]
  Unknowable: !Equals [!Ref NoDefault, x]
  Loop: !Not [!Condition Loop]
  Both: !And [!Condition IsProd, !Condition IsBig]
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""


def resolver(params=None, pseudo=None):
    doc = parse(TEMPLATE, "t.yaml")
    return Resolver(doc.data, params, pseudo)


def one(value):
    assert len(value.cases) == 1, value
    return value.cases[0]


def node(text):
    return parse(f"x: {text}\n", "n.yaml").data["x"]


def test_ref_parameter_default_with_origin():
    case = one(resolver().resolve(node("!Ref Env")))
    assert case.value == "dev" and "parameter Env default" in case.origin


def test_given_parameter_beats_default():
    case = one(resolver({"Env": "prod"}).resolve(node("!Ref Env")))
    assert case.value == "prod" and "given on the command line" in case.origin


def test_allowed_values_give_one_case_each():
    value = resolver().resolve(node("!Ref Size"))
    assert sorted(c.value for c in value) == [10, 20]
    assert all(c.assumptions for c in value)


def test_parameter_without_default_is_unknown_with_reason():
    case = one(resolver().resolve(node("!Ref NoDefault")))
    assert isinstance(case.value, Unknown) and "no Default" in case.value.reason


def test_ssm_parameter_is_unknown_even_with_default():
    assert not one(resolver().resolve(node("!Ref FromSsm"))).known


def test_list_parameter_is_split():
    assert one(resolver().resolve(node("!Ref Subnets"))).value == ["subnet-1", "subnet-2"]


def test_pseudo_parameters_are_tokens_unless_given():
    assert "AWS::Region" in one(resolver().resolve(node("!Ref AWS::Region"))).value
    assert one(resolver(pseudo={"AWS::Region": "eu-west-1"}).resolve(node("!Ref AWS::Region"))).value == "eu-west-1"


def test_getatt_and_ref_to_resources():
    assert one(resolver().resolve(node("!GetAtt Queue.Arn"))).value == ResourceRef("Queue", "Arn")
    assert one(resolver().resolve(node("!Ref Queue"))).value == ResourceRef("Queue")
    assert not one(resolver().resolve(node("!GetAtt Nope.Arn"))).known


def test_sub_both_forms_keep_resource_tokens():
    value = one(resolver().resolve(node('!Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}"'))).value
    assert display(value) == "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}"
    value = one(resolver().resolve(node('!Sub ["${Name}-${Env}", {Name: app}]'))).value
    assert value == "app-dev"
    assert one(resolver().resolve(node('!Sub "a-${!Literal}"'))).value == "a-${Literal}"


def test_join_select_split():
    assert one(resolver().resolve(node('!Join ["-", [a, !Ref Env, 3]]'))).value == "a-dev-3"
    assert one(resolver().resolve(node("!Select [1, [a, b, c]]"))).value == "b"
    assert one(resolver().resolve(node('!Split [",", "a,b"]'))).value == ["a", "b"]
    assert one(resolver().resolve(node("!Select [1, !Ref Subnets]"))).value == "subnet-2"


def test_getazs_indexes_are_distinct():
    a = one(resolver().resolve(node("!Select [0, !GetAZs '']"))).value
    b = one(resolver().resolve(node("!Select [1, !GetAZs '']"))).value
    assert a != b


def test_findinmap_with_known_and_unknown_keys():
    case = one(resolver().resolve(node("!FindInMap [Sizes, !Ref Env, Timeout]")))
    assert case.value == 10 and "Mappings.Sizes.dev.Timeout" in case.origin
    rows = resolver().resolve(node("!FindInMap [Sizes, !Ref AWS::Region, Timeout]"))
    assert sorted(c.value for c in rows) == [10, 60]
    missing = one(resolver().resolve(node("!FindInMap [Sizes, qa, Timeout]")))
    assert not missing.known
    default = one(resolver().resolve(node("!FindInMap [Sizes, qa, Timeout, {DefaultValue: 5}]")))
    assert default.value == 5


def test_if_with_known_condition_takes_one_branch():
    case = one(resolver().resolve(node("!If [IsProd, 60, 10]")))
    assert case.value == 10


def test_if_with_unknown_condition_names_both_scenarios():
    value = resolver().resolve(node("!If [Unknowable, 60, 10]"))
    assert sorted(c.value for c in value) == [10, 60]
    texts = {scenario_text([c]) for c in value}
    assert texts == {"when condition Unknowable is true", "when condition Unknowable is false"}


def test_if_follows_allowed_values_and_stays_paired():
    r = resolver()
    timeout = r.resolve(node("!If [IsBig, 100, 1]"))
    size = r.resolve(node("!Ref Size"))
    pairs = sorted((s.value, t.value) for s, t in combinations(size, timeout))
    assert pairs == [(10, 1), (20, 100)]


def test_and_or_not():
    # IsProd is false by Env's default, so Both is false for every allowed Size: one scenario.
    assert one(resolver().resolve(node("!Condition Both"))).value is False
    assert one(resolver({"Env": "prod", "Size": "20"}).resolve(node("!Condition Both"))).value is True


def test_circular_condition_is_unknown():
    value = resolver().resolve(node("!Condition Loop"))
    assert any(not c.known for c in value)


def test_import_and_dynamic_references_are_unknown():
    assert "another stack" in one(resolver().resolve(node("!ImportValue shared-arn"))).value.reason
    assert not one(resolver().resolve(node("'{{resolve:ssm:/app/size}}'"))).known
    assert not one(resolver().resolve(node('!Sub "{{resolve:secretsmanager:db}}"'))).known


def test_no_value_removes_list_items_and_keys():
    assert one(resolver().resolve(node("[a, !Ref AWS::NoValue, b]"))).value == ["a", "b"]
    assert one(resolver().resolve(node("{k: !Ref AWS::NoValue, j: 1}"))).value == {"j": 1}


def test_base64_and_tojson():
    assert one(resolver().resolve(node("!Base64 hello"))).value == "hello"
    assert one(resolver().resolve(node("{'Fn::ToJsonString': {a: 1}}"))).value == '{"a": 1}'


def test_unknown_function_is_unknown_not_an_error():
    assert not one(resolver().resolve(node("{'Fn::Cidr': [10.0.0.0/16, 4, 8]}"))).known


def test_as_number_refuses_tokens_and_words():
    from linter.values import Case

    assert as_number(Case("30")) == 30
    assert as_number(Case("thirty")) is None
    assert as_number(Case(True)) is None
