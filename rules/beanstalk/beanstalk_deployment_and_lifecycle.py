"""EBN002 beanstalk-deployment-and-lifecycle."""
from linter.model import as_bool, as_text, option, option_at, production, rule

ENVIRONMENT = "AWS::ElasticBeanstalk::Environment"
APPLICATION = "AWS::ElasticBeanstalk::Application"
LIFECYCLE = "ResourceLifecycleConfig.VersionLifecycleConfig"


@rule("EBN002", "beanstalk-deployment-and-lifecycle", severity="warning",
      tags=("reliability", "operations", "beanstalk"), catalogue="R115")
def beanstalk_deployment_and_lifecycle(graph, ctx):
    """A production Elastic Beanstalk environment should deploy without downtime and run on more than one instance, and its application should prune old versions.

    **What it checks.**

    - **warning**, in production: an `AWS::ElasticBeanstalk::Environment` whose
      `aws:elasticbeanstalk:command` `DeploymentPolicy` is `AllAtOnce` (the Elastic Beanstalk API default
      when not set), so every deployment takes all instances out of service at once.
    - **warning**, in production: `aws:elasticbeanstalk:environment` `EnvironmentType: SingleInstance`: no
      load balancer and no second instance.
    - **info**: an `AWS::ElasticBeanstalk::Application` without an enabled version lifecycle rule
      (`ResourceLifecycleConfig.VersionLifecycleConfig.MaxCountRule` or `MaxAgeRule` with `Enabled: true`).
    - **info**: a lifecycle rule with `DeleteSourceFromS3: true`, which deletes the source bundles too.

    Options come from the environment's `OptionSettings`, then its configuration template, then the Elastic
    Beanstalk default. Production follows the catalogue's convention (a production-like environment
    parameter or condition, or the template as written when it has none). Unknown values are *not
    evaluated*.

    **Why it matters.** All-at-once deployments and single instances mean downtime on every release and
    on every instance failure. An application keeps at most 1000 versions: without a lifecycle rule,
    deployments eventually fail until someone deletes versions by hand.

    **Example (fails).**

        ShopEnvironment:
          Type: AWS::ElasticBeanstalk::Environment
          Properties:
            ApplicationName: !Ref ShopApplication
            SolutionStackName: 64bit Amazon Linux 2023 v6.1.0 running Node.js 20
            OptionSettings:
              - Namespace: aws:elasticbeanstalk:environment
                OptionName: EnvironmentType
                Value: SingleInstance

    **Fix.** Use a load-balanced environment with a rolling-with-additional-batch, immutable or
    traffic-splitting deployment policy, and a version lifecycle rule on the application:

        OptionSettings:
          - Namespace: aws:elasticbeanstalk:command
            OptionName: DeploymentPolicy
            Value: Immutable

    See https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.rolling-version-deploy.html.
    """
    in_production = production(graph)
    for environment in graph.of_type(ENVIRONMENT):
        policy = option(environment, "aws:elasticbeanstalk:command", "DeploymentPolicy")
        for deployment, prod in ctx.cases(environment, policy, in_production, convert=(as_text, None)):
            if prod.value and (deployment.value or "").lower() == "allatonce":
                yield ctx.finding(environment, f"Elastic Beanstalk environment {environment.describe()} deploys with "
                                               f"DeploymentPolicy {deployment.show()} in production ({prod.origin}); "
                                               "every deployment stops all instances: use RollingWithAdditionalBatch, "
                                               "Immutable or TrafficSplitting",
                                  at=option_at(environment, "aws:elasticbeanstalk:command", "DeploymentPolicy"),
                                  check="all-at-once", cases=(deployment, prod))
        kind = option(environment, "aws:elasticbeanstalk:environment", "EnvironmentType")
        for environment_type, prod in ctx.cases(environment, kind, in_production, convert=(as_text, None)):
            if prod.value and (environment_type.value or "").lower() == "singleinstance":
                yield ctx.finding(environment, f"Elastic Beanstalk environment {environment.describe()} is "
                                               f"{environment_type.show()} in production ({prod.origin}); one "
                                               "instance and no load balancer means downtime on any failure: use "
                                               "LoadBalanced", check="single-instance",
                                  at=option_at(environment, "aws:elasticbeanstalk:environment", "EnvironmentType"),
                                  cases=(environment_type, prod))
    for application in graph.of_type(APPLICATION):
        yield from _lifecycle(ctx, application)


def _lifecycle(ctx, application):
    rules = [f"{LIFECYCLE}.{name}" for name in ("MaxCountRule", "MaxAgeRule")]
    enabled_somewhere = False
    for path in rules:
        if not application.has(path):
            continue
        for enabled, delete_source in ctx.cases(application, application.get(f"{path}.Enabled", default=False),
                                                application.get(f"{path}.DeleteSourceFromS3", default=False),
                                                convert=as_bool):
            if not enabled.value:
                continue
            enabled_somewhere = True
            if delete_source.value:
                yield ctx.finding(application, f"the version lifecycle rule of application {application.describe()} "
                                               f"deletes source bundles from S3 ({delete_source.cite('DeleteSourceFromS3')}); "
                                               "an old version can then not be redeployed or inspected",
                                  severity="info", at=f"{path}.DeleteSourceFromS3", check="delete-source",
                                  cases=(enabled, delete_source))
    if not enabled_somewhere and ctx.all_judged(application):
        yield ctx.finding(application, f"application {application.describe()} has no enabled version lifecycle "
                                       "rule; Elastic Beanstalk keeps at most 1000 versions and deployments fail "
                                       "once they are reached: enable MaxCountRule or MaxAgeRule",
                          severity="info", check="no-lifecycle")

