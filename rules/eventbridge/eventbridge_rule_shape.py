"""EVB002 eventbridge-rule-shape."""
from linter.model import as_number, as_text, presence, rule, schedule_expression_problem

EVENT_BUS = "AWS::Events::EventBus"
RANGES = {"RetryPolicy.MaximumRetryAttempts": (0, 185, ""), "RetryPolicy.MaximumEventAgeInSeconds": (60, 86400, "s")}


@rule("EVB002", "eventbridge-rule-shape", severity="error", options={"max_targets": 5},
      tags=("correctness", "eventbridge"), catalogue="R80")
def rule_shape(graph, ctx):
    """An EventBridge rule must be written the way EventBridge accepts it.

    **What it checks.** Each sub-check is an **error**. On `AWS::Events::Rule` and the rules SAM creates for
    `Schedule`, `EventBridgeRule` and `CloudWatchEvent` events:

    - `ScheduleExpression` syntax: `rate(1 minute)` with the singular unit, `rate(5 minutes)` with the
      plural; `cron(...)` with six fields and `?` in day-of-month or day-of-week;
    - a `ScheduleExpression` on a custom event bus (`EventBusName` other than `default`): schedules run
      only on the default bus (EventBridge Scheduler is the alternative);
    - neither `EventPattern` nor `ScheduleExpression`;
    - more than `max_targets` (5, the EventBridge quota) targets;
    - `RetryPolicy.MaximumRetryAttempts` outside 0–185, `MaximumEventAgeInSeconds` outside 60–86400;
    - two targets with the same `Id`.

    Values known only at deploy time are not evaluated.

    **Why it matters.** EventBridge rejects these rules, so the stack fails to deploy; a schedule on
    a custom bus is refused too, rather than firing.

    **Example (fails).**

        Hourly:
          Type: AWS::Events::Rule
          Properties:
            ScheduleExpression: rate(1 hours)

    **Fix.** `ScheduleExpression: rate(1 hour)`; move schedules to the default bus or to an
    `AWS::Scheduler::Schedule`.
    """
    limit = ctx.options["max_targets"]
    for events_rule in graph.of_type("AWS::Events::Rule"):
        schedule = events_rule.get("ScheduleExpression", default=False)
        for s, in ctx.cases(events_rule, schedule, convert=as_text):
            problem = schedule_expression_problem(s.value) if s.value is not None else ""
            if problem:
                yield ctx.finding(events_rule, f"schedule expression {s.show()} of rule {events_rule.describe()} is "
                                               f"invalid: {problem}", at="ScheduleExpression", check="expression",
                                  cases=(s,))
        for s, p in ctx.cases(events_rule, presence(schedule), presence(events_rule.get("EventPattern", default=False))):
            if not s.value and not p.value:
                yield ctx.finding(events_rule, f"rule {events_rule.describe()} has neither EventPattern nor "
                                               "ScheduleExpression; EventBridge requires one", check="trigger",
                                  cases=(s, p))
        scheduled = schedule.any(lambda value: value is not None, unknown=True)
        bus_name = events_rule.get("EventBusName", default=False) if scheduled else None
        for s, bus in ctx.cases(events_rule, presence(schedule), bus_name) if bus_name is not None else ():
            custom = _custom_bus(graph, bus) if s.value and bus.value is not None else ""
            if custom:
                yield ctx.finding(events_rule, f"rule {events_rule.describe()} has a ScheduleExpression on custom "
                                               f"event bus {custom}: scheduled rules run only on the default bus; "
                                               "use the default bus or an AWS::Scheduler::Schedule",
                                  at="EventBusName", check="schedule-on-custom-bus", cases=(s, bus))
        targets = events_rule.entries("Targets")
        if len(targets) > limit:
            yield ctx.finding(events_rule, f"rule {events_rule.describe()} has {len(targets)} targets; a rule can "
                                           f"have at most {limit}", at="Targets", check="too-many-targets")
        ids = {}
        for target in targets:
            for path, (low, high, unit) in RANGES.items():
                for v, in ctx.cases(target, target.get(path, default=False), convert=as_number):
                    if v.value is not None and not low <= v.value <= high:
                        yield ctx.finding(target, f"{path} of target {target.index + 1} of rule "
                                                  f"{events_rule.describe()} is {v.show(unit)}, outside {low}–{high}",
                                          at=path, check=path, cases=(v,))
            for i, in ctx.cases(target, target.get("Id", default=False), convert=as_text):
                if i.value is None:
                    continue
                if i.value in ids and ids[i.value].index != target.index and not _exclusive(ids[i.value], target):
                    yield ctx.finding(target, f"targets {ids[i.value].index + 1} and {target.index + 1} of rule "
                                              f"{events_rule.describe()} share the Id {i.show()}; target Ids must be "
                                              "unique within a rule", at=f"{target.at}.Id", check="duplicate-id",
                                      cases=(i,))
                ids.setdefault(i.value, target)


def _custom_bus(graph, bus) -> str:
    """How to name the bus when an EventBusName case names a bus other than the default one, else ""."""
    found, _reason = graph.follow(bus, (EVENT_BUS,))
    if found is not None:
        return found.describe() if found.type == EVENT_BUS else ""
    text = as_text(bus)
    if text is None or text == "default" or text.endswith("event-bus/default"):
        return ""
    return bus.show()


def _exclusive(a, b) -> bool:
    """Two list entries that exist in contradicting scenarios (Fn::If branches) never meet."""
    from linter.model import scenario_of

    return scenario_of(a, b) is None
