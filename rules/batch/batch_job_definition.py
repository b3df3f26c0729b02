"""BAT001 batch-job-definition."""
from linter.model import as_list, as_number, as_text, rule

JOB_DEFINITION = "AWS::Batch::JobDefinition"
COMPUTE_ENVIRONMENT = "AWS::Batch::ComputeEnvironment"
FARGATE_MAX_VCPU = 16
FARGATE_MAX_MEMORY_MIB = 122880


@rule("BAT001", "batch-job-definition", severity="error", tags=("correctness", "batch"), catalogue="R119")
def batch_job_definition(graph, ctx):
    """An AWS Batch job definition must fit its platform, and its retries and timeout must be valid.

    **What it checks.**

    - **error**, for a job definition whose `PlatformCapabilities` include `FARGATE`: a `GPU` resource
      requirement (Fargate has no GPUs), more than 16 vCPU or more than 122880 MiB (120 GiB) of memory
      in `ContainerProperties.ResourceRequirements` (or the older `Vcpus`/`Memory`), or no
      `ContainerProperties.ExecutionRoleArn` (Fargate pulls the image and writes logs with it).
    - **error**: `RetryStrategy.Attempts` outside 1-10, or `Timeout.AttemptDurationSeconds` below 60.
    - **info**: no `Timeout`, so a hung job runs until someone stops it.
    - **info**, for an `AWS::Batch::ComputeEnvironment` of type `MANAGED`: `ComputeResources` without
      `Subnets` or `SecurityGroupIds`; and a `SPOT` environment whose `BidPercentage` is absent or 100,
      which pays up to the full On-Demand price.

    Values from parameters without a value, imports or dynamic references are *not evaluated*.

    **Why it matters.** Batch rejects such a job definition when CloudFormation registers it, or the job
    never leaves `RUNNABLE` because no Fargate capacity can run it. Without a timeout a stuck job holds
    its capacity indefinitely.

    **Example (fails).**

        RenderJob:
          Type: AWS::Batch::JobDefinition
          Properties:
            Type: container
            PlatformCapabilities: [FARGATE]
            ContainerProperties:
              Image: public.ecr.aws/acme/render:latest
              ResourceRequirements:
                - {Type: VCPU, Value: "32"}
                - {Type: MEMORY, Value: "65536"}

    **Fix.** Stay within Fargate's sizes (at most 16 vCPU and 120 GiB), give an execution role and a
    timeout, or run GPU and larger jobs on an EC2 compute environment:

        RenderJob:
          Type: AWS::Batch::JobDefinition
          Properties:
            Type: container
            PlatformCapabilities: [FARGATE]
            Timeout: {AttemptDurationSeconds: 3600}
            ContainerProperties:
              Image: public.ecr.aws/acme/render:latest
              ExecutionRoleArn: !GetAtt BatchExecutionRole.Arn
              ResourceRequirements:
                - {Type: VCPU, Value: "16"}
                - {Type: MEMORY, Value: "65536"}

    See https://docs.aws.amazon.com/batch/latest/userguide/fargate.html.
    """
    for job in graph.of_type(JOB_DEFINITION):
        yield from _fargate_limits(graph, ctx, job)
        yield from _retries_and_timeout(ctx, job)
    for environment in graph.of_type(COMPUTE_ENVIRONMENT):
        yield from _compute_environment(ctx, environment)


def _fargate_limits(graph, ctx, job):
    capabilities = job.get("PlatformCapabilities", default=False)
    for (platforms,) in ctx.cases(job, capabilities, convert=as_list):
        if "FARGATE" not in (platforms.value or ()):
            continue
        if not job.has("ContainerProperties.ExecutionRoleArn"):
            yield ctx.finding(job, f"Fargate job definition {job.describe()} has no "
                                   "ContainerProperties.ExecutionRoleArn; Fargate needs an execution role to pull "
                                   "the image and send logs", at="ContainerProperties", check="fargate-execution-role",
                              cases=(platforms,))
        for entry in job.entries("ContainerProperties.ResourceRequirements"):
            for (kind,) in ctx.cases(entry, entry.get("Type"), convert=as_text):
                yield from _fargate_requirement(ctx, job, entry.at, kind.value, entry.get("Value"), (platforms, kind))
        for key, kind in (("ContainerProperties.Vcpus", "VCPU"), ("ContainerProperties.Memory", "MEMORY")):
            if job.has(key):
                yield from _fargate_requirement(ctx, job, key, kind, job.get(key), (platforms,))


def _fargate_requirement(ctx, job, at, kind, amount, decided_by):
    """One resource requirement of a Fargate job: kind VCPU, MEMORY or GPU, amount a Value."""
    if kind == "GPU":
        for (count,) in ctx.cases(job, amount):
            yield ctx.finding(job, f"Fargate job definition {job.describe()} asks for a GPU ({count.show()}); Fargate "
                                   "has no GPUs, so the job can never run: use an EC2 compute environment",
                              at=at, check="fargate-gpu", cases=(count, *decided_by))
        return
    limit = {"VCPU": FARGATE_MAX_VCPU, "MEMORY": FARGATE_MAX_MEMORY_MIB}.get(kind)
    if limit is None:
        return
    unit = "vCPU" if kind == "VCPU" else "MiB of memory"
    for (number,) in ctx.cases(job, amount, convert=as_number):
        if number.value > limit:
            yield ctx.finding(job, f"Fargate job definition {job.describe()} asks for {number.show(unit)}, more than "
                                   f"Fargate's maximum of {limit} {unit}", at=at, check=f"fargate-{kind.lower()}",
                              cases=(number, *decided_by))


def _retries_and_timeout(ctx, job):
    if job.has("RetryStrategy.Attempts"):
        for (attempts,) in ctx.cases(job, job.get("RetryStrategy.Attempts"), convert=as_number):
            if not 1 <= attempts.value <= 10:
                yield ctx.finding(job, f"job definition {job.describe()} has RetryStrategy.Attempts "
                                       f"{attempts.show()}; Batch accepts 1 to 10", at="RetryStrategy.Attempts",
                                  check="retry-attempts", cases=(attempts,))
    if not job.has("Timeout.AttemptDurationSeconds"):
        yield ctx.finding(job, f"job definition {job.describe()} has no Timeout; a job that hangs runs until it is "
                               "stopped by hand: set Timeout.AttemptDurationSeconds", severity="info",
                          check="no-timeout")
        return
    for (duration,) in ctx.cases(job, job.get("Timeout.AttemptDurationSeconds"), convert=as_number):
        if duration.value < 60:
            yield ctx.finding(job, f"job definition {job.describe()} has Timeout.AttemptDurationSeconds "
                                   f"{duration.show('s')}; Batch requires at least 60 s",
                              at="Timeout.AttemptDurationSeconds", check="timeout-minimum", cases=(duration,))


def _compute_environment(ctx, environment):
    for kind, resource_type in ctx.cases(environment, environment.get("Type"),
                                         environment.get("ComputeResources.Type", default=False),
                                         convert=(as_text, None)):
        if (kind.value or "").upper() != "MANAGED" or not environment.has("ComputeResources"):
            continue
        missing = [key for key in ("Subnets", "SecurityGroupIds") if not environment.has(f"ComputeResources.{key}")]
        if missing:
            yield ctx.finding(environment, f"managed compute environment {environment.describe()} sets no "
                                           f"ComputeResources.{' or '.join(missing)}; Batch then uses the default "
                                           "VPC's subnets and security group: choose them explicitly",
                              severity="info", at="ComputeResources", check="network", cases=(kind,))
        if resource_type.value == "SPOT":
            bid = environment.get("ComputeResources.BidPercentage", default=False)
            for (percentage,) in ctx.cases(environment, bid):
                if percentage.value is None or as_number(percentage) == 100:
                    shown = "is not set" if percentage.value is None else f"is {percentage.show()}"
                    yield ctx.finding(environment, f"Spot compute environment {environment.describe()}: BidPercentage "
                                                   f"{shown}, so Spot capacity may cost up to the full On-Demand "
                                                   "price: set a lower BidPercentage", severity="info",
                                      at="ComputeResources", check="spot-bid", cases=(percentage, resource_type))
