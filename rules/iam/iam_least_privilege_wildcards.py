"""IAM002 iam-least-privilege-wildcards."""
import re

from linter.model import as_list, display, rule, statements

IDENTITY_POLICY_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
POLICY_RESOURCES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy",
                    "AWS::IAM::GroupPolicy")
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess")
SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)
PASS_ROLE = re.compile(r"^iam:(\*|pass\*|passrole)$", re.IGNORECASE)


@rule("IAM002", "iam-least-privilege-wildcards", severity="warning", tags=("security", "iam"),
      security_severity="6.0", catalogue="R55")
def least_privilege_wildcards(graph, ctx):
    """IAM policies should grant named actions on named resources, not wildcards.

    **What it checks.** Every `Allow` statement of a role's, user's or group's inline `Policies`, of
    `AWS::IAM::Policy`/`ManagedPolicy`/`RolePolicy`, and of the inline statements in a SAM function's
    `Policies` (after parameters, mappings and conditions are resolved, in every scenario):

    - **error**: `Action: "*"` on `Resource: "*"`: full administrator access.
    - **warning**: `Action: "*"` on named resources, or a whole service (`s3:*`) on `Resource: "*"`.
    - **warning**: `iam:PassRole` on `Resource: "*"`: the holder can hand any role to a service, which
      is a path to every permission of the account.
    - **warning**: `NotAction` with `Allow`: everything except a list, including services added later.
    - **warning**: the AWS managed policy `AdministratorAccess` or `PowerUserAccess` on a workload role
      (one that an AWS service assumes: a function's, a task's, an instance's role).

    A document, an action or a resource that does not resolve is *not evaluated* for what it would
    decide. Statements with a `Condition` are still judged: a condition narrows when, not what.

    **Why it matters.** A workload with wildcard permissions turns any bug or stolen credential into
    access to every resource the wildcard reaches. Scoped grants limit what a compromise can do, and
    they document what the code really calls.

    **Example (fails).**

        WorkerRole:
          Type: AWS::IAM::Role
          Properties:
            AssumeRolePolicyDocument: {...}   # lambda.amazonaws.com
            Policies:
              - PolicyName: everything
                PolicyDocument:
                  Statement:
                    - {Effect: Allow, Action: "s3:*", Resource: "*"}

    **Fix.** Name the actions and the resources; with SAM, use a policy template scoped to one resource:

        Policies:
          - S3ReadPolicy:
              BucketName: !Ref ReportsBucket
    """
    for holder in graph.of_type(*IDENTITY_POLICY_HOLDERS):
        for entry in holder.entries("Policies"):
            yield from _judge_document(ctx, holder, entry.get("PolicyDocument"), f"{entry.at}.PolicyDocument")
        for entry in holder.entries("SamPolicies"):
            if entry.has("Statement"):   # an inline policy document; names and policy templates are scoped
                yield from _judge_document(ctx, holder, entry.value(), entry.at)
        yield from _judge_managed_policies(ctx, holder)
    for policy in graph.of_type(*POLICY_RESOURCES):
        yield from _judge_document(ctx, policy, policy.get("PolicyDocument"), "PolicyDocument")


def _judge_document(ctx, holder, document, at):
    for (doc,) in ctx.cases(holder, document):
        if doc.value is None:
            continue
        found: dict[str, list[str]] = {}
        for st in statements(doc.value):
            if st.effect != "Allow":
                continue
            actions, resources = st.written("actions"), st.written("resources")
            on_everything = "*" in resources
            if "*" in actions:
                found.setdefault("admin-statement" if on_everything else "action-wildcard", []).append(
                    f"{st.label} allows Action \"*\"" + (" on Resource \"*\"" if on_everything else ""))
            else:
                services = [a for a in actions if SERVICE_WILDCARD.match(a)]
                if services and on_everything:
                    found.setdefault("action-wildcard", []).append(
                        f"{st.label} allows {', '.join(services)} on Resource \"*\"")
                passing = [a for a in actions if PASS_ROLE.match(a)]
                if passing and on_everything:
                    found.setdefault("passrole-wildcard", []).append(
                        f"{st.label} allows {', '.join(passing)} on Resource \"*\"")
            if st.not_actions is not None:
                found.setdefault("not-action", []).append(
                    f"{st.label} uses NotAction with Allow ({', '.join(map(display, st.written('not_actions')))})")
        for check, what in found.items():
            severity = "error" if check == "admin-statement" else None
            advice = {"admin-statement": "this is full administrator access",
                      "action-wildcard": "grant the actions the code calls, on the resources it uses",
                      "passrole-wildcard": "name the roles it may pass",
                      "not-action": "it allows every other action, including those of services added later"}[check]
            yield ctx.finding(holder, f"policy of {holder.describe()}: {'; '.join(what)}; {advice}",
                              severity=severity, at=at, check=check, cases=(doc,))


def _judge_managed_policies(ctx, holder):
    if not _is_workload_role(holder):
        return
    managed = [(holder.get("ManagedPolicyArns", default=False), "ManagedPolicyArns")]
    if holder.has("SamPolicies"):
        managed.append((holder.get("SamPolicies", default=False), "SamPolicies"))
    for value, at in managed:
        for (names,) in ctx.cases(holder, value, convert=as_list):
            broad = sorted({name for item in names.value or () for name in BROAD_MANAGED_POLICIES
                            if display(item).rsplit("/", 1)[-1] == name})
            if broad:
                yield ctx.finding(holder, f"workload role {holder.describe()} has the AWS managed policy "
                                          f"{' and '.join(broad)}; a service's role "
                                          "should hold only what the service's code needs",
                                  at=at if holder.has(at) else None, check="admin-managed-policy", cases=(names,))


def _is_workload_role(holder) -> bool:
    """A role an AWS service assumes (its trust policy names a service principal)."""
    if holder.type != "AWS::IAM::Role":
        return False
    trust = holder.get("AssumeRolePolicyDocument", default=False)
    return trust.any(lambda doc: any(st.services() for st in statements(doc)), unknown=False)
