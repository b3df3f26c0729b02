"""The loader: positions, short tags, and every kind of bad input ending as a ParseError."""
from __future__ import annotations

import pytest

from linter.api import lint_file, lint_text
from linter.load import MAX_DEPTH, Mapping, ParseError, decode, is_template, parse


def test_yaml_positions_and_short_tags():
    text = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: !Ref Vis\n"
    doc = parse(text, "t.yaml")
    queue = doc.data["Resources"]["Queue"]
    assert isinstance(queue, Mapping)
    assert doc.data["Resources"].pos("Queue") == (2, 3)
    props = queue["Properties"]
    assert props["VisibilityTimeout"] == {"Ref": "Vis"}
    assert props.value_pos["VisibilityTimeout"][0] == 5


def test_getatt_short_form_splits_on_first_dot():
    doc = parse("A: !GetAtt Db.Endpoint.Address\nB: !GetAtt [Q, Arn]\n", "t.yaml")
    assert doc.data["A"] == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}
    assert doc.data["B"] == {"Fn::GetAtt": ["Q", "Arn"]}


def test_colon_inside_flow_sequence_parses():
    # The libyaml bundled with ruamel.yaml.clib rejected this; the loader must accept it.
    doc = parse("A: !If [Cond, !Ref AWS::NoValue, x]\n", "t.yaml")
    assert doc.data["A"] == {"Fn::If": ["Cond", {"Ref": "AWS::NoValue"}, "x"]}


def test_scalars_follow_the_core_schema():
    doc = parse("a: 30\nb: '30'\nc: true\nd: yes\ne: 1.5\nf: ~\ng: 2010-09-09\nh: 0x1F\n", "t.yaml")
    assert doc.data == {"a": 30, "b": "30", "c": True, "d": "yes", "e": 1.5, "f": None, "g": "2010-09-09", "h": 31}


def test_json_positions():
    text = '{\n  "Resources": {\n    "Q": {"Type": "AWS::SQS::Queue"}\n  }\n}\n'
    doc = parse(text, "t.json")
    assert doc.is_json
    assert doc.data["Resources"].pos("Q") == (3, 5)


@pytest.mark.parametrize("text, fragment, line", [
    ("a: 1\na: 2\n", "duplicate key 'a'", 2),
    ('{"a": 1, "a": 2}', "duplicate key 'a'", 1),
    ("a: [1, 2\n", "YAML syntax error", 2),
    ('{"a": 1,}', "JSON syntax error", 1),
    ("", "empty", 1),
    ("   \n\n", "empty", 1),
    ("a: 1\n---\nb: 2\n", "more than one YAML document", 2),
    ("a: \ud800\n", "surrogate", 1),
    ('{"a": "\\ud800"}', "surrogate", 1),
    ('a: "x\\udc00"\n', "surrogate", 1),
    ("? [a, b]\n: 1\n", "plain value", 1),
])
def test_malformed_input_is_a_parse_error(text, fragment, line):
    with pytest.raises(ParseError) as info:
        parse(text, "t.json" if text.startswith("{") else "t.yaml")
    assert fragment in info.value.message
    assert info.value.line == line


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(ParseError) as info:
        parse("\n".join(lines) + "\n", "bomb.yaml")
    assert "alias" in info.value.message


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_deep_flow_nesting_is_refused(opening, closing):
    depth = 5000
    with pytest.raises(ParseError) as info:
        parse("x: " + opening * depth + "1" + closing * depth + "\n", "deep.yaml")
    assert "nest" in info.value.message


def test_deep_json_nesting_is_refused():
    depth = MAX_DEPTH + 50
    with pytest.raises(ParseError) as info:
        parse("[" * depth + "]" * depth, "deep.json")
    assert "nest" in info.value.message


def test_deep_block_nesting_is_refused():
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 20)) + " " * (MAX_DEPTH + 20) + "v\n"
    with pytest.raises(ParseError):
        parse(text, "deep.yaml")


def test_bad_encoding_is_a_parse_error():
    with pytest.raises(ParseError) as info:
        decode(b"Resources:\n  Q: \xff\xfe\xfa\n")
    assert "UTF-8" in info.value.message
    assert info.value.line == 2


def test_utf16_with_bom_decodes():
    raw = "Resources: {}\n".encode("utf-16")
    assert decode(raw).startswith("Resources")


def test_not_a_template_is_recognised():
    assert not is_template({"on": "push", "jobs": {}})
    assert not is_template(["a"])
    assert is_template({"AWSTemplateFormatVersion": "2010-09-09"})
    assert is_template({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})


def test_workflow_file_is_skipped_quietly(tmp_path):
    path = tmp_path / "ci.yml"
    path.write_text("name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    result = lint_file(str(path))
    assert result.status == "skipped" and not result.findings


def test_parse_error_becomes_a_finding_with_position(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Q:\n    Type: AWS::SNS::Topic\n")
    result = lint_file(str(path))
    assert result.status == "parse-error"
    (finding,) = result.findings
    assert finding.code == "CFN000" and finding.location.line == 4
    assert "duplicate key 'Q'" in finding.message


def test_unreadable_file_is_reported(tmp_path):
    result = lint_file(str(tmp_path / "missing.yaml"))
    assert result.status == "unreadable" and result.findings[0].code == "CFN000"


def test_resources_that_are_not_a_mapping(tmp_path):
    result = lint_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: [a, b]\n", "t.yaml")
    assert result.status == "parse-error"
    assert "Resources must be a mapping" in result.findings[0].message
