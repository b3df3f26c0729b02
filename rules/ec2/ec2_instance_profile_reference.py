"""EC001 ec2-instance-profile-reference."""
from linter.model import as_list, follow_one, rule

ROLE = "AWS::IAM::Role"
INSTANCE_PROFILE = "AWS::IAM::InstanceProfile"
# Where each launching resource names its instance profile.
PROFILE_PATHS = {
    "AWS::EC2::Instance": ("IamInstanceProfile",),
    "AWS::AutoScaling::LaunchConfiguration": ("IamInstanceProfile",),
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData.IamInstanceProfile.Arn",
                                 "LaunchTemplateData.IamInstanceProfile.Name"),
}


@rule("EC001", "ec2-instance-profile-reference", severity="error", tags=("correctness", "ec2", "iam"),
      catalogue="R96")
def instance_profile_reference(graph, ctx):
    """An instance's IamInstanceProfile must name an instance profile, and a profile holds exactly one role.

    **What it checks.**

    - **error**: `IamInstanceProfile` of an `AWS::EC2::Instance` or `AWS::AutoScaling::LaunchConfiguration`,
      or `LaunchTemplateData.IamInstanceProfile.Arn`/`.Name` of an `AWS::EC2::LaunchTemplate`, that refers
      to an `AWS::IAM::Role` of the template (`!Ref Role`, `!GetAtt Role.Arn`) instead of an
      `AWS::IAM::InstanceProfile`.
    - **error**: an `AWS::IAM::InstanceProfile` whose `Roles` list does not hold exactly one role.

    Profiles named by literal names or ARNs, parameters or imports are outside the template and are not
    judged. Whether the role trusts `ec2.amazonaws.com` is not checked by this rule yet.

    **Why it matters.** EC2 attaches roles to instances only through an instance profile: a role name or
    ARN in its place makes the launch fail, and a profile cannot carry more than one role.

    **Example (fails).**

        AppInstance:
          Type: AWS::EC2::Instance
          Properties:
            ImageId: !Ref ImageId
            IamInstanceProfile: !Ref AppRole

    **Fix.**

        AppInstanceProfile:
          Type: AWS::IAM::InstanceProfile
          Properties:
            Roles: [!Ref AppRole]
        AppInstance:
          Type: AWS::EC2::Instance
          Properties:
            ImageId: !Ref ImageId
            IamInstanceProfile: !Ref AppInstanceProfile

    See https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html.
    """
    for rtype, paths in PROFILE_PATHS.items():
        for launcher in graph.of_type(rtype):
            for path in paths:
                if not launcher.has(path):
                    continue
                target, _ = follow_one(graph, launcher, path)
                if target is not None and target.type == ROLE:
                    yield ctx.finding(launcher, f"{path.split('.')[-1]} of "
                                                f"{launcher.describe()} names role {target.describe()}, not an "
                                                "instance profile; EC2 cannot launch with it: wrap the role in an "
                                                "AWS::IAM::InstanceProfile and name that", at=path,
                                      related=[target], check="role-not-profile")
    for profile in graph.of_type(INSTANCE_PROFILE):
        for (roles,) in ctx.cases(profile, profile.get("Roles", default=False), convert=as_list):
            if roles.value is not None and len(roles.value) != 1:
                yield ctx.finding(profile, f"instance profile {profile.describe()} lists {len(roles.value)} roles "
                                           f"({roles.show()}); an instance profile holds exactly one role",
                                  at="Roles", check="one-role", cases=(roles,))
                break
