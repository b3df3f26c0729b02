"""LAM008 lambda-vpc-role-eni-permissions."""
from linter.model import FUNCTION_TYPES, function_role, role_allows, rule

ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")


@rule("LAM008", "lambda-vpc-role-eni-permissions", severity="error", tags=("correctness", "lambda", "iam"),
      catalogue="R41")
def vpc_role_eni_permissions(graph, ctx):
    """A Lambda function in a VPC needs an execution role that may create and delete network interfaces.

    **What it checks.** For every function with `VpcConfig.SubnetIds` (on the resource or in
    `Globals.Function`), its execution role must allow `ec2:CreateNetworkInterface`,
    `ec2:DescribeNetworkInterfaces` and `ec2:DeleteNetworkInterface` (the managed policy
    `AWSLambdaVPCAccessExecutionRole` grants them, with `ec2:AssignPrivateIpAddresses` and
    `ec2:UnassignPrivateIpAddresses`); an explicit `Deny` wins. A role SAM generates for a function
    with `VpcConfig` gets that policy, so it passes. A role outside the template, a managed policy
    the tool does not know, and a permissions boundary are *not evaluated*.

    **Why it matters.** Lambda creates the function's network interfaces with the execution role when
    the function is created or its VPC settings change. Without these permissions the create call fails
    ("The provided execution role does not have permissions to call CreateNetworkInterface on EC2") and
    the stack rolls back.

    **Example (fails).**

        WorkerRole:
          Type: AWS::IAM::Role
          Properties:
            ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
        Worker:
          Type: AWS::Lambda::Function
          Properties:
            Role: !GetAtt WorkerRole.Arn
            VpcConfig: {SubnetIds: [!Ref PrivateA], SecurityGroupIds: [!Ref WorkerSG]}

    **Fix.** Attach `arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole` (or a
    policy with the three `ec2:*NetworkInterface*` actions) to the role.
    """
    for fn in graph.of_type(*FUNCTION_TYPES):
        if not fn.has("VpcConfig"):
            continue
        # A subnet list known only at deploy time still puts the function in a VPC.
        scenarios = [c for c in fn.get("VpcConfig.SubnetIds", default=False) if c.value not in (None, [])]
        for given in scenarios:
            role, reason = function_role(graph, fn)
            if role is None:
                ctx.not_evaluated(fn, reason)
                break
            verdicts = [(action, role_allows(graph, role, action)) for action in ENI_ACTIONS]
            unknown = next((v for _, v in verdicts if v.unknown), None)
            if unknown is not None:
                ctx.not_evaluated(fn, unknown.reason)
                break
            missing = [action for action, v in verdicts if v.no]
            if missing:
                yield ctx.finding(fn, f"function {fn.describe()} runs in a VPC, but its role {role.describe()} does not "
                                      f"allow {', '.join(missing)}; Lambda cannot create the function's network "
                                      "interfaces and the deployment fails: attach "
                                      "AWSLambdaVPCAccessExecutionRole to the role", at="Role" if fn.has("Role") else
                                  "VpcConfig", check="eni-permissions", related=[role], cases=(given,))
            break
