"""COG002 cognito-security-posture."""
from linter.model import as_bool, as_text, role_documents, rule, statements, write_or_broad_actions

USER_POOL = "AWS::Cognito::UserPool"
IDENTITY_POOL = "AWS::Cognito::IdentityPool"
ATTACHMENT = "AWS::Cognito::IdentityPoolRoleAttachment"
ROLE = "AWS::IAM::Role"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"
AUD, AMR = f"{COGNITO_IDENTITY}:aud", f"{COGNITO_IDENTITY}:amr"
# What guest roles exist for: sending telemetry, the console's default sync grant (scoped to the caller's
# own identity), and receiving IoT messages. None of these changes shared state.
GUEST_ACTIONS = {"rum:putrumevents", "mobileanalytics:putevents", "mobiletargeting:putevents", "cognito-sync:*",
                 "iot:connect", "iot:subscribe", "iot:receive"}


@rule("COG002", "cognito-security-posture", severity="warning", tags=("security", "cognito"), catalogue="R70")
def cognito_security_posture(graph, ctx):
    """Cognito identity pools that hand out broad credentials, and user pools without MFA or threat protection.

    **What it checks.** Each scenario of parameters, mappings and conditions on its own:

    - **warning** (`unauthenticated-permissions`): an `AWS::Cognito::IdentityPool` with
      `AllowUnauthenticatedIdentities: true` whose unauthenticated role (from its
      `AWS::Cognito::IdentityPoolRoleAttachment`) allows actions that change state or use wildcards.
      What guest roles are for is not reported: telemetry (`rum:PutRumEvents`,
      `mobileanalytics:PutEvents`), the console's default `cognito-sync:*`, and receiving IoT messages.
    - **warning** (`role-trust`): a role attached to an identity pool whose trust policy lets
      `cognito-identity.amazonaws.com` assume it without a `cognito-identity.amazonaws.com:aud` condition
      (the pool id) or without a `cognito-identity.amazonaws.com:amr` condition.
    - **info** (`mfa-off`): an `AWS::Cognito::UserPool` with `MfaConfiguration` `OFF` (the default).
    - **info** (`threat-protection-off`): `UserPoolAddOns.AdvancedSecurityMode` `OFF` (the default):
      compromised credentials and risky sign-ins are not blocked.
    - **info** (`cognito-sync`): `CognitoStreams` or `PushSync` on an identity pool: Cognito Sync is
      deprecated; AWS AppSync replaces it.

    A role or policy that comes from a parameter without a value, an import or a managed policy this
    tool does not know is *not evaluated*.

    **Why it matters.** Anyone on the internet can get the unauthenticated role's credentials; they must
    only read what is public. A trust policy without the `aud` condition lets identities of any identity
    pool, in any account, assume the role. MFA and threat protection stop most account takeovers.

    **Example (fails).**

        GuestRole:
          Type: AWS::IAM::Role
          Properties:
            AssumeRolePolicyDocument:
              Statement:
                - Effect: Allow
                  Principal: {Federated: cognito-identity.amazonaws.com}
                  Action: sts:AssumeRoleWithWebIdentity
            Policies:
              - PolicyName: guest
                PolicyDocument:
                  Statement:
                    - {Effect: Allow, Action: "s3:*", Resource: "*"}

    **Fix.** Restrict the trust to the pool and to unauthenticated identities, and grant reads only:

                  Condition:
                    StringEquals: {"cognito-identity.amazonaws.com:aud": !Ref IdentityPool}
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": unauthenticated}

    See https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html.
    """
    for attachment in graph.of_type(ATTACHMENT):
        pool = _follow(graph, attachment, "IdentityPoolId", IDENTITY_POOL)
        for kind in ("authenticated", "unauthenticated"):
            path = f"Roles.{kind}"
            if not attachment.has(path):
                continue
            role = _follow(graph, attachment, path, ROLE)
            if role is None:
                ctx.not_evaluated(attachment, f"the {kind} role is not a role of this template")
                continue
            yield from _trust(role, kind, ctx)
            if kind == "unauthenticated" and pool is not None:
                yield from _unauthenticated(graph, pool, role, attachment, ctx)
    for pool in graph.of_type(IDENTITY_POOL):
        used = [key for key in ("CognitoStreams", "PushSync") if pool.has(key)]
        if used:
            yield ctx.finding(pool, f"identity pool {pool.describe()} sets {' and '.join(used)}: Cognito Sync is "
                                    "deprecated; use AWS AppSync to sync user data", severity="info",
                              check="cognito-sync", at=used[0])
    for pool in graph.of_type(USER_POOL):
        for (mfa,) in ctx.cases(pool, pool.get("MfaConfiguration"), convert=as_text):
            if (mfa.value or "").upper() == "OFF":
                yield ctx.finding(pool, f"user pool {pool.describe()} has {mfa.cite('MfaConfiguration')}: users sign "
                                        "in with a password alone; use OPTIONAL or ON", severity="info",
                                  check="mfa-off", at="MfaConfiguration" if pool.has("MfaConfiguration") else None,
                                  cases=(mfa,))
        mode_path = "UserPoolAddOns.AdvancedSecurityMode"
        for (mode,) in ctx.cases(pool, pool.get(mode_path), convert=as_text):
            if (mode.value or "").upper() == "OFF":
                yield ctx.finding(pool, f"user pool {pool.describe()} has {mode.cite('AdvancedSecurityMode')}: "
                                        "sign-ins with compromised credentials are not blocked; use ENFORCED "
                                        "(threat protection)", severity="info", check="threat-protection-off",
                                  at=mode_path if pool.has(mode_path) else None, cases=(mode,))


def _follow(graph, holder, path, rtype):
    for case in holder.get(path, default=False):
        target, _ = graph.follow(case, (rtype,))
        if target is not None and target.type == rtype:
            return target
    return None


def _unauthenticated(graph, pool, role, attachment, ctx):
    allow = pool.get("AllowUnauthenticatedIdentities")
    for (guests,) in ctx.cases(pool, allow, convert=as_bool):
        if guests.value is not True:
            continue
        documents, unknown = role_documents(graph, role)
        actions, unreadable = write_or_broad_actions(documents)
        actions = [action for action in actions if action.lower() not in GUEST_ACTIONS]
        if actions:
            shown = ", ".join(actions[:5]) + (" …" if len(actions) > 5 else "")
            yield ctx.finding(pool, f"identity pool {pool.describe()} gives anyone ({guests.cite('AllowUnauthenticatedIdentities')}) "
                                    f"the credentials of role {role.describe()}, which allows {shown}: unauthenticated "
                                    "users should only read public data", check="unauthenticated-permissions",
                              at="AllowUnauthenticatedIdentities", related=[role, attachment], cases=(guests,))
        elif unknown or unreadable:
            ctx.not_evaluated(pool, f"the permissions of unauthenticated role {role.describe()} are not all known: "
                                    f"{unknown or unreadable}")


def _trust(role, kind, ctx):
    for (document,) in ctx.cases(role, role.get("AssumeRolePolicyDocument", default=False)):
        if document.value is None:
            continue
        for index, st in enumerate(statements(document.value)):
            federated = [value for principal, value in (st.principals or ()) if principal == "Federated"]
            if st.effect != "Allow" or COGNITO_IDENTITY not in federated:
                continue
            keys = _condition_keys(document.value, index)
            missing = [key for key in (AUD, AMR) if key not in keys]
            if missing:
                yield ctx.finding(role, f"role {role.describe()} ({kind} role of an identity pool) trusts "
                                        f"{COGNITO_IDENTITY} without a condition on {' and '.join(missing)}: identities "
                                        "of other identity pools, in any account, can assume it; restrict aud to the "
                                        "pool id and amr to the identity type", check="role-trust",
                                  at=f"AssumeRolePolicyDocument.Statement.{index}" if role.has(
                                      f"AssumeRolePolicyDocument.Statement.{index}") else "AssumeRolePolicyDocument",
                                  cases=(document,))


def _condition_keys(document, index) -> set:
    """The condition keys a trust statement tests, in lower case (under operators like ForAnyValue:StringLike)."""
    raw = document.get("Statement") if type(document) is dict else None
    entries = raw if type(raw) is list else [raw]
    entry = entries[index] if index < len(entries) and type(entries[index]) is dict else {}
    condition = entry.get("Condition") if type(entry.get("Condition")) is dict else {}
    keys = set()
    for tests in condition.values():
        keys.update(str(key).lower() for key in (tests if type(tests) is dict else {}))
    return keys
