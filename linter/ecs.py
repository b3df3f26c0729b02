"""ECS facts several rules share: which task definitions run on Fargate, and whose images are private ECR.

Fargate tasks have no instance role to fall back on and no host ports; rules about execution roles,
task networking and task sizes all ask the same questions of a task definition and its services.
"""
from __future__ import annotations

import re

from .graph import Graph, Resource
from .text import literal_parts
from .values import TOKEN, Case, ResourceRef, Value

TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"
ECR_REPOSITORY = "AWS::ECR::Repository"

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/repository — a private registry; public.ecr.aws is public.
_PRIVATE_ECR = re.compile(r"\.dkr\.ecr\.|\.dkr\.ecr-fips\.", re.IGNORECASE)


def requires_fargate(task: Resource) -> Value:
    """Per scenario, whether the task definition's ``RequiresCompatibilities`` include ``FARGATE``.

    Absent means ``EC2`` only, so False ("RequiresCompatibilities not set"). Unknown cases stay unknown.
    Example: ``for fargate, cpu in ctx.cases(task, requires_fargate(task), task.get("Cpu")): ...``
    """
    def has_fargate(value):
        if value is None:
            return False
        items = value if isinstance(value, (list, tuple)) else [value]
        return any(isinstance(item, str) and item.upper() == "FARGATE" for item in items)

    cases = []
    for case in task.get("RequiresCompatibilities", default=False):
        if not case.known:
            cases.append(case)
        elif case.value is None:
            cases.append(Case(False, "RequiresCompatibilities not set, so EC2 only", case.assumptions))
        else:
            cases.append(Case(has_fargate(case.value), case.origin, case.assumptions))
    return Value(cases)


def private_ecr_image(graph: Graph, case: Case):
    """Whether a container ``Image`` case names a private ECR repository: True, False, or None (cannot tell).

    ``!GetAtt Repo.RepositoryUri`` of a template repository and ``${AWS::AccountId}.dkr.ecr.…`` strings are
    private ECR; ``public.ecr.aws/…`` and Docker Hub names are not; an image whose registry is known only at
    deploy time (``${Registry}/app``, a parameter, an import) cannot be told.
    Example: ``private_ecr_image(graph, image_case) is True``.
    """
    value = case.value
    if isinstance(value, ResourceRef):
        target = graph.resources.get(value.logical_id)
        return True if target is not None and target.type == ECR_REPOSITORY else None
    if not isinstance(value, str):
        return None
    for match in TOKEN.finditer(value):
        logical_id = match.group(1).split(".", 1)[0]
        target = graph.resources.get(logical_id)
        if target is not None and target.type == ECR_REPOSITORY:
            return True
    written = "".join(part for part in literal_parts(value) if part is not None)
    if _PRIVATE_ECR.search(written):
        return True
    if literal_parts(value)[0] is None:
        return None   # the registry host is not written in the template
    return False


def task_definition_of(graph: Graph, service: Resource, case: Case) -> tuple[Resource | None, str]:
    """The template task definition a service's ``TaskDefinition`` case names, or (None, reason)."""
    found, reason = graph.follow(case, (TASK_DEFINITION,))
    if found is not None and found.type != TASK_DEFINITION:
        return None, f"{found.logical_id} is not a task definition"
    return found, reason


def services_of(graph: Graph, task: Resource) -> list[Resource]:
    """The template's ECS services whose ``TaskDefinition`` names ``task`` in some scenario."""
    out = []
    for service in graph.of_type(SERVICE):
        if graph.refers_to(service.get("TaskDefinition", default=False), task):
            out.append(service)
    return out


# Fargate task sizes: CPU units → the memory (MiB) it can have; 256 units has three fixed sizes, the others
# a range (lowest, highest, step).
FARGATE_SIZES = {256: ((512, 1024, 2048),), 512: ((1024, 4096, 1024),), 1024: ((2048, 8192, 1024),),
                 2048: ((4096, 16384, 1024),), 4096: ((8192, 30720, 1024),), 8192: ((16384, 61440, 4096),),
                 16384: ((32768, 122880, 8192),)}
_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.IGNORECASE)


def task_size(case: Case):
    """A task-level ``Cpu`` or ``Memory`` case in CPU units or MiB: ``"1 vCPU"`` → 1024, ``"2 GB"`` → 2048,
    ``"512"`` → 512; None when it is not such a value. Usable as a ``ctx.cases`` converter."""
    value = case.value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        return None
    match = _UNIT.match(value)
    if not match:
        return None
    number = float(match.group(1))
    if match.group(2):
        number *= 1024
    return int(number) if number.is_integer() else number


def fargate_size_fits(cpu: int, memory: int) -> str | None:
    """None when Fargate offers the CPU/memory pair, else why not (the memory a CPU size allows)."""
    sizes = FARGATE_SIZES.get(cpu)
    if sizes is None:
        return f"Fargate CPU must be one of {', '.join(str(c) for c in FARGATE_SIZES)} units"
    options = sizes[0]
    if cpu == 256:
        allowed = list(options)
    else:
        low, high, step = options
        allowed = list(range(low, high + 1, step))
    if memory in allowed:
        return None
    shown = ", ".join(str(m) for m in allowed) if len(allowed) <= 4 else f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
    return f"with {cpu} CPU units Fargate offers {shown} MiB of memory"


_SECRET_NAME = re.compile(r"(?i)(passw(or)?d|passwd|secret|api_?key|access_?key|private_?key|token|credential)")
_NOT_SECRET_NAME = re.compile(r"(?i)(_arn|_id|_name|_file|_path|_url|_uri|_region|_length|_ttl)$")


def secret_like_name(name: str) -> bool:
    """Whether an environment variable name says it holds a secret (``DB_PASSWORD``, ``STRIPE_API_KEY``);
    names of secrets' locations (``DB_SECRET_ARN``, ``TOKEN_URL``) do not."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)
