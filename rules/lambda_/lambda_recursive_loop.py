"""LAM005 lambda-recursive-loop."""
from linter.model import FUNCTION_TYPES, QUEUE, TOPIC, function_role, kinds, notified_on_write, role_names_resource, rule

BUCKET = "AWS::S3::Bucket"
# What the function must be allowed to do on a resource upstream of it to feed itself.
WRITE_ACTIONS = {BUCKET: "s3:PutObject", QUEUE: "sqs:SendMessage", TOPIC: "sns:Publish"}
# The links along which an event travels towards a function: S3 notifications, SNS subscriptions, polling.
FEEDS = (kinds.NOTIFIES, kinds.SUBSCRIBES, kinds.CONSUMES)
MAX_HOPS = 3


@rule("LAM005", "lambda-recursive-loop", severity="warning", tags=("reliability", "cost", "lambda"),
      catalogue="R18")
def lambda_recursive_loop(graph, ctx):
    """A Lambda function should not be able to write to the bucket, queue or topic that triggers it.

    **What it checks.** For each function, the buckets, queues and topics whose events reach it — directly
    or through up to three links (an S3 notification or SAM `S3` event, an SNS subscription, an SQS or
    stream event source mapping; e.g. bucket → topic → queue → function) — are compared with its
    execution role (the explicit `Role`, or the role SAM generates from `Policies`):

    - `write-to-trigger` (warning): the role allows `s3:PutObject` on the bucket, `sqs:SendMessage` on the
      queue or `sns:Publish` on the topic, through a statement that names that resource. An S3 notification
      with a prefix or suffix `Filter` is taken to separate the function's inputs from its outputs, and one
      for other events than `s3:ObjectCreated:*` cannot be triggered by a write, so neither is a loop.
    - `self-invoke` (warning): the role allows `lambda:InvokeFunction` on the function itself.

    Grants on every resource of a service (`Resource: "*"`, `arn:aws:sqs:*:*:*`) do not count: they say
    nothing about which resource the code writes to. Whether the code actually writes the triggering
    resource is not visible in a template; a grant whose scope is not known (a parameter, a managed policy
    this tool does not know, a condition) is reported as not evaluated.

    **Why it matters.** A function that writes to its own trigger invokes itself again and again: costs
    and concurrency climb until someone notices. AWS recursive loop detection stops some Lambda, SQS, SNS
    and S3 loops only after about 16 iterations, and not every pattern.

    **Example (fails).**

        Uploads:
          Type: AWS::S3::Bucket
        Thumbnail:
          Type: AWS::Serverless::Function
          Properties:
            Policies:
              - S3CrudPolicy: {BucketName: uploads-bucket}
            Events:
              Upload:
                Type: S3
                Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}

    **Fix.** Write outputs to another bucket, queue or topic, or filter the notification by a prefix or
    suffix the outputs do not have (`Filter: {S3Key: {Rules: [{Name: prefix, Value: uploads/}]}}`).
    See https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
    """
    for function in graph.of_type(*FUNCTION_TYPES):
        upstream = _upstream(graph, ctx, function)
        role, why = function_role(graph, function)
        if role is None:
            if upstream:
                ctx.not_evaluated(function, why)
            continue
        for source, path in upstream:
            verdict = role_names_resource(graph, role, WRITE_ACTIONS[source.type], source)
            if verdict.unknown:
                ctx.not_evaluated(path[0], f"whether {function.describe()} writes to {source.describe()}: {verdict.reason}")
            elif verdict.yes:
                route = " -> ".join([source.logical_id] + [edge.target.logical_id for edge in path])
                yield ctx.finding(
                    path[0], f"function {function.describe()} is triggered by {source.describe()} ({route}) and its "
                             f"role {role.describe()} allows {WRITE_ACTIONS[source.type]} on it ({verdict.reason}): "
                             "if the code writes there, every write triggers the function again; write to another "
                             "resource or filter the trigger",
                    check="write-to-trigger", related=[function, role] if not role.implicit else [function],
                    cases=tuple(path))
        verdict = role_names_resource(graph, role, "lambda:InvokeFunction", function)
        if verdict.unknown:
            ctx.not_evaluated(function, f"whether {function.describe()} may invoke itself: {verdict.reason}")
        elif verdict.yes:
            yield ctx.finding(function, f"the role {role.describe()} of function {function.describe()} allows "
                                        f"lambda:InvokeFunction on the function itself ({verdict.reason}): a function "
                                        "that calls itself loops until a timeout or a quota stops it",
                              check="self-invoke", at="Role" if function.has("Role") else None,
                              related=[role] if not role.implicit else [], cases=())


def _upstream(graph, ctx, function):
    """(resource, path of edges to the function) for every bucket, queue and topic whose events reach it."""
    found, frontier, seen = [], [(function, [])], {function.logical_id}
    for _hop in range(MAX_HOPS):
        next_frontier = []
        for node, path in frontier:
            for kind in FEEDS:
                for edge in graph.edges(kind, target=node):
                    source = edge.source
                    if source.logical_id in seen or not _can_carry_writes(ctx, edge):
                        continue
                    seen.add(source.logical_id)
                    route = [edge] + path
                    if source.type in WRITE_ACTIONS:
                        found.append((source, route))
                    next_frontier.append((source, route))
        frontier = next_frontier
    return found


def _can_carry_writes(ctx, edge) -> bool:
    """Whether an object written to the bucket can travel along this link (always, for other links)."""
    if edge.kind != kinds.NOTIFIES:
        return True
    sam_event = edge.via is edge.target and edge.via.type == "AWS::Serverless::Function"
    base = f"{edge.at}.Properties" if sam_event else edge.at
    filters = edge.via.get(f"{base}.Filter", default=False)
    events = edge.via.get(f"{base}.Events" if sam_event else f"{base}.Event", default=False)
    carries = False
    for f, e in ctx.cases(edge, filters, events):
        answer = notified_on_write(f.value, e.value)
        if answer is None:
            ctx.not_evaluated(edge, f"the filter or events of the notification of {edge.source.describe()} are known "
                                    "only at deploy time")
        carries = carries or bool(answer)
    return carries
