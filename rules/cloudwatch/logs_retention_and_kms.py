"""LOG001 logs-retention-and-kms."""
from linter.model import LOG_GROUP, RETENTION_DAYS, as_number, names_logs_service, rule, statements

KEY = "AWS::KMS::Key"


@rule("LOG001", "logs-retention-and-kms", severity="error", tags=("correctness", "cost", "logs"),
      catalogue="R89")
def logs_retention_and_kms(graph, ctx):
    """Log groups need a retention CloudWatch accepts, a key the Logs service may use.

    **What it checks.**

    - **error** (`retention-value`): `RetentionInDays` of an `AWS::Logs::LogGroup` is not one of the
      values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
      1096, 1827, 2192, 2557, 2922, 3288, 3653).
    - **info** (`no-retention`): no `RetentionInDays`: the logs never expire (the CloudWatch Logs
      default) and their storage is billed forever.
    - **error** (`key-policy`): `KmsKeyId` names a key of this template whose key policy has no `Allow`
      statement for the Logs service principal (`logs.<region>.amazonaws.com`) or for `"*"`.

    Values known only at deploy time, and keys outside the template, are *not evaluated*. A key policy
    with a `Condition` on the Logs statement is taken to allow it (conditions such as
    `kms:EncryptionContext:aws:logs:arn` narrow which log groups may use the key).

    **Why it matters.** CloudFormation rejects any other retention value. A log group encrypted with a
    key the Logs service cannot use fails to create, and the stack rolls back. Not checked yet: a
    function with no log group of its own (linter.logs.function_log_groups finds them).

    **Example (fails).**

        AppLogs:
          Type: AWS::Logs::LogGroup
          Properties:
            RetentionInDays: 45       # not an accepted value

    **Fix.** Pick an accepted retention, allow the Logs service in the key policy, and declare each
    function's log group:

        WorkerLogs:
          Type: AWS::Logs::LogGroup
          Properties:
            LogGroupName: !Sub /aws/lambda/${Worker}
            RetentionInDays: 30

    See https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logsdocs/encrypt-log-data-kms.html.
    """
    for group in graph.of_type(LOG_GROUP):
        for (days,) in ctx.cases(group, group.get("RetentionInDays"), convert=as_number):
            if days.value is None:
                yield ctx.finding(group, f"log group {group.describe()} has no RetentionInDays ({days.origin}): its "
                                         "logs are stored and billed forever; set a retention such as 30 days",
                                  severity="info", check="no-retention", cases=(days,))
            elif days.value not in RETENTION_DAYS:
                yield ctx.finding(group, f"log group {group.describe()} has RetentionInDays {days.show()}, which "
                                         "CloudWatch Logs does not accept, so the stack fails; use one of "
                                         f"{', '.join(map(str, RETENTION_DAYS))}",
                                  check="retention-value", at="RetentionInDays", cases=(days,))
        yield from _key_policy(graph, ctx, group)


def _key_policy(graph, ctx, group):
    for key_case in group.get("KmsKeyId", default=False):
        if key_case.value is None:
            continue
        key, reason = graph.follow(key_case, (KEY,))
        if key is None or key.type != KEY:
            ctx.not_evaluated(group, f"the key of log group {group.logical_id} is not a key of this template "
                                     f"({reason or key_case.show()}), so its policy cannot be seen")
            continue
        for (policy,) in ctx.cases(group, key.get("KeyPolicy", default=False)):
            if policy.value is None:
                continue
            allowed, doubt = False, None
            for st in statements(policy.value):
                if st.effect == "Deny":
                    continue
                if st.effect is None or st.unresolved:
                    doubt = doubt or (st.unresolved[0] if st.unresolved else f"the Effect of {st.label} is not known")
                    continue
                if any(kind == "*" or (kind == "AWS" and value == "*") or
                       (kind == "Service" and isinstance(value, str) and names_logs_service(value))
                       for kind, value in st.principals or ()):
                    allowed = True
            if allowed:
                continue
            if doubt:
                ctx.not_evaluated(group, f"whether key {key.logical_id} lets CloudWatch Logs use it is not known: {doubt}")
                continue
            yield ctx.finding(group, f"log group {group.describe()} is encrypted with key {key.describe()}, whose key "
                                     "policy does not allow the CloudWatch Logs service (logs.<region>.amazonaws.com): "
                                     "the log group cannot be created; add a statement for that principal with "
                                     "kms:Encrypt*, kms:Decrypt*, kms:GenerateDataKey* and kms:Describe*",
                              check="key-policy", at="KmsKeyId", related=[key], cases=(key_case, policy))
