"""Reading state machine definitions (linter.stepfunctions) and sizing resolved structures (linter.limits)."""
from __future__ import annotations

from linter.build import build_graph
from linter.limits import known_size, unresolved_reason
from linter.load import parse
from linter.stepfunctions import asl_states, parse_error, state_machine_definition, unused_substitutions

TEMPLATE = """
Parameters:
  WaitSeconds: {Type: Number}
  Greeting: {Type: String, Default: hello}
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  FromString:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionString: !Sub |
        {"StartAt": "Pause", "States": {
          "Pause": {"Type": "Wait", "Seconds": ${WaitSeconds}, "Next": "Work"},
          "Work": {"Type": "Task", "Resource": "${Worker.Arn}", "Comment": "${Greeting} ${WaitSeconds}",
                   "End": true}}}
  FromMap:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions: {Fn: !GetAtt Worker.Arn, Unused: x}
      Definition:
        StartAt: Fan
        States:
          Fan:
            Type: Parallel
            End: true
            Branches:
              - StartAt: Call
                States:
                  Call: {Type: Task, Resource: "${Fn}", End: true}
  Broken:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionString: '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true},}}'
  InS3:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionS3Location: {Bucket: b, Key: k}
"""


def _graph():
    return build_graph("t.yaml", parse(TEMPLATE, "t.yaml").data)


def test_definition_string_keeps_what_resolves_and_marks_the_rest():
    machine = _graph().resources["FromString"]
    (case,) = state_machine_definition(machine).cases
    states = {name: state for _, name, state in asl_states(case.value)}
    assert unresolved_reason(states["Pause"]["Seconds"]).startswith("parameter WaitSeconds has no Default")
    assert states["Pause"]["Next"] == "Work"
    assert str(states["Work"]["Resource"]) == "\u27e6Worker.Arn\u27e7"
    assert states["Work"]["Comment"].startswith("hello ")


def test_definition_map_applies_substitutions_and_walks_nested_branches():
    machine = _graph().resources["FromMap"]
    (case,) = state_machine_definition(machine).cases
    walked = [(scope, name) for scope, name, _ in asl_states(case.value)]
    assert walked == [("States", "Fan"), ("States.Fan.Branches.0.States", "Call")]
    call = [state for _, name, state in asl_states(case.value) if name == "Call"][0]
    assert call["Resource"].logical_id == "Worker"
    assert unused_substitutions(machine) == ["Unused"]


def test_invalid_json_and_invisible_definitions():
    graph = _graph()
    (broken,) = state_machine_definition(graph.resources["Broken"]).cases
    assert "not valid JSON" in parse_error(broken.value)
    (in_s3,) = state_machine_definition(graph.resources["InS3"]).cases
    assert not in_s3.known and "DefinitionS3Location" in in_s3.value.reason


def test_known_size_is_a_lower_bound_with_references():
    assert known_size({"TABLE": "orders"}) == (11, [], True)
    graph = _graph()
    size, unresolved, exact = known_size({"A": graph.resolver.resolve({"Ref": "Worker"}).single, "B": "xy"})
    assert (size, unresolved, exact) == (4, [], False)  # the keys and "xy"; the reference counts nothing
    size, unresolved, exact = known_size(graph.resolver.resolve({"K": {"Ref": "WaitSeconds"}}).single)
    assert size == 1 and unresolved and not exact
