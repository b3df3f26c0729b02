"""LAM012 lambda-quota-ranges."""
import re

from linter.model import FUNCTION_TYPES, Limit, as_number, entries, fields, is_literal, known_size, range_findings, rule

FUNCTION_LIMITS = (
    Limit("Timeout", 1, 900, "s"),
    Limit("MemorySize", 128, 10240, "MB"),
    Limit("EphemeralStorage.Size", 512, 10240, "MB"),
)
ENVIRONMENT_BYTES = 4096
MAX_LAYERS = 5
# Names that end in a credential word (DB_PASSWORD, ApiToken); SECRET_ARN, TokensPerBucket point elsewhere.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|SECRET_?KEY|ACCESS_?KEY)$",
                         re.IGNORECASE)
# A credential is one opaque word; paths, ARNs, placeholders (<your key>) and sentences are not.
CREDENTIAL_VALUE = re.compile(r"^[^\s/<>{}$]{8,}$")


@rule("LAM012", "lambda-quota-ranges", severity="error", options={"long_timeout": 840},
      tags=("correctness", "lambda"), catalogue="R83")
def lambda_quota_ranges(graph, ctx):
    """A Lambda function's timeout, memory, /tmp size, environment and layers must fit Lambda's quotas.

    **What it checks.** For `AWS::Lambda::Function` and `AWS::Serverless::Function` (SAM `Globals.Function`
    merged in):

    - `range` (error): `Timeout` 1–900 s (3 s when absent), `MemorySize` 128–10,240 MB (128 MB when
      absent), `EphemeralStorage.Size` 512–10,240 MB (512 MB when absent).
    - `environment-size` (error): the keys and values of `Environment.Variables` together exceed 4 KB
      (4,096 bytes). A reference to a resource or pseudo parameter counts for nothing, so the size the
      message gives is a lower bound ("at least"); when an unresolved value could still tip the total
      over the limit, the check is not evaluated.
    - `layers` (error): more than 5 `Layers`. SAM appends the function's layers to those of
      `Globals.Function.Layers`, so both count.
    - `long-timeout` (info): a timeout of `long_timeout` seconds (840 by default) or more. The work is
      close to Lambda's 15-minute ceiling; Step Functions, AWS Batch or Fargate suit long jobs better.
    - `secret-in-environment` (info): a literal value in an environment variable whose name suggests a
      credential (it ends in `PASSWORD`, `SECRET`, `TOKEN`, `API_KEY` …) and whose value is one opaque
      word of 8 characters or more. Names that only point at a secret (`DB_SECRET_ARN`), paths, ARNs,
      placeholders (`<your key>`), references and dynamic references are left alone.

    Values from parameters with `AllowedValues`, mapping rows and `Fn::If` branches are checked in their
    worst case; a value known only at deploy time is reported as not evaluated.

    **Why it matters.** Lambda rejects a function configuration outside these quotas, so the stack fails
    to create or update the function and rolls back.

    **Example (fails).**

        Globals:
          Function:
            Layers: [!Ref Common, !Ref Telemetry, !Ref Pandas]
        Resources:
          Exporter:
            Type: AWS::Serverless::Function
            Properties:
              Timeout: 1800                  # Lambda stops at 900 s
              MemorySize: 20480              # at most 10240 MB
              Layers: [!Ref Fonts, !Ref Pdf, !Ref Images]   # 6 layers with the Globals

    **Fix.** Keep the function within 900 s, 10,240 MB and 5 layers (merge layers or use a container
    image), or move long work to Step Functions or AWS Batch.

    See https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    """
    for function in graph.of_type(*FUNCTION_TYPES):
        yield from range_findings(ctx, function, FUNCTION_LIMITS, noun="function",
                                  consequence="Lambda rejects it and the stack fails to create or update the function")
        yield from _environment_size(ctx, function)
        yield from _layers(ctx, function)
        yield from _long_timeout(ctx, function, ctx.options["long_timeout"])
        yield from _secrets(ctx, function)


def _environment_size(ctx, function):
    if not function.has("Environment"):
        return
    for (variables,) in ctx.cases(function, function.get("Environment.Variables")):
        if variables.value is None:
            continue
        size, unresolved, exact = known_size(variables.value)
        if size > ENVIRONMENT_BYTES:
            bound = "" if exact else "at least "
            yield ctx.finding(
                function,
                f"environment variables of function {function.describe()} take {bound}{size} bytes "
                f"(names and values{', ' + variables.origin if variables.origin else ''}), more than the 4096 bytes "
                "(4 KB) Lambda "
                "allows: the stack fails to create or update the function; keep large values in SSM Parameter "
                "Store or Secrets Manager and pass their names",
                check="environment-size", at="Environment.Variables", cases=(variables,))
        elif unresolved:
            ctx.not_evaluated(function, f"the size of Environment.Variables is at least {size} bytes, but "
                                        f"{unresolved[0]}")


def _layers(ctx, function):
    for (layers,) in ctx.cases(function, function.get("Layers")):
        items = entries(layers.value)
        if items is None or len(items) <= MAX_LAYERS:
            continue
        from_globals = " (Globals.Function.Layers and the function's own)" if "Globals" in layers.origin else ""
        yield ctx.finding(
            function,
            f"function {function.describe()} uses {len(items)} layers{from_globals}, more than the {MAX_LAYERS} "
            "Lambda allows: the stack fails to create or update the function; merge layers or package the "
            "dependencies with the function",
            check="layers", at="Layers", cases=(layers,))


def _long_timeout(ctx, function, threshold):
    for (timeout,) in ctx.cases(function, function.get("Timeout"), convert=as_number):
        if timeout.value is None or not (threshold <= timeout.value <= 900):
            continue
        yield ctx.finding(
            function,
            f"timeout of function {function.describe()} is {timeout.show('s')}, close to Lambda's 900 s ceiling: "
            "work this long is safer as a Step Functions workflow, an AWS Batch job or a Fargate task",
            severity="info", check="long-timeout", at="Timeout", cases=(timeout,))


def _secrets(ctx, function):
    if not function.has("Environment.Variables"):
        return
    for (variables,) in ctx.cases(function, function.get("Environment.Variables")):
        for name, value in (fields(variables.value) or {}).items():
            if not SECRET_NAME.search(str(name)) or not is_literal(value):
                continue
            if not CREDENTIAL_VALUE.match(str(value)) or str(value).startswith("arn:"):
                continue
            yield ctx.finding(
                function,
                f"environment variable {name} of function {function.describe()} holds a literal value that looks "
                "like a credential: anyone who can read the template or the function configuration sees it; "
                "read it from Secrets Manager or SSM Parameter Store at run time",
                severity="info", check="secret-in-environment", at=f"Environment.Variables.{name}",
                cases=(variables,))
