"""IAM policy documents, the permissions of roles, and resource policies, answered three-valued.

A policy document here is the resolved value of a ``PolicyDocument`` (plain dicts, lists and strings;
strings may hold resource tokens such as ``⟦Queue.Arn⟧``; ``ResourceRef`` and ``Unknown`` objects may
sit inside), or a :class:`~linter.values.Value` of such documents (one per scenario).

:func:`allows` evaluates one document like IAM does for one request: an explicit ``Deny`` wins, else an
``Allow`` must match the action (case-insensitive wildcards, ``sqs:Send*``), the principal (``*``,
``{"AWS": …}``, ``{"Service": "sns.amazonaws.com"}``) and the resource (``*``/``?`` wildcards; an ARN
built with ``Ref``/``GetAtt``/``Sub`` names its resource). A statement with a ``Condition`` and an
element that did not resolve make the answer **unknown**, never no: the template does not settle it.

Role side: :func:`function_role`, :func:`role_documents` (inline ``Policies``, ``AWS::IAM::Policy`` and
``ManagedPolicy`` attached through ``Roles`` or ``ManagedPolicyArns``, ``AWS::IAM::RolePolicy``, SAM ``Policies`` with policy
templates, and the AWS managed policies this module knows), :func:`role_allows`, :func:`services_used`.

Resource side: :func:`resource_policies` (queue, topic, bucket and key policies),
:func:`lambda_permissions` and :func:`permission_allows`.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

from .cfn import ARN_SERVICE_TYPES, NAME_PROPERTY
from .graph import Graph, Resource, own_graph
from .tri import Verdict, across_cases, any_of, all_of
from .values import (TOKEN, Case, ResourceRef, Unknown, Value, combinations, display, is_symbolic,
                     merge_assumptions, token)

ROLE = "AWS::IAM::Role"


# ---------------------------------------------------------------- statements


@dataclass
class Statement:
    """One statement of a policy document, its elements normalised to lists.

    ``principals``/``not_principals`` are lists of ``(kind, value)`` pairs: kind ``"*"`` (anyone),
    ``"AWS"``, ``"Service"``, ``"Federated"`` or ``"CanonicalUser"``. An absent element is None. Entries
    that did not resolve stay in the lists as :class:`~linter.values.Unknown` and are named in
    ``unresolved``.
    """

    index: int
    sid: str = ""
    effect: str | None = None                 # "Allow", "Deny", or None when it did not resolve
    actions: list | None = None
    not_actions: list | None = None
    principals: list | None = None
    not_principals: list | None = None
    resources: list | None = None
    not_resources: list | None = None
    has_condition: bool = False
    condition: dict | None = None             # the Condition block as written (resolved), when it is a mapping
    unresolved: list = field(default_factory=list)  # reasons, one per element that did not resolve

    @property
    def label(self) -> str:
        return f"statement {self.sid or self.index + 1}"

    def written(self, element: str) -> list[str]:
        """The entries of an element (``"actions"``, ``"resources"``, …) written as text in the template
        (references inside kept as tokens); entries that did not resolve are left out."""
        return [e for e in (getattr(self, element) or ()) if isinstance(e, str)]

    def services(self) -> list[str]:
        """The service principals (``lambda.amazonaws.com``) the statement names."""
        return [v for kind, v in (self.principals or ()) if kind == "Service" and isinstance(v, str)]


def _document(document):
    """The document as a dict, or an Unknown saying why it is not one."""
    if isinstance(document, Unknown):
        return document
    if isinstance(document, str) and not is_symbolic(document):
        try:
            document = json.loads(document)
        except ValueError:
            return Unknown("the policy document is not valid JSON")
    if not isinstance(document, dict):
        return Unknown("the policy document is not a JSON object")
    return document


def statements(document) -> list[Statement]:
    """The statements of a resolved policy document (``Statement`` as a dict or a list).

    A document that did not resolve gives one statement whose every element is unresolved.
    """
    document = _document(document)
    if isinstance(document, Unknown):
        return [Statement(0, unresolved=[document.reason])]
    raw = document.get("Statement")
    if raw is None:
        return []
    if isinstance(raw, Unknown):
        return [Statement(0, unresolved=[raw.reason])]
    raw = raw if isinstance(raw, list) else [raw]
    return [_statement(i, entry) for i, entry in enumerate(raw)]


def _statement(index, entry) -> Statement:
    if not isinstance(entry, dict):
        reason = entry.reason if isinstance(entry, Unknown) else f"statement {index + 1} is not an object"
        return Statement(index, unresolved=[reason])
    st = Statement(index, sid=entry.get("Sid") if isinstance(entry.get("Sid"), str) else "")
    effect = entry.get("Effect")
    if effect in ("Allow", "Deny"):
        st.effect = effect
    else:
        st.unresolved.append(f"the Effect of {st.label} is {display(effect) if effect is not None else 'missing'}")
    for key, attr in (("Action", "actions"), ("NotAction", "not_actions"), ("Resource", "resources"),
                      ("NotResource", "not_resources")):
        if key in entry:
            setattr(st, attr, _plain_list(entry[key], f"{key} of {st.label}", st.unresolved))
    for key, attr in (("Principal", "principals"), ("NotPrincipal", "not_principals")):
        if key in entry:
            setattr(st, attr, _principal_list(entry[key], f"{key} of {st.label}", st.unresolved))
    st.has_condition = entry.get("Condition") not in (None, {})
    st.condition = entry.get("Condition") if isinstance(entry.get("Condition"), dict) else None
    return st


def _plain_list(value, where, unresolved) -> list:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, (str, ResourceRef)):
            out.append(item)
        else:
            reason = item.reason if isinstance(item, Unknown) else f"{display(item)} is not a string"
            unresolved.append(f"an entry of the {where} is not known: {reason}")
            out.append(Unknown(reason))
    return out


def _principal_list(value, where, unresolved) -> list:
    if value == "*":
        return [("*", "*")]
    if isinstance(value, dict):
        out = []
        for kind, entries in value.items():
            for item in _plain_list(entries, where, unresolved):
                out.append(("*", "*") if kind == "AWS" and item == "*" else (str(kind), item))
        return out
    reason = value.reason if isinstance(value, Unknown) else f"{display(value)} is not a principal"
    unresolved.append(f"the {where} is not known: {reason}")
    return [("?", Unknown(reason))]


# ---------------------------------------------------------------- matching


def _glob(pattern: str, text: str, ignore_case: bool = False) -> bool:
    return _glob_regex(pattern, ignore_case).fullmatch(text) is not None


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, ignore_case: bool):
    """The compiled regex of an IAM wildcard pattern (cached: the same actions are matched again and again)."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _resource_ids(text: str) -> list[str]:
    """Logical ids named by the tokens of a string (pseudo parameters left out)."""
    return [m.group(1).split(".", 1)[0] for m in TOKEN.finditer(text) if not m.group(1).startswith("AWS::")]


def _without_pseudo(text: str) -> str:
    """Pseudo parameters (region, account, partition) stand for anything."""
    return TOKEN.sub(lambda m: "*" if m.group(1).startswith("AWS::") else m.group(0), text)


def _match_action(pattern, action: str) -> Verdict:
    if isinstance(pattern, Unknown):
        return Verdict.unknown(f"an action is not known: {pattern.reason}")
    if not isinstance(pattern, str) or is_symbolic(pattern):
        return Verdict.unknown(f"action {display(pattern)} is known only at deploy time")
    if _glob(pattern, action, ignore_case=True):
        return Verdict.true(f"{pattern} matches {action}")
    return Verdict.false(f"{pattern} does not match {action}")


def _is_service_principal(text) -> bool:
    return isinstance(text, str) and not text.startswith("arn:") and (
        text.endswith(".amazonaws.com") or text.endswith(".amazon.com") or text.endswith(".amazonaws.com.cn"))


def _identity(value):
    """(logical id, literal text) of a principal or resource given as a Resource, ref, token or string."""
    if isinstance(value, Resource):
        return value.logical_id, None
    if isinstance(value, ResourceRef):
        return value.logical_id, None
    if isinstance(value, str):
        ids = _resource_ids(value)
        if ids:
            return ids[-1], None
        return None, value
    return None, None


def _match_principal(entry, principal) -> Verdict:
    kind, value = entry
    if kind == "*":
        return Verdict.true("the policy names every principal (*)")
    if isinstance(value, Unknown):
        return Verdict.unknown(f"a principal is not known: {value.reason}")
    if _is_service_principal(principal):
        if kind != "Service":
            return Verdict.false(f"{kind} principal {display(value)} is not {principal}")
        if not isinstance(value, str) or is_symbolic(value):
            return Verdict.unknown(f"service principal {display(value)} is known only at deploy time")
        same = value.lower() == principal.lower()
        return (Verdict.true if same else Verdict.false)(f"service principal {value}"
                                                         f"{' is' if same else ' is not'} {principal}")
    if kind != "AWS":
        return Verdict.false(f"{kind} principal {display(value)} is not {display(principal)}")
    want_id, want_text = _identity(principal)
    have_id, have_text = _identity(value)
    if want_id and have_id:
        same = want_id == have_id
        return (Verdict.true if same else Verdict.false)(f"principal {display(value)}"
                                                         f"{' is' if same else ' is not'} {want_id}")
    if want_text and have_text and not is_symbolic(have_text):
        if have_text == want_text:
            return Verdict.true(f"principal {have_text} is named")
        account = re.fullmatch(r"(?:arn:[^:]+:iam::)?(\d{12})(?::root)?", have_text)
        if account and f":{account.group(1)}:" in want_text:
            return Verdict.unknown(f"the policy names account {account.group(1)}, whose IAM policies decide")
        return Verdict.false(f"principal {have_text} is not {want_text}")
    return Verdict.unknown(f"whether principal {display(value)} is {display(principal)} is known only at deploy time")


def _arn_service(resource: Resource) -> str | None:
    return next((s for s, types in ARN_SERVICE_TYPES.items() if resource.type in types), None)


def _match_resource(pattern, target) -> Verdict:
    """Does a Resource element (pattern) cover the target (a graph Resource, a ref, a token or an ARN)?"""
    if isinstance(pattern, Unknown):
        return Verdict.unknown(f"a resource is not known: {pattern.reason}")
    if pattern == "*":
        return Verdict.true("the policy names every resource (*)")
    shown = display(pattern)
    target_id, target_text = _identity(target)
    pattern_ids = [pattern.logical_id] if isinstance(pattern, ResourceRef) else _resource_ids(pattern)
    if pattern_ids:
        if target_id is not None:
            same = target_id in pattern_ids
            return (Verdict.true if same else Verdict.false)(f"{shown}{' names' if same else ' does not name'} "
                                                             f"{target_id}")
        return Verdict.unknown(f"whether {shown} is {display(target)} is known only at deploy time")
    literal = _without_pseudo(pattern)
    if target_text is not None:
        if is_symbolic(target_text):
            return Verdict.unknown(f"whether {shown} covers {display(target_text)} is known only at deploy time")
        target_literal = _without_pseudo(target_text)
        if "*" in target_literal:
            return Verdict.unknown(f"whether {shown} covers {display(target_text)} is known only at deploy time")
        covered = _glob(literal, target_literal)
        return (Verdict.true if covered else Verdict.false)(f"{shown}{' covers' if covered else ' does not cover'} "
                                                            f"{target_text}")
    if isinstance(target, Resource):
        return _pattern_vs_resource(literal, shown, target)
    return Verdict.unknown(f"whether {shown} covers {display(target)} is known only at deploy time")


def _pattern_vs_resource(literal: str, shown: str, resource: Resource) -> Verdict:
    """A literal ARN pattern (pseudo parameters as ``*``) against a resource of the template, by name."""
    parts = literal.split(":", 5)
    service = _arn_service(resource)
    if len(parts) < 6 or service is None:
        return Verdict.unknown(f"whether {shown} covers {resource.logical_id} is not known to this tool")
    if "*" not in parts[2] and "?" not in parts[2] and parts[2].lower() != service:
        return Verdict.false(f"{shown} is an ARN of service {parts[2]}, not of {resource.logical_id}")
    rest = parts[5]
    if rest == "*":
        return Verdict.true(f"{shown} covers every {service} resource")
    prop = NAME_PROPERTY.get(resource.type)
    name = resource.get(prop, default=False).single if prop else None
    if not isinstance(name, str) or is_symbolic(name):
        return Verdict.unknown(f"the name of {resource.logical_id} is known only at deploy time, so whether "
                               f"{shown} covers it is not known")
    forms = [name] + [f"{prefix}{name}" for prefix in ("function:", "table/", "stream/", "event-bus/", "key/")]
    covered = any(_glob(rest, f) or _glob(rest, f + "/x") or _glob(rest, f + ":x") for f in forms)
    return (Verdict.true if covered else Verdict.false)(f"{shown}{' covers' if covered else ' does not cover'} "
                                                        f"{resource.logical_id} ({name})")


# ---------------------------------------------------------------- evaluation


def _dimension(entries, negated, match, what, label) -> Verdict:
    if entries is not None:
        return any_of((match(e) for e in entries), f"{label} names no matching {what}")
    if negated is not None:
        hit = any_of(match(e) for e in negated)
        return hit.negate(f"{label} excludes it with Not{what.capitalize()}" if hit.yes else
                          f"{label} applies to every {what} but those it excludes")
    return Verdict.false(f"{label} names no {what}")


def _statement_applies(st: Statement, principal, action, resource) -> Verdict:
    if st.effect is None and not (st.actions or st.not_actions):
        return Verdict.unknown(st.unresolved[0] if st.unresolved else f"{st.label} is not known")
    checks = []
    if action is not None:
        checks.append(_dimension(st.actions, st.not_actions, lambda p: _match_action(p, action), "action", st.label))
    if principal is not None:
        checks.append(_dimension(st.principals, st.not_principals, lambda p: _match_principal(p, principal),
                                 "principal", st.label))
    if resource is not None:
        if st.resources is None and st.not_resources is None:
            checks.append(Verdict.unknown(f"{st.label} names no Resource"))
        else:
            checks.append(_dimension(st.resources, st.not_resources, lambda p: _match_resource(p, resource),
                                     "resource", st.label))
    applies = all_of(checks)
    if applies.no:
        return applies
    if st.effect is None:
        return Verdict.unknown(st.unresolved[0])
    if st.has_condition:
        return Verdict.unknown(f"{st.label} applies only under its Condition, which is judged at request time")
    if applies.unknown:
        return applies
    verb = "allows" if st.effect == "Allow" else "denies"
    return Verdict.true(f"{st.label} {verb} it" + (f" ({applies.reason})" if applies.reason else ""))


def _request_text(principal, action, resource) -> str:
    parts = [action or "the request"]
    if principal is not None:
        parts.append(f"by {display(principal.logical_id if isinstance(principal, Resource) else principal)}")
    if resource is not None:
        parts.append(f"on {resource.logical_id if isinstance(resource, Resource) else display(resource)}")
    return " ".join(parts)


def _evaluate(document, principal, action, resource) -> tuple[Verdict, Verdict]:
    """(allow, deny) verdicts of one plain document for one request."""
    request = _request_text(principal, action, resource)
    if document is None:
        return Verdict.false(f"no policy allows {request}"), Verdict.false("")
    allow, deny = [], []
    for st in statements(document):
        applies = _statement_applies(st, principal, action, resource)
        if st.effect in ("Allow", None):
            allow.append(applies)
        if st.effect in ("Deny", None):
            deny.append(applies)
    return any_of(allow, f"no statement allows {request}"), any_of(deny, "no statement denies it")


def _decide(allow: Verdict, deny: Verdict) -> Verdict:
    if deny.yes:
        return Verdict.false(f"explicitly denied: {deny.reason}")
    if allow.no:
        return allow
    if deny.unknown:
        return Verdict.unknown(f"a Deny may apply: {deny.reason}")
    return allow


def _per_document(document, principal, action, resource) -> tuple[Verdict, Verdict]:
    if isinstance(document, Value):
        pairs = [(c, _evaluate(c.value, principal, action, resource)) for c in document]
        return across_cases((c, a) for c, (a, _) in pairs), across_cases((c, d) for c, (_, d) in pairs)
    return _evaluate(document, principal, action, resource)


_ASSUME_ROLE = re.compile(r"^(\*|sts:\*|sts:assumerole)$", re.IGNORECASE)


def trusts_service(document, service: str) -> Verdict:
    """Does a role's trust policy let ``service`` (``"lambda.amazonaws.com"``) assume the role?

    Yes when an ``Allow`` statement names the service principal for ``sts:AssumeRole``. A ``Condition``
    does not change the answer: trust conditions (``aws:SourceAccount``, ``aws:SourceArn``) narrow which
    requests of the service are accepted, not which service. Unknown when a principal or an action of an
    Allow statement did not resolve (a ``${AWS::URLSuffix}`` principal, a parameter), or when the document
    itself is unknown. ``document`` is a plain resolved document (one case's value).
    """
    doubts = []
    for st in statements(document):
        if st.effect == "Deny":
            continue
        if st.effect is None or st.unresolved:
            doubts.append("; ".join(st.unresolved) or f"the Effect of {st.label} is not known")
            continue
        if not any(_ASSUME_ROLE.match(a) for a in st.written("actions")):
            continue
        for named in st.services():
            # ``lambda.${AWS::URLSuffix}`` is lambda.amazonaws.com (amazonaws.com.cn in China: same service).
            text = TOKEN.sub(lambda m: "amazonaws.com" if m.group(1) == "AWS::URLSuffix" else "\0", named)
            prefix = re.escape(service.split(".", 1)[0])
            # The regional form (``states.${AWS::Region}.amazonaws.com``) names the same service.
            if text in (service, service + ".cn") or re.fullmatch(prefix + r"\.(\0|[a-z0-9-]+)\.amazonaws\.com(\.cn)?", text):
                return Verdict.true(f"{st.label} lets {service} assume the role")
            if "\0" in text and text.split(".", 1)[0] in ("\0", service.split(".", 1)[0]):
                doubts.append(f"service principal {display(named)} is known only at deploy time")
    if doubts:
        return Verdict.unknown(doubts[0])
    return Verdict.false(f"no statement of the trust policy names {service}")


def allows(document, *, principal=None, action: str | None = None, resource=None) -> Verdict:
    """Does this policy document allow the request? Yes, no, or unknown with the reason.

    ``principal``: a service principal (``"sns.amazonaws.com"``), an ARN, a role Resource or ``None``
    (an identity policy: not checked). ``action``: ``"sqs:SendMessage"``. ``resource``: a Resource of
    the graph, a token or ARN string, or ``None`` (not checked). ``document`` may be a Value: when the
    scenarios disagree the answer is unknown and names them.

    Example: ``allows(queue_policy_doc, principal="sns.amazonaws.com", action="sqs:SendMessage",
    resource=queue)``.
    """
    if isinstance(document, Value):
        return across_cases((c, allows(c.value, principal=principal, action=action, resource=resource))
                            for c in document)
    allow, deny = _evaluate(document, principal, action, resource)
    return _decide(allow, deny)


# ---------------------------------------------------------------- AWS managed policies and SAM templates

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
_ENI = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")

# Name → actions granted on every resource ("*"), for the managed policies templates use most.
# ``True`` in SERVICE_SIDE: the Lambda service uses the policy (polling, ENIs, logs), not the code.
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AWSLambdaBasicExecutionRole": _LOGS,
    "AWSLambdaVPCAccessExecutionRole": _LOGS + _ENI,
    "AWSLambdaSQSQueueExecutionRole": _LOGS + ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "AWSLambdaKinesisExecutionRole": _LOGS + ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                                              "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards",
                                              "kinesis:ListStreams", "kinesis:SubscribeToShard"),
    "AWSLambdaDynamoDBExecutionRole": _LOGS + ("dynamodb:DescribeStream", "dynamodb:GetRecords",
                                               "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
    "AWSLambdaMSKExecutionRole": _LOGS + _ENI + ("kafka:DescribeCluster", "kafka:DescribeClusterV2",
                                                 "kafka:GetBootstrapBrokers", "ec2:DescribeVpcs",
                                                 "ec2:DescribeSecurityGroups"),
    "AWSLambdaMQExecutionRole": _LOGS + _ENI + ("mq:DescribeBroker", "secretsmanager:GetSecretValue",
                                                "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"),
    "AWSXrayWriteOnlyAccess": ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                               "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"),
    "AWSXRayDaemonWriteAccess": ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                 "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"),
    "AWSLambdaRole": ("lambda:InvokeFunction",),
    "AdministratorAccess": ("*",),
    "AmazonSQSFullAccess": ("sqs:*",),
    "AmazonSQSReadOnlyAccess": ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListDeadLetterSourceQueues",
                                "sqs:ListQueues", "sqs:ListMessageMoveTasks", "sqs:ListQueueTags"),
    "AmazonSNSFullAccess": ("sns:*",),
    "AmazonSNSReadOnlyAccess": ("sns:GetTopicAttributes", "sns:List*", "sns:CheckIfPhoneNumberIsOptedOut",
                                "sns:GetEndpointAttributes", "sns:GetPlatformApplicationAttributes",
                                "sns:GetSMSAttributes", "sns:GetSubscriptionAttributes"),
    "AmazonS3FullAccess": ("s3:*", "s3-object-lambda:*"),
    "AmazonS3ReadOnlyAccess": ("s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*",
                               "s3-object-lambda:List*"),
    "AmazonDynamoDBFullAccess": ("dynamodb:*",),
    "AmazonDynamoDBReadOnlyAccess": ("dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*",
                                     "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect"),
    "AmazonKinesisFullAccess": ("kinesis:*",),
    "AmazonKinesisReadOnlyAccess": ("kinesis:Get*", "kinesis:List*", "kinesis:Describe*"),
    "AmazonKinesisFirehoseFullAccess": ("firehose:*",),
    "AWSStepFunctionsFullAccess": ("states:*",),
    "AmazonEventBridgeFullAccess": ("events:*",),
    "CloudWatchLogsFullAccess": ("logs:*",),
    "CloudWatchFullAccess": ("cloudwatch:*", "logs:*", "sns:*", "autoscaling:Describe*", "iam:GetPolicy",
                             "iam:GetPolicyVersion", "iam:GetRole"),
    "SecretsManagerReadWrite": ("secretsmanager:*",),
    "AmazonSSMReadOnlyAccess": ("ssm:Describe*", "ssm:Get*", "ssm:List*"),
    "AmazonSESFullAccess": ("ses:*",),
    # ECS task execution (rules ECS003): pull from private ECR and write awslogs.
    "AmazonECSTaskExecutionRolePolicy": ("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                         "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream",
                                         "logs:PutLogEvents"),
    "AmazonEC2ContainerRegistryReadOnly": ("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                           "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
                                           "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages",
                                           "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
                                           "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource",
                                           "ecr:DescribeImageScanFindings"),
    "AWSLambda_FullAccess": ("lambda:*", "logs:*", "cloudwatch:*", "states:*", "sqs:*", "sns:*", "s3:*",
                             "kinesis:*", "dynamodb:*", "events:*", "iam:PassRole", "ec2:Describe*"),
}
# The ECS container instance role (rule ECS006): the ECS agent registers the instance and polls for tasks.
MANAGED_POLICIES["AmazonEC2ContainerServiceforEC2Role"] = (
    "ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint",
    "ecs:Poll", "ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState",
    "ecs:Submit*", "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents", "ecs:TagResource")
SERVICE_SIDE = {"AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaSQSQueueExecutionRole",
                "AWSLambdaKinesisExecutionRole", "AWSLambdaDynamoDBExecutionRole", "AWSLambdaMSKExecutionRole",
                "AWSLambdaMQExecutionRole"}
# When a managed policy is not in the table, its name still says which service the code may call.
MANAGED_POLICY_SERVICES = {"S3": "s3", "DynamoDB": "dynamodb", "SQS": "sqs", "SNS": "sns", "Kinesis": "kinesis",
                           "SecretsManager": "secretsmanager", "SSM": "ssm", "KMS": "kms", "SES": "ses",
                           "XRay": "xray", "Xray": "xray", "EventBridge": "events", "StepFunctions": "states"}

_ARN = "arn:" + token("AWS::Partition") + ":{service}:" + token("AWS::Region") + ":" + token("AWS::AccountId") + ":"
_S3 = "arn:" + token("AWS::Partition") + ":s3:::"

# SAM policy template → statements (actions, resource templates with {Parameter} placeholders).
SAM_POLICY_TEMPLATES: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "SQSPollerPolicy": [(("sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
                          "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"),
                         (_ARN.format(service="sqs") + "{QueueName}",))],
    "SQSSendMessagePolicy": [(("sqs:SendMessage*",), (_ARN.format(service="sqs") + "{QueueName}",))],
    "SNSPublishMessagePolicy": [(("sns:Publish",), (_ARN.format(service="sns") + "{TopicName}",))],
    "KinesisStreamReadPolicy": [(("kinesis:ListStreams", "kinesis:DescribeLimits"),
                                 (_ARN.format(service="kinesis") + "stream/*",)),
                                (("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                                  "kinesis:GetShardIterator"),
                                 (_ARN.format(service="kinesis") + "stream/{StreamName}",))],
    "KinesisCrudPolicy": [(("kinesis:AddTagsToStream", "kinesis:CreateStream", "kinesis:DecreaseStreamRetentionPeriod",
                            "kinesis:DeleteStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                            "kinesis:GetShardIterator", "kinesis:IncreaseStreamRetentionPeriod",
                            "kinesis:ListTagsForStream", "kinesis:MergeShards", "kinesis:PutRecord",
                            "kinesis:PutRecords", "kinesis:SplitShard", "kinesis:RemoveTagsFromStream"),
                           (_ARN.format(service="kinesis") + "stream/{StreamName}",))],
    "DynamoDBStreamReadPolicy": [(("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
                                  (_ARN.format(service="dynamodb") + "table/{TableName}/stream/{StreamName}",)),
                                 (("dynamodb:ListStreams",),
                                  (_ARN.format(service="dynamodb") + "table/{TableName}/stream/*",))],
    "DynamoDBCrudPolicy": [(("dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
                             "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
                             "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"),
                            (_ARN.format(service="dynamodb") + "table/{TableName}",
                             _ARN.format(service="dynamodb") + "table/{TableName}/index/*"))],
    "DynamoDBReadPolicy": [(("dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem",
                             "dynamodb:DescribeTable"),
                            (_ARN.format(service="dynamodb") + "table/{TableName}",
                             _ARN.format(service="dynamodb") + "table/{TableName}/index/*"))],
    "DynamoDBWritePolicy": [(("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"),
                             (_ARN.format(service="dynamodb") + "table/{TableName}",
                              _ARN.format(service="dynamodb") + "table/{TableName}/index/*"))],
    "S3ReadPolicy": [(("s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
                       "s3:GetLifecycleConfiguration"), (_S3 + "{BucketName}", _S3 + "{BucketName}/*"))],
    "S3WritePolicy": [(("s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"),
                       (_S3 + "{BucketName}", _S3 + "{BucketName}/*"))],
    "S3CrudPolicy": [(("s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
                       "s3:PutObject", "s3:PutObjectAcl", "s3:GetLifecycleConfiguration",
                       "s3:PutLifecycleConfiguration", "s3:DeleteObject"),
                      (_S3 + "{BucketName}", _S3 + "{BucketName}/*"))],
    "LambdaInvokePolicy": [(("lambda:InvokeFunction",), (_ARN.format(service="lambda") + "function:{FunctionName}*",))],
    "StepFunctionsExecutionPolicy": [(("states:StartExecution",),
                                      (_ARN.format(service="states") + "stateMachine:{StateMachineName}",))],
    "VPCAccessPolicy": [(("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
                          "ec2:DescribeNetworkInterfaces", "ec2:DetachNetworkInterface"), ("*",))],
    "KMSDecryptPolicy": [(("kms:Decrypt",), (_ARN.format(service="kms") + "key/{KeyId}",))],
    "KMSEncryptPolicy": [(("kms:Encrypt",), (_ARN.format(service="kms") + "key/{KeyId}",))],
    "CloudWatchPutMetricPolicy": [(("cloudwatch:PutMetricData",), ("*",))],
    "AWSSecretsManagerGetSecretValuePolicy": [(("secretsmanager:GetSecretValue",), ("{SecretArn}",))],
    "SSMParameterReadPolicy": [(("ssm:DescribeParameters",), ("*",)),
                               (("ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"),
                                (_ARN.format(service="ssm") + "parameter/{ParameterName}",))],
    "EventBridgePutEventsPolicy": [(("events:PutEvents",), (_ARN.format(service="events") + "event-bus/{EventBusName}",))],
    "FirehoseWritePolicy": [(("firehose:PutRecord", "firehose:PutRecordBatch"),
                             (_ARN.format(service="firehose") + "deliverystream/{DeliveryStreamName}",))],
}
# SAM templates whose permissions the Lambda service uses (polling, ENIs), not the function's code.
SERVICE_SIDE_TEMPLATES = {"SQSPollerPolicy", "KinesisStreamReadPolicy", "DynamoDBStreamReadPolicy", "VPCAccessPolicy"}
# SAM policy templates by name prefix → the service the function's code calls with them (None: none, the
# Lambda service or an in-VPC data plane uses it). Used when a template is not in SAM_POLICY_TEMPLATES.
SAM_POLICY_SERVICES = {
    "SQSPoller": None, "KinesisStreamRead": None, "DynamoDBStreamRead": None, "VPCAccess": None,
    "ElasticsearchHttp": None, "MSK": None,
    "DynamoDB": "dynamodb", "S3": "s3", "SQS": "sqs", "SNS": "sns", "SES": "ses", "KMS": "kms", "SSM": "ssm",
    "AWSSecretsManager": "secretsmanager", "SecretsManager": "secretsmanager", "StepFunctions": "states",
    "Lambda": "lambda", "Kinesis": "kinesis", "EventBridge": "events", "CloudWatch": "cloudwatch",
    "Firehose": "firehose", "Athena": "athena", "Rekognition": "rekognition", "Comprehend": "comprehend",
    "Polly": "polly", "CodePipeline": "codepipeline", "CodeCommit": "codecommit", "Textract": "textract",
    "AMIDescribe": "ec2", "EC2Describe": "ec2", "EKSDescribe": "eks", "Route53": "route53", "CostExplorer": "ce",
    "Organizations": "organizations", "FilterLogEvents": "logs", "CloudFormation": "cloudformation",
    "Acm": "acm", "Sagemaker": "sagemaker", "Glue": "glue", "Translate": "translate",
}


def managed_policy_document(name_or_arn: str):
    """The document of a known AWS managed policy (by name or ARN), or None."""
    name = name_or_arn.rsplit("/", 1)[-1]
    actions = MANAGED_POLICIES.get(name)
    if actions is None:
        return None
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}


def sam_template_document(name: str, parameters):
    """The document a SAM policy template grants, its parameters filled in; None when not known."""
    spec = SAM_POLICY_TEMPLATES.get(name)
    if spec is None:
        return None
    params = parameters if isinstance(parameters, dict) else {}
    out = []
    for actions, resources in spec:
        filled = []
        for template in resources:
            missing = [p for p in re.findall(r"\{(\w+)\}", template) if not isinstance(params.get(p), (str, ResourceRef))]
            if missing:
                reason = params.get(missing[0]).reason if isinstance(params.get(missing[0]), Unknown) else \
                    f"parameter {missing[0]} of SAM policy template {name} is not given"
                filled.append(Unknown(reason))
            else:
                filled.append(template.format(**{k: str(v) for k, v in params.items()
                                                 if isinstance(v, (str, ResourceRef))}))
        out.append({"Effect": "Allow", "Action": list(actions), "Resource": filled})
    return {"Version": "2012-10-17", "Statement": out}


# ---------------------------------------------------------------- role side


@dataclass
class _Grant:
    """One source of a role's permissions."""

    source: str
    document: Value | None = None     # None when what it grants is not known
    unknown: str | None = None        # why it is not known
    services: set | None = None       # services the code may call with it, when its name says so
    service_side: bool = False        # used by the Lambda service itself (polling, ENIs, logs)


def function_role(graph: Graph, function: Resource) -> tuple[Resource | None, str]:
    """The execution role of a function (SAM's generated role included), or (None, why not)."""
    graph = own_graph(graph, function)   # a resource of another template: judged there
    found = None
    for case in function.get("Role", default=False):
        if isinstance(case.value, Unknown):
            return None, f"the role of {function.describe()} is unknown: {case.value.reason}"
        if case.value is None:
            return None, f"function {function.describe()} has no Role"
        role, reason = graph.follow(case)
        if role is None or role.type != ROLE:
            return None, f"the role of {function.describe()} ({display(case.value)}) is not in this template"
        if found is not None and found is not role:
            return None, f"the role of {function.describe()} depends on a condition"
        found = role
    if found is None:
        return None, f"function {function.describe()} has no Role"
    return found, ""


def _scenario_values(value: Value):
    """(item, case, several) for every entry of a list-valued property in every case."""
    several = len(value.cases) > 1
    for case in value:
        if isinstance(case.value, Unknown):
            yield case.value, case, several
        elif isinstance(case.value, list):
            for item in case.value:
                yield item, case, several
        elif case.value is not None:
            yield case.value, case, several


def _doc_value(document, case: Case, conditional: bool, holder=None) -> Value:
    """A document as a Value; one that exists only in some scenarios is absent (None) in the others.

    ``holder`` is the resource holding the document: where its Condition makes it exist, the document
    is present; in the scenarios where the Condition is false, it is absent.
    """
    existence = holder.existence if holder is not None else ()
    present = merge_assumptions(case.assumptions, existence)
    cases = [Case(document, case.origin, present or ())] if present is not None else []
    if existence:
        cases += [Case(None, "", absent) for absent in holder.absence or [()]]
    elif conditional:
        cases.append(Case(None, "", ()))
    return Value(cases)


def _grants(graph: Graph, role: Resource) -> list[_Grant]:
    grants: list[_Grant] = []
    rid = role.logical_id
    for item, case, several in _scenario_values(role.get("Policies", default=False)):
        if isinstance(item, dict) and "PolicyDocument" in item:
            name = display(item.get("PolicyName", "")) or "inline"
            grants.append(_Grant(f"inline policy {name} of {rid}", _doc_value(item["PolicyDocument"], case, several)))
        else:
            reason = item.reason if isinstance(item, Unknown) else "an inline policy has no PolicyDocument"
            grants.append(_Grant(f"an inline policy of {rid}", unknown=reason))
    for policy in graph.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
        attached, unsure = [], None
        names = policy.get("RoleName" if policy.type == "AWS::IAM::RolePolicy" else "Roles", default=False)
        for item, case, several in _scenario_values(names):
            target, reason = graph.follow(Case(item, case.origin, case.assumptions))
            if target is role:
                attached.append((case, several))
            elif target is None and "not a resource of this template" not in reason and \
                    "not a reference" not in reason:
                unsure = reason
        if attached:
            case, several = attached[0]
            for doc in policy.get("PolicyDocument"):
                grants.append(_Grant(f"policy {policy.logical_id}",
                                     _doc_value(doc.value, doc, several, policy)))
        elif unsure:
            grants.append(_Grant(f"policy {policy.logical_id}", unknown=f"whether policy {policy.logical_id} is "
                                                                        f"attached to {rid} is not known: {unsure}"))
    for item, case, several in _scenario_values(role.get("ManagedPolicyArns", default=False)):
        grants.append(_managed_grant(graph, item, case, several))
    for item, case, several in _scenario_values(role.get("SamPolicies", default=False)):
        grants.extend(_sam_grants(graph, item, case, several))
    return grants


def _managed_grant(graph, item, case, several) -> _Grant:
    if isinstance(item, Unknown):
        return _Grant("a managed policy", unknown=f"a managed policy ARN is unknown: {item.reason}")
    target, _ = graph.follow(Case(item)) if isinstance(item, (ResourceRef, str)) else (None, "")
    if target is not None and target.type == "AWS::IAM::ManagedPolicy":
        docs = [_doc_value(c.value, c, several, target) for c in target.get("PolicyDocument")]
        return _Grant(f"managed policy {target.logical_id}", docs[0] if len(docs) == 1 else
                      Value([c for d in docs for c in d]))
    if not isinstance(item, str):
        return _Grant("a managed policy", unknown=f"managed policy {display(item)} is not known")
    name = item.rsplit("/", 1)[-1]
    if is_symbolic(name):
        return _Grant("a managed policy", unknown=f"managed policy {display(item)} is known only at deploy time")
    document = managed_policy_document(name)
    # A managed policy named after a service is the code's way to call that service; its side grants
    # (S3 Object Lambda in AmazonS3ReadOnlyAccess) are not a sign the code calls them.
    service = next((s for key, s in MANAGED_POLICY_SERVICES.items() if key in name), None)
    if document is not None:
        return _Grant(f"managed policy {name}", _doc_value(document, case, several), service_side=name in SERVICE_SIDE,
                      services={service} if service else None)
    return _Grant(f"managed policy {name}", unknown=f"what managed policy {name} grants is not known to this tool",
                  services={service} if service else None)


def _sam_grants(graph, item, case, several) -> list[_Grant]:
    if isinstance(item, Unknown):
        return [_Grant("a SAM policy", unknown=f"a SAM policy is unknown: {item.reason}")]
    if isinstance(item, (str, ResourceRef)):
        return [_managed_grant(graph, item, case, several)]
    if isinstance(item, dict) and "Statement" in item:
        return [_Grant("a SAM inline policy", _doc_value(item, case, several))]
    if not isinstance(item, dict):
        return [_Grant("a SAM policy", unknown=f"SAM policy {display(item)} is not known")]
    out = []
    for name, parameters in item.items():
        name = str(name)
        document = sam_template_document(name, parameters)
        if document is not None:
            out.append(_Grant(f"SAM policy template {name}", _doc_value(document, case, several),
                              service_side=name in SERVICE_SIDE_TEMPLATES))
            continue
        prefix = next((p for p in sorted(SAM_POLICY_SERVICES, key=len, reverse=True) if name.startswith(p)), None)
        services = None if prefix is None else ({SAM_POLICY_SERVICES[prefix]} if SAM_POLICY_SERVICES[prefix] else set())
        out.append(_Grant(f"SAM policy template {name}",
                          unknown=f"what SAM policy template {name} grants is not known to this tool",
                          services=services, service_side=prefix is not None and not SAM_POLICY_SERVICES[prefix]))
    return out


def role_documents(graph: Graph, role: Resource) -> tuple[list[Value], str | None]:
    """The policy documents of a role (each a Value), and why some permission is not known (or None)."""
    graph = own_graph(graph, role)   # a resource of another template: judged there
    documents, unknown = [], None
    for grant in _grants(graph, role):
        if grant.document is not None:
            documents.append(grant.document)
        elif unknown is None:
            unknown = grant.unknown
    return documents, unknown


def role_allows(graph: Graph, role: Resource, action: str, resource=None) -> Verdict:
    """Do the role's policies allow ``action`` (on ``resource``)? Explicit Deny in any policy wins.

    A policy whose grants are not known (an unknown managed policy, a parameter) makes any answer but
    an explicit deny unknown. A permissions boundary makes a yes unknown.
    Example: ``role_allows(graph, role, "sqs:ReceiveMessage", queue)``.
    """
    documents, unknown = role_documents(graph, role)
    pairs = [_per_document(d, None, action, resource) for d in documents]
    request = _request_text(None, action, resource)
    allow = any_of((a for a, _ in pairs), f"no policy of role {role.logical_id} allows {request}")
    deny = any_of((d for _, d in pairs), "no policy denies it")
    verdict = _decide(allow, deny)
    if verdict.no and deny.yes:
        return verdict
    if unknown:
        return Verdict.unknown(unknown) if not verdict.unknown else verdict
    if verdict.yes and role.has("PermissionsBoundary"):
        return Verdict.unknown(f"role {role.logical_id} has a permissions boundary, which this tool does not read")
    return verdict


# Actions that need no route out of a function's subnets: Lambda performs them itself with the
# function's role (network interfaces, polling event sources, logs), or they reach a data plane that
# lives inside the VPC (file systems, databases, caches, search domains, VPC Lattice services).
NO_EGRESS_ACTIONS = re.compile(
    r"^(logs:(CreateLogGroup|CreateLogStream|PutLogEvents)|ec2:(Create|Describe|Delete|Detach|Attach)NetworkInterfaces?|ec2:(Assign|Unassign)PrivateIpAddresses|"
    r"sqs:(ReceiveMessage|DeleteMessage|GetQueueAttributes|ChangeMessageVisibility)|"
    r"kinesis:(GetRecords|GetShardIterator|DescribeStream|DescribeStreamSummary|ListShards|ListStreams|"
    r"SubscribeToShard)|dynamodb:(GetRecords|GetShardIterator|DescribeStream|ListStreams)|"
    r"elasticfilesystem:Client.*|s3files:Client.*|rds-db:.*|neptune-db:.*|memorydb:Connect|elasticache:Connect|"
    r"es:ESHttp.*|aoss:APIAccessAll|vpc-lattice-svcs:.*|kafka-cluster:.*)$", re.IGNORECASE)


def services_used(graph: Graph, role: Resource) -> set | None:
    """The AWS services a function's code may call with this role (``{"s3", "sqs"}``; ``"*"`` for any).

    Permissions the Lambda service uses itself (polling, network interfaces, logs) and in-VPC data
    planes are left out. None when some policy of the role is not known.
    """
    services: set = set()
    for grant in _grants(graph, role):
        if grant.service_side:
            continue
        if grant.services is not None:
            services |= grant.services
            continue
        if grant.document is None:
            return None
        for case in grant.document:
            found = _document_services(case.value)
            if found is None:
                return None
            services |= found
    return services


def _document_services(document) -> set | None:
    if document is None:
        return set()
    out = set()
    for st in statements(document):
        if st.effect == "Deny":
            continue
        if st.effect is None:
            return None
        if st.not_actions is not None:
            out.add("*")
        for action in st.actions or ():
            if not isinstance(action, str) or is_symbolic(action):
                return None
            if NO_EGRESS_ACTIONS.match(action):
                continue
            out.add("*" if action == "*" else action.split(":", 1)[0].lower())
    return out


# ---------------------------------------------------------------- resource side

_POLICY_HOLDERS = {  # policy type → (property listing what it applies to, is a list)
    "AWS::SQS::QueuePolicy": ("Queues", True),
    "AWS::SNS::TopicPolicy": ("Topics", True),
    "AWS::S3::BucketPolicy": ("Bucket", False),
}


def resource_policies(graph: Graph, resource: Resource) -> list[tuple[Resource, Value]]:
    """The resource policies that apply to a queue, topic, bucket or KMS key: (policy resource, document).

    A policy that names the resource only in some scenarios has those scenarios' document and None in
    the others; a policy whose target cannot be followed may apply, and its document is unknown.
    """
    graph = own_graph(graph, resource)   # a resource of another template: judged there
    out = []
    if resource.type == "AWS::KMS::Key":
        return [(resource, resource.get("KeyPolicy", default=False))]
    for policy in graph.of_type(*_POLICY_HOLDERS):
        prop, _ = _POLICY_HOLDERS[policy.type]
        attached, unsure, several = False, None, False
        for item, case, many in _scenario_values(policy.get(prop, default=False)):
            target, reason = graph.follow(Case(item, case.origin, case.assumptions))
            if target is resource:
                attached, several = True, many
            elif target is None and "not a resource of this template" not in reason:
                unsure = reason
        if attached:
            docs = policy.get("PolicyDocument")
            out.append((policy, Value([c for d in docs for c in _doc_value(d.value, d, several, policy)])
                        if several or policy.existence else docs))
        elif unsure:
            out.append((policy, Value.unknown(f"policy {policy.logical_id} may apply to {resource.logical_id}: "
                                              f"{unsure}")))
    return out


def lambda_permissions(graph: Graph, function: Resource) -> list[Resource]:
    """The ``AWS::Lambda::Permission`` resources whose FunctionName leads to the function (SAM's too)."""
    graph = own_graph(graph, function)   # a resource of another template: judged there
    out = []
    for permission in graph.of_type("AWS::Lambda::Permission"):
        if any(graph.follow(case)[0] is function for case in permission.get("FunctionName")):
            out.append(permission)
    return out


def permission_allows(graph: Graph, function: Resource, principal: str, source_arn=None) -> Verdict:
    """Does a Lambda permission let ``principal`` invoke the function (from ``source_arn``, if given)?

    ``source_arn`` is a Resource of the graph, a token or an ARN. A permission limited to another
    source answers no for it; one limited to a source while none is given answers unknown. A
    permission whose FunctionName cannot be followed may be the one: unknown.
    Example: ``permission_allows(graph, fn, "sns.amazonaws.com", source_arn=topic)``.
    """
    verdicts = []
    for permission in graph.of_type("AWS::Lambda::Permission"):
        targets = [graph.follow(case) for case in permission.get("FunctionName")]
        if any(found is function for found, _ in targets):
            verdicts.append(_permission_verdict(permission, principal, source_arn))
        elif any(found is None and "not a resource of this template" not in why for found, why in targets):
            verdicts.append(Verdict.unknown(f"permission {permission.logical_id} may be for "
                                            f"{function.logical_id}: its FunctionName is known only at deploy time"))
    return any_of(verdicts, f"no Lambda permission lets {principal} invoke {function.describe()}")


def _merged(cases) -> tuple:
    assumptions: tuple | None = ()
    for case in cases:
        assumptions = merge_assumptions(assumptions, case.assumptions)
    return assumptions or ()


def _permission_verdict(permission: Resource, principal, source_arn) -> Verdict:
    pid = permission.logical_id
    keys = ["Action", "Principal", "SourceArn"]
    values = [permission.get(k, default=False) for k in keys]
    pairs = []
    for combo in combinations(*values):
        action, who, source = (c.value for c in combo)
        scenario = Case(None, "", _merged(combo))
        checks = []
        if isinstance(action, str) and not is_symbolic(action):
            checks.append(Verdict.true("") if _glob(action, "lambda:InvokeFunction", ignore_case=True) else
                          Verdict.false(f"permission {pid} grants {action}"))
        else:
            checks.append(Verdict.unknown(f"the Action of permission {pid} is not known"))
        if isinstance(who, Unknown) or who is None:
            checks.append(Verdict.unknown(f"the Principal of permission {pid} is not known"))
        else:
            kind = "*" if who == "*" else "Service" if _is_service_principal(who) else "AWS"
            checks.append(_match_principal((kind, who), principal))
        if source is not None:
            if source_arn is None:
                checks.append(Verdict.unknown(f"permission {pid} applies only to source {display(source)}"))
            else:
                checks.append(_match_resource(source if not isinstance(source, Unknown) else source, source_arn))
        verdict = all_of(checks, f"permission {pid} lets {principal} invoke the function")
        pairs.append((scenario, verdict if not verdict.yes else
                      Verdict.true(f"permission {pid} lets {display(principal)} invoke the function")))
    if permission.existence:
        pairs.append((Case(None, "", tuple((k, not v) for k, v in permission.existence)),
                      Verdict.false(f"permission {pid} does not exist")))
    return across_cases(pairs)


# Condition keys that narrow a statement for everyone ("*") to known accounts, organisations, sources or networks.
RESTRICTING_CONDITION_KEYS = frozenset(k.lower() for k in (
    "aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpce",
    "aws:SourceVpc", "aws:SourceIp", "aws:VpcSourceIp", "kms:CallerAccount"))


def restricting_condition_keys(st: Statement) -> list[str] | None:
    """The condition keys of a statement that narrow who may use it (``aws:SourceAccount`` …), or None
    when the statement's Condition is there but did not resolve to a mapping.

    Example: ``if not restricting_condition_keys(st): ...  # open to everyone``.
    """
    if st.has_condition and st.condition is None:
        return None
    found = []
    for tests in (st.condition or {}).values():
        if not isinstance(tests, dict):
            return None
        found += [k for k in tests if isinstance(k, str) and k.lower() in RESTRICTING_CONDITION_KEYS]
    return found


def is_everyone(st: Statement) -> bool:
    """Does the statement's Principal name everyone (``"*"`` or ``{"AWS": "*"}``)?"""
    return any(kind == "*" or (kind == "AWS" and value == "*") for kind, value in st.principals or ())


# A literal ARN per service that names no resource of any template: a grant that covers it covers every
# resource of the service (``*``, ``arn:aws:sqs:*:*:*``), so it does not single the resource out.
_PROBE_ARNS = {
    "s3": "arn:aws:s3:::{name}/probe-key",
    "sqs": "arn:aws:sqs:us-east-1:000000000000:{name}",
    "sns": "arn:aws:sns:us-east-1:000000000000:{name}",
    "lambda": "arn:aws:lambda:us-east-1:000000000000:function:{name}",
}
_PROBE_NAME = "cfn-arch-lint-probe"


def role_names_resource(graph: Graph, role: Resource, action: str, resource: Resource) -> Verdict:
    """Does the role allow ``action`` on ``resource`` through a grant that names it, not only through a
    wildcard covering other resources too (``*``, ``arn:aws:sqs:*:*:*``, ``function:app-*`` for a function
    named ``app-worker``)? Yes, no, or unknown with the reason.

    For questions where a broad grant says little about intent ("does this function write to the bucket
    that triggers it?"). Example: ``role_names_resource(graph, role, "sqs:SendMessage", queue)``.
    """
    verdict = role_allows(graph, role, action, resource)
    if not verdict.yes:
        return verdict
    template = _PROBE_ARNS.get(action.split(":", 1)[0].lower())
    if template is None:
        return verdict
    names = [_PROBE_NAME]
    prop = NAME_PROPERTY.get(resource.type)
    written = resource.get(prop, default=False).single if prop else None
    if isinstance(written, str) and not is_symbolic(written):
        names.append(f"{written}-{_PROBE_NAME}")   # a sibling name: covered only by a wildcard around the name
    for name in names:
        if role_allows(graph, role, action, template.format(name=name)).yes:
            return Verdict.false(f"role {role.logical_id} allows {action} on {resource.logical_id} only through a "
                                 "wildcard that covers other resources too")
    return verdict
