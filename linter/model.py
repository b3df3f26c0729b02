"""The public model rules are written against: one import for everything a rule needs."""
from .cfn import ALARM, ESM, FUNCTION_TYPES, QUEUE, TOPIC  # noqa: F401
from .engine import RuleContext, rule  # noqa: F401
from .graph import Edge, Graph, Resource  # noqa: F401
from .values import (Case, ResourceRef, Unknown, Value, as_bool, as_number, combinations, display,  # noqa: F401
                     is_symbolic, scenario_text)
from . import kinds  # noqa: F401  (edge kinds, roles and invocation modes: kinds.CONSUMES, kinds.REDRIVE …)
from .limits import (Limit, entries, fields, is_literal, known_size, outside, unresolved_reason,  # noqa: F401
                     range_findings)  # quota range checks and the insides of resolved structures
from .stepfunctions import (STATE_MACHINE_TYPES, asl_states, definition_property, parse_error,  # noqa: F401
                            state_machine_definition, state_path, unused_substitutions)  # Step Functions definitions
