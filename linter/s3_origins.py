"""How CloudFront reaches S3, and who a bucket policy lets read: shared by the S3 and CloudFront rules.

- :func:`origin_endpoint` classes an origin's ``DomainName`` per scenario: an S3 REST endpoint
  (``!GetAtt Bucket.RegionalDomainName``, ``${Bucket}.s3.amazonaws.com``), an S3 **website** endpoint
  (``…s3-website-<region>.amazonaws.com``, ``!Select [2, !Split ["/", !GetAtt Bucket.WebsiteURL]]``),
  another host, or unknown with the reason; with the bucket when the template holds it.
- :func:`public_statement` says whether a bucket policy statement is public the way S3 Block Public
  Access judges it (everyone, no condition that pins the caller).
- :func:`bucket_grant` answers three-valued whether a bucket's policies let a principal read its
  objects, with a test for the principal and one for the statement's ``Condition``.
"""
from __future__ import annotations

import re
from typing import Callable, NamedTuple

from .graph import Graph, Resource
from .policy import RESTRICTING_CONDITION_KEYS, Statement, _match_action, _match_resource, resource_policies, \
    statements
from .tri import Verdict, across_cases, all_of, any_of
from .cfn import DEFAULTS
from .values import TOKEN, Case, ResourceRef, Unknown, Value, display, is_symbolic

BUCKET = "AWS::S3::Bucket"
DISTRIBUTION = "AWS::CloudFront::Distribution"
S3_REST, S3_WEBSITE, OTHER_HOST = "s3-rest", "s3-website", "other"

_WEBSITE = re.compile(r"\.s3-website[-.][a-z0-9-]+\.amazonaws\.com(\.cn)?\.?$", re.IGNORECASE)
_REST = re.compile(r"\.s3(\.dualstack)?([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?\.?$", re.IGNORECASE)
_REST_ATTRIBUTES = ("DomainName", "RegionalDomainName", "DualStackDomainName")


class Endpoint(NamedTuple):
    """What an origin's DomainName is in one scenario: ``kind`` S3_REST, S3_WEBSITE, OTHER_HOST, or None
    when it is not known (``reason`` says why); ``bucket`` the template bucket it names, if any."""

    kind: str | None
    bucket: Resource | None
    reason: str
    case: Case


def raw_property(resource: Resource, path: str):
    """The property at ``path`` as written in the template (intrinsics unresolved), or None."""
    node = resource.props
    for key in path.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _get_atts(node, out: list) -> list:
    """(logical id, attribute) of every ``Fn::GetAtt`` inside a raw node."""
    if isinstance(node, dict):
        for key, arg in node.items():
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else arg.split(".", 1) if isinstance(arg, str) else []
                if len(parts) == 2 and all(isinstance(p, str) for p in parts):
                    out.append((parts[0], parts[1]))
            else:
                _get_atts(arg, out)
    elif isinstance(node, list):
        for item in node:
            _get_atts(item, out)
    return out


def _bucket_named(graph: Graph, name: str) -> Resource | None:
    for bucket in graph.of_type(BUCKET):
        if bucket.get("BucketName", default=False).single == name:
            return bucket
    return None


def _classify_text(graph: Graph, text: str) -> tuple[str, Resource | None]:
    written = TOKEN.sub(lambda m: "amazonaws.com" if m.group(1) == "AWS::URLSuffix" else "x", text)
    kind = S3_WEBSITE if _WEBSITE.search(written) else S3_REST if _REST.search(written) else OTHER_HOST
    if kind == OTHER_HOST:
        return kind, None
    for match in TOKEN.finditer(text):
        target = graph.resources.get(match.group(1).split(".", 1)[0])
        if target is not None and target.type == BUCKET:
            return kind, target
    head = text.split(".s3", 1)[0]
    return kind, (_bucket_named(graph, head) if not is_symbolic(head) else None)


def origin_endpoint(graph: Graph, origin) -> list[Endpoint]:
    """One :class:`Endpoint` per scenario of the ``DomainName`` of an origin (an Entry of ``Origins``).

    A value the resolver cannot compute (``!Select``/``!Split`` of a bucket's ``WebsiteURL``) is judged
    from the ``Fn::GetAtt`` written inside it. Example:
    ``[e.kind for e in origin_endpoint(graph, dist.entries("DistributionConfig.Origins")[0])]``.
    """
    out = []
    resource, path = origin.resource, f"{origin.path}.DomainName"
    for case in origin.get("DomainName", default=False):
        value = case.value
        if isinstance(value, ResourceRef):
            target = graph.resources.get(value.logical_id)
            if target is not None and target.type == BUCKET and value.attribute == "WebsiteURL":
                out.append(Endpoint(S3_WEBSITE, target, "", case))
            elif target is not None and target.type == BUCKET and value.attribute in _REST_ATTRIBUTES:
                out.append(Endpoint(S3_REST, target, "", case))
            else:
                out.append(Endpoint(OTHER_HOST, None, "", case))
        elif isinstance(value, str):
            kind, bucket = _classify_text(graph, value)
            out.append(Endpoint(kind, bucket, "", case))
        elif isinstance(value, Unknown):
            buckets = [(graph.resources[i], a) for i, a in _get_atts(raw_property(resource, path), [])
                       if i in graph.resources and graph.resources[i].type == BUCKET]
            if len(buckets) == 1 and buckets[0][1] in _REST_ATTRIBUTES + ("WebsiteURL",):
                (bucket, attribute), = buckets
                # The host part of the attribute, known to be that bucket's endpoint though not its text.
                written = Case(ResourceRef(bucket.logical_id, attribute), f"the host of {attribute}", case.assumptions)
                out.append(Endpoint(S3_WEBSITE if attribute == "WebsiteURL" else S3_REST, bucket, "", written))
            else:
                out.append(Endpoint(None, None, f"the origin domain is not known: {value.reason}", case))
        elif value is not None:
            out.append(Endpoint(None, None, f"the origin domain {display(value)} is not a host name", case))
    return out


# ---------------------------------------------------------------- bucket policies


def public_statement(st: Statement) -> Verdict:
    """Is the statement a public grant, as S3 Block Public Access judges policies?

    Yes for an ``Allow`` to everyone (``*`` or ``{"AWS": "*"}``) without a condition key that pins the
    caller (``aws:SourceArn``, ``aws:SourceIp``, ``aws:PrincipalOrgID`` …; ``aws:Referer`` does not).
    Unknown when the effect, principal or condition did not resolve.
    """
    if st.effect == "Deny":
        return Verdict.false(f"{st.label} is a Deny")
    principals = st.principals or ()
    if any(isinstance(value, Unknown) for _, value in principals) or st.effect is None:
        return Verdict.unknown(st.unresolved[0] if st.unresolved else f"{st.label} is not known")
    if not any(kind == "*" or (kind == "AWS" and value == "*") for kind, value in principals):
        return Verdict.false(f"{st.label} names specific principals")
    if st.has_condition:
        if st.condition is None or not all(isinstance(t, dict) for t in st.condition.values()):
            return Verdict.unknown(f"the Condition of {st.label} is not known")
        pinned = [k for tests in st.condition.values() for k in tests
                  if isinstance(k, str) and k.lower() in RESTRICTING_CONDITION_KEYS]
        if pinned:
            return Verdict.false(f"{st.label} is limited by {pinned[0]}")
    return Verdict.true(f"{st.label} allows everyone (Principal *)")


def public_grants(document, action: str | None = None) -> list[tuple[Statement, Verdict]]:
    """The statements of one resolved policy document that may grant ``action`` (any when None) to the
    public, each with its :func:`public_statement` verdict (yes or unknown); no's are left out."""
    out = []
    for st in statements(document):
        verdict = public_statement(st)
        if action is not None and not verdict.no:
            acts = any_of(_match_action(a, action) for a in (st.actions or ())) if st.actions is not None else \
                Verdict.unknown(f"{st.label} uses NotAction")
            verdict = all_of([verdict, acts])
        if not verdict.no:
            out.append((st, verdict))
    return out


def bucket_grant(graph: Graph, bucket: Resource, *, principal: Callable[[str, object], Verdict],
                 condition: Callable[[Statement], Verdict], action: str = "s3:GetObject") -> Verdict:
    """Do the bucket's policies allow ``action`` on it to the principal ``principal`` recognises?

    ``principal(kind, value)`` judges one Principal entry (``("Service", "cloudfront.amazonaws.com")``);
    ``condition(statement)`` judges a statement's ``Condition`` (called only when it has one). Only
    ``Allow`` statements count: denies that carry a condition (TLS-only, IP lists) target other requests.
    Example: ``bucket_grant(graph, bucket, principal=lambda k, v: …, condition=lambda st: …)``.
    """
    verdicts = []
    for policy, documents in resource_policies(graph, bucket):
        pairs = []
        for case in documents:
            if not case.known:
                pairs.append((case, Verdict.unknown(f"the policy of {policy.logical_id} is not known: "
                                                    f"{case.value.reason}")))
                continue
            if case.value is None:
                pairs.append((case, Verdict.false(f"policy {policy.logical_id} does not apply")))
                continue
            judged = [_statement_grants(st, bucket, principal, condition, action) for st in statements(case.value)]
            # A refusal names the statements that came close; Deny statements say nothing useful.
            near = [v.reason for v in judged if v.no and " is a Deny" not in v.reason]
            pairs.append((case, any_of(judged, f"policy {policy.logical_id}: " + ("; ".join(near) if near else
                                                                                 f"no statement grants {action}"))))
        verdicts.append(across_cases(pairs))
    if not verdicts:
        return Verdict.false(f"no bucket policy of {bucket.describe()} grants {action}")
    return any_of(verdicts)


def _statement_grants(st, bucket, principal, condition, action) -> Verdict:
    if st.effect != "Allow":
        return Verdict.unknown(st.unresolved[0]) if st.effect is None else Verdict.false(f"{st.label} is a Deny")
    if st.actions is None or st.resources is None or st.principals is None:
        return Verdict.unknown(f"{st.label} uses NotAction, NotResource or NotPrincipal")
    checks = [any_of((principal(kind, value) for kind, value in st.principals), f"{st.label} names another principal"),
              any_of((_match_action(a, action) for a in st.actions), f"{st.label} does not allow {action}"),
              any_of((_match_resource(r, bucket) for r in st.resources), f"{st.label} is for other resources")]
    if st.has_condition:
        checks.append(condition(st))
    return all_of(checks, f"{st.label} grants {action}")


def condition_values(st: Statement, key: str) -> list | None:
    """The values a statement's Condition tests ``key`` against (case-insensitive), or None when the
    Condition did not resolve."""
    if st.condition is None:
        return None if st.has_condition else []
    out = []
    for tests in st.condition.values():
        if not isinstance(tests, dict):
            return None
        for name, value in tests.items():
            if isinstance(name, str) and name.lower() == key.lower():
                out += value if isinstance(value, list) else [value]
    return out


def names_resource(value, resource: Resource) -> Verdict:
    """Does a resolved value (a token string, a reference, a literal ARN) name ``resource``?"""
    if isinstance(value, Unknown):
        return Verdict.unknown(value.reason)
    if isinstance(value, ResourceRef):
        same = value.logical_id == resource.logical_id
        return (Verdict.true if same else Verdict.false)(f"{display(value)} {'names' if same else 'is not'} "
                                                         f"{resource.logical_id}")
    if isinstance(value, str) and is_symbolic(value):
        ids = [m.group(1).split(".", 1)[0] for m in TOKEN.finditer(value)]
        ids = [i for i in ids if i in (resource.graph.resources if resource.graph else {})]
        if ids:
            same = resource.logical_id in ids
            return (Verdict.true if same else Verdict.false)(f"{display(value)} {'names' if same else 'is not'} "
                                                             f"{resource.logical_id}")
    return Verdict.unknown(f"whether {display(value)} is {resource.logical_id} is known only at deploy time")


# ---------------------------------------------------------------- bucket settings

PUBLIC_ACCESS_BLOCK = "PublicAccessBlockConfiguration"


def block_public_access(bucket: Resource, setting: str) -> Value:
    """One Block Public Access setting of a bucket (``BlockPublicPolicy`` …) per scenario, with its origin.

    No ``PublicAccessBlockConfiguration``: on (the S3 default for new buckets, from ``linter.cfn.DEFAULTS``);
    a configuration that leaves the setting out: off; else the written value (a parameter stays cited).
    Example: ``for flag, in ctx.cases(bucket, block_public_access(bucket, "BlockPublicPolicy"), convert=as_bool)``.
    """
    default_origin = DEFAULTS.get((BUCKET, PUBLIC_ACCESS_BLOCK), (None, None))[1]
    cases = []
    for config in bucket.get(PUBLIC_ACCESS_BLOCK):
        if config.known and config.origin == default_origin and isinstance(config.value, dict):
            cases.append(Case(config.value.get(setting), config.origin, config.assumptions))
            continue
        if not config.known or not isinstance(config.value, dict):
            cases.append(config)
            continue
        for case in bucket.get(f"{PUBLIC_ACCESS_BLOCK}.{setting}", default=False):
            merged = case.with_assumptions(config.assumptions)
            if merged is None:
                continue
            cases.append(Case(False, f"left out of {PUBLIC_ACCESS_BLOCK}, so off", merged.assumptions)
                         if case.value is None else merged)
    return Value(cases)


def object_ownership(case: Case) -> str | None:
    """``ObjectOwnership`` of a resolved ``OwnershipControls`` case (its first rule), for ``ctx.cases``
    ``convert=``; None when it is not written plainly."""
    config = case.value
    rules = config.get("Rules") if isinstance(config, dict) else None
    first = rules[0] if isinstance(rules, list) and rules and isinstance(rules[0], dict) else None
    value = first.get("ObjectOwnership") if first is not None else None
    return value if isinstance(value, str) and not is_symbolic(value) else None


def website_kind(case: Case) -> str | None:
    """``"redirect"`` for a ``WebsiteConfiguration`` that redirects every request, ``"site"`` for one
    that serves the bucket's objects, None when it is not a resolved mapping (``convert=`` for ctx.cases)."""
    if not isinstance(case.value, dict):
        return None
    return "redirect" if "RedirectAllRequestsTo" in case.value else "site"


# ---------------------------------------------------------------- CloudFront principals in bucket policies

CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
ORIGIN_ACCESS_IDENTITY = "AWS::CloudFront::CloudFrontOriginAccessIdentity"


def _everyone(kind, value) -> bool:
    return kind == "*" or (kind == "AWS" and value == "*")


def cloudfront_service_principal(kind, value) -> Verdict:
    """Does a Principal entry name the CloudFront service (as origin access control signs), or everyone?
    For :func:`bucket_grant`'s ``principal=``."""
    if _everyone(kind, value):
        return Verdict.true("the policy allows everyone")
    if kind != "Service":
        return Verdict.false(f"{kind} principal {display(value)} is not {CLOUDFRONT_SERVICE}")
    if isinstance(value, str) and not is_symbolic(value):
        same = value.lower() == CLOUDFRONT_SERVICE
        return (Verdict.true if same else Verdict.false)(f"service principal {value}"
                                                         f"{'' if same else ' is not ' + CLOUDFRONT_SERVICE}")
    return Verdict.unknown(f"service principal {display(value)} is known only at deploy time")


def source_arn_is(distribution: Resource) -> Callable[[Statement], Verdict]:
    """A ``condition=`` test for :func:`bucket_grant`: a statement limited by ``AWS:SourceArn`` must name
    ``distribution``; ``AWS:SourceAccount`` is allowed beside it; other keys are judged at request time."""
    def test(st: Statement) -> Verdict:
        sources = condition_values(st, "aws:SourceArn")
        if sources is None:
            return Verdict.unknown(f"the Condition of {st.label} is not known")
        other = [k for tests in st.condition.values() for k in tests
                 if isinstance(k, str) and k.lower() not in ("aws:sourcearn", "aws:sourceaccount")]
        if other:
            return Verdict.unknown(f"{st.label} also tests {other[0]}, judged at request time")
        if not sources:
            return Verdict.true(f"{st.label} is not limited to a distribution")
        return any_of((names_resource(v, distribution) for v in sources),
                      f"the AWS:SourceArn of {st.label} names another distribution")
    return test


def any_condition_unknown(st: Statement) -> Verdict:
    """A ``condition=`` test for :func:`bucket_grant` that leaves every Condition to request time."""
    return Verdict.unknown(f"{st.label} has a Condition, judged at request time")


def identity_principal(graph: Graph, identity: Case) -> Callable[[str, object], Verdict]:
    """A ``principal=`` test for :func:`bucket_grant`: the origin access identity an origin's
    ``S3OriginConfig.OriginAccessIdentity`` case names (``origin-access-identity/cloudfront/${Oai}`` or
    a literal id), given as its IAM user ARN or its ``S3CanonicalUserId``; everyone counts too."""
    written = identity.value if isinstance(identity.value, str) else ""
    named = [graph.resources[m.group(1).split(".", 1)[0]] for m in TOKEN.finditer(written)
             if m.group(1).split(".", 1)[0] in graph.resources]
    named = [r for r in named if r.type == ORIGIN_ACCESS_IDENTITY]
    literal_id = written.rsplit("/", 1)[-1] if not is_symbolic(written) else ""

    def test(kind, value) -> Verdict:
        if _everyone(kind, value):
            return Verdict.true("the policy allows everyone")
        if kind not in ("AWS", "CanonicalUser"):
            return Verdict.false(f"{kind} principal {display(value)} is not an origin access identity")
        if named:
            return names_resource(value, named[0])
        if literal_id and isinstance(value, str) and value.endswith(f" {literal_id}"):
            return Verdict.true(f"principal {value} is identity {literal_id}")
        return Verdict.unknown(f"whether principal {display(value)} is {display(identity.value)} is known only at "
                               "deploy time")
    return test
