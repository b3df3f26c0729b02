"""TPL003 cfn-export-name-unique."""
from linter.model import export_clashes, rule


@rule("TPL003", "cfn-export-name-unique", severity="error", tags=("correctness", "cloudformation"))
def cfn_export_name_unique(graph, ctx):
    """An export name must be unique in an account and region: CloudFormation rejects the second stack.

    **What it checks.** Every output `Export.Name` that resolves to a known name (often
    `!Sub ${AWS::StackName}-VpcId`, with the stack name from a samconfig file or the config's `stacks:`
    table) is compared with every other export of the template, and of the other templates checked in the
    same run (a folder, several paths). Two outputs that export the same name are an **error**, unless
    both templates' regions are known and differ. The other output is shown as a related location. An
    export name that depends on a value known only at deploy time (a stack name nobody gave) is not compared.

    **Why it matters.** Export names are global to an account and region. The second stack to export a name
    fails to deploy ("Export with name … is already exported by stack …"), typically when a template is
    copied for a new service and keeps the export names of the original.

    **Example (fails).** Two templates of the run, deployed to the same region:

        # network/template.yaml
        Outputs:
          PrivateSubnetId:
            Value: !Ref PrivateSubnet
            Export: {Name: shared-PrivateSubnetId}
        # legacy/template.yaml
        Outputs:
          SubnetId:
            Value: !Ref Subnet
            Export: {Name: shared-PrivateSubnetId}

    **Fix.** Prefix export names with the stack name (`!Sub ${AWS::StackName}-PrivateSubnetId`), so each
    stack's names are its own, and import the one you mean.
    """
    for clash in export_clashes(graph):
        where = ", ".join(f"{other.path}:{other.line}" for other in clash.others)
        yield ctx.finding(clash.location, f"output {clash.output} exports {clash.name!r}, which is also exported "
                                          f"at {where}: CloudFormation rejects the second stack that exports it",
                          related=clash.others, check=clash.name)
