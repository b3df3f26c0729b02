"""SEC001 secrets-not-in-plaintext."""
import re

from linter.model import Case, as_bool, as_name, as_text, display, leaf_paths, rule, section_location

ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# A name that ends with a secret noun holds a secret: MasterUserPassword, OAuthToken, NOTIFY_API_KEY.
SECRET_NAME = re.compile(r"(pass(word|wd|phrase)|secret|secret_?string|token|api_?key|secret_?(access_?)?key|"
                         r"private_?key|credentials?)$", re.IGNORECASE)
# Settings named like secrets that are not: the custom-resource ServiceToken, IMDS HttpTokens, model limits.
NOT_A_SECRET = re.compile(r"^(service_?token|http_?tokens?|max_?tokens|id_?token|access_?token|refresh_?token)$",
                          re.IGNORECASE)
# Subtrees that hold documents, policies or labels rather than settings.
SKIPPED_TREES = ("Tags", "DefinitionBody", "Definition", "DefinitionString", "PolicyDocument", "ResourcePolicy",
                 "AssumeRolePolicyDocument", "Policies", "Content", "KeyPolicy", "PolicyText", "Body")
USER_DATA = ("AWS::EC2::Instance", "AWS::AutoScaling::LaunchConfiguration", "AWS::EC2::LaunchTemplate")
AWS_CONFIGURE = re.compile(r"aws\s+configure\s+set\s+aws_(secret_access_key|access_key_id|session_token)"
                           r"|aws_secret_access_key\s*=", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^(changeme|change_me|replace.*|todo|xxx+|\*+|<.*>|\$\{.*\}|none|null|dummy|example.*)$",
                         re.IGNORECASE)


@rule("SEC001", "secrets-not-in-plaintext", severity="error", tags=("security", "secrets"), catalogue="R54")
def secrets_not_in_plaintext(graph, ctx):
    """Credentials and secrets must not be written into the template or exposed by it.

    **What it checks.**

    - **error** (`access-key`): a literal AWS access key id (`AKIA…`/`ASIA…` and 16 more characters)
      anywhere in a resource's properties, or a 40-character secret-access-key-shaped string under a
      secret-like name.
    - **error** (`secret-output`): an `Outputs` value that exposes `!GetAtt <AccessKey>.SecretAccessKey`
      of an `AWS::IAM::AccessKey`.
    - **error** (`securestring`): an `AWS::SSM::Parameter` with `Type: SecureString`: CloudFormation
      cannot create SecureString parameters (the value *is* encrypted — but only when created outside
      CloudFormation).
    - **warning** (`literal-secret`): a literal value written under a password-, secret-, token- or
      API-key-like name: a property (`MasterUserPassword`), a Lambda `Environment.Variables` entry, an
      ECS or CodeBuild `{Name, Value}` environment entry. Names that refer to a secret rather than hold
      it (`…Arn`, `…Id`, `…Name`, `…Policy` …) are skipped, as are placeholders (`changeme`, `<…>`).
    - **warning** (`parameter-noecho`): a password-, secret- or token-like parameter without
      `NoEcho: true`: its value shows in the console, the API and the events.
    - **warning** (`user-data-credentials`): EC2 user data that writes AWS credentials
      (`aws configure set aws_secret_access_key …`).

    A value given at deploy time (a parameter without a default, a `{{resolve:…}}` dynamic reference,
    an import) is not in the template, which is what these checks want. What the rule cannot see:
    secrets inside application code or files the template points to.

    **Why it matters.** Templates live in repositories, S3 buckets and the CloudFormation console; a
    secret written there is readable by everyone who can read any of them and stays in their history.
    Long-lived access keys in user data or outputs give anyone who reads them the permissions of the
    user.

    **Example (fails).**

        Database:
          Type: AWS::RDS::DBInstance
          Properties:
            MasterUsername: admin
            MasterUserPassword: Sup3rS3cret!

    **Fix.** Let RDS manage the password, or resolve it from Secrets Manager at deploy time:

            ManageMasterUserPassword: true
            # or
            MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'

    Prefer ECS `Secrets`, CodeBuild `PARAMETER_STORE`/`SECRETS_MANAGER` variables and IAM roles over
    access keys. See https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html.
    """
    may_resolve_to_key = _spells_key_prefix(graph)
    for resource in graph.resources.values():
        if resource.implicit:
            continue
        yield from _properties(resource, ctx, may_resolve_to_key)
        if resource.type == "AWS::SSM::Parameter":
            for (ptype,) in ctx.cases(resource, resource.get("Type", default=False), convert=as_text):
                if ptype.value == "SecureString":
                    yield ctx.finding(resource, f"SSM parameter {resource.describe()} has {ptype.cite('Type')}: "
                                                "CloudFormation cannot create SecureString parameters and the "
                                                "deployment fails; create it outside the stack or use Secrets "
                                                "Manager", check="securestring", at="Type", cases=(ptype,))
        if resource.type in USER_DATA:
            yield from _user_data(resource, ctx)
    yield from _outputs(graph, ctx)
    yield from _parameters(graph, ctx)


def _mask(text: str) -> str:
    return f"{text[:4]}… ({len(text)} characters)"


def _properties(resource, ctx, may_resolve_to_key: bool):
    for path, name, literal in leaf_paths(resource):
        written = literal
        if path.split(".", 1)[0] in SKIPPED_TREES:
            literal = False   # access keys are still looked for; names here are not settings
        if not literal or not _secret_name(name) or "Validity" in path:
            # Only an access key can be reported for this leaf: skip resolving it when it cannot hold one
            # (resolving every leaf of every resource was most of this rule's time).
            if written:
                scalar = _written_scalar(resource.props, path)
                if scalar is not None and not ACCESS_KEY_ID.search(str(scalar)):
                    continue
            elif not may_resolve_to_key:
                continue
        for case in _values(resource, path, ctx):
            text = as_name(case)
            if not text:
                continue
            key = ACCESS_KEY_ID.search(text)
            if key:
                yield ctx.finding(resource, f"{resource.describe()} has a literal AWS access key id "
                                            f"{_mask(key.group(0))} in {path}: anyone who reads the template "
                                            "can use it; use an IAM role, or Secrets Manager",
                                  check="access-key", at=path, cases=(case,))
                break
            if not literal or not _secret_name(name) or "Validity" in path:
                continue
            if SECRET_ACCESS_KEY.fullmatch(text.strip()) and re.search("secret", name, re.IGNORECASE):
                yield ctx.finding(resource, f"{resource.describe()} has a secret-access-key-shaped literal "
                                            f"{_mask(text.strip())} in {path} ({name}): use an IAM role or "
                                            "Secrets Manager", check="access-key", at=path, cases=(case,))
            elif not PLACEHOLDER.match(text.strip()) and as_bool(case) is None:
                yield ctx.finding(resource, f"{resource.describe()} writes a literal value {_mask(text)} under "
                                            f"{path if path.endswith(name) else f'{name} ({path})'}: the secret is readable by everyone who can read the "
                                            "template; use {{resolve:secretsmanager:…}}, an SSM parameter or a "
                                            "managed password", severity="warning", check="literal-secret",
                                  at=path, cases=(case,))
            break


def _written_scalar(props, path: str):
    """The scalar written at a leaf path of the properties, or None when the path does not lead to one."""
    node = props
    for key in path.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node if isinstance(node, (str, int, float)) and not isinstance(node, bool) else None


def _spells_key_prefix(graph) -> bool:
    """Whether any string of the template, or any parameter value given, contains AKIA or ASIA: only then
    can a reference (Ref, Sub, FindInMap …) resolve to text holding an access key id."""
    given = getattr(graph.resolver, "parameters_given", None) or {}
    stack = [graph.template, list(given.values())]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and ("AKIA" in node or "ASIA" in node):
            return True
    return False


def _secret_name(name: str) -> bool:
    return bool(name) and bool(SECRET_NAME.search(name)) and not NOT_A_SECRET.search(name)


def _values(resource, path, ctx):
    """The cases of a property (the resolver turns malformed intrinsics into unknown cases itself)."""
    return list(resource.get(path, default=False))


def _user_data(resource, ctx):
    for path in ("UserData", "LaunchTemplateData.UserData"):
        if not resource.has(path):
            continue
        for (case,) in ctx.cases(resource, resource.get(path, default=False), convert=as_name):
            text = case.value
            if text and AWS_CONFIGURE.search(text):
                yield ctx.finding(resource, f"the user data of {resource.describe()} writes AWS credentials "
                                            f"({AWS_CONFIGURE.search(text).group(0).strip()} …): give the instance "
                                            "an IAM role (instance profile) instead", severity="warning",
                                  check="user-data-credentials", at=path, cases=(case,))
                break


def _outputs(graph, ctx):
    outputs = graph.template.get("Outputs") if isinstance(graph.template, dict) else None
    if not isinstance(outputs, dict):
        return
    keys = {r.logical_id for r in graph.of_type("AWS::IAM::AccessKey")}
    for name, output in outputs.items():
        value = output.get("Value") if isinstance(output, dict) else None
        hit = next((k for k in sorted(keys) if _reads_secret(value, k, 0)), None)
        if hit:
            yield ctx.finding(section_location(graph, "Outputs", name),
                              f"output {name} exposes the SecretAccessKey of access key {hit}: it shows in the "
                              "console, the API and every stack that imports it; store it in Secrets Manager "
                              "instead", check="secret-output", related=[graph.resources[hit]])


def _reads_secret(node, key_id: str, depth: int) -> bool:
    """Whether a written output value reads ``<key_id>.SecretAccessKey`` (GetAtt in either form, or Sub)."""
    if depth > 20:
        return False
    if isinstance(node, dict):
        getatt = node.get("Fn::GetAtt")
        if getatt in ([key_id, "SecretAccessKey"], f"{key_id}.SecretAccessKey"):
            return True
        return any(_reads_secret(v, key_id, depth + 1) for v in node.values())
    if isinstance(node, list):
        return any(_reads_secret(v, key_id, depth + 1) for v in node)
    return isinstance(node, str) and "${" + key_id + ".SecretAccessKey}" in node


def _parameters(graph, ctx):
    parameters = graph.template.get("Parameters") if isinstance(graph.template, dict) else None
    if not isinstance(parameters, dict):
        return
    for name, definition in parameters.items():
        if not isinstance(definition, dict) or not _secret_name(str(name)):
            continue
        if str(definition.get("Type", "String")) != "String" or "AllowedValues" in definition:
            continue   # numbers, lists, SSM-typed and choice parameters are settings or references, not secrets
        if as_bool(Case(definition.get("NoEcho"))) is True:
            continue
        yield ctx.finding(section_location(graph, "Parameters", name), f"parameter {name} looks like it holds a secret but has no NoEcho: true: its "
                                    "value shows in the console, the API and stack events", severity="warning",
                          check="parameter-noecho")
