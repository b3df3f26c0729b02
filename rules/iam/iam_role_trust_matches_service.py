"""IAM001 iam-role-trust-matches-service."""
from linter.model import rule, statements, trusts_service

ROLE = "AWS::IAM::Role"
# (resource type, list property whose entries hold the role or "", role property, service principal, the use)
ROLE_USERS = (
    ("AWS::Lambda::Function", "", "Role", "lambda.amazonaws.com", "execution role of function"),
    ("AWS::Serverless::Function", "", "Role", "lambda.amazonaws.com", "execution role of function"),
    ("AWS::ECS::TaskDefinition", "", "TaskRoleArn", "ecs-tasks.amazonaws.com", "task role of task definition"),
    ("AWS::ECS::TaskDefinition", "", "ExecutionRoleArn", "ecs-tasks.amazonaws.com",
     "execution role of task definition"),
    ("AWS::StepFunctions::StateMachine", "", "RoleArn", "states.amazonaws.com", "role of state machine"),
    ("AWS::Serverless::StateMachine", "", "Role", "states.amazonaws.com", "role of state machine"),
    ("AWS::Events::Rule", "Targets", "RoleArn", "events.amazonaws.com", "target role of rule"),
    ("AWS::Scheduler::Schedule", "", "Target.RoleArn", "scheduler.amazonaws.com", "role of schedule"),
    ("AWS::Pipes::Pipe", "", "RoleArn", "pipes.amazonaws.com", "role of pipe"),
    ("AWS::CodeBuild::Project", "", "ServiceRole", "codebuild.amazonaws.com", "service role of project"),
    ("AWS::CodePipeline::Pipeline", "", "RoleArn", "codepipeline.amazonaws.com", "role of pipeline"),
    ("AWS::CodeDeploy::DeploymentGroup", "", "ServiceRoleArn", "codedeploy.amazonaws.com",
     "service role of deployment group"),
    ("AWS::Batch::ComputeEnvironment", "", "ServiceRole", "batch.amazonaws.com",
     "service role of compute environment"),
    ("AWS::Batch::JobDefinition", "", "ContainerProperties.JobRoleArn", "ecs-tasks.amazonaws.com",
     "job role of job definition"),
    ("AWS::Batch::JobDefinition", "", "ContainerProperties.ExecutionRoleArn", "ecs-tasks.amazonaws.com",
     "execution role of job definition"),
    ("AWS::ApiGateway::Account", "", "CloudWatchRoleArn", "apigateway.amazonaws.com",
     "CloudWatch logging role of the API Gateway account settings"),
    ("AWS::S3::Bucket", "", "ReplicationConfiguration.Role", "s3.amazonaws.com", "replication role of bucket"),
    ("AWS::IAM::InstanceProfile", "Roles", "", "ec2.amazonaws.com", "role of instance profile"),
)


@rule("IAM001", "iam-role-trust-matches-service", severity="error", tags=("correctness", "security", "iam"),
      catalogue="R40")
def role_trust_matches_service(graph, ctx):
    """A role must trust the service that uses it.

    **What it checks.** For every place the template hands a role to an AWS service, the role's
    `AssumeRolePolicyDocument` must let that service's principal call `sts:AssumeRole` (**error**):

    - a function's `Role` → `lambda.amazonaws.com`; a task definition's `TaskRoleArn` and
      `ExecutionRoleArn`, and a Batch job's `JobRoleArn`/`ExecutionRoleArn` → `ecs-tasks.amazonaws.com`;
    - an instance profile's `Roles` → `ec2.amazonaws.com`; a state machine's role →
      `states.amazonaws.com`; an EventBridge target's `RoleArn` → `events.amazonaws.com`; a schedule's
      `Target.RoleArn` → `scheduler.amazonaws.com`; a pipe's `RoleArn` → `pipes.amazonaws.com`;
    - CodeBuild, CodePipeline, CodeDeploy and Batch service roles, the API Gateway account's
      `CloudWatchRoleArn` and an S3 bucket's replication `Role` → their service principals.

    A `Condition` in the trust statement (such as `aws:SourceAccount`) does not matter here: it narrows
    which requests of the service are accepted, not which service. Roles outside the template, and trust
    principals or documents that do not resolve, are *not evaluated*. The roles SAM generates always
    trust their service. Lambda@Edge's extra `edgelambda.amazonaws.com` is checked by LAM011.

    **Why it matters.** Lambda refuses to create a function whose role it cannot assume ("The role
    defined for the function cannot be assumed by Lambda"), failing the stack. Other services accept the
    role and fail later, at every run: tasks that cannot start, rules whose targets are never invoked.

    **Example (fails).**

        WorkerRole:
          Type: AWS::IAM::Role
          Properties:
            AssumeRolePolicyDocument:
              Statement:
                - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}
        Worker:
          Type: AWS::Lambda::Function
          Properties:
            Role: !GetAtt WorkerRole.Arn

    **Fix.** Trust the service that uses the role (a role may trust several):

            AssumeRolePolicyDocument:
              Statement:
                - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
    """
    for rtype, list_path, role_path, service, use in ROLE_USERS:
        for user in graph.of_type(rtype):
            for value, at in _role_references(user, list_path, role_path):
                for (reference,) in ctx.cases(user, value):
                    if reference.value is None:
                        continue   # not set in this scenario
                    role, reason = graph.follow(reference)
                    if role is None:
                        ctx.not_evaluated(user, f"the role at {at} is not described by this template: {reason}")
                        continue
                    if role.type == ROLE:
                        yield from _judge(ctx, user, role, service, f"{use} {user.describe()}", at, reference)


def _role_references(user, list_path, role_path):
    """(value, property path) of every role reference of ``user``."""
    if not list_path:
        if user.has(role_path):
            yield user.get(role_path, default=False), role_path
        return
    for entry in user.entries(list_path):
        if not role_path:
            yield entry.value(), entry.at
        elif entry.has(role_path):
            yield entry.get(role_path, default=False), f"{entry.at}.{role_path}"


def _judge(ctx, user, role, service, use, at, reference):
    if role.implicit:
        return   # a role SAM generates trusts the service it is made for
    for (trust,) in ctx.cases(user, role.get("AssumeRolePolicyDocument", default=False)):
        if trust.value is None:
            continue
        verdict = trusts_service(trust.value, service)
        if verdict.unknown:
            ctx.not_evaluated(user, f"whether role {role.describe()} trusts {service}: {verdict.reason}")
        elif verdict.no:
            others = sorted({s for st in statements(trust.value) for s in st.services()})
            trusted = f"; it trusts {', '.join(others)}" if others else ""
            consequence = ("Lambda rejects the function when the stack creates it" if service.startswith("lambda")
                           else f"the service cannot assume it, so every run fails")
            yield ctx.finding(user, f"role {role.describe()} is the {use}, but its trust policy does not let "
                                    f"{service} assume it ({verdict.reason}{trusted}): {consequence}",
                              at=at, related=[role], check=service.split(".")[0], cases=(reference, trust))
