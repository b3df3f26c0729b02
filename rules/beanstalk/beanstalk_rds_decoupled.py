"""EBN001 beanstalk-rds-decoupled."""
import re

from linter.model import as_text, namespace_options, option, production, rule

ENVIRONMENT = "AWS::ElasticBeanstalk::Environment"
RDS_NAMESPACE = "aws:rds:dbinstance"
NOT_PRODUCTION_NAME = re.compile(r"(?i)(^|[^a-z])(dev|develop|development|test|testing|qa|sandbox)($|[^a-z])")


@rule("EBN001", "beanstalk-rds-decoupled", severity="warning", tags=("reliability", "data-loss", "beanstalk", "rds"),
      catalogue="R114")
def beanstalk_rds_decoupled(graph, ctx):
    """An Elastic Beanstalk environment in production should not create its own RDS database.

    **What it checks.** For each `AWS::ElasticBeanstalk::Environment` whose `OptionSettings` (or those of
    its `TemplateName` configuration template) set any option in namespace `aws:rds:dbinstance`, which
    makes Elastic Beanstalk create a database inside the environment:

    - **warning**, in production: the database is coupled to the environment. Production follows the
      catalogue's convention (a production-like environment parameter or condition, or the template as
      written when it has none); an environment whose `EnvironmentName` says dev, test, qa or sandbox is
      not production.
    - **info**: `aws:rds:dbinstance` `DBDeletionPolicy` is `Delete` (the Elastic Beanstalk default), so
      the database goes without a snapshot when the environment is terminated.

    Options and names from parameters without a value or imports are *not evaluated*.

    **Why it matters.** A database Elastic Beanstalk creates lives and dies with the environment: terminating
    or rebuilding the environment (or a blue/green swap done by replacing it) deletes the database, and it
    cannot be shared with another environment.

    **Example (fails).**

        ShopEnvironment:
          Type: AWS::ElasticBeanstalk::Environment
          Properties:
            ApplicationName: !Ref ShopApplication
            SolutionStackName: 64bit Amazon Linux 2023 v6.1.0 running Node.js 20
            OptionSettings:
              - Namespace: aws:rds:dbinstance
                OptionName: DBEngine
                Value: postgres

    **Fix.** Declare the database as its own `AWS::RDS::DBInstance` with `DeletionPolicy: Snapshot` and
    `DeletionProtection: true`, and pass its endpoint to the environment:

        - Namespace: aws:elasticbeanstalk:application:environment
          OptionName: DB_HOST
          Value: !GetAtt ShopDatabase.Endpoint.Address

    See https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/AWSHowTo.RDS.html.
    """
    in_production = production(graph)
    for environment in graph.of_type(ENVIRONMENT):
        entries = namespace_options(environment, RDS_NAMESPACE)
        if not entries:
            continue
        first = entries[0]
        at = first.at if first.resource is environment else "TemplateName"
        related = [first.resource] if first.resource is not environment else []
        name = environment.get("EnvironmentName", default=False)
        for prod, environment_name in ctx.cases(environment, in_production, name, convert=(None, as_text)):
            if not prod.value or NOT_PRODUCTION_NAME.search(environment_name.value or ""):
                continue
            yield ctx.finding(environment, f"Elastic Beanstalk environment {environment.describe()} creates its own "
                                           f"RDS database ({RDS_NAMESPACE} options) in production ({prod.origin}); "
                                           "the database is deleted with the environment: declare an "
                                           "AWS::RDS::DBInstance and pass its endpoint", at=at, related=related,
                              check="coupled-database", cases=(prod, environment_name, first))
        for (policy,) in ctx.cases(environment, option(environment, RDS_NAMESPACE, "DBDeletionPolicy"),
                                   convert=as_text):
            if (policy.value or "").lower() == "delete":
                yield ctx.finding(environment, f"the database of Elastic Beanstalk environment {environment.describe()} "
                                               f"has DBDeletionPolicy {policy.show()}; terminating the environment "
                                               "deletes it without a snapshot: set Snapshot or Retain",
                                  severity="info", at=at, related=related, check="deletion-policy", cases=(policy,))
