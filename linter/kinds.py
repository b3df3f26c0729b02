"""Edge kinds, edge roles and invocation modes of the resource graph, as named constants.

Rules and the graph builder use these names, never bare strings, so a typo is an import error and
every message names a relation the same way. Each constant's value is the short text reports and
`graph` pictures show; ``ROLE_TEXT`` says how a message names the resource at the other end.
"""
from __future__ import annotations

# ---------------------------------------------------------------- edge kinds (source → target)
CONSUMES = "consumes"              # queue or stream → function polling it (via the event source mapping)
DLQ_OF = "dlq-of"                  # dead-letter target → what sends its failures there
DESTINATION_OF = "destination-of"  # async success destination → function
ALARMS_ON = "alarms-on"            # alarm → resource named by a metric dimension (role: metric name)
SUBSCRIBES = "subscribes"          # topic → subscribed queue or function (via the subscription)
NOTIFIES = "notifies"              # bucket → queue, topic or function of an S3 notification
INVOKES = "invokes"                # rule, schedule, API method, integration … → target
IN_SUBNET = "in-subnet"            # function → subnet
ROUTES_VIA = "routes-via"          # subnet → route table (role ASSOCIATION); route table → gateway
SG_ALLOWS = "sg-allows"            # security group → group whose ingress admits it (role "tcp/5432")

EDGE_KINDS = (CONSUMES, DLQ_OF, DESTINATION_OF, ALARMS_ON, SUBSCRIBES, NOTIFIES, INVOKES, IN_SUBNET,
              ROUTES_VIA, SG_ALLOWS)

# ---------------------------------------------------------------- roles of dlq-of / destination-of edges
REDRIVE = "redrive"                                    # SQS RedrivePolicy.deadLetterTargetArn
LAMBDA_DLQ = "lambda-dlq"                              # Lambda DeadLetterConfig / SAM DeadLetterQueue
ON_FAILURE = "on-failure"                              # async invoke OnFailure destination
ON_SUCCESS = "on-success"                              # async invoke OnSuccess destination
ESM_ON_FAILURE = "esm-on-failure"                      # event source mapping OnFailure destination
EVENTBRIDGE_TARGET_DLQ = "eventbridge-target-dlq"      # Events::Rule Targets[].DeadLetterConfig
SCHEDULER_TARGET_DLQ = "scheduler-target-dlq"          # Scheduler::Schedule Target.DeadLetterConfig
EVENT_BUS_DLQ = "event-bus-dlq"                        # Events::EventBus DeadLetterConfig
SNS_SUBSCRIPTION_REDRIVE = "sns-subscription-redrive"  # SNS::Subscription RedrivePolicy
PIPE_DLQ = "pipe-dlq"                                  # Pipes::Pipe stream source DeadLetterConfig
STATE_MACHINE_EVENT_DLQ = "state-machine-event-dlq"    # SAM StateMachine event DeadLetterConfig

# ---------------------------------------------------------------- other roles
ASSOCIATION = "association"        # routes-via: subnet → route table
S3_NOTIFICATION = "s3-notification"

# How a message names the resource at the target end of a dlq-of / destination-of edge.
ROLE_TEXT = {
    REDRIVE: "redrive target of queue {}",
    LAMBDA_DLQ: "dead-letter queue of function {}",
    ON_FAILURE: "on-failure destination of function {}",
    ON_SUCCESS: "on-success destination of function {}",
    ESM_ON_FAILURE: "on-failure destination of the event source mapping of {}",
    EVENTBRIDGE_TARGET_DLQ: "dead-letter queue of the targets of rule {}",
    SCHEDULER_TARGET_DLQ: "dead-letter queue of schedule {}",
    EVENT_BUS_DLQ: "dead-letter queue of event bus {}",
    SNS_SUBSCRIPTION_REDRIVE: "redrive target of a subscription to topic {}",
    PIPE_DLQ: "dead-letter target of pipe {}",
    STATE_MACHINE_EVENT_DLQ: "dead-letter queue of an event of state machine {}",
}

# ---------------------------------------------------------------- invocation modes (catalogue §B)
SYNC = "sync"      # the caller waits; errors return to it; no Lambda retry, no DLQ or destination
ASYNC = "async"    # Lambda queues the event, retries twice, then DeadLetterConfig / OnFailure
POLL = "poll"      # an event source mapping reads the source; failures follow the source's rules
MODES = (SYNC, ASYNC, POLL)


def role_text(role: str, other: str) -> str:
    """``redrive target of queue Orders``: how a message names a dead-letter or destination use."""
    return ROLE_TEXT.get(role, "dead-letter target of {}").format(other)
