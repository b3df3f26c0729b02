"""SQS009 fifo-naming-and-attributes."""
import re

from linter.model import QUEUE, TOPIC, as_bool, is_symbolic, rule

# (type, FIFO switch, name property, FIFO-only attributes, longest name, service)
KINDS = (
    (QUEUE, "FifoQueue", "QueueName", ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"),
     80, "queue", "SQS"),
    (TOPIC, "FifoTopic", "TopicName", ("ContentBasedDeduplication",), 256, "topic", "SNS"),
)
NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")


@rule("SQS009", "fifo-naming-and-attributes", severity="error", tags=("correctness", "sqs", "sns"),
      catalogue="R101")
def fifo_naming_and_attributes(graph, ctx):
    """A FIFO queue or topic needs a .fifo name, and FIFO-only settings need a FIFO queue or topic.

    **What it checks.**

    - `fifo-name` (error): an `AWS::SQS::Queue` with `FifoQueue: true` (or an `AWS::SNS::Topic` with
      `FifoTopic: true`) whose `QueueName` (`TopicName`) does not end in `.fifo`, and a name ending in
      `.fifo` on a queue or topic that is not FIFO (`FifoQueue` and `FifoTopic` are false when absent).
      A name built with `Fn::Sub` is judged when its ending is literal (`${AWS::StackName}-jobs.fifo`).
    - `fifo-only-attribute` (error): `ContentBasedDeduplication`, `DeduplicationScope` or
      `FifoThroughputLimit` on a standard queue, or `ContentBasedDeduplication` on a standard topic.
    - `name-format` (error): a literal queue name longer than 80 characters (`.fifo` included) or a
      topic name longer than 256, or a name with characters other than letters, digits, `-` and `_`.
    - `high-throughput` (info): a FIFO queue that sets only part of the high-throughput switch. High
      throughput needs `DeduplicationScope: messageGroup` and `FifoThroughputLimit: perMessageGroupId`
      together; any other combination quietly gives normal FIFO throughput.
    - `type-by-scenario` (info): `FifoQueue` or `FifoTopic` differs between scenarios (a parameter or an
      `Fn::If`). Switching the type replaces the queue or topic, and messages still in it are lost.

    Names from parameters without a value are not evaluated.

    **Why it matters.** SQS and SNS refuse these combinations, so the stack fails to create the queue
    or topic; a half-configured high-throughput queue deploys but throttles at the normal FIFO quota.

    **Example (fails).**

        Orders:
          Type: AWS::SQS::Queue
          Properties:
            FifoQueue: true
            QueueName: orders            # must be orders.fifo

    **Fix.**

        Orders:
          Type: AWS::SQS::Queue
          Properties:
            FifoQueue: true
            QueueName: orders.fifo
            DeduplicationScope: messageGroup
            FifoThroughputLimit: perMessageGroupId
    """
    for rtype, switch, name_prop, fifo_only, longest, noun, service in KINDS:
        for resource in graph.of_type(rtype):
            yield from _check(graph, ctx, resource, switch, name_prop, fifo_only, longest, noun, service)


def _check(graph, ctx, resource, switch, name_prop, fifo_only, longest, noun, service):
    fifo_value = resource.get(switch)
    decided = fifo_value.known_cases()
    if len({as_bool(c) for c in decided}) > 1:
        case = decided[0]
        yield ctx.finding(
            resource,
            f"{switch} of {noun} {resource.describe()} is true in some scenarios and false in others "
            f"(for example {case.show()}): "
            f"deploying with the other value replaces the {noun}, and messages still in it are lost",
            severity="info", check="type-by-scenario", at=switch)

    for fifo, name in ctx.cases(resource, fifo_value, resource.get(name_prop)):
        is_fifo = as_bool(fifo)
        if is_fifo is None:
            ctx.not_evaluated(resource, f"{switch} is {fifo.show()}, not true or false")
            continue
        if name.value is not None:
            yield from _name_checks(ctx, resource, fifo, name, is_fifo, switch, name_prop, longest, noun, service)
    yield from _fifo_only(ctx, resource, fifo_value, switch, fifo_only, noun)

    if resource.type == QUEUE:
        yield from _high_throughput(ctx, resource, fifo_value)


def _name_checks(ctx, resource, fifo, name, is_fifo, switch, name_prop, longest, noun, service):
    text = name.value if isinstance(name.value, str) else str(name.value)
    if is_symbolic(text) and re.search(r"\u27e7$", text):
        ctx.not_evaluated(resource, f"{name_prop} {name.show()} ends with a value known only at deploy time")
        return
    ends_fifo = text.endswith(".fifo")
    if is_fifo and not ends_fifo:
        yield ctx.finding(
            resource,
            f"{noun} {resource.describe()} is FIFO ({fifo.cite(switch)}) but its name {name.show()} does not end "
            f"in .fifo: {service} rejects it; name it like {_show_tail(text)}.fifo",
            check="fifo-name", at=name_prop, cases=(fifo, name))
    elif ends_fifo and not is_fifo:
        yield ctx.finding(
            resource,
            f"{noun} {resource.describe()} is named {name.show()}, which ends in .fifo, but it is a standard {noun} "
            f"({fifo.cite(switch)}): {service} rejects it; set {switch}: true or drop the suffix",
            check="fifo-name", at=name_prop, cases=(fifo, name))
    if is_symbolic(text):
        return
    if len(text) > longest:
        yield ctx.finding(
            resource,
            f"name {name.show()} of {noun} {resource.describe()} is {len(text)} characters long, more than the "
            f"{longest} {service} allows" + (" (.fifo included)" if is_fifo else ""),
            check="name-format", at=name_prop, cases=(name,))
    elif not NAME_CHARACTERS.match(text):
        yield ctx.finding(
            resource,
            f"name {name.show()} of {noun} {resource.describe()} has characters {service} does not allow in a "
            "name: only letters, digits, hyphens and underscores (and the .fifo suffix)",
            check="name-format", at=name_prop, cases=(name,))


def _fifo_only(ctx, resource, fifo_value, switch, fifo_only, noun):
    for prop in fifo_only:
        for fifo, value in ctx.cases(resource, fifo_value, resource.get(prop)):
            if value.value is None or as_bool(fifo) is not False:
                continue
            yield ctx.finding(
                resource,
                f"{noun} {resource.describe()} sets {value.cite(prop)}, which only a FIFO {noun} accepts, but it is a "
                f"standard {noun} ({fifo.cite(switch)}): the create fails; remove {prop} or make the {noun} FIFO",
                check="fifo-only-attribute", at=prop, cases=(fifo, value))


def _high_throughput(ctx, queue, fifo_value):
    scope_value, limit_value = queue.get("DeduplicationScope"), queue.get("FifoThroughputLimit")
    for fifo, scope, limit in ctx.cases(queue, fifo_value, scope_value, limit_value):
        if as_bool(fifo) is not True or (scope.value is None and limit.value is None):
            continue
        if scope.value == "messageGroup" and limit.value == "perMessageGroupId":
            continue
        yield ctx.finding(
            queue,
            f"FIFO queue {queue.describe()} sets DeduplicationScope {scope.show() if scope.value else 'not set'} and "
            f"FifoThroughputLimit {limit.show() if limit.value else 'not set'}: high throughput needs messageGroup "
            "with perMessageGroupId, so the queue runs at normal FIFO throughput",
            severity="info", check="high-throughput",
            at="DeduplicationScope" if scope.value is not None else "FifoThroughputLimit", cases=(fifo, scope, limit))


def _show_tail(text: str) -> str:
    return re.sub("\u27e6([^\u27e7]*)\u27e7", r"${\1}", text)
