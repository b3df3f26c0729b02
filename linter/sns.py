"""SNS subscriptions in one shape, whether written as ``AWS::SNS::Subscription`` resources, as items of
``AWS::SNS::Topic.Subscription``, or by SAM (``Type: SNS`` events)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .cfn import TOPIC
from . import kinds


@dataclass
class Subscription:
    """One subscription of a topic of the template.

    ``subject`` is what findings are reported on (the subscription resource, or the topic's list entry);
    ``holder`` the resource it is written in; ``prefix`` the property path of its fields on the holder
    ("" for a subscription resource, ``Subscription.2.`` for a topic's entry); ``targets`` the
    ``subscribes`` edges to resources of the template it delivers to.
    """

    subject: object
    holder: object
    topic: object
    prefix: str = ""
    targets: list = field(default_factory=list)

    def get(self, name: str, default: bool = True):
        """A field of the subscription: ``sub.get("Protocol")``, ``sub.get("RedrivePolicy.deadLetterTargetArn")``."""
        if self.prefix:
            return self.subject.get(name, default=default)
        return self.holder.get(name, default=default)

    def at(self, name: str) -> str:
        """The property path of a field, for ``ctx.finding(..., at=sub.at("Protocol"))``."""
        return f"{self.prefix}{name}"

    def describe(self) -> str:
        if self.prefix:
            return f"subscription {self.prefix.rstrip('.')} of topic {self.topic.describe()}"
        if self.topic is None:
            return f"subscription {self.holder.describe()}"
        return f"subscription {self.holder.describe()} to topic {self.topic.describe()}"


def subscriptions(graph, *, external: bool = False) -> tuple[list[Subscription], list[tuple[object, str]]]:
    """Every subscription to a topic of the template, and (holder, reason) for subscription resources
    whose topic cannot be followed (an imported or external topic ARN). With ``external=True`` those are
    also among the subscriptions, with ``topic`` None, for checks that need only the subscription."""
    out, loose = [], []
    edges = graph.edges(kinds.SUBSCRIBES)
    for holder in graph.of_type("AWS::SNS::Subscription"):
        seen = set()
        for case in holder.get("TopicArn"):
            topic, reason = graph.follow(case, (TOPIC,))
            if topic is None or topic.type != TOPIC:
                loose.append((holder, reason or "its TopicArn does not name a topic"))
                if external and None not in seen:
                    seen.add(None)
                    out.append(Subscription(holder, holder, None, ""))
                continue
            if topic.logical_id in seen:
                continue
            seen.add(topic.logical_id)
            out.append(Subscription(holder, holder, topic, "",
                                    [e for e in edges if e.via is holder and e.source is topic]))
    for topic in graph.of_type(TOPIC):
        for entry in topic.entries("Subscription"):
            out.append(Subscription(entry, topic, topic, entry.at + ".",
                                    [e for e in edges if e.via is topic and e.at == entry.at]))
    return out, loose


def filter_policy_problem(policy, max_keys: int = 5, max_combinations: int = 150) -> str:
    """Why a resolved ``FilterPolicy`` is not one SNS accepts (not JSON, too many attribute keys, too many
    value combinations: the product of the number of values of each key), or "" when it is fine.
    Nested ``MessageBody`` policies are counted at the top level only."""
    import json

    if policy is None:
        return ""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return "is not valid JSON"
    if not isinstance(policy, dict):
        return "is not a JSON object"
    keys = [k for k in policy if not str(k).startswith("$")]
    if len(keys) > max_keys:
        return f"has {len(keys)} attribute keys, more than the {max_keys} SNS allows"
    combinations = 1
    for key in keys:
        values = policy[key]
        combinations *= len(values) if isinstance(values, list) and values else 1
    if combinations > max_combinations:
        return f"has {combinations} value combinations, more than the {max_combinations} SNS allows"
    return ""
