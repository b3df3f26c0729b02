"""KMS001 kms-key-policy-and-rotation."""
import fnmatch

from linter.model import as_bool, as_number, as_text, display, rule, statements

KEY = "AWS::KMS::Key"
LOG_GROUP = "AWS::Logs::LogGroup"
PENDING_WINDOW = (7, 30)


@rule("KMS001", "kms-key-policy-and-rotation", severity="warning", tags=("security", "kms"), catalogue="R120")
def kms_key_policy_and_rotation(graph, ctx):
    """KMS keys must stay manageable, rotate, and let the services that use them in.

    **What it checks.** Every `AWS::KMS::Key`, each scenario of parameters, mappings and conditions on
    its own:

    - **warning** (`unmanageable`): a `KeyPolicy` in which no `Allow` statement gives an IAM principal
      (the account root or an administrator role) `kms:PutKeyPolicy`, whether through `kms:*` or by
      name. Without `KeyPolicy`, KMS applies the default policy, which is fine.
    - **error** (`pending-window`): `PendingWindowInDays` outside 7–30.
    - **info** (`rotation`): a symmetric encryption key (`KeySpec` `SYMMETRIC_DEFAULT`, the default)
      with `EnableKeyRotation` false (the KMS default).
    - **info** (`logs-principal`): the key encrypts an `AWS::Logs::LogGroup` of the template but no
      `Allow` statement of its policy names the `logs.<region>.amazonaws.com` service principal.

    A policy or value that comes from a parameter without a value, an import or a dynamic reference is
    *not evaluated*. Statement conditions are not judged. Not yet checked: a key without
    `DeletionPolicy: Retain` that encrypts retained data (catalogue R12 relation).

    **Why it matters.** A key whose policy nobody may change cannot be fixed without AWS Support, and
    the data under it may become unreadable. Rotation limits how much data one key version protects.
    CloudWatch Logs refuses to create a log group with a key it may not use.

    **Example (fails).**

        AppKey:
          Type: AWS::KMS::Key
          Properties:
            PendingWindowInDays: 3
            KeyPolicy:
              Statement:
                - Effect: Allow
                  Principal: {AWS: !GetAtt AppRole.Arn}
                  Action: [kms:Encrypt, kms:Decrypt]
                  Resource: "*"

    **Fix.** Keep the account root as administrator, rotate, and wait at least 7 days before deletion:

        AppKey:
          Type: AWS::KMS::Key
          Properties:
            EnableKeyRotation: true
            PendingWindowInDays: 30
            KeyPolicy:
              Statement:
                - Effect: Allow
                  Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
                  Action: kms:*
                  Resource: "*"

    See https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html.
    """
    for key in graph.of_type(KEY):
        if key.has("KeyPolicy"):
            yield from _manageable(key, ctx)
        if key.has("PendingWindowInDays"):
            for (window,) in ctx.cases(key, key.get("PendingWindowInDays"), convert=as_number):
                low, high = PENDING_WINDOW
                if window.value is not None and not low <= window.value <= high:
                    yield ctx.finding(key, f"key {key.describe()} has {window.cite('PendingWindowInDays')}: KMS "
                                           f"accepts {low} to {high} days", severity="error", check="pending-window",
                                      at="PendingWindowInDays", cases=(window,))
        for spec, rotation in ctx.cases(key, key.get("KeySpec"), key.get("EnableKeyRotation"), convert=_flag_or_word):
            if spec.value == "SYMMETRIC_DEFAULT" and rotation.value is False:
                yield ctx.finding(key, f"symmetric key {key.describe()} has {rotation.cite('EnableKeyRotation')}: "
                                       "the same key material protects data for ever; set EnableKeyRotation: true",
                                  severity="info", check="rotation",
                                  at="EnableKeyRotation" if key.has("EnableKeyRotation") else None,
                                  cases=(spec, rotation))
        yield from _logs_principal(graph, key, ctx)


def _flag_or_word(case):
    flag = as_bool(case)
    return flag if flag is not None else as_text(case)


def _admin_statements(document) -> tuple[bool, str | None]:
    """(whether an Allow gives some IAM principal kms:PutKeyPolicy, the reason it cannot be told)."""
    for st in statements(document):
        if st.effect != "Allow":
            if st.effect is None:
                return False, st.unresolved[0] if st.unresolved else "a statement's Effect is not known"
            continue
        principals = st.principals or ()
        if not any(kind in ("AWS", "*", "?") for kind, _ in principals):
            continue
        if any(kind == "?" for kind, _ in principals):
            return False, st.unresolved[0] if st.unresolved else "a principal is not known"
        if st.not_actions is not None:
            return True, None
        for action in st.actions or ():
            text = display(action)
            if fnmatch.fnmatchcase("kms:putkeypolicy", text.lower()):
                return True, None
    return False, None


def _manageable(key, ctx):
    for (policy,) in ctx.cases(key, key.get("KeyPolicy", default=False)):
        if policy.value is None:
            continue
        managed, unknown = _admin_statements(policy.value)
        if managed:
            continue
        if unknown:
            ctx.not_evaluated(key, f"whether key {key.describe()} keeps an administrator is not known: {unknown}")
            continue
        yield ctx.finding(key, f"the KeyPolicy of key {key.describe()} gives no IAM principal (the account root "
                               "or an administrator role) kms:PutKeyPolicy: once created, nobody can change the "
                               "policy and the key may become unmanageable; allow the account root kms:*",
                          at="KeyPolicy", cases=(policy,))


def _logs_principal(graph, key, ctx):
    for group in graph.of_type(LOG_GROUP):
        if not any(graph.follow(case)[0] is key for case in group.get("KmsKeyId", default=False)):
            continue
        for (policy,) in ctx.cases(key, key.get("KeyPolicy", default=False)):
            if policy.value is not None and _grants_logs(policy.value):
                continue
            # Without KeyPolicy, KMS's default policy names only the account, never a service principal.
            having = "its KeyPolicy has" if policy.value is not None else "it has no KeyPolicy (the default names " \
                                                                          "only the account), so"
            yield ctx.finding(key, f"key {key.describe()} encrypts log group {group.describe()}, but {having} "
                                   "no Allow for the logs.<region>.amazonaws.com service principal: CloudWatch "
                                   "Logs cannot use the key and the log group is not created", severity="info",
                              check="logs-principal", at="KeyPolicy" if key.has("KeyPolicy") else None,
                              related=[group], cases=(policy,))


def _grants_logs(document) -> bool:
    for st in statements(document):
        if st.effect != "Allow":
            continue
        for kind, value in st.principals or ():
            text = display(value)
            if kind in ("*", "?") or (kind == "Service" and text.startswith("logs.") and
                                      text.endswith((".amazonaws.com", ".amazonaws.com.cn"))):
                return True
    return False
