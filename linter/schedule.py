"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)`` as EventBridge rules accept them."""
from __future__ import annotations

import re

_RATE = re.compile(r"^rate\(\s*(\S+)\s+(\S+)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}


def schedule_expression_problem(text: str) -> str:
    """Why an EventBridge rule's ``ScheduleExpression`` is invalid, or "" when it is valid as far as a
    syntax check can tell. ``rate(1 minute)`` takes the singular unit and ``rate(5 minutes)`` the plural;
    ``cron(...)`` has six fields, and either day-of-month or day-of-week must be ``?``."""
    text = text.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = rate.groups()
        if not value.isdigit() or int(value) < 1:
            return f"the rate value {value!r} is not a positive whole number"
        singular = {v: k for k, v in _UNITS.items()}
        if unit not in _UNITS and unit not in singular:
            return f"the rate unit {unit!r} is not minute(s), hour(s) or day(s)"
        if int(value) == 1 and unit in singular:
            return f"a rate of 1 takes the singular unit: rate(1 {singular[unit]})"
        if int(value) > 1 and unit in _UNITS:
            return f"a rate above 1 takes the plural unit: rate({value} {_UNITS[unit]})"
        return ""
    cron = _CRON.match(text)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            return (f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), "
                    f"this one has {len(fields)}")
        if fields[2] != "?" and fields[4] != "?":
            return "either day-of-month or day-of-week must be '?' in a cron expression"
        return ""
    if text.startswith("at("):
        return "one-time at(...) schedules exist only in EventBridge Scheduler, not in rules"
    return "a schedule expression is rate(...) or cron(...)"
