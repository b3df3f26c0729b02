"""LAM013 lambda-package-constraints."""
import ast
import re
import sys

from linter.model import FUNCTION_TYPES, display, known_size, rule

INLINE_BYTES = 4 * 1024 * 1024
# Modules a function's runtime provides besides the language's own library. CloudFormation adds
# cfnresponse (Python) and cfn-response (Node.js) to inline code.
PYTHON_PROVIDED = set(sys.stdlib_module_names) | {
    "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "cfnresponse", "awslambdaric",
    "__future__"}
NODE_BUILTINS = {
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram",
    "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector", "module", "net",
    "os", "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl", "stream",
    "string_decoder", "sys", "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm", "wasi",
    "worker_threads", "zlib", "cfn-response"}
NODE_IMPORT = re.compile(r"""\brequire\(\s*['"]([^'"\s]+)['"]\s*\)"""
                         r"""|^\s*(?:import\b[^'"\n]*?\bfrom\s+|import\s+|\}\s*from\s+)['"]([^'"\s]+)['"]""", re.M)
MODULE_NAME = re.compile(r"^(@[\w.-]+/)?[\w.-]+(/[\w.-]+)*$")
NODE_VERSION = re.compile(r"^nodejs(\d+)?")


@rule("LAM013", "lambda-package-constraints", severity="error", tags=("correctness", "lambda"), catalogue="R84")
def lambda_package_constraints(graph, ctx):
    """A Lambda function's package type must come with the properties it needs and none it forbids.

    **What it checks.** For `AWS::Lambda::Function` and `AWS::Serverless::Function`:

    - `image-package` (error): `PackageType: Image` without an image (`Code.ImageUri`; for SAM, `ImageUri`
      or a `Metadata` block with `DockerContext` that `sam build` turns into one), or with `Handler`,
      `Runtime` or `Layers` set on the function. Container images bring their own runtime and layers.
      Values that reach an image function from SAM `Globals` are left to SAM.
    - `zip-package` (error): a `.zip` package (`PackageType` absent or `Zip`) without `Runtime` or
      `Handler` (the function's own, or SAM `Globals.Function`). A SAM function in a template without
      a `Transform` or without a `Globals` section is not evaluated: projects that assemble their
      template from several files keep the Globals elsewhere.
    - `inline-size` (error): inline code (`Code.ZipFile`, SAM `InlineCode`) above 4 MB, the most
      CloudFormation zips for you. Long inline code is not flagged on length alone: the old
      4,096-character limit no longer applies.
    - `inline-dependencies` (warning): inline Python or Node.js code that imports a module the runtime
      does not provide (neither the standard library, nor the AWS SDK bundled with the runtime, nor
      CloudFormation's `cfnresponse`/`cfn-response`). Inline code is deployed alone, so the import fails
      on the first invocation. Python code is parsed, so a script carried inside a string does not count;
      code that does not parse, and a function with `Layers` (a layer may provide the module), are not
      evaluated.

    Not checked: the size of a local `CodeUri` directory. Before `sam build` it holds the sources
    without their dependencies, so its size says nothing about the 50 MB zipped / 250 MB unzipped
    limits; `sam build` and `sam package` report those. An inline body or runtime known only at deploy
    time is reported as not evaluated.

    **Why it matters.** Lambda rejects an image function with a runtime or layers, and a zip function
    without a handler or runtime, so the stack fails to deploy. Inline code importing a third-party
    package deploys, then fails at run time with `ModuleNotFoundError`.

    **Example (fails).**

        Resizer:
          Type: AWS::Lambda::Function
          Properties:
            Runtime: python3.12
            Handler: index.handler
            Role: !GetAtt ResizerRole.Arn
            Code:
              ZipFile: |
                from PIL import Image      # Pillow is not part of the Python runtime

    **Fix.** Package the dependency: put the code in a directory with a `requirements.txt` (SAM
    `CodeUri`), ship the library as a layer, or use a container image.

    See https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    """
    for function in graph.of_type(*FUNCTION_TYPES):
        for (package_type,) in ctx.cases(function, function.get("PackageType")):
            kind = str(package_type.value or "Zip")
            if kind.lower() == "image":
                yield from _image(ctx, function, package_type)
            else:
                yield from _zip(ctx, function)
                yield from _inline(ctx, function)


def _image(ctx, function, package_type):
    sam = function.type == "AWS::Serverless::Function"
    image_path = "ImageUri" if sam else "Code.ImageUri"
    has_image = function.has(image_path) or (sam and function.has("ImageUri")) or _sam_image_metadata(ctx, function)
    if not has_image:
        yield ctx.finding(
            function,
            f"function {function.describe()} has {package_type.cite('PackageType')}, but no {image_path}: Lambda "
            "needs the image to create the function; set the ECR image URI"
            + (" or add Metadata with DockerContext and Dockerfile for sam build" if sam else ""),
            check="image-package", at="PackageType", cases=(package_type,))
    for prop in ("Handler", "Runtime", "Layers"):
        if not function.has(prop):
            continue
        own = [c for c in function.get(prop) if not c.origin.startswith("Globals.")]
        if not own:
            continue
        yield ctx.finding(
            function,
            f"function {function.describe()} is a container image ({package_type.cite('PackageType')}) but sets "
            f"{prop}: Lambda rejects {prop} for image functions (the image brings its runtime and dependencies); "
            f"remove it, or set ImageConfig.Command/EntryPoint instead of a handler",
            check="image-package", at=prop, cases=(package_type,))


def _sam_image_metadata(ctx, function) -> bool:
    node = ctx.graph.template.get("Resources", {}).get(function.logical_id) if function.origin is None else None
    metadata = node.get("Metadata") if isinstance(node, dict) else None
    return isinstance(metadata, dict) and ("DockerContext" in metadata or "Dockerfile" in metadata)


def _zip(ctx, function):
    template = ctx.graph.template
    # SAM projects split into several files merge them before the transform; the Globals that give the
    # runtime and handler then live in another file.
    fragment = function.type == "AWS::Serverless::Function" and not (template.get("Transform")
                                                                      and template.get("Globals"))
    for prop in ("Runtime", "Handler"):
        for (value,) in ctx.cases(function, function.get(prop)):
            if value.value not in (None, ""):
                continue
            if fragment:
                ctx.not_evaluated(function, f"the function has no {prop} and the template has no Transform or no "
                                            "Globals section: it may come from Globals in another file")
                continue
            yield ctx.finding(
                function,
                f"function {function.describe()} is a .zip package (PackageType Zip or absent) without {prop}: "
                f"Lambda rejects it and the stack fails to create the function; set {prop}"
                + (" (or Globals.Function." + prop + ")" if function.type == "AWS::Serverless::Function" else ""),
                check="zip-package", cases=(value,))


def _inline(ctx, function):
    path = "InlineCode" if function.type == "AWS::Serverless::Function" else "Code.ZipFile"
    if not function.has(path):
        return
    for code, runtime in ctx.cases(function, function.get(path), function.get("Runtime")):
        text = str(code.value or "")
        size, _, _ = known_size(text)
        if size > INLINE_BYTES:
            yield ctx.finding(
                function,
                f"inline code of function {function.describe()} is {size} bytes, more than the 4 MB CloudFormation "
                "accepts: move the code to a CodeUri directory or an S3 object",
                check="inline-size", at=path, cases=(code,))
        missing = _missing_modules(text, str(runtime.value or ""))
        if missing is None:
            ctx.not_evaluated(function, f"the inline code does not parse as {runtime.show()} code, so its imports "
                                        "are not known")
        elif missing and function.has("Layers"):
            ctx.not_evaluated(function, f"inline code imports {', '.join(missing)}, which a layer of the function "
                                        "may provide")
        elif missing:
            names = ", ".join(missing)
            yield ctx.finding(
                function,
                f"inline code of function {function.describe()} imports {names}, which the runtime "
                f"{runtime.show()} does not provide: inline code is deployed without dependencies, so the "
                "import fails on the first invocation; package the function with its dependencies (CodeUri, "
                "a layer or an image)",
                severity="warning", check="inline-dependencies", at=path, cases=(code, runtime))


def _missing_modules(text: str, runtime: str) -> list[str] | None:
    """Modules the code imports that the runtime lacks; None when the code does not parse."""
    if runtime.startswith("python"):
        # Parse rather than search: code often carries other scripts inside string literals.
        try:
            tree = ast.parse(display(text))
        except (SyntaxError, ValueError):
            return None
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
        return sorted(found - PYTHON_PROVIDED)
    if runtime.startswith("nodejs"):
        version = NODE_VERSION.match(runtime).group(1)
        sdk_v2 = version is None or int(version) <= 16   # Node.js 18 and later bundle only SDK v3
        missing = set()
        for m in NODE_IMPORT.finditer(text):
            name = m.group(1) or m.group(2)
            if name.startswith((".", "/", "node:")) or not MODULE_NAME.match(name):
                continue
            package = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
            if package in NODE_BUILTINS:
                continue
            if (sdk_v2 and package == "aws-sdk") or (not sdk_v2 and package.startswith("@aws-sdk/")):
                continue
            missing.add(package)
        return sorted(missing)
    return []
