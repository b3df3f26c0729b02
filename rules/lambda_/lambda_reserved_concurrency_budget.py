"""LAM007 lambda-reserved-concurrency-budget."""
from linter.model import FUNCTION_TYPES, as_number, rule

# Lambda keeps this many concurrent executions unreserved in every account and Region.
UNRESERVED_MINIMUM = 100


@rule("LAM007", "lambda-reserved-concurrency-budget", severity="error", options={"account_limit": 1000},
      tags=("correctness", "lambda", "quotas"), catalogue="R34")
def reserved_concurrency_budget(graph, ctx):
    """Reserved concurrency must fit the account's concurrency quota, and must not be zero by accident.

    **What it checks.**

    - *error* (`over-budget`): the sum of `ReservedConcurrentExecutions` over the template's functions
      (SAM `Globals` included) exceeds the account limit minus the 100 executions Lambda keeps
      unreserved. The limit is the option `account_limit` (1000 by default, the usual Regional quota;
      new accounts may have less). Scenarios are judged at their worst (the largest reservations).
    - *warning* (`zero`): `ReservedConcurrentExecutions: 0` throttles every invocation of the function.

    Other stacks in the same account also reserve concurrency; the tool sees only this template, so
    the budget check is a lower bound. A reservation that is not known is not evaluated.

    **Why it matters.** Lambda refuses a reservation that would leave fewer than 100 unreserved
    executions, so the deployment fails. A reservation of 0 is a kill switch: every event is throttled
    (and, for asynchronous sources, eventually dropped).

    **Example (fails).**

        Globals:
          Function:
            ReservedConcurrentExecutions: 300
        # four functions: 1200 reserved > 1000 - 100

    **Fix.** Lower the reservations, reserve only for the functions that need a guarantee, or raise
    the account quota and set `account_limit` accordingly.
    """
    budget = ctx.options["account_limit"] - UNRESERVED_MINIMUM
    functions = [f for f in graph.of_type(*FUNCTION_TYPES) if f.has("ReservedConcurrentExecutions")]
    for function in functions:
        for (r,) in ctx.cases(function, function.get("ReservedConcurrentExecutions"), convert=as_number):
            if r.value == 0:
                yield ctx.finding(function, f"function {function.describe()} has {r.cite('ReservedConcurrentExecutions')}"
                                            ": every invocation is throttled", severity="warning", check="zero",
                                  at="ReservedConcurrentExecutions", cases=(r,))
    if len(functions) < 1:
        return
    values = [f.get("ReservedConcurrentExecutions") for f in functions]
    subject = functions[0]
    for combo in ctx.cases(subject, *values, convert=as_number, worst=(max,) * len(values)):
        # A reservation switched off in a scenario (Fn::If with AWS::NoValue) reserves nothing there.
        reserved = [(f, c) for f, c in zip(functions, combo) if c.value is not None]
        total = sum(c.value for _f, c in reserved)
        if total > budget:
            parts = ", ".join(f"{f.logical_id} {c.show()}" for f, c in reserved)
            biggest = max(reserved, key=lambda pair: pair[1].value)[0]
            yield ctx.finding(biggest, f"the functions of this template reserve {total:g} concurrent executions "
                                       f"({parts}), more than the account limit {ctx.options['account_limit']} minus "
                                       f"the {UNRESERVED_MINIMUM} Lambda keeps unreserved ({budget}): the deployment "
                                       "fails", check="over-budget", at="ReservedConcurrentExecutions",
                              related=[f for f in functions if f is not biggest], cases=combo)
