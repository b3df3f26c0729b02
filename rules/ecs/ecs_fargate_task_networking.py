"""ECS004 ecs-fargate-task-networking."""
from linter.model import Value, as_number, as_text, fargate_size_fits, requires_fargate, rule, task_size

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"


@rule("ECS004", "ecs-fargate-task-networking", severity="error", tags=("correctness", "ecs", "fargate", "vpc"),
      catalogue="R43")
def fargate_task_networking(graph, ctx):
    """A Fargate task definition needs awsvpc networking, a valid task size and no host port of its own.

    **What it checks.** For an `AWS::ECS::TaskDefinition` whose `RequiresCompatibilities` include `FARGATE`:

    - **error**: `NetworkMode` other than `awsvpc` (or not set, which means `bridge`).
    - **error**: task-level `Cpu` or `Memory` missing, or a pair Fargate does not offer (256 CPU units with
      512, 1024 or 2048 MiB; 512 with 1–4 GiB; 1024 with 2–8 GiB; 2048 with 4–16 GiB; 4096 with 8–30 GiB in
      1 GiB steps; 8192 with 16–60 GiB in 4 GiB steps; 16384 with 32–120 GiB in 8 GiB steps). `"1 vCPU"`
      and `"2 GB"` forms are understood.
    - **error**: a `PortMappings` entry whose `HostPort` differs from its `ContainerPort`.

    For an `AWS::ECS::Service` with `LaunchType: FARGATE` or a `FARGATE`/`FARGATE_SPOT` capacity provider:

    - **error**: no `NetworkConfiguration.AwsvpcConfiguration.Subnets`.

    Values from parameters without a value or imports are *not evaluated*.

    **Why it matters.** Each Fargate task gets its own network interface in your subnets; there is no host
    to map ports on and no bridge network. ECS rejects the task definition (or the service) at deploy
    time, so the stack rolls back.

    **Example (fails).**

        WebTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            RequiresCompatibilities: [FARGATE]
            NetworkMode: bridge
            Cpu: "256"
            Memory: "4096"
            ContainerDefinitions:
              - Name: web
                Image: public.ecr.aws/nginx/nginx:1.27
                PortMappings:
                  - {ContainerPort: 80, HostPort: 8080}

    **Fix.** Use `awsvpc`, a size Fargate offers, the container port only, and give the service subnets:

        WebTask:
          Type: AWS::ECS::TaskDefinition
          Properties:
            RequiresCompatibilities: [FARGATE]
            NetworkMode: awsvpc
            Cpu: "1024"
            Memory: "4096"
            ContainerDefinitions:
              - Name: web
                Image: public.ecr.aws/nginx/nginx:1.27
                PortMappings:
                  - {ContainerPort: 80}

    See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html.
    """
    for task in graph.of_type(TASK_DEFINITION):
        # Only the Fargate scenarios are judged: an EC2 task's sizes and ports may come from anywhere.
        fargate_cases = [case for (case,) in ctx.cases(task, requires_fargate(task)) if case.value]
        if not fargate_cases:
            continue
        fargate = Value(fargate_cases)
        yield from _network_mode(ctx, task, fargate)
        yield from _size(ctx, task, fargate)
        yield from _host_ports(ctx, task, fargate)
    for service in graph.of_type(SERVICE):
        yield from _service_subnets(ctx, service)


def _network_mode(ctx, task, fargate):
    mode = task.get("NetworkMode", default=False)
    for on_fargate, network_mode in ctx.cases(task, fargate, mode, convert=(None, as_text)):
        if on_fargate.value and (network_mode.value or "").lower() != "awsvpc":
            shown = network_mode.show() if network_mode.value is not None else "not set (bridge)"
            yield ctx.finding(task, f"Fargate task definition {task.describe()} has NetworkMode {shown}; Fargate "
                                    "supports only awsvpc", at="NetworkMode" if task.has("NetworkMode") else None,
                              check="network-mode", cases=(on_fargate, network_mode))


def _size(ctx, task, fargate):
    cpu, memory = task.get("Cpu", default=False), task.get("Memory", default=False)
    for on_fargate, units, mib in ctx.cases(task, fargate, cpu, memory, convert=(None, task_size, task_size)):
        if not on_fargate.value:
            continue
        missing = [name for name, case in (("Cpu", units), ("Memory", mib)) if case.value is None]
        if missing:
            yield ctx.finding(task, f"Fargate task definition {task.describe()} sets no task-level "
                                    f"{' or '.join(missing)}; Fargate needs both", check="size",
                              at=None, cases=(on_fargate, units, mib))
            continue
        problem = fargate_size_fits(units.value, mib.value)
        if problem:
            yield ctx.finding(task, f"Fargate task definition {task.describe()} asks for {units.cite('Cpu')} and "
                                    f"{mib.cite('Memory', 'MiB')}; {problem}", at="Memory", check="size",
                              cases=(on_fargate, units, mib))


def _host_ports(ctx, task, fargate):
    for container in task.entries("ContainerDefinitions"):
        for mapping in task.entries(f"{container.at}.PortMappings"):
            if not mapping.has("HostPort"):
                continue
            for on_fargate, host, port in ctx.cases(mapping, fargate, mapping.get("HostPort"),
                                                    mapping.get("ContainerPort", default=False),
                                                    convert=(None, as_number, as_number)):
                if on_fargate.value and host.value != port.value:
                    yield ctx.finding(task, f"Fargate task definition {task.describe()} maps {host.cite('HostPort')} "
                                            f"to {port.cite('ContainerPort')}; on Fargate the host port must be "
                                            "absent or equal to the container port", at=f"{mapping.at}.HostPort",
                                      check="host-port", cases=(on_fargate, host, port))


def _service_subnets(ctx, service):
    subnets = service.get("NetworkConfiguration.AwsvpcConfiguration.Subnets", default=False)
    controller = service.get("DeploymentController.Type", default=False)
    task = service.get("TaskDefinition", default=False)
    fargate = [(launch_type.cite("LaunchType"), launch_type)
               for (launch_type,) in ctx.cases(service, service.get("LaunchType", default=False), convert=as_text)
               if (launch_type.value or "").upper() == "FARGATE"]
    for entry in service.entries("CapacityProviderStrategy"):
        for (provider,) in ctx.cases(entry, entry.get("CapacityProvider", default=False), convert=as_text):
            if (provider.value or "").upper() in ("FARGATE", "FARGATE_SPOT"):
                fargate.append((f"capacity provider {provider.show()}", provider))
    for how, reason in fargate:
        for where, given, definition, kind in ctx.cases(service, Value([reason]), subnets, task, controller,
                                                          convert=(None, None, None, as_text)):
            # Task sets of an external or CodeDeploy controller carry their own network configuration.
            if given.value is not None or definition.value is None or (kind.value or "ECS").upper() != "ECS":
                continue
            yield ctx.finding(service, f"Fargate service {service.describe()} ({how}) has no "
                                       "NetworkConfiguration.AwsvpcConfiguration.Subnets; a Fargate service must "
                                       "say which subnets its tasks run in",
                              at="NetworkConfiguration" if service.has("NetworkConfiguration") else None,
                              check="service-subnets", cases=(where, given, definition, kind))
            return
