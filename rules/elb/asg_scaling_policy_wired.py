"""ASG003 asg-scaling-policy-wired."""
from linter.model import ALARM, as_text, referencing_resources, rule

POLICY = "AWS::AutoScaling::ScalingPolicy"


@rule("ASG003", "asg-scaling-policy-wired", severity="warning", tags=("reliability", "autoscaling", "cloudwatch"),
      catalogue="R92")
def scaling_policy_wired(graph, ctx):
    """A simple or step scaling policy only acts when a CloudWatch alarm triggers it.

    **What it checks.** An `AWS::AutoScaling::ScalingPolicy` whose `PolicyType` is `SimpleScaling` (the
    default) or `StepScaling` that no `AWS::CloudWatch::Alarm` of the template names (in `AlarmActions`)
    is reported (**warning**). Target tracking and predictive policies create their own alarms and are not
    judged. A policy that another resource or an output may hand on (a custom resource, a nested stack,
    an export) is *not evaluated*, and so is every policy of a template with content the tool cannot
    see. Flapping thresholds and SQS backlog scaling are not judged by this rule.

    **Why it matters.** A simple or step policy has no trigger of its own: without an alarm calling it,
    the group never scales.

    **Example (fails).**

        ScaleOutPolicy:
          Type: AWS::AutoScaling::ScalingPolicy
          Properties:
            AutoScalingGroupName: !Ref WebGroup
            AdjustmentType: ChangeInCapacity
            ScalingAdjustment: 1

    **Fix.** Add an alarm whose `AlarmActions` lists `!Ref ScaleOutPolicy`, or use a
    `TargetTrackingScaling` policy.

    See https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html.
    """
    exported = _output_references(graph)
    for policy in graph.of_type(POLICY):
        for (kind,) in ctx.cases(policy, policy.get("PolicyType", default=False), convert=as_text):
            if (kind.value or "SimpleScaling") not in ("SimpleScaling", "StepScaling"):
                continue
            users = referencing_resources(graph, policy)
            if any(user.type == ALARM for user in users):
                break
            if users or policy.logical_id in exported or graph.unseen:
                reason = (graph.unseen or "an output hands it on" if not users
                          else f"{users[0].describe()} refers to it and may trigger it")
                ctx.not_evaluated(policy, f"whether an alarm triggers {policy.describe()} is not known: {reason}")
                break
            yield ctx.finding(policy, f"{kind.value or 'SimpleScaling'} policy {policy.describe()} is named by "
                                      "no CloudWatch alarm's AlarmActions, so it never runs: add an alarm that "
                                      "triggers it, or use TargetTrackingScaling", at="PolicyType"
                              if policy.has("PolicyType") else None, check="no-alarm", cases=(kind,))
            break


def _output_references(graph) -> str:
    outputs = graph.template.get("Outputs") if isinstance(graph.template, dict) else None
    return repr(outputs) if outputs else ""
