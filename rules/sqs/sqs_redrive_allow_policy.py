"""SQS007 sqs-redrive-allow-policy."""
from linter.model import QUEUE, as_list, as_text, kinds, list_names, rule


@rule("SQS007", "sqs-redrive-allow-policy", severity="error", options={"max_source_queues": 10},
      tags=("reliability", "sqs", "dlq"), catalogue="R36")
def redrive_allow_policy(graph, ctx):
    """A dead-letter queue's redrive allow policy must let the queues that redrive to it do so.

    **What it checks.** For every queue whose `RedrivePolicy.deadLetterTargetArn` names a queue of the
    template, it reads the dead-letter queue's `RedriveAllowPolicy` (object or JSON string).
    `redrivePermission: denyAll` is an **error**; `byQueue` is an **error** unless `sourceQueueArns`
    names the source queue (`!GetAtt Source.Arn`, a `!Sub` ARN, or a literal ARN with the source's
    `QueueName`). No `RedriveAllowPolicy`, or `allowAll`, lets every queue of the account use it. When
    more than `max_source_queues` (10, the SQS limit of `sourceQueueArns`) queues of the template redrive
    to a `byQueue` dead-letter queue, that is **info**: the list cannot name them all. A permission or
    list known only at deploy time is not evaluated.

    **Why it matters.** SQS refuses a redrive policy whose target does not allow the source queue: the
    source queue fails to create or update, or (when the allow policy changes later) its failed messages
    have nowhere to go.

    **Example (fails).**

        Orders:
          Type: AWS::SQS::Queue
          Properties:
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
              maxReceiveCount: 5
        OrdersDLQ:
          Type: AWS::SQS::Queue
          Properties:
            RedriveAllowPolicy:
              redrivePermission: byQueue
              sourceQueueArns: [!GetAtt Payments.Arn]

    **Fix.** List every source queue (at most 10), or use `allowAll`:

        RedriveAllowPolicy:
          redrivePermission: byQueue
          sourceQueueArns: [!GetAtt Payments.Arn, !GetAtt Orders.Arn]
    """
    limit = ctx.options["max_source_queues"]
    by_queue_sources = {}
    for edge in graph.edges(kinds.DLQ_OF, source_type=QUEUE, target_type=QUEUE):
        if edge.role != kinds.REDRIVE or edge.source is edge.target:
            continue
        dlq, source = edge.source, edge.target
        permission = dlq.get("RedriveAllowPolicy.redrivePermission", default=False)
        arns = dlq.get("RedriveAllowPolicy.sourceQueueArns", default=False)
        for perm, in ctx.cases(edge, permission, convert=as_text):
            at = "RedriveAllowPolicy"
            if perm.value == "denyAll":
                yield ctx.finding(source, f"queue {source.describe()} redrives to {dlq.describe()}, whose "
                                          f"RedriveAllowPolicy is {perm.show()}: no queue may use it as a dead-letter "
                                          "queue, so SQS rejects the redrive policy; allow this queue (byQueue) or "
                                          "pick another dead-letter queue",
                                  at="RedrivePolicy", related=[dlq], check="deny-all", cases=(perm, edge))
            elif perm.value == "byQueue":
                by_queue_sources.setdefault(dlq.logical_id, (dlq, []))[1].append(edge)
                for listed, in ctx.cases(edge, arns, convert=as_list):
                    if listed.value is None:
                        verdict_no, reason = True, "sourceQueueArns is not set"
                    else:
                        verdict = list_names(graph, listed, source)
                        if verdict.unknown:
                            ctx.not_evaluated(edge, f"the sourceQueueArns of {dlq.describe()}: {verdict.reason}")
                            continue
                        verdict_no, reason = verdict.no, verdict.reason
                    if verdict_no:
                        yield ctx.finding(source, f"queue {source.describe()} redrives to {dlq.describe()}, whose "
                                                  f"RedriveAllowPolicy is byQueue ({perm.show()}) and does not list it: "
                                                  f"{reason}; SQS rejects the redrive policy; add "
                                                  f"!GetAtt {source.logical_id}.Arn to sourceQueueArns",
                                          at="RedrivePolicy", related=[dlq], check="by-queue",
                                          cases=(perm, listed, edge))
            elif perm.value not in (None, "allowAll"):
                yield ctx.finding(dlq, f"RedriveAllowPolicy of {dlq.describe()} has redrivePermission {perm.show()}; "
                                       "SQS accepts allowAll, denyAll or byQueue", at=at, related=[source],
                                  check="permission-value", cases=(perm, edge))
    for dlq, edges in by_queue_sources.values():
        sources = list(dict.fromkeys(e.target.logical_id for e in edges))
        if len(sources) > limit:
            yield ctx.finding(dlq, f"{len(sources)} queues redrive to {dlq.describe()} ({', '.join(sources)}), but "
                                   f"a byQueue RedriveAllowPolicy can list at most {limit} source queues; use "
                                   "allowAll or split the dead-letter queue",
                              severity="info", at="RedriveAllowPolicy", check="too-many-sources")
