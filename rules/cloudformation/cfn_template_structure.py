"""TPL002 cfn-template-structure."""
from linter.model import node_location, rule

SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
            "Transform", "Resources", "Outputs")
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
NESTED = {"AWS::CloudFormation::Stack": "TemplateURL", "AWS::Serverless::Application": "Location"}


@rule("TPL002", "cfn-template-structure", severity="error", tags=("correctness", "cloudformation"),
      catalogue="R117")
def cfn_template_structure(graph, ctx):
    """Template sections, mapping lookups, condition names and nested-stack URLs that CloudFormation rejects.

    **What it checks.** All sub-checks are **errors**:

    - `unknown-section`: a top-level key other than `AWSTemplateFormatVersion`, `Description`,
      `Metadata`, `Parameters`, `Rules`, `Mappings`, `Conditions`, `Transform`, `Resources` and
      `Outputs` (and `Globals` in a SAM template).
    - `empty-resources`: `Resources` present but empty: every template needs at least one resource.
    - `sam-transform`: `AWS::Serverless::*` resources without `Transform: AWS::Serverless-2016-10-31`.
    - `find-in-map`: `Fn::FindInMap` without exactly three arguments (four with the language extension's
      `DefaultValue`), or with a literal map name, top-level key or second-level key that the mapping
      does not have. A key chosen at deploy time (a parameter, a pseudo parameter) is *not evaluated*:
      which rows it can pick depends on the conditions that guard the lookup.
    - `unknown-condition`: a resource's `Condition`, an `Fn::If` or a `Condition` reference naming a
      condition that `Conditions` does not define.
    - `nested-template-url`: a nested stack `TemplateURL` (or a SAM application `Location`) that is
      an `s3://` or `http://` URL: CloudFormation needs an HTTPS URL. A local path is accepted (the form
      `aws cloudformation package` and `sam package` upload and rewrite).

    A file without `AWSTemplateFormatVersion` and `Transform` may be a fragment of a larger
    template and is *not evaluated*. A template that uses conditions or mappings without any `Conditions` or `Mappings` section is taken
    for a fragment of a larger template: those names are *not evaluated*. Input the engine already reports (a resource without `Type`, `Properties` that is not a mapping,
    condition cycles) is left to it.

    **Why it matters.** CloudFormation validates these before it creates anything: the whole deployment
    fails at the first one.

    **Example (fails).**

        Mappings:
          Sizes:
            prod: {Instance: m7g.large}
        Resources:
          Server:
            Type: AWS::EC2::Instance
            Condition: IsProduction      # no such condition
            Properties:
              InstanceType: !FindInMap [Sizes, production, Instance]

    **Fix.** Define the condition and use the mapping's real keys:

        Conditions:
          IsProduction: !Equals [!Ref Env, prod]
        ...
              InstanceType: !FindInMap [Sizes, prod, Instance]
    """
    template = graph.template if isinstance(graph.template, dict) else {}
    is_sam = _transforms(template)
    if "AWSTemplateFormatVersion" not in template and "Transform" not in template:
        # Pieces of a template concatenated before deployment look like this: judge only what is whole.
        ctx.not_evaluated(node_location(graph, template, "Resources", "Resources"),
                          "the template has no AWSTemplateFormatVersion and no Transform: it may be a "
                          "fragment of a larger template, so its section, condition and mapping names are not judged")
        return
    for key in template:
        if key not in SECTIONS and not (key == "Globals" and is_sam):
            yield ctx.finding(node_location(graph, template, key, str(key)),
                              f"top-level section {key!r} is not a CloudFormation template section: CloudFormation "
                              "rejects the template" + ("; Globals needs the SAM transform" if key == "Globals" else ""),
                              check="unknown-section")
    resources = template.get("Resources")
    if isinstance(resources, dict) and not resources:
        yield ctx.finding(node_location(graph, template, "Resources", "Resources"),
                          "Resources is empty: a template needs at least one resource", check="empty-resources")
    resources = resources if isinstance(resources, dict) else {}
    serverless = [lid for lid, body in resources.items()
                  if isinstance(body, dict) and str(body.get("Type", "")).startswith("AWS::Serverless::")]
    if serverless and not is_sam:
        yield ctx.finding(node_location(graph, resources, serverless[0], f"Resources/{serverless[0]}"),
                          f"{serverless[0]} is an AWS::Serverless resource but the template has no Transform: "
                          f"{SAM_TRANSFORM}: CloudFormation does not know the type", check="sam-transform")
    conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else {}
    mappings = template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {}
    parameters = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    for lid, body in resources.items():
        if isinstance(body, dict) and isinstance(body.get("Condition"), str) and body["Condition"] not in conditions \
                and "Conditions" in template:
            yield ctx.finding(node_location(graph, body, "Condition", f"Resources/{lid}/Condition"),
                              f"resource {lid} has Condition {body['Condition']!r}, which Conditions does not define",
                              check="unknown-condition")
        if isinstance(body, dict) and isinstance(body.get("Type"), str) and body["Type"] in NESTED:
            yield from _nested(graph, ctx, lid, body)
    # A template that uses conditions or mappings but has no such section at all is a fragment of a larger
    # one (pieces concatenated before deployment): its names are not evaluated.
    conditions = conditions if "Conditions" in template else None
    mappings = mappings if "Mappings" in template else None
    for section in ("Resources", "Outputs", "Conditions", "Metadata"):
        node = template.get(section)
        if isinstance(node, dict):
            yield from _intrinsics(graph, ctx, node, section, conditions, mappings, parameters, 0)


def _transforms(template) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return any(isinstance(n, str) and n == SAM_TRANSFORM for n in names)


def _intrinsics(graph, ctx, node, pointer, conditions, mappings, parameters, depth):
    """Walk a section for Fn::FindInMap, Fn::If and Condition references."""
    if depth > 60:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{key}"
            if key == "Fn::FindInMap":
                yield from _find_in_map(graph, ctx, node, key, value, here, mappings, parameters)
            elif key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str) \
                    and conditions is None:
                ctx.not_evaluated(node_location(graph, node, key, here),
                                  "the template has no Conditions section: it looks like a fragment")
            elif key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str) \
                    and value[0] not in conditions:
                yield ctx.finding(node_location(graph, node, key, here),
                                  f"Fn::If names condition {value[0]!r}, which Conditions does not define",
                                  check="unknown-condition")
            elif key == "Condition" and len(node) == 1 and isinstance(value, str) and conditions is not None \
                    and value not in conditions \
                    and pointer.startswith("Conditions"):
                yield ctx.finding(node_location(graph, node, key, here),
                                  f"condition reference {value!r} names a condition that Conditions does not define",
                                  check="unknown-condition")
            yield from _intrinsics(graph, ctx, value, here, conditions, mappings, parameters, depth + 1)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _intrinsics(graph, ctx, item, f"{pointer}/{index}", conditions, mappings, parameters,
                                   depth + 1)


def _find_in_map(graph, ctx, parent, key, args, pointer, mappings, parameters):
    location = node_location(graph, parent, key, pointer)
    if not isinstance(args, list) or len(args) not in (3, 4):
        count = len(args) if isinstance(args, list) else 1
        yield ctx.finding(location, f"Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey], not {count} "
                                    "argument(s)", check="find-in-map")
        return
    if len(args) == 4 and not isinstance(args[3], dict):
        yield ctx.finding(location, "the fourth argument of Fn::FindInMap must be {DefaultValue: …}",
                          check="find-in-map")
        return
    if len(args) == 4:
        return   # a DefaultValue answers any missing key
    name, top, second = args
    if not isinstance(name, str):
        return
    if mappings is None:
        ctx.not_evaluated(location, "the template has no Mappings section: it looks like a fragment")
        return
    if name not in mappings:
        yield ctx.finding(location, f"Fn::FindInMap reads mapping {name!r}, which Mappings does not define",
                          check="find-in-map")
        return
    mapping = mappings[name] if isinstance(mappings[name], dict) else {}
    for top_key, where in _keys(top, parameters):
        if top_key is None:
            # Which rows a parameter can pick depends on the conditions guarding the lookup.
            ctx.not_evaluated(location, f"the top-level key of Fn::FindInMap [{name}, …] is chosen at deploy time")
            return
        row = mapping.get(top_key)
        if not isinstance(row, dict):
            yield ctx.finding(location, f"mapping {name} has no top-level key {top_key!r} ({where}): Fn::FindInMap "
                                        "fails", check="find-in-map")
            return
        if isinstance(second, str) and second not in row:
            yield ctx.finding(location, f"mapping {name} row {top_key!r} has no key {second!r}: Fn::FindInMap fails",
                              check="find-in-map")
            return
    if not isinstance(second, str):
        ctx.not_evaluated(location, f"the second-level key of Fn::FindInMap [{name}, …] is chosen at deploy time")


def _nested(graph, ctx, lid, body):
    prop = NESTED[body["Type"]]
    props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
    url = props.get(prop)
    if not isinstance(url, str):
        return   # a Sub, a parameter or a SAM application id map: not a written URL
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("s3", "http"):
        yield ctx.finding(node_location(graph, props, prop, f"Resources/{lid}/Properties/{prop}"),
                          f"{prop} of {lid} is {url!r}: CloudFormation needs an HTTPS URL of the template in S3 "
                          "(https://<bucket>.s3.<region>.amazonaws.com/<key>), or a local path for "
                          "`aws cloudformation package`", check="nested-template-url")


def _keys(node, parameters):
    """(key, where it comes from) for a literal key; (None, "") when it is chosen at deploy time."""
    if isinstance(node, str):
        return [(node, "written in the template")]
    return [(None, "")]
