"""The fixture walker reads expectations beside their lines, and marks misplaced ones."""
from fixture_expectations import read

TEMPLATE = """\
# parameters: Env=prod
# expect-not-evaluated: SQS001 Worker
Resources:
  # expect: SQS002 warning Dlq "no alarm"

  # a comment between the expectation and its line is skipped
  Dlq:
    Type: AWS::SQS::Queue
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 10  # expect: SQS001 error Jobs "10 s"
      # known-gap: SQS004 warning Jobs "retention"
      MessageRetentionPeriod: 60
      QueueName: "a # not a comment"
"""


def test_expectations_take_the_line_below_or_their_own_line():
    got = read(TEMPLATE)
    assert [(e.code, e.logical_id, e.line, e.substrings) for e in got.findings] == [
        ("SQS002", "Dlq", 7, ["no alarm"]), ("SQS001", "Jobs", 12, ["10 s"])]
    assert [(e.code, e.line) for e in got.known_gaps] == [("SQS004", 14)]
    assert got.not_evaluated == [("SQS001", "Worker")]
    assert got.parameters == {"Env": "prod"}
    assert not got.problems


def test_header_expectation_and_dangling_expectation_are_problems():
    got = read('# expect: SQS001 error Jobs\nResources: {}\n# expect: SQS002 warning Dlq\n')
    assert len(got.problems) == 2
    assert "header" in got.problems[0] and "no template line" in got.problems[1]
