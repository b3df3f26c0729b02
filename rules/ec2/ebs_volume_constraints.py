"""EC002 ebs-volume-constraints."""
from linter.model import as_bool, as_number, as_text, rule, subnet_zone

VOLUME = "AWS::EC2::Volume"
ATTACHMENT = "AWS::EC2::VolumeAttachment"
INSTANCE = "AWS::EC2::Instance"
SUBNET = "AWS::EC2::Subnet"
# Where block device mappings are written, per resource type.
MAPPINGS = {INSTANCE: "BlockDeviceMappings", "AWS::EC2::LaunchTemplate": "LaunchTemplateData.BlockDeviceMappings",
            "AWS::AutoScaling::LaunchConfiguration": "BlockDeviceMappings"}
ROOT_DEVICES = ("/dev/xvda", "/dev/sda1")
# EBS limits by volume type, as of 2025 (gp3 maximums were raised in 2025: 64 TiB, 80,000 IOPS, 2,000 MiB/s).
SIZE_GIB = {"gp2": (1, 16384), "gp3": (1, 65536), "io1": (4, 16384), "io2": (4, 65536), "st1": (125, 16384),
            "sc1": (125, 16384), "standard": (1, 1024)}
IOPS = {"gp3": (3000, 80000), "io1": (100, 64000), "io2": (100, 256000)}
THROUGHPUT_MIBS = {"gp3": (125, 2000)}
MULTI_ATTACH_TYPES = ("io1", "io2")


@rule("EC002", "ebs-volume-constraints", severity="error", tags=("correctness", "ec2", "ebs"), catalogue="R97")
def ebs_volume_constraints(graph, ctx):
    """EBS volumes must fit their type's limits, boot from a type that can boot, and attach in their own zone.

    **What it checks.**

    - **error**: an `AWS::EC2::VolumeAttachment` whose volume's `AvailabilityZone` differs from the
      instance's (its own `AvailabilityZone`, else its subnet's).
    - **error**: `MultiAttachEnabled: true` on a volume type other than io1 or io2 (`VolumeType` defaults
      to gp2).
    - **error**: a root device (`/dev/xvda`, `/dev/sda1`) of an instance, launch template or launch
      configuration with `VolumeType` st1 or sc1: HDD volumes cannot boot.
    - **error**: `Size`/`VolumeSize`, `Iops` and `Throughput` outside the type's range (GiB: gp2 1–16384,
      gp3 1–65536, io1 4–16384, io2 4–65536, st1/sc1 125–16384, standard 1–1024; IOPS: gp3 3000–80000,
      io1 100–64000, io2 100–256000; throughput: gp3 125–2000 MiB/s), from a table of 2025 limits.

    Zones, types and sizes that come from parameters without a value, imports or attributes known only
    at deploy time are *not evaluated*; a volume placed with `!GetAtt Instance.AvailabilityZone` is in the
    instance's zone by construction.

    **Why it matters.** An EBS volume lives in one Availability Zone and attaches only to instances in it;
    EC2 rejects the other mistakes when it creates the volume or launches the instance, so the stack fails.

    **Example (fails).**

        DataVolume:
          Type: AWS::EC2::Volume
          Properties:
            AvailabilityZone: eu-west-1a
            VolumeType: gp3
            Size: 500
            MultiAttachEnabled: true

    **Fix.** Create the volume in the instance's zone (`!GetAtt Instance.AvailabilityZone`), use io1/io2 for
    Multi-Attach, an SSD type for boot volumes, and sizes within the type's limits.

    See https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html.
    """
    for volume in graph.of_type(VOLUME):
        yield from _multi_attach(ctx, volume)
        yield from _limits(ctx, volume, volume, "", "Size")
    for rtype, path in MAPPINGS.items():
        for holder in graph.of_type(rtype):
            for mapping in holder.entries(path):
                if mapping.has("Ebs"):
                    yield from _root_device(ctx, holder, mapping)
                    yield from _limits(ctx, holder, mapping, "Ebs.", "VolumeSize")
    for attachment in graph.of_type(ATTACHMENT):
        yield from _zones(graph, ctx, attachment)


def _multi_attach(ctx, volume):
    if not volume.has("MultiAttachEnabled"):
        return
    for enabled, kind in ctx.cases(volume, volume.get("MultiAttachEnabled"), volume.get("VolumeType"),
                                   convert=(as_bool, as_text)):
        if enabled.value and kind.value not in MULTI_ATTACH_TYPES:
            yield ctx.finding(volume, f"volume {volume.describe()} enables Multi-Attach with {kind.cite('VolumeType')}; "
                                      "only io1 and io2 volumes support it", at="MultiAttachEnabled",
                              check="multi-attach", cases=(enabled, kind))


def _root_device(ctx, holder, mapping):
    device = mapping.get("DeviceName", default=False)
    kind = mapping.get("Ebs.VolumeType", default=False)
    for name, volume_type in ctx.cases(mapping, device, kind, convert=as_text):
        if name.value in ROOT_DEVICES and volume_type.value in ("st1", "sc1"):
            yield ctx.finding(holder, f"{holder.describe()} boots from {name.value} on {volume_type.cite('VolumeType')}; "
                                      "HDD volumes (st1, sc1) cannot be boot volumes: use gp3",
                              at=f"{mapping.at}.Ebs.VolumeType", check="hdd-boot", cases=(name, volume_type))


def _limits(ctx, holder, subject, prefix, size_key):
    """Size, IOPS and throughput against the volume type's range; ``subject`` is the volume or a mapping."""
    kind = subject.get(f"{prefix}VolumeType")
    where = getattr(subject, "at", "")
    at = (where + "." if where else "") + prefix
    checks = (("size", size_key, SIZE_GIB, "GiB"), ("iops", "Iops", IOPS, "IOPS"),
              ("throughput", "Throughput", THROUGHPUT_MIBS, "MiB/s"))
    for check, key, table, unit in checks:
        if not subject.has(f"{prefix}{key}"):
            continue
        for volume_type, amount in ctx.cases(subject, kind, subject.get(f"{prefix}{key}"),
                                             convert=(as_text, as_number)):
            bounds = table.get(volume_type.value)
            if bounds is None or amount.value is None:
                continue
            low, high = bounds
            if not low <= amount.value <= high:
                yield ctx.finding(holder, f"{holder.describe()} has {amount.cite(key, unit)} for "
                                          f"{volume_type.cite('VolumeType')}; {volume_type.value} accepts {low} to "
                                          f"{high} {unit}", at=f"{at}{key}", check=check, cases=(volume_type, amount))


def _zones(graph, ctx, attachment):
    volume = _follow(graph, attachment, "VolumeId", VOLUME)
    instance = _follow(graph, attachment, "InstanceId", INSTANCE)
    if volume is None or instance is None:
        ctx.not_evaluated(attachment, "the volume or the instance is not declared in this template")
        return
    instance_zone, subnet = _instance_zone(graph, instance)
    hosts = [r for r in (instance, subnet) if r is not None]
    if all(_follow_case(graph, case) in hosts for case in volume.get("AvailabilityZone")):
        return   # !GetAtt Instance.AvailabilityZone: the same zone by construction
    if instance_zone is None:
        ctx.not_evaluated(attachment, f"instance {instance.logical_id} has no AvailabilityZone and no template subnet")
        return
    for zone, other in ctx.cases(attachment, instance_zone, volume.get("AvailabilityZone")):
        if _follow_case(graph, other) in hosts:
            continue   # !GetAtt Instance.AvailabilityZone: the same zone by construction
        instance_text, volume_text = as_text(zone), as_text(other)
        if not instance_text or not volume_text:
            ctx.not_evaluated(attachment, f"the zones {zone.show()} and {other.show()} cannot be compared")
        elif instance_text != volume_text:
            yield ctx.finding(attachment, f"volume {volume.describe()} is in {other.show()} but instance "
                                          f"{instance.describe()} is in {zone.show()}; a volume attaches only to "
                                          "instances in its own Availability Zone", at="VolumeId",
                              check="zone", related=[volume, instance], cases=(zone, other))


def _instance_zone(graph, instance):
    if instance.has("AvailabilityZone"):
        return instance.get("AvailabilityZone"), None
    for case in instance.get("SubnetId", default=False):
        subnet, _ = graph.follow(case, (SUBNET,))
        if subnet is not None and subnet.type == SUBNET:
            return subnet_zone(subnet), subnet
    return None, None


def _follow(graph, holder, key, rtype):
    for case in holder.get(key, default=False):
        found, _ = graph.follow(case, (rtype,))
        if found is not None and found.type == rtype:
            return found
    return None


def _follow_case(graph, case):
    found, _ = graph.follow(case)
    return found
