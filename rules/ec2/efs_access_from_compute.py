"""EFS001 efs-access-from-compute."""
from linter.model import (FUNCTION_TYPES, any_of, as_bool, follow_one, ingress_allows, rule, security_groups_of,
                          subnet_zone, subnets_of, waits_for)

NFS = 2049
MOUNT_TARGET = "AWS::EFS::MountTarget"


@rule("EFS001", "efs-access-from-compute", severity="error", tags=("reliability", "networking", "efs", "lambda"),
      catalogue="R51")
def efs_access_from_compute(graph, ctx):
    """A Lambda function that mounts EFS must be in the VPC, in zones with mount targets, admitted on
    NFS by the mount targets' security groups, and created after them.

    **What it checks.** For every function with `FileSystemConfigs` whose access point
    (`AWS::EFS::AccessPoint`) and file system are in the template:

    - no `VpcConfig`: **error** (`no-vpc`);
    - a subnet of the function in a zone where the file system has no `AWS::EFS::MountTarget`:
      **error** (`zone`);
    - no security group of the mount targets admits TCP 2049 from the function's security groups:
      **error** (`nfs-ingress`);
    - the function does not wait for the mount targets (`DependsOn`, directly or through what it
      refers to): warning (`depends-on`);
    - the file system has `Encrypted` false (the EFS default in CloudFormation): info (`encryption`).

    Access points, subnets and security groups from outside the template, and zones the template does
    not set, are *not evaluated*. ECS task volumes (`EFSVolumeConfiguration`) are not checked yet.

    **Why it matters.** Lambda mounts EFS through the function's network interfaces: outside a VPC, in a
    zone without a mount target, or blocked by a security group, the mount fails and so does every
    invocation. A function created before its mount targets are available fails to create.

    **Example (fails).**

        Processor:
          Type: AWS::Serverless::Function
          Properties:
            FileSystemConfigs:
              - Arn: !GetAtt AccessPoint.Arn
                LocalMountPath: /mnt/data
            # no VpcConfig

    **Fix.** Give the function a `VpcConfig` with subnets in the zones of the mount targets, admit TCP
    2049 from its security group on the mount targets' group, and add `DependsOn` on the mount targets.
    """
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("FileSystemConfigs"):
            continue
        for entry in fn.entries("FileSystemConfigs"):
            access_point, reason = _access_point(graph, entry)
            if access_point is None:
                ctx.not_evaluated(fn, f"the access point of FileSystemConfigs is not known: {reason}")
                continue
            fs, reason = follow_one(graph, access_point, "FileSystemId", "AWS::EFS::FileSystem")
            if fs is None:
                ctx.not_evaluated(fn, f"the file system of access point {access_point.describe()} is not known: {reason}")
                continue
            yield from _judge(graph, ctx, fn, entry, fs)


def _access_point(graph, entry):
    found = None
    for case in entry.get("Arn", default=False):
        target, reason = graph.follow(case)
        if target is None or target.type != "AWS::EFS::AccessPoint":
            return None, reason or "its Arn is not an access point of this template"
        if found is not None and found is not target:
            return None, "the access point depends on a condition"
        found = target
    return found, "" if found is not None else "no Arn is set"


def _judge(graph, ctx, fn, entry, fs):
    targets = [m for m in graph.of_type(MOUNT_TARGET) if follow_one(graph, m, "FileSystemId")[0] is fs]
    for (encrypted,) in ctx.cases(fs, fs.get("Encrypted"), convert=as_bool):
        if encrypted.value is False:
            yield ctx.finding(fs, f"file system {fs.describe()} has {encrypted.cite('Encrypted')}; data at rest is not "
                                  "encrypted: set Encrypted: true (it cannot be changed later)", severity="info",
                              at="Encrypted" if fs.has("Encrypted") else None, check="encryption", cases=(encrypted,))
    for subnets_case, groups_case in ctx.cases(fn, fn.get("VpcConfig.SubnetIds", default=False),
                                               fn.get("VpcConfig.SecurityGroupIds", default=False)):
        if not subnets_case.value:
            yield ctx.finding(fn, f"function {fn.describe()} mounts file system {fs.describe()} but has no VpcConfig; "
                                  "Lambda reaches EFS only through the VPC, so the mount fails: add VpcConfig with "
                                  "subnets that have mount targets", severity="error", at=entry.at, check="no-vpc",
                              related=[fs], cases=(subnets_case,))
            continue
        if not targets:
            ctx.not_evaluated(fn, f"file system {fs.describe()} has no mount target in this template")
            continue
        yield from _judge_zones(graph, ctx, fn, fs, targets, subnets_case)
        yield from _judge_nfs(graph, ctx, fn, fs, targets, groups_case)
        if not any(waits_for(graph, fn, t) for t in targets):
            yield ctx.finding(fn, f"function {fn.describe()} does not wait for the mount targets of {fs.describe()} "
                                  f"({', '.join(t.logical_id for t in targets)}); CloudFormation may create it first and "
                                  f"the function fails to create: add DependsOn: {targets[0].logical_id}",
                              severity="warning", at=entry.at, check="depends-on", related=targets)


def _judge_zones(graph, ctx, fn, fs, targets, subnets_case):
    members = subnets_of(graph, subnets_case)
    if any(m.resource is None for m in members):
        ctx.not_evaluated(fn, next(m.reason for m in members if m.resource is None))
        return
    target_zones = {}
    for target in targets:
        subnet, reason = follow_one(graph, target, "SubnetId", "AWS::EC2::Subnet")
        zone = subnet_zone(subnet).single if subnet is not None else None
        if zone is None:
            ctx.not_evaluated(fn, f"the zone of mount target {target.logical_id} is not known")
            return
        target_zones[zone] = target
    uncovered = []
    for m in members:
        zone = subnet_zone(m.resource).single
        if zone is None:
            ctx.not_evaluated(fn, f"the zone of subnet {m.resource.logical_id} is not known")
            return
        if zone not in target_zones:
            uncovered.append(m.resource)
    if uncovered:
        yield ctx.finding(fn, f"function {fn.describe()} uses subnets ({', '.join(s.logical_id for s in uncovered)}) in "
                              f"zones where file system {fs.describe()} has no mount target; invocations there cannot "
                              "mount it: add a mount target in each zone of the function's subnets",
                          at="VpcConfig.SubnetIds", check="zone", related=targets + uncovered, cases=(subnets_case,))


def _judge_nfs(graph, ctx, fn, fs, targets, groups_case):
    mine = security_groups_of(graph, groups_case)
    theirs = []
    for target in targets:
        for case in target.get("SecurityGroups"):
            theirs.extend(security_groups_of(graph, case))
    missing = next((m.reason for m in mine + theirs if m.resource is None), None)
    if missing:
        ctx.not_evaluated(fn, missing)
        return
    app, data = [m.resource for m in mine], list(dict.fromkeys(m.resource for m in theirs))
    if not app or not data:
        return
    verdict = any_of(ingress_allows(graph, d, port=NFS, source_group=s) for d in data for s in app)
    if verdict.unknown:
        ctx.not_evaluated(fn, verdict.reason)
    elif verdict.no:
        yield ctx.finding(fn, f"no security group of the mount targets of {fs.describe()} "
                              f"({', '.join(g.logical_id for g in data)}) admits TCP 2049 (NFS) from the function's "
                              f"groups ({', '.join(g.logical_id for g in app)}); the mount times out: admit 2049 from "
                              f"{app[0].logical_id}", at="VpcConfig.SecurityGroupIds", check="nfs-ingress",
                          related=data, cases=(groups_case,))
