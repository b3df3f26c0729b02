"""API Gateway facts several rules share: endpoint types, resource policies, which API a part belongs to.

Everything here returns :class:`~linter.values.Value` objects (one case per scenario, unknown cases kept),
so rules compare plain values through ``ctx.cases``.
"""
from __future__ import annotations

import json

from .graph import Resource
from .values import Case, Unknown, Value, combinations, is_symbolic, scenario_of

REST_API_TYPES = ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api")
HTTP_API_TYPES = ("AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi")
ENDPOINT_DEFAULT = "the API Gateway default"

# What a resource policy restricts: requests from some VPCs or VPC endpoints, source IP ranges, accounts
# or principals. An empty set: the policy lets anyone in.
VPC, IP, ACCOUNT, PRINCIPAL = "vpc", "ip", "account", "principal"
_CONDITION_KEYS = {"aws:sourcevpce": VPC, "aws:sourcevpc": VPC, "aws:vpcsourceip": VPC, "aws:sourceip": IP,
                   "aws:sourceaccount": ACCOUNT, "aws:principalaccount": ACCOUNT, "aws:principalorgid": ACCOUNT,
                   "aws:principalarn": PRINCIPAL, "aws:userid": PRINCIPAL, "aws:username": PRINCIPAL}
# SAM Auth.ResourcePolicy shorthands and what they restrict.
_SAM_POLICY_KEYS = {"SourceVpcWhitelist": VPC, "SourceVpcBlacklist": VPC, "IntrinsicVpcWhitelist": VPC,
                    "IntrinsicVpceWhitelist": VPC, "IntrinsicVpcBlacklist": VPC, "IntrinsicVpceBlacklist": VPC,
                    "IpRangeWhitelist": IP, "IpRangeBlacklist": IP, "AwsAccountWhitelist": ACCOUNT,
                    "AwsAccountBlacklist": ACCOUNT}


def endpoint_types(api: Resource) -> Value:
    """The endpoint types of a REST API as an upper-case list per scenario (``["EDGE"]`` when absent).

    ``AWS::ApiGateway::RestApi`` writes ``EndpointConfiguration.Types``; SAM's ``AWS::Serverless::Api``
    writes ``EndpointConfiguration`` as a string or as ``{Type: ...}``.
    """
    if api.type == "AWS::ApiGateway::RestApi":
        return api.get("EndpointConfiguration.Types").map(_upper_list)
    out = []
    for case in api.get("EndpointConfiguration", default=False):
        value = case.value
        if not case.known:
            out.append(case)
        elif value is None:
            out.append(Case(["EDGE"], ENDPOINT_DEFAULT, case.assumptions))
        elif isinstance(value, dict):
            kind = value.get("Type", "EDGE")
            origin = case.origin if "Type" in value else ENDPOINT_DEFAULT
            out.append(Case(_upper_list(kind), origin, case.assumptions))
        else:
            out.append(Case(_upper_list(value), case.origin, case.assumptions))
    return Value(out)


def _upper_list(value):
    """``"private"`` → ``["PRIVATE"]``; a list keeps its plain strings upper-cased; Unknown stays unknown."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(i, Unknown) for i in items):
        return next(i for i in items if isinstance(i, Unknown))
    if any(not isinstance(i, str) or is_symbolic(i) for i in items):
        return Unknown("the endpoint type is known only at deploy time")
    return [i.upper() for i in items]


def resource_policy_restrictions(api: Resource) -> Value:
    """What the resource policy of a REST API restricts callers by, per scenario: a set of ``VPC``, ``IP``,
    ``ACCOUNT``, ``PRINCIPAL`` (empty: a policy open to anyone), or None when the API has no policy.

    Reads ``Policy`` (SAM passes it through too), SAM's ``Auth.ResourcePolicy`` and
    ``x-amazon-apigateway-policy`` in the inline OpenAPI body; the statements of all of them count. A body
    that cannot be read (``AWS::Include``, a separate file) makes the answer unknown unless what is
    written already restricts by VPC.
    """
    sam = api.type == "AWS::Serverless::Api"
    own = ["Policy"] + (["Auth.ResourcePolicy"] if sam else [])
    body = "DefinitionBody" if sam else "Body"
    values = [api.get(path, default=False) for path in own if api.has(path)]
    if api.has(body):
        values.append(Value(_body_policy(case) for case in api.get(body, default=False)))
    else:
        for path in ("DefinitionUri",) if sam else ("BodyS3Location",):
            if api.has(path):
                values.append(Value.unknown(f"the API definition ({path}) is in a separate file, not read by "
                                            "this tool"))
    if not values:
        return Value([Case(None, "no Policy", ())])
    out = []
    for combo in combinations(*values):
        found, unknown, any_policy = set(), None, False
        for case in combo:
            restricted = policy_restrictions(case.value)
            if isinstance(restricted, Unknown):
                unknown = unknown or restricted
            elif restricted is not None:
                any_policy = True
                found |= restricted
        assumptions = scenario_of(*combo)
        origin = next((c.origin for c in combo if c.known and c.value is not None), "")
        if unknown is not None and VPC not in found:
            out.append(Case(unknown, origin, assumptions))
        else:
            out.append(Case(frozenset(found) if any_policy else None, origin, assumptions))
    return Value(out)


def _body_policy(case: Case) -> Case:
    """The ``x-amazon-apigateway-policy`` of an inline OpenAPI body (None when absent); unknown when the
    body includes content this tool does not read (``Fn::Transform`` / ``AWS::Include``)."""
    body = case.value
    if not case.known:
        return case
    if not isinstance(body, dict):
        return Case(Unknown("the API body is not a mapping"), case.origin, case.assumptions)
    if "Fn::Transform" in body:
        return Case(Unknown("the API body includes content (Fn::Transform) not read by this tool"), case.origin,
                    case.assumptions)
    return Case(body.get("x-amazon-apigateway-policy"), case.origin, case.assumptions)


def policy_restrictions(policy) -> frozenset | Unknown | None:
    """What a resolved resource policy (a case value of :func:`resource_policy`) restricts callers by:
    a set of ``VPC``, ``IP``, ``ACCOUNT``, ``PRINCIPAL`` (empty: open to anyone); None for no policy."""
    if policy is None:
        return None
    if isinstance(policy, Unknown):
        return policy
    if isinstance(policy, str) and not is_symbolic(policy):
        try:
            policy = json.loads(policy)
        except ValueError:
            return Unknown("the resource policy is not valid JSON")
    if not isinstance(policy, dict):
        return Unknown("the resource policy is not a JSON object")
    if "Statement" not in policy:  # SAM's Auth.ResourcePolicy shorthand
        found = {kind for key, kind in _SAM_POLICY_KEYS.items() if key in policy}
        custom = policy.get("CustomStatements")
        if custom is not None:
            inner = _statement_restrictions(custom if isinstance(custom, list) else [custom])
            if isinstance(inner, Unknown):
                return inner
            found |= inner
        return frozenset(found)
    statements = policy["Statement"]
    return _statement_restrictions(statements if isinstance(statements, list) else [statements])


def _statement_restrictions(statements: list):
    found = set()
    for statement in statements:
        if isinstance(statement, Unknown):
            return statement
        if not isinstance(statement, dict):
            continue
        condition = statement.get("Condition")
        if isinstance(condition, Unknown):
            return condition
        for operator in (condition.values() if isinstance(condition, dict) else ()):
            for key in (operator.keys() if isinstance(operator, dict) else ()):
                kind = _CONDITION_KEYS.get(str(key).lower())
                if kind:
                    found.add(kind)
        if statement.get("Effect") == "Allow" and "Principal" in statement and not _anyone(statement["Principal"]):
            found.add(PRINCIPAL)
    return frozenset(found)


def _anyone(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def rest_api_of(resource: Resource) -> Value:
    """The REST API a method, resource, deployment, stage, authorizer … belongs to (``RestApiId``), one
    case per scenario: the API resource, or Unknown (with the reason) when it is not in this template."""
    graph = resource.graph
    out = []
    for case in resource.get("RestApiId", default=False):
        if case.known and case.value is None:
            out.append(case)
            continue
        api, reason = graph.follow(case, REST_API_TYPES) if case.known else (None, case.value.reason)
        out.append(Case(api, case.origin, case.assumptions) if api is not None else Case(Unknown(reason),
                                                                                         case.origin, case.assumptions))
    return Value(out)


def defined_in_body(api: Resource) -> bool:
    """Whether a REST API's methods come from an OpenAPI definition (``Body``/``BodyS3Location``, or any
    SAM API, which SAM deploys itself)."""
    if api.type == "AWS::Serverless::Api":
        return True
    return api.has("Body") or api.has("BodyS3Location")
