"""EVB003 eventbridge-target-access."""
from linter.model import (QUEUE, TOPIC, allows, as_bool, connector_writes, delivery_policies, delivery_providers, kinds,
                          presence, role_allows, rule, Verdict)

EVENTS = "events.amazonaws.com"
# Targets EventBridge reaches with the target's RoleArn: the action the role needs, and whether the
# action is authorised on the target itself (ECS RunTask and Batch SubmitJob are on other resources).
ROLE_TARGETS = {
    "AWS::Kinesis::Stream": ("kinesis:PutRecord", True),
    "AWS::KinesisFirehose::DeliveryStream": ("firehose:PutRecord", True),
    "AWS::StepFunctions::StateMachine": ("states:StartExecution", True),
    "AWS::Serverless::StateMachine": ("states:StartExecution", True),
    "AWS::CodeBuild::Project": ("codebuild:StartBuild", True),
    "AWS::CodePipeline::Pipeline": ("codepipeline:StartPipelineExecution", True),
    "AWS::Events::EventBus": ("events:PutEvents", True),
    "AWS::ECS::Cluster": ("ecs:RunTask", False),
    "AWS::Batch::JobQueue": ("batch:SubmitJob", False),
    "AWS::Events::ApiDestination": ("events:InvokeApiDestination", True),
}
RESOURCE_POLICY_TARGETS = {QUEUE: ("sqs:SendMessage", "queue policy", "AWS::SQS::QueuePolicy"),
                           TOPIC: ("sns:Publish", "topic policy", "AWS::SNS::TopicPolicy")}


@rule("EVB003", "eventbridge-target-access", severity="error", tags=("security", "reliability", "eventbridge", "iam"),
      catalogue="R81")
def target_access(graph, ctx):
    """EventBridge must be allowed to reach each target of a rule: a role for most services, a resource policy for SQS and SNS.

    **What it checks.** Each sub-check is an **error**. For every target of an `AWS::Events::Rule` that is a
    resource of the template:

    - Kinesis streams, Firehose delivery streams, Step Functions state machines, ECS clusters (RunTask),
      Batch job queues, CodeBuild projects, CodePipeline pipelines, event buses and API destinations
      need the target's `RoleArn`; a role of the template must trust `events.amazonaws.com` and allow
      the action (`kinesis:PutRecord`, `states:StartExecution`, `ecs:RunTask`, …; a SAM connector with
    `Write` from the rule to the target grants it; SAM's own rules for state machine events get a role
    from SAM);
    - an SQS queue needs a queue policy, an SNS topic a topic policy, letting `events.amazonaws.com`
      `sqs:SendMessage` / `sns:Publish` (an `aws:SourceArn` condition must name this rule), in every
      scenario in which the target exists (SAM connectors count);
    - a FIFO queue target needs `SqsParameters.MessageGroupId`.

    Roles and policies outside the template, and values known only at deploy time, are not
    evaluated. Lambda targets need an `AWS::Lambda::Permission` (LAM003); encrypted queues and topics
    need a usable key (SNS003).

    **Why it matters.** The rule deploys, matches events and then fails every invocation: the events
    are retried and dropped (or dead-lettered), and nothing reaches the target.

    **Example (fails).**

        OrdersRule:
          Type: AWS::Events::Rule
          Properties:
            EventPattern: {source: [com.example.orders]}
            Targets:
              - Id: workflow
                Arn: !Ref OrderWorkflow        # a state machine, no RoleArn

    **Fix.** Give the target a role that trusts `events.amazonaws.com` and may start the execution
    (`RoleArn: !GetAtt EventsInvokeRole.Arn`), or a resource policy for queues and topics.
    """
    for edge in graph.edges(kinds.INVOKES, source_type="AWS::Events::Rule"):
        events_rule, target = edge.source, edge.target
        entry = next((e for e in events_rule.entries("Targets") if e.at == edge.at), None)
        if entry is None:
            continue
        if target.type in ROLE_TARGETS:
            # SAM gives the rules it creates for state machine events a role of its own.
            if events_rule.implicit:
                continue
            yield from _role_target(graph, ctx, events_rule, entry, edge, target)
        elif target.type in RESOURCE_POLICY_TARGETS:
            yield from _policy_target(graph, ctx, events_rule, entry, edge, target)


def _role_target(graph, ctx, events_rule, entry, edge, target):
    action, on_target = ROLE_TARGETS[target.type]
    role_value = entry.get("RoleArn", default=False)
    for present, in ctx.cases(entry, presence(role_value)):
        if not present.value:
            yield ctx.finding(entry, f"target {entry.index + 1} of rule {events_rule.describe()} is "
                                     f"{target.describe()} ({target.type}), which EventBridge reaches only with a "
                                     f"role, but it has no RoleArn; add a role trusting {EVENTS} that allows {action}",
                              at=entry.at, related=[target], check="role-missing", cases=(present, edge))
    for role_case in role_value:
        if role_case.value is None:
            continue
        role, reason = graph.follow(role_case)
        if role is None or role.type != "AWS::IAM::Role":
            ctx.not_evaluated(entry, f"the role of target {entry.index + 1} cannot be read: "
                                     f"{reason or role.describe() + ' is not a role'}")
            continue
        trust = allows(role.get("AssumeRolePolicyDocument", default=False), principal=EVENTS, action="sts:AssumeRole")
        grant = (Verdict.true("a SAM connector grants it") if connector_writes(graph, events_rule, target)
                 else role_allows(graph, role, action, target if on_target else None))
        for verdict, what, check in ((trust, f"trust {EVENTS}", "role-trust"),
                                     (grant, f"allow {action} on {target.describe()}", "role-permission")):
            if verdict.unknown:
                ctx.not_evaluated(entry, f"whether role {role.describe()} can {what}: {verdict.reason}")
            elif verdict.no:
                yield ctx.finding(entry, f"role {role.describe()} of target {entry.index + 1} of rule "
                                         f"{events_rule.describe()} does not {what} ({verdict.reason}): every "
                                         f"invocation of {target.describe()} fails",
                                  at="RoleArn", related=[role, target], check=check,
                                  cases=(role_case, edge))


def _policy_target(graph, ctx, events_rule, entry, edge, target):
    action, kind, policy_type = RESOURCE_POLICY_TARGETS[target.type]
    coverage = ctx.coverage(edge, delivery_providers(graph, target, principal=EVENTS, action=action,
                                                     source=events_rule))
    if coverage.unknown:
        ctx.not_evaluated(entry, f"whether the {kind} of {target.describe()} lets rule {events_rule.describe()} "
                                 f"deliver: {coverage.unknown}")
    elif not coverage.everywhere:
        policies = delivery_policies(graph, target)
        why = (f"its {kind} {', '.join(p.describe() for p in policies)} does not allow" if policies
               else f"it has no {kind} allowing")
        yield ctx.finding(entry, f"target {entry.index + 1} of rule {events_rule.describe()} is "
                                 f"{target.describe()}, but {why} {EVENTS} {action}: every event is refused; add an "
                                 f"{policy_type} allowing {EVENTS} {action} with aws:SourceArn set to the rule",
                          at=entry.at, related=[target] + policies, check="resource-policy", cases=coverage.cases)
    if target.type == QUEUE:
        group = presence(entry.get("SqsParameters.MessageGroupId", default=False))
        for fifo, g in ctx.cases(edge, target.get("FifoQueue"), group, convert=(as_bool, None)):
            if fifo.value and not g.value:
                yield ctx.finding(entry, f"target {entry.index + 1} of rule {events_rule.describe()} is FIFO queue "
                                         f"{target.describe()} ({fifo.cite('FifoQueue')}) without "
                                         "SqsParameters.MessageGroupId; EventBridge requires a message group for "
                                         "FIFO queues", at=entry.at, related=[target], check="fifo-group",
                                  cases=(fifo, g, edge))
