"""ECS006 ecs-ec2-instances-join-cluster."""
from linter.model import (cluster_instances, cluster_settings, display, ecs_optimized_image, instance_role,
                          launch_source, launch_texts, role_allows, rule, setting_names_cluster)

CLUSTER = "AWS::ECS::Cluster"
GROUP = "AWS::AutoScaling::AutoScalingGroup"
USER_DATA = {"AWS::AutoScaling::LaunchConfiguration": "UserData", "AWS::EC2::LaunchTemplate": "LaunchTemplateData.UserData"}
PROFILE = {"AWS::AutoScaling::LaunchConfiguration": "IamInstanceProfile",
           "AWS::EC2::LaunchTemplate": "LaunchTemplateData.IamInstanceProfile"}
REGISTER = "ecs:RegisterContainerInstance"


@rule("ECS006", "ecs-ec2-instances-join-cluster", severity="warning", tags=("correctness", "ecs", "ec2"),
      catalogue="R94")
def ecs_ec2_instances_join_cluster(graph, ctx):
    """EC2 instances meant to run an ECS cluster's tasks must name that cluster and have the ECS instance role.

    **What it checks.** An Auto Scaling group backs a cluster when a capacity provider of the group is
    associated with the cluster (its `CapacityProviders` or an `AWS::ECS::ClusterCapacityProviderAssociations`),
    or, in a template with a single cluster, when its launch configuration or launch template looks like
    an ECS container instance: an ECS-optimized AMI from the public SSM parameters (`/aws/service/ecs/...`),
    an instance role allowing `ecs:RegisterContainerInstance`, or an `ECS_CLUSTER` setting. For each
    such group:

    - `cluster-name` (warning): the user data or the `AWS::CloudFormation::Init` metadata must set
      `ECS_CLUSTER` to the cluster (`ECS_CLUSTER=${Cluster}` in `Fn::Sub`, or the cluster's literal
      `ClusterName`). Not needed for a cluster named `default`.
    - `instance-role` (warning): the instance profile's role must allow `ecs:RegisterContainerInstance`
      (the `AmazonEC2ContainerServiceforEC2Role` managed policy grants it).

    User data or a cluster name known only at deploy time, a launch template or profile outside the
    template and a policy whose grants are not known are reported as not evaluated. What the AMI or a
    script downloaded at boot does is not visible; whether the AMI is ECS-optimized is used only to
    recognise container instances, not reported.

    **Why it matters.** The ECS agent reads the cluster name from `/etc/ecs/ecs.config`; without it the
    instances register with the `default` cluster. The cluster then has no capacity: services stay at
    zero running tasks and deployments wait until CloudFormation times out. Without the instance role
    permissions the agent cannot register at all.

    **Example (fails).**

        ContainerHosts:
          Type: AWS::EC2::LaunchTemplate
          Properties:
            LaunchTemplateData:
              ImageId: !Ref EcsAmi        # /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id
              IamInstanceProfile: {Arn: !GetAtt HostProfile.Arn}
              UserData:
                Fn::Base64: "#!/bin/bash\\nyum update -y\\n"

    **Fix.** Write the cluster name in the user data:

        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config
    """
    clusters = graph.of_type(CLUSTER)
    if not clusters:
        return
    for group in graph.of_type(GROUP):
        launcher, why = launch_source(graph, group)
        backed = [cluster for cluster in clusters if group in cluster_instances(graph, cluster)]
        if launcher is None:
            if backed:
                ctx.not_evaluated(group, why)
            continue
        if not backed and len(clusters) == 1 and _looks_like_container_instance(graph, launcher):
            backed = clusters
        for cluster in dict.fromkeys(backed):
            yield from _cluster_name(graph, ctx, group, launcher, cluster)
            yield from _instance_role(graph, ctx, group, launcher, cluster)


def _looks_like_container_instance(graph, launcher) -> bool:
    if ecs_optimized_image(graph, launcher):
        return True
    if any(cluster_settings(case.value) for case in launch_texts(graph, launcher).known_cases()):
        return True
    role, _ = instance_role(graph, launcher)
    return role is not None and role_allows(graph, role, REGISTER).yes


def _cluster_name(graph, ctx, group, launcher, cluster):
    at = USER_DATA[launcher.type] if launcher.has(USER_DATA[launcher.type]) else None
    for (texts,) in ctx.cases(launcher, launch_texts(graph, launcher)):
        settings = cluster_settings(texts.value)
        answers = [setting_names_cluster(graph, value, cluster) for value in settings]
        if True in answers:
            continue
        if None in answers:
            ctx.not_evaluated(launcher, f"the ECS_CLUSTER setting of {launcher.describe()} is known only at deploy time")
            continue
        if settings:
            problem = f"sets ECS_CLUSTER to {', '.join(display(v) for v in settings)}, not cluster {cluster.describe()}"
            yield _name_finding(ctx, group, launcher, cluster, problem, at, (texts,))
            continue
        for (name,) in ctx.cases(launcher, cluster.get("ClusterName", default=False)):
            if name.value != "default":
                yield _name_finding(ctx, group, launcher, cluster, "sets no ECS_CLUSTER in its user data or cfn-init "
                                    "metadata", at, (texts, name))


def _name_finding(ctx, group, launcher, cluster, problem, at, cases):
    return ctx.finding(launcher, f"{launcher.describe()} of Auto Scaling group {group.describe()} {problem}: the ECS "
                                 "agent registers the instances with another cluster ('default' when unset) and "
                                 f"{cluster.describe()} gets no capacity; write ECS_CLUSTER=${{{cluster.logical_id}}} "
                                 "to /etc/ecs/ecs.config", check="cluster-name", at=at, related=[group, cluster],
                       cases=cases)


def _instance_role(graph, ctx, group, launcher, cluster):
    role, why = instance_role(graph, launcher)
    if role is None:
        if "has no instance profile" in why:
            yield ctx.finding(launcher, f"{launcher.describe()} of Auto Scaling group {group.describe()} has no instance "
                                        f"profile: the ECS agent cannot register the instances with {cluster.describe()}; "
                                        "give them a role with AmazonEC2ContainerServiceforEC2Role",
                              check="instance-role", related=[group, cluster])
        else:
            ctx.not_evaluated(launcher, why)
        return
    verdict = role_allows(graph, role, REGISTER)
    at = PROFILE[launcher.type]
    if verdict.unknown:
        ctx.not_evaluated(launcher, verdict.reason)
    elif verdict.no:
        yield ctx.finding(launcher, f"the instance role {role.describe()} of {launcher.describe()} does not allow "
                                    f"{REGISTER} ({verdict.reason}): the ECS agent cannot register the instances with "
                                    f"{cluster.describe()}; attach AmazonEC2ContainerServiceforEC2Role",
                          check="instance-role", at=at, related=[role, group, cluster])
