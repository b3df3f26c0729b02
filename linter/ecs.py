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
_NOT_SECRET_NAME = re.compile(r"(?i)(_arn|_id|_name|_file|_path|_url|_uri|_region|_length|_ttl|_port|_type|_host|_endpoint|"
                              r"_expiry|_timeout|_enabled|_header|_issuer|_version)$")


def secret_like_name(name: str) -> bool:
    """Whether an environment variable name says it holds a secret (``DB_PASSWORD``, ``STRIPE_API_KEY``);
    names of secrets' locations (``DB_SECRET_ARN``, ``TOKEN_URL``) do not."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)


# ---------------------------------------------------------------- EC2 container instances

LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
INSTANCE_PROFILE = "AWS::IAM::InstanceProfile"
# Where a launch configuration or template keeps its user data, instance profile and image.
LAUNCH_USER_DATA = {LAUNCH_CONFIGURATION: "UserData", LAUNCH_TEMPLATE: "LaunchTemplateData.UserData"}
LAUNCH_PROFILE = {LAUNCH_CONFIGURATION: ("IamInstanceProfile",),
                  LAUNCH_TEMPLATE: ("LaunchTemplateData.IamInstanceProfile.Arn",
                                    "LaunchTemplateData.IamInstanceProfile.Name")}
LAUNCH_IMAGE = {LAUNCH_CONFIGURATION: "ImageId", LAUNCH_TEMPLATE: "LaunchTemplateData.ImageId"}
_CLUSTER_SETTING = re.compile(r"ECS_CLUSTER\s*=\s*[\"']?([^\s\"'<>;&|]*)")
_ECS_IMAGE_PARAMETER = "/aws/service/ecs/"


def cluster_settings(node) -> list:
    """Every value a resolved structure (user data, ``AWS::CloudFormation::Init`` metadata) gives
    ``ECS_CLUSTER``: the text after ``ECS_CLUSTER=`` (deploy-time pieces kept as tokens) or the value of an
    ``ECS_CLUSTER`` key. A part that did not resolve is returned as it is (an unknown)."""
    found: list = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ECS_CLUSTER":
                found.append(value)
            else:
                found.extend(cluster_settings(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(cluster_settings(item))
    elif isinstance(node, str):
        found.extend(_CLUSTER_SETTING.findall(node))
    return found


def setting_names_cluster(graph: Graph, value, cluster: Resource) -> bool | None:
    """Whether one ``ECS_CLUSTER`` value names ``cluster``: True, False (another cluster or a literal name
    that is not its name), or None when it is known only at deploy time."""
    if isinstance(value, ResourceRef) or (isinstance(value, str) and TOKEN.fullmatch(value)):
        target, _ = graph.follow(Case(value))
        if target is cluster:
            return True
        return False if target is not None else None
    if not isinstance(value, str):
        return None
    names = [c.value for c in cluster.get("ClusterName", default=False)]
    if value in names:
        return True
    if TOKEN.search(value) or any(n is not None and (not isinstance(n, str) or TOKEN.search(n)) for n in names):
        return None
    return False   # a literal name that is not the cluster's (an unnamed cluster gets a generated one)


def launch_source(graph: Graph, group: Resource) -> tuple[Resource | None, str]:
    """The launch configuration or launch template of an Auto Scaling group, or (None, why not)."""
    for path, rtype in (("LaunchConfigurationName", LAUNCH_CONFIGURATION),
                        ("LaunchTemplate.LaunchTemplateId", LAUNCH_TEMPLATE),
                        ("LaunchTemplate.LaunchTemplateName", LAUNCH_TEMPLATE),
                        ("MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateId",
                         LAUNCH_TEMPLATE),
                        ("MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName",
                         LAUNCH_TEMPLATE)):
        if not group.has(path):
            continue
        found = None
        for case in group.get(path, default=False):
            target, reason = graph.follow(case)
            if target is None or target.type != rtype:
                return None, reason or f"{path} of {group.describe()} is not a {rtype} of this template"
            if found is not None and found is not target:
                return None, f"{path} of {group.describe()} depends on a condition"
            found = target
        if found is not None:
            return found, ""
    return None, f"{group.describe()} names no launch configuration or launch template"


def launch_texts(graph: Graph, launcher: Resource) -> Value:
    """The launcher's user data and ``AWS::CloudFormation::Init`` metadata, resolved, as one list per scenario."""
    from .values import combinations

    user_data = launcher.get(LAUNCH_USER_DATA[launcher.type], default=False)
    metadata = launcher.node.get("Metadata") if isinstance(launcher.node, dict) else None
    init = graph.resolver.resolve(metadata) if isinstance(metadata, dict) else Value.known(None)
    cases = []
    for u, m in combinations(user_data, init):
        if not u.known:
            cases.append(u)
        elif not m.known:
            cases.append(m)
        else:
            merged = u.with_assumptions(m.assumptions)
            if merged is not None:
                cases.append(Case([u.value, m.value], u.origin, merged.assumptions))
    return Value(cases)


def ecs_optimized_image(graph: Graph, launcher: Resource) -> bool:
    """Whether the launcher's image is an ECS-optimized AMI read from the public SSM parameters
    (``/aws/service/ecs/...``), through a parameter's Default or a ``{{resolve:ssm:...}}`` reference."""
    node = launcher.props
    for key in LAUNCH_IMAGE[launcher.type].split("."):
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, str):
        return _ECS_IMAGE_PARAMETER in node
    if isinstance(node, dict) and isinstance(node.get("Ref"), str):
        parameters = graph.template.get("Parameters") if isinstance(graph.template, dict) else None
        definition = parameters.get(node["Ref"]) if isinstance(parameters, dict) else None
        default = definition.get("Default") if isinstance(definition, dict) else None
        return isinstance(default, str) and _ECS_IMAGE_PARAMETER in default
    return False


def instance_role(graph: Graph, launcher: Resource) -> tuple[Resource | None, str]:
    """The IAM role of the launcher's instance profile (a profile of the template with one role), or (None, why)."""
    paths = [p for p in LAUNCH_PROFILE[launcher.type] if launcher.has(p)]
    if not paths:
        return None, f"{launcher.describe()} has no instance profile"
    profile = None
    for case in launcher.get(paths[0], default=False):
        target, reason = graph.follow(case)
        if target is None:
            return None, reason
        if target.type != INSTANCE_PROFILE or (profile is not None and profile is not target):
            return None, f"the instance profile of {launcher.describe()} is not one profile of this template"
        profile = target
    roles = [c for c in profile.get("Roles", default=False)] if profile is not None else []
    if len(roles) != 1 or not roles[0].known or not isinstance(roles[0].value, list) or len(roles[0].value) != 1:
        return None, "the instance profile does not hold one role of this template"
    role, reason = graph.follow(Case(roles[0].value[0], roles[0].origin, roles[0].assumptions))
    if role is None or role.type != "AWS::IAM::Role":
        return None, reason or "the instance profile's role is not in this template"
    return role, ""
