"""CloudWatch Logs facts: retention values, the log group of a Lambda function, log-service principals."""
from __future__ import annotations

import re

from .graph import Graph, Resource
from .values import TOKEN, Case

LOG_GROUP = "AWS::Logs::LogGroup"
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
_LOGS_PRINCIPAL = re.compile(r"logs(\.[a-z0-9-]+|\.\0)?\.amazonaws\.com(\.cn)?", re.IGNORECASE)


def function_log_groups(graph: Graph, function: Resource) -> list[Resource]:
    """The template's log groups a function writes to: ``LoggingConfig.LogGroup``, or one named
    ``/aws/lambda/<function name>`` (``!Sub /aws/lambda/${Fn}`` or the literal ``FunctionName``)."""
    out = []
    own_names = {c.value for c in function.get("FunctionName", default=False) if isinstance(c.value, str)}
    for case in function.get("LoggingConfig.LogGroup", default=False):
        if case.value is not None:
            found, _ = graph.follow(case, (LOG_GROUP,))
            if found is not None and found.type == LOG_GROUP:
                out.append(found)
    for group in graph.of_type(LOG_GROUP):
        for case in group.get("LogGroupName", default=False):
            name = case.value
            if not isinstance(name, str) or not name.startswith("/aws/lambda/"):
                continue
            suffix = name[len("/aws/lambda/"):]
            found, _ = graph.follow(Case(suffix, case.origin, case.assumptions))
            if (found is function or suffix in own_names) and group not in out:
                out.append(group)
    return out


def names_logs_service(text: str) -> bool:
    """Is a service principal the CloudWatch Logs service (``logs.amazonaws.com``,
    ``logs.${AWS::Region}.amazonaws.com``, ``logs.us-east-1.amazonaws.com``)?"""
    plain = TOKEN.sub(lambda m: "amazonaws.com" if m.group(1) == "AWS::URLSuffix" else "\0", text)
    return bool(_LOGS_PRINCIPAL.fullmatch(plain))
