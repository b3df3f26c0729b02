"""ECS007 ecs-task-definition-limits."""
from linter.model import Value, as_bool, as_list, as_text, rule, secret_like_name, services_of

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
MAX_CONTAINERS = 10


@rule("ECS007", "ecs-task-definition-limits", severity="error", tags=("correctness", "operations", "ecs"),
      catalogue="R95")
def task_definition_limits(graph, ctx):
    """A task definition holds at most ten containers, and each container should log, be health-checked and keep secrets out of its environment.

    **What it checks.** For each `AWS::ECS::TaskDefinition`:

    - **error**: more than 10 `ContainerDefinitions`.
    - **info**: a container without `LogConfiguration`: its output is not collected anywhere durable.
    - **info**: an essential container (`Essential` defaults to true) without a `HealthCheck`, in a task
      definition whose services in this template are behind no load balancer (`LoadBalancers`): nothing
      notices that the process hangs.
    - **info**: an `Environment` entry whose name says it is a secret (`DB_PASSWORD`, `API_KEY`,
      `…_TOKEN`) with a value written in the template or a parameter: it is stored in plain text in the
      task definition; use `Secrets` with Secrets Manager or Parameter Store.

    Values from parameters without a value, imports or dynamic references are *not evaluated*.

    **Why it matters.** ECS rejects a task definition with more than ten containers, so the stack fails.
    Without a log configuration a crashed task leaves no trace; without a health check a hung container
    keeps its task "running"; plaintext secrets are visible to anyone who can describe task definitions.

    **Example (fails).**

        ApiTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            ContainerDefinitions:
              - Name: api
                Image: public.ecr.aws/acme/api:3
                Memory: 512
                Environment:
                  - {Name: DB_PASSWORD, Value: hunter2}

    **Fix.** Split large tasks into several services, and give each container a log driver, a health check
    and `Secrets`:

        ApiTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            ContainerDefinitions:
              - Name: api
                Image: public.ecr.aws/acme/api:3
                Memory: 512
                LogConfiguration:
                  LogDriver: awslogs
                  Options: {awslogs-group: /ecs/api, awslogs-region: eu-west-1, awslogs-stream-prefix: api}
                HealthCheck:
                  Command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]
                Secrets:
                  - {Name: DB_PASSWORD, ValueFrom: !Ref DbPasswordSecret}

    See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html.
    """
    for task in graph.of_type(TASK_DEFINITION):
        for (containers,) in ctx.cases(task, task.get("ContainerDefinitions", default=False), convert=as_list):
            count = len(containers.value or ())
            if count > MAX_CONTAINERS:
                yield ctx.finding(task, f"task definition {task.describe()} has {count} containers; ECS allows at "
                                        f"most {MAX_CONTAINERS}: split it into several task definitions",
                                  at="ContainerDefinitions", check="container-count", cases=(containers,))
        unbalanced = _without_load_balancer(graph, task)
        for container in task.entries("ContainerDefinitions"):
            name = _name(container)
            if not container.has("LogConfiguration"):
                yield ctx.finding(task, f"container {name} of task definition {task.describe()} has no "
                                        "LogConfiguration; its output is lost when the task stops: add a log driver "
                                        "such as awslogs", severity="info", at=container.at, check="no-logging",
                                  cases=(container,))
            if unbalanced and not container.has("HealthCheck"):
                for (essential,) in ctx.cases(container, container.get("Essential", default=False), convert=as_bool):
                    if essential.value is not False:
                        yield ctx.finding(task, f"essential container {name} of task definition {task.describe()} "
                                                f"has no HealthCheck and its service {unbalanced[0].logical_id} is "
                                                "behind no load balancer; a hung process goes unnoticed",
                                          severity="info", at=container.at, check="no-health-check",
                                          related=unbalanced, cases=(container, essential))
            yield from _plaintext_secrets(ctx, task, container, name)


def _without_load_balancer(graph, task):
    """The template services running the task without a load balancer (empty when none, or any has one)."""
    services = services_of(graph, task)
    if not services or any(service.has("LoadBalancers") for service in services):
        return []
    return services


def _plaintext_secrets(ctx, task, container, name):
    for variable in task.entries(f"{container.at}.Environment"):
        # The value matters only for names that say "secret": other variables may come from anywhere.
        secret_names = [name_case for (name_case,) in ctx.cases(variable, variable.get("Name", default=False),
                                                                 convert=as_text)
                        if name_case.value and secret_like_name(name_case.value)]
        pairs = ctx.cases(variable, Value(secret_names), variable.get("Value", default=False)) if secret_names else ()
        for variable_name, value in pairs:
            if not as_text(value):
                continue
            yield ctx.finding(task, f"container {name} of task definition {task.describe()} sets "
                                    f"{variable_name.value} in plain text ({value.origin or 'written in the template'}); "
                                    "anyone who can describe the task definition reads it: use Secrets with "
                                    "Secrets Manager or Parameter Store", severity="info", at=f"{variable.at}.Value",
                              check="plaintext-secret", cases=(variable_name, value))


def _name(container) -> str:
    names = [as_text(c) for c in container.get("Name", default=False) if as_text(c)]
    return names[0] if names else f"#{container.index + 1}"
