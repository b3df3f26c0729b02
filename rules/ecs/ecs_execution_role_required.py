"""ECS003 ecs-execution-role-required."""
from linter.model import Value, as_text, private_ecr_image, requires_fargate, role_allows, rule, services_used

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
ROLE = "AWS::IAM::Role"
# What the ECS agent does with the execution role; anything else on it is the application's business.
AGENT_SERVICES = {"ecr", "logs", "ssm", "secretsmanager", "kms"}


@rule("ECS003", "ecs-execution-role-required", severity="error", tags=("correctness", "security", "ecs", "iam"),
      catalogue="R42")
def execution_role_required(graph, ctx):
    """A task definition whose containers need the ECS agent to fetch something must have an execution role.

    **What it checks.** For each `AWS::ECS::TaskDefinition`:

    - **error**: no `ExecutionRoleArn` while a container has `Secrets` (SSM Parameter Store or Secrets
      Manager), has `RepositoryCredentials`, or, on Fargate (`RequiresCompatibilities` includes
      `FARGATE`), pulls an image from a private ECR repository or logs with the `awslogs` driver. On the
      EC2 launch type the instance role pulls images and ships logs, so only secrets and repository
      credentials are checked there.
    - **error**: an execution role declared in the template whose policies do not allow what the
      containers need: `ecr:GetAuthorizationToken` and `ecr:BatchGetImage` for private ECR images,
      `logs:CreateLogStream` and `logs:PutLogEvents` for `awslogs`, `ssm:GetParameters` or
      `secretsmanager:GetSecretValue` for `Secrets` (the role's trust policy is rule IAM's business).
    - **info**: the execution role grants application permissions (services other than ECR, Logs, SSM,
      Secrets Manager and KMS) while the task definition has no `TaskRoleArn`: the application should
      get its own task role.
    - **info**: one task role shared by several task definitions.

    Images, secrets and roles that come from parameters without a value, imports or literal ARNs outside
    the template are *not evaluated*, as are roles with managed policies this tool does not know.

    **Why it matters.** The execution role is what the ECS and Fargate agents use before your code
    starts. Without it (or without the permissions) the task stops with `CannotPullContainerError` or
    `ResourceInitializationError` and never runs; a service keeps retrying and never becomes stable.

    **Example (fails).**

        ApiTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            RequiresCompatibilities: [FARGATE]
            NetworkMode: awsvpc
            Cpu: "512"
            Memory: "1024"
            ContainerDefinitions:
              - Name: api
                Image: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/api:1.4.2"
                Secrets:
                  - Name: DB_PASSWORD
                    ValueFrom: !Ref DbPasswordSecret

    **Fix.** Add an execution role that trusts `ecs-tasks.amazonaws.com` and carries
    `AmazonECSTaskExecutionRolePolicy` plus read access to the secrets; give the application its own
    `TaskRoleArn`:

        ApiTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            ExecutionRoleArn: !GetAtt ApiExecutionRole.Arn
            TaskRoleArn: !GetAtt ApiTaskRole.Arn

    See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html.
    """
    task_roles: dict[str, list] = {}
    for task in graph.of_type(TASK_DEFINITION):
        needs = list(_needs(graph, ctx, task))
        if not task.has("ExecutionRoleArn"):
            for check, message, at, cases in needs:
                yield ctx.finding(task, f"task definition {task.describe()} has no ExecutionRoleArn, but {message}; "
                                        "the task cannot start: add an execution role", at=at, check=check,
                                  cases=cases)
        else:
            yield from _execution_role(graph, ctx, task, needs)
        for case in task.get("TaskRoleArn", default=False):
            role, _ = graph.follow(case)
            if role is not None and role.type == ROLE:
                task_roles.setdefault(role.logical_id, []).append(task)
    for role_id, tasks in task_roles.items():
        if len(tasks) > 1:
            names = ", ".join(t.logical_id for t in tasks)
            first = tasks[0]   # one piece of advice per shared role, on the first task definition
            yield ctx.finding(first, f"task role {role_id} is shared by task definitions {names}; give each its "
                                     "own role so each gets only what it needs", severity="info", at="TaskRoleArn",
                              check="shared-task-role", related=[graph.resources[role_id], *tasks[1:]])


def _needs(graph, ctx, task):
    """(check, what the agent must do, property path, cases) for each container that needs the execution role."""
    fargate = requires_fargate(task)
    for container in task.entries("ContainerDefinitions"):
        name = _name(container)
        if container.has("Secrets"):
            for secret in task.entries(f"{container.at}.Secrets"):
                yield ("secrets", f"container {name} reads secret {_secret_name(secret)} at start",
                       secret.at, (secret,))
                break
        if container.has("RepositoryCredentials"):
            yield ("repository-credentials", f"container {name} pulls with RepositoryCredentials",
                   f"{container.at}.RepositoryCredentials", ())
        # Off Fargate the instance role pulls the image: its registry matters only in Fargate scenarios.
        fargate_cases = [case for (case,) in ctx.cases(task, fargate) if case.value]
        pairs = ctx.cases(task, container.get("Image"), Value(fargate_cases)) if fargate_cases else ()
        for image, on_fargate in pairs:
            if on_fargate.value and private_ecr_image(graph, image) is None:
                ctx.not_evaluated(task, f"whether image {image.show()} of container {name} is in a private ECR "
                                        "repository is not known")
            elif on_fargate.value and private_ecr_image(graph, image):
                yield ("private-ecr", f"Fargate container {name} pulls image {image.show()} from private ECR",
                       f"{container.at}.Image", (image, on_fargate))
        driver = container.get("LogConfiguration.LogDriver", default=False)
        for log_driver, on_fargate in ctx.cases(task, driver, fargate, convert=(as_text, None)):
            if on_fargate.value and log_driver.value == "awslogs":
                yield ("awslogs", f"Fargate container {name} logs with the awslogs driver",
                       f"{container.at}.LogConfiguration.LogDriver", (log_driver, on_fargate))


_ACTIONS = {
    "private-ecr": ("ecr:GetAuthorizationToken", "ecr:BatchGetImage"),
    "awslogs": ("logs:CreateLogStream", "logs:PutLogEvents"),
    "repository-credentials": ("secretsmanager:GetSecretValue",),
}


def _execution_role(graph, ctx, task, needs):
    for (case,) in ctx.cases(task, task.get("ExecutionRoleArn")):
        role, reason = graph.follow(case)
        if role is None or role.type != ROLE:
            ctx.not_evaluated(task, f"the execution role {case.show()} is not a role of this template"
                                    f"{': ' + reason if reason else ''}")
            continue
        for check, message, at, cases in needs:
            actions = _ACTIONS.get(check) or _secret_actions(graph, ctx, task, cases)
            for action in actions:
                verdict = role_allows(graph, role, action)
                if verdict.unknown:
                    ctx.not_evaluated(task, f"whether execution role {role.logical_id} allows {action} is not known: "
                                            f"{verdict.reason}")
                elif verdict.no:
                    yield ctx.finding(task, f"{message}, but execution role {role.logical_id} does not allow "
                                            f"{action}; the task cannot start", at=at, check=f"{check}-permission",
                                      related=[role], cases=(case, *cases))
                    break
        if not task.has("TaskRoleArn"):
            services = services_used(graph, role)
            extra = sorted((services or set()) - AGENT_SERVICES)
            if extra:
                yield ctx.finding(task, f"execution role {role.logical_id} of {task.describe()} grants application "
                                        f"permissions ({', '.join(extra)}) and the task has no TaskRoleArn; the "
                                        "execution role is for the ECS agent: give the application a task role",
                                  severity="info", at="ExecutionRoleArn", check="application-permissions",
                                  related=[role], cases=(case,))


def _secret_actions(graph, ctx, task, cases):
    """The action reading each secret of a container needs: Secrets Manager or SSM Parameter Store."""
    entry = cases[0] if cases else None
    if entry is None:
        return ()
    container = entry.path.rsplit(".Secrets.", 1)[0]
    actions = set()
    for secret in task.entries(f"{container}.Secrets"):
        for (source,) in ctx.cases(task, secret.get("ValueFrom", default=False)):
            if source.value is None:
                continue   # CloudFormation rejects a secret without ValueFrom
            target, _ = graph.follow(source)
            text = str(source.value)
            if (target is not None and target.type == "AWS::SecretsManager::Secret") or ":secretsmanager:" in text:
                actions.add("secretsmanager:GetSecretValue")
            else:
                actions.add("ssm:GetParameters")
    return sorted(actions)


def _name(container) -> str:
    names = [as_text(c) for c in container.get("Name", default=False) if as_text(c)]
    return names[0] if names else f"#{container.index + 1}"


def _secret_name(secret) -> str:
    names = [as_text(c) for c in secret.get("Name", default=False) if as_text(c)]
    return names[0] if names else f"#{secret.index + 1}"
