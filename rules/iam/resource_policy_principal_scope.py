"""IAM003 resource-policy-principal-scope."""
from linter.model import is_everyone, restricting_condition_keys, rule, statements

# Resource type → the property that holds its resource policy document.
POLICY_PROPERTY = {
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::ApiGateway::RestApi": "Policy",
    "AWS::KMS::Key": "KeyPolicy",
}
PERMISSION = "AWS::Lambda::Permission"
SOURCE_SCOPED_SERVICES = ("s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com")


@rule("IAM003", "resource-policy-principal-scope", severity="warning", tags=("security", "iam"),
      security_severity="6.0", catalogue="R56")
def resource_policy_principal_scope(graph, ctx):
    """Resource policies and Lambda permissions should not open a resource to every AWS account.

    **What it checks.**

    - **warning** (`public-principal`): an `Allow` statement for `Principal: "*"` (or `AWS: "*"`) in a
      queue, topic or bucket policy, a REST API's `Policy` or a key's `KeyPolicy`, with no condition
      that narrows it (`aws:SourceArn`, `aws:SourceAccount`, `aws:PrincipalOrgID`,
      `aws:PrincipalAccount`, `aws:SourceVpce`, `aws:SourceVpc`, `aws:SourceIp`, `kms:CallerAccount`
      and the like). A `Lambda::Permission` for `Principal: "*"` without `SourceArn`, `SourceAccount` or
      `PrincipalOrgID` too (function URL permissions, `lambda:InvokeFunctionUrl`, are left to the URL's
      auth type). The permissions SAM generates for events are scoped by SAM
      and not checked.
    - **warning** (`service-without-source`): a `Lambda::Permission` for `s3.amazonaws.com`,
      `sns.amazonaws.com` or `events.amazonaws.com` with neither `SourceArn` nor `SourceAccount`:
      any account's bucket, topic or rule can invoke the function (the confused-deputy problem).

    A document or Condition that does not resolve is *not evaluated*. Not checked: cross-account
    principals (they may well be intended), and whether a public bucket is meant as a website (BKT004).

    **Why it matters.** `"*"` is every AWS account and, for S3 and API Gateway, anonymous callers too.
    Without a condition the resource is readable or writable by anyone who learns its name or ARN.

    **Example (fails).**

        JobsQueuePolicy:
          Type: AWS::SQS::QueuePolicy
          Properties:
            Queues: [!Ref JobsQueue]
            PolicyDocument:
              Statement:
                - {Effect: Allow, Principal: "*", Action: sqs:SendMessage, Resource: !GetAtt JobsQueue.Arn}

    **Fix.** Name the principal, or narrow `"*"` with a condition:

                - Effect: Allow
                  Principal: {Service: sns.amazonaws.com}
                  Action: sqs:SendMessage
                  Resource: !GetAtt JobsQueue.Arn
                  Condition: {ArnEquals: {"aws:SourceArn": !Ref JobsTopic}}
    """
    for holder in graph.of_type(*POLICY_PROPERTY):
        prop = POLICY_PROPERTY[holder.type]
        if not holder.has(prop):
            continue
        for (document,) in ctx.cases(holder, holder.get(prop, default=False)):
            if document.value is None:
                continue
            open_statements = []
            for st in statements(document.value):
                if st.effect != "Allow" or not is_everyone(st):
                    if st.unresolved and st.effect != "Deny":
                        ctx.not_evaluated(holder, f"whether {prop} of {holder.logical_id} opens it to everyone is not "
                                                  f"known: {st.unresolved[0]}")
                    continue
                narrowing = restricting_condition_keys(st)
                if narrowing is None:
                    ctx.not_evaluated(holder, f"the Condition of {st.label} in {prop} of {holder.logical_id} is "
                                              "known only at deploy time")
                elif not narrowing:
                    open_statements.append(f"{st.label} ({', '.join(st.written('actions')) or 'its actions'})")
            if open_statements:
                yield ctx.finding(holder, f"{prop} of {holder.describe()} allows Principal \"*\" with no condition "
                                          f"that narrows it: {'; '.join(open_statements)}; any AWS account can use "
                                          "it; name the principals or add aws:SourceArn, aws:SourceAccount or "
                                          "aws:PrincipalOrgID", check="public-principal", at=prop, cases=(document,))
    for permission in graph.of_type(PERMISSION):
        if permission.origin is None:   # SAM scopes the permissions it generates to their event source
            yield from _permission(ctx, permission)


def _permission(ctx, permission):
    principal, action = permission.get("Principal"), permission.get("Action")
    scoped = [permission.get(p, default=False) for p in ("SourceArn", "SourceAccount", "PrincipalOrgID")]
    for who, what, source_arn, source_account, org in ctx.cases(permission, principal, action, *scoped):
        unscoped = source_arn.value is None and source_account.value is None
        if who.value == "*" and unscoped and org.value is None and what.value != "lambda:InvokeFunctionUrl":
            yield ctx.finding(permission, f"Lambda permission {permission.describe()} lets Principal \"*\" call "
                                          f"{what.show()} with no SourceArn, SourceAccount or PrincipalOrgID: any AWS "
                                          "account can invoke the function; name the caller or its source",
                              check="public-principal", at="Principal", cases=(who, what, source_arn, org))
        elif who.value in SOURCE_SCOPED_SERVICES and unscoped:
            yield ctx.finding(permission, f"Lambda permission {permission.describe()} lets {who.show()} invoke the "
                                          "function with neither SourceArn nor SourceAccount: a resource in any "
                                          "account can trigger it; set SourceArn to the resource (and "
                                          "SourceAccount for S3)",
                              check="service-without-source", at="Principal",
                              cases=(who, source_arn, source_account))
