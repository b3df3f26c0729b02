"""TPL004 nested-stack-parameters."""
from linter.model import NestedParameterProblem, nested_stack_parameter_problems, rule


@rule("TPL004", "nested-stack-parameters", severity="error", tags=("correctness", "cloudformation"))
def nested_stack_parameters(graph, ctx):
    """A nested stack must be passed every parameter its template requires, and only parameters it declares.

    **What it checks.** For an `AWS::CloudFormation::Stack` whose `TemplateURL` (or an
    `AWS::Serverless::Application` whose `Location`) is a local file — the form before `package` uploads
    it — the nested template is read (the one checked in the same run, else the file itself) and:

    - `undeclared`: a key of the stack's `Parameters` that the nested template does not declare is an
      **error**;
    - `missing`: a parameter the nested template declares without a `Default` that the stack does not pass
      is an **error**.

    The nested template's parameter is shown as a related location. A nested template that cannot be read,
    or `Parameters` computed by an intrinsic function, is *not evaluated*. When both templates are checked
    in the same run, the nested stack is also checked with the values its parent passes.

    **Why it matters.** CloudFormation fails the parent stack's deployment when it creates the nested
    stack ("Parameters: [X] do not exist in the template", "Parameters: [Y] must have values"), after the
    resources before it were already created, and rolls them back.

    **Example (fails).**

        Queues:
          Type: AWS::CloudFormation::Stack
          Properties:
            TemplateURL: ./queues.yaml
            Parameters:
              Enviroment: prod          # queues.yaml declares Environment

    **Fix.** Pass every required parameter under the name the nested template declares.
    """
    for problem in nested_stack_parameter_problems(graph):
        if not isinstance(problem, NestedParameterProblem):
            resource, reason = problem
            ctx.not_evaluated(resource, f"the nested stack's parameters cannot be compared: {reason}")
            continue
        stack, name = problem.stack, problem.parameter
        if problem.kind == "undeclared":
            yield ctx.finding(stack, f"nested stack {stack.logical_id} passes parameter {name}, which its template "
                                     f"{problem.child_path} does not declare: CloudFormation rejects the stack",
                              at=f"Parameters.{name}", related=[problem.child_location], check=f"undeclared:{name}")
        else:
            yield ctx.finding(stack, f"nested stack {stack.logical_id} does not pass parameter {name}, which its "
                                     f"template {problem.child_path} requires (no Default): CloudFormation rejects "
                                     "the stack", related=[problem.child_location],
                              check=f"missing:{name}")
