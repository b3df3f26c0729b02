"""LAM009 lambda-failure-destination-types."""
from linter.model import ESM, FUNCTION_TYPES, QUEUE, TOPIC, as_bool, function_role, kinds, role_allows, rule

BUS = "AWS::Events::EventBus"
BUCKET = "AWS::S3::Bucket"
# What each kind of failure (or success) target may be.
_ALLOWED = {
    kinds.LAMBDA_DLQ: (QUEUE, TOPIC),
    kinds.ON_FAILURE: (QUEUE, TOPIC, BUS, BUCKET) + FUNCTION_TYPES,
    kinds.ON_SUCCESS: (QUEUE, TOPIC, BUS) + FUNCTION_TYPES,
    kinds.ESM_ON_FAILURE: (QUEUE, TOPIC, BUCKET),
}
_ALLOWED_TEXT = {
    kinds.LAMBDA_DLQ: "a standard SQS queue or SNS topic",
    kinds.ON_FAILURE: "a standard SQS queue, a standard SNS topic, a Lambda function, an EventBridge bus or an S3 bucket",
    kinds.ON_SUCCESS: "a standard SQS queue, a standard SNS topic, a Lambda function or an EventBridge bus",
    kinds.ESM_ON_FAILURE: "a standard SQS queue, a standard SNS topic or an S3 bucket",
}
# The action the function's execution role needs on the target.
_ACTION = {QUEUE: "sqs:SendMessage", TOPIC: "sns:Publish", BUS: "events:PutEvents", BUCKET: "s3:PutObject",
           **{t: "lambda:InvokeFunction" for t in FUNCTION_TYPES}}
_FIFO = {QUEUE: ("FifoQueue", "FIFO queue"), TOPIC: ("FifoTopic", "FIFO topic")}
_OPAQUE = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application", "AWS::CloudFormation::CustomResource")
_PATHS = ("DeadLetterConfig.TargetArn", "DestinationConfig.OnFailure.Destination",
          "DestinationConfig.OnSuccess.Destination")


@rule("LAM009", "lambda-failure-destination-types", severity="error",
      tags=("reliability", "lambda", "iam"), catalogue="R44")
def failure_destination_types(graph, ctx):
    """A Lambda dead-letter queue or destination must be a target Lambda can deliver to, with the role's permission.

    **What it checks.** For every function `DeadLetterConfig.TargetArn` (SAM `DeadLetterQueue`),
    every `AWS::Lambda::EventInvokeConfig` (SAM `EventInvokeConfig`) `OnFailure` / `OnSuccess`
    destination, and every event source mapping `DestinationConfig.OnFailure`, each an *error*:

    - `target-type`: a dead-letter queue must be an SQS queue or SNS topic; an asynchronous destination
      an SQS queue, SNS topic, Lambda function or EventBridge bus (an S3 bucket for on-failure); a
      mapping's on-failure destination an SQS queue, SNS topic or S3 bucket;
    - `fifo-target`: a FIFO queue (`FifoQueue: true`) or FIFO topic (`FifoTopic: true`) is rejected;
    - `role-permission`: an explicit execution role must allow `sqs:SendMessage`, `sns:Publish`,
      `lambda:InvokeFunction`, `events:PutEvents` or `s3:PutObject` on the target. The role SAM
      generates gets these permissions from SAM and is not checked.

    A target given as a literal ARN, an output of a nested stack or custom resource of something outside the template, a role outside the template,
    and a policy whose grants are not known make the check not evaluated.

    **Why it matters.** Lambda validates the target when the configuration is created: a FIFO queue, an
    unsupported target type or a role that cannot send to the target makes the deployment fail. The
    function's role, not a resource policy, is what delivers failed events.

    **Example (fails).**

        Worker:
          Type: AWS::Lambda::Function
          Properties:
            Role: !GetAtt WorkerRole.Arn          # no sqs:SendMessage
            DeadLetterConfig:
              TargetArn: !GetAtt FailedJobs.Arn   # FifoQueue: true

    **Fix.** Use a standard queue and allow the role to send to it:

        - Effect: Allow
          Action: sqs:SendMessage
          Resource: !GetAtt FailedJobs.Arn
    """
    links = [e for kind in (kinds.DLQ_OF, kinds.DESTINATION_OF) for e in graph.edges(kind) if e.role in _ALLOWED]
    for link in links:
        target, owner = link.source, link.target
        use = _use_text(link)
        if target.type in _OPAQUE or target.type.startswith("Custom::"):
            # An output of a nested stack or a custom resource: what it names is not in this template.
            ctx.not_evaluated(link, f"{use} is an output of {target.describe()}, a {target.type}")
            continue
        if target.type not in _ALLOWED[link.role]:
            yield ctx.finding(link, f"{use} is {target.describe()}, a {target.type}: it must be "
                                    f"{_ALLOWED_TEXT[link.role]}", check="target-type", related=[target],
                              cases=(link,))
            continue
        if target.type in _FIFO:
            flag, noun = _FIFO[target.type]
            for (fifo,) in ctx.cases(link, target.get(flag), convert=as_bool):
                if fifo.value:
                    yield ctx.finding(link, f"{use} is {target.describe()}, a {noun} ({fifo.cite(flag)}): Lambda "
                                            f"accepts only standard queues and topics here and rejects it at deploy time",
                                      check="fifo-target", related=[target], cases=(fifo, link))
        function = owner if owner.type in FUNCTION_TYPES else None
        if function is None:
            continue
        role, why = function_role(graph, function)
        if role is None:
            ctx.not_evaluated(link, why)
            continue
        if role.implicit:
            continue
        action = _ACTION[target.type]
        verdict = role_allows(graph, role, action, target)
        if verdict.unknown:
            ctx.not_evaluated(link, verdict.reason)
        elif verdict.no:
            yield ctx.finding(link, f"{use} is {target.describe()}, but the execution role {role.describe()} of "
                                    f"{function.describe()} does not allow {action} on it ({verdict.reason}): Lambda "
                                    "rejects the configuration at deploy time", check="role-permission",
                              related=[target, role], cases=(link,))
    for loose in graph.dangling_links(kinds.DLQ_OF) + graph.dangling_links(kinds.DESTINATION_OF):
        if loose.at in _PATHS and loose.holder.type in FUNCTION_TYPES + (ESM, "AWS::Lambda::EventInvokeConfig"):
            ctx.not_evaluated(loose.holder, f"the target at {loose.at} cannot be followed: {loose.reason}")


def _use_text(link) -> str:
    via = link.via
    if link.role == kinds.ESM_ON_FAILURE:
        return f"the on-failure destination of event source mapping {via.describe()}"
    if link.role == kinds.LAMBDA_DLQ:
        return f"the dead-letter queue of function {link.target.describe()}"
    kind = "on-failure" if link.role == kinds.ON_FAILURE else "on-success"
    return f"the {kind} destination of function {link.target.describe()}"
