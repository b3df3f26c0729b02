"""EBN003 beanstalk-worker-timeouts."""
from linter.model import QUEUE, as_number, as_text, option, option_at, rule

ENVIRONMENT = "AWS::ElasticBeanstalk::Environment"
SQSD = "aws:elasticbeanstalk:sqsd"


@rule("EBN003", "beanstalk-worker-timeouts", severity="warning", tags=("reliability", "beanstalk", "sqs"),
      catalogue="R116")
def beanstalk_worker_timeouts(graph, ctx):
    """An Elastic Beanstalk worker must keep a message invisible for longer than it lets the application work on it.

    **What it checks.** For an `AWS::ElasticBeanstalk::Environment` with `Tier.Name: Worker`, reading the
    `aws:elasticbeanstalk:sqsd` options (environment, then configuration template, then the defaults):

    - **warning**: `VisibilityTimeout` (300 s by default) not greater than `InactivityTimeout` (299 s by
      default).
    - **info**, when `WorkerQueueURL` names a queue of this template: the queue's own `VisibilityTimeout`
      (30 s, the SQS default) differs from the worker's, or the queue has no `RedrivePolicy`, so a message
      that always fails is retried until it expires.

    Values from parameters without a value or imports are *not evaluated*; a queue outside the template is
    not judged.

    **Why it matters.** The worker daemon (sqsd) posts each message to the application and waits up to the
    inactivity timeout. If the message becomes visible again first, another instance receives it while the
    first is still working: the job runs twice, and a slow job can loop forever.

    **Example (fails).**

        ReportsWorker:
          Type: AWS::ElasticBeanstalk::Environment
          Properties:
            ApplicationName: !Ref ReportsApplication
            Tier: {Name: Worker, Type: SQS/HTTP}
            OptionSettings:
              - Namespace: aws:elasticbeanstalk:sqsd
                OptionName: InactivityTimeout
                Value: "900"

    **Fix.** Keep `VisibilityTimeout` above `InactivityTimeout` (and match the queue to it), and give the
    queue a dead-letter queue:

        OptionSettings:
          - {Namespace: aws:elasticbeanstalk:sqsd, OptionName: InactivityTimeout, Value: "900"}
          - {Namespace: aws:elasticbeanstalk:sqsd, OptionName: VisibilityTimeout, Value: "960"}

    See https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features-managing-env-tiers.html.
    """
    for environment in graph.of_type(ENVIRONMENT):
        for (tier,) in ctx.cases(environment, environment.get("Tier.Name", default=False), convert=as_text):
            if (tier.value or "").lower() != "worker":
                continue
            visibility = option(environment, SQSD, "VisibilityTimeout")
            inactivity = option(environment, SQSD, "InactivityTimeout")
            for visible, inactive in ctx.cases(environment, visibility, inactivity, convert=as_number):
                if visible.value <= inactive.value:
                    yield ctx.finding(environment, f"worker environment {environment.describe()} has sqsd "
                                                   f"VisibilityTimeout {visible.show('s')}, not more than its "
                                                   f"InactivityTimeout {inactive.show('s')}; a message reappears "
                                                   "while it is still being processed: raise VisibilityTimeout",
                                      at=option_at(environment, SQSD, "VisibilityTimeout"), check="visibility",
                                      cases=(tier, visible, inactive))
            yield from _queue(graph, ctx, environment, tier, visibility)
            break


def _queue(graph, ctx, environment, tier, visibility):
    for case in option(environment, SQSD, "WorkerQueueURL"):
        queue, _ = graph.follow(case, (QUEUE,))
        if queue is None or queue.type != QUEUE:
            continue
        at = option_at(environment, SQSD, "WorkerQueueURL")
        for worker_visibility, queue_visibility in ctx.cases(environment, visibility, queue.get("VisibilityTimeout"),
                                                             convert=as_number):
            if worker_visibility.value != queue_visibility.value:
                yield ctx.finding(environment, f"queue {queue.describe()} of worker environment "
                                               f"{environment.describe()} has VisibilityTimeout "
                                               f"{queue_visibility.show('s')} while the worker uses "
                                               f"{worker_visibility.show('s')}; other readers and redrives use the "
                                               "queue's value: make them match", severity="info", at=at,
                                  related=[queue], check="queue-visibility",
                                  cases=(tier, worker_visibility, queue_visibility))
        if not queue.has("RedrivePolicy"):
            yield ctx.finding(environment, f"queue {queue.describe()} of worker environment {environment.describe()} "
                                           "has no RedrivePolicy; a message that always fails is retried until it "
                                           "expires: add a dead-letter queue", severity="info", at=at,
                              related=[queue], check="queue-dlq", cases=(tier,))
        return
