"""The public model rules are written against: one import for everything a rule needs."""
from .cfn import ALARM, ESM, FUNCTION_TYPES, QUEUE, TOPIC  # noqa: F401
from .engine import RuleContext, rule  # noqa: F401
from .graph import Edge, Graph, Resource  # noqa: F401
from .values import (Case, ResourceRef, Unknown, Value, as_bool, as_list, as_number, as_text,  # noqa: F401
                     combinations, display, is_ref, is_symbolic, scenario_of, scenario_text, uncovered_scenario)
from . import kinds  # noqa: F401  (edge kinds, roles and invocation modes: kinds.CONSUMES, kinds.REDRIVE …)
# -- policy documents, role and resource permissions, networking (three-valued: linter.tri.Verdict)
from .tri import Verdict, across_cases, all_of, any_of  # noqa: F401,E402
from .policy import (Statement, allows, function_role, lambda_permissions, permission_allows,  # noqa: F401,E402
                     resource_policies, role_allows, role_documents, services_used, statements)
from .network import (EGRESS_ONLY, ELSEWHERE, ISOLATED, PRIVATE_NAT, PUBLIC, UNKNOWN, Member, SubnetClass,  # noqa: F401,E402
                      egress_allows, endpoint_services, ingress_allows, security_groups_of, single_zone_scenario,
                      subnet_class, subnet_zone, subnets_of)

# The rule-writing API (docs/writing-rules.md): list entries, coverage answers, defaults.
from .cfn import ATTRIBUTE_DEFAULTS, DEFAULTS, DEPENDENT_DEFAULTS  # noqa: F401,E402
from .engine import Coverage  # noqa: F401,E402
from .graph import Entry  # noqa: F401,E402

# The catalogue's "in production" convention (linter/environment.py).
from .environment import is_production_text, production  # noqa: F401,E402

# Event source mappings: the kind of source they read (linter/lambda_sources.py).
from .lambda_sources import (DOCDB, DYNAMODB, KAFKA, KINESIS, MQ, SOURCE_KIND_BY_TYPE, SOURCE_KIND_TEXT, SQS, STREAM_KINDS,  # noqa: F401,E402
                             event_invoke_configs, event_source, event_source_kind, sam_connector_destinations,
                             written)
