"""The public model rules are written against: one import for everything a rule needs."""
from .cfn import ALARM, ESM, FUNCTION_TYPES, QUEUE, TOPIC  # noqa: F401
from .engine import RuleContext, rule  # noqa: F401
from .graph import Arn, Edge, Graph, Resource, parse_arn  # noqa: F401
from .values import (Case, ResourceRef, Unknown, Value, as_bool, as_items, as_list, as_number, as_text,  # noqa: F401
                     combinations, display, is_ref, is_symbolic, presence, scenario_of, scenario_text,
                     uncovered_scenario)
from . import kinds  # noqa: F401  (edge kinds, roles and invocation modes: kinds.CONSUMES, kinds.REDRIVE …)
# -- policy documents, role and resource permissions, networking (three-valued: linter.tri.Verdict)
from .tri import Verdict, across_cases, all_of, any_of  # noqa: F401,E402
from .policy import (Statement, allows, function_role, lambda_permissions, permission_allows,  # noqa: F401,E402
                     resource_policies, role_allows, role_documents, services_used, statements, trusts_service)
from .network import (EGRESS_ONLY, ELSEWHERE, ISOLATED, PRIVATE_NAT, PUBLIC, UNKNOWN, Member, SubnetClass,  # noqa: F401,E402
                      egress_allows, endpoint_services, ingress_allows, security_groups_of, single_zone_scenario,
                      subnet_class, subnet_zone, subnets_of)
from .network import (ADMIN_PORTS, DATABASE_PORTS, EGRESS, INGRESS, SecurityGroupRule, is_world,  # noqa: F401,E402
                      port_span, rule_field, security_group_rules)
from .network import (DATA_STORES, attribute_references, store_is_private, store_port, store_subnets,  # noqa: F401,E402
                      VPC, as_network, endpoint_service, existence_value, gateway_endpoint_serves,  # noqa: F401,E402
                      depends_on, follow_one, referencing_resources, vpc_cidr_values, vpc_of, waits_for,
                      zone_region)

# The rule-writing API (docs/writing-rules.md): list entries, coverage answers, defaults.
from .cfn import ATTRIBUTE_DEFAULTS, DEFAULTS, DEPENDENT_DEFAULTS  # noqa: F401,E402
from .engine import Coverage  # noqa: F401,E402
from .datastores import mappings, nested_field  # noqa: F401,E402  (plain items of resolved lists)
from .graph import Entry  # noqa: F401,E402

# The catalogue's "in production" convention (linter/environment.py).
from .environment import is_production_text, production  # noqa: F401,E402

# ECS task definitions and services (linter/ecs.py).
from .ecs import (fargate_size_fits, private_ecr_image, requires_fargate, services_of,  # noqa: F401,E402
                  secret_like_name, task_definition_of, task_size)

# Elastic Beanstalk option settings (linter/beanstalk.py).
from .beanstalk import configuration_template, namespace_options, option, option_at  # noqa: F401,E402

# Strings only partly known until deploy time, judged on their written parts (linter/text.py).
from .text import as_name, fully_literal, literal_parts  # noqa: F401,E402
from .limits import (Limit, entries, fields, is_literal, known_size, outside, unresolved_reason,  # noqa: F401
                     range_findings)  # quota range checks and the insides of resolved structures
from .stepfunctions import (STATE_MACHINE_TYPES, asl_states, definition_property, parse_error,  # noqa: F401
                            state_machine_definition, state_path, unused_substitutions)  # Step Functions definitions
from .refs import list_names  # noqa: F401,E402
from .sns import Subscription, filter_policy_problem, subscriptions  # noqa: F401,E402
from .delivery import (connector_may_write, connector_writes, decide_source_conditions, delivery_policies, delivery_providers,  # noqa: F401,E402
                       delivery_verdict)
from .delivery import alarm_action_targets, connector_grants, connector_may_grant, key_allows, kms_key_of  # noqa: F401,E402
from .schedule import schedule_expression_problem  # noqa: F401,E402
# API Gateway facts (linter/apigw.py): endpoint types, resource policies, the API a part belongs to.
from .apigw import (HTTP_API_TYPES, REST_API_TYPES, endpoint_types, policy_restrictions,  # noqa: F401,E402
                    resource_policy_restrictions, rest_api_of)
from .apigw import defined_in_body  # noqa: F401,E402
from .apigw import ACCOUNT as RESTRICTS_ACCOUNT, IP as RESTRICTS_IP  # noqa: F401,E402
from .apigw import PRINCIPAL as RESTRICTS_PRINCIPAL, VPC as RESTRICTS_VPC  # noqa: F401,E402

# Regions (linter/region.py): the stack's region when given, and the region of the resource an ARN names.
from .region import arn_region, stack_region  # noqa: F401,E402
# Whole structured properties (key schemas) judged only when fully known (linter/datastores.py).
from .datastores import distinct_zones, dynamodb_scaling, fully_resolved, subnet_zone_values  # noqa: F401,E402
# Event source mappings: the kind of source they read (linter/lambda_sources.py).
from .lambda_sources import (DOCDB, DYNAMODB, KAFKA, KINESIS, MQ, SOURCE_KIND_BY_TYPE, SOURCE_KIND_TEXT, SQS, STREAM_KINDS,  # noqa: F401,E402
                             event_invoke_configs, event_source, event_source_kind, sam_connector_destinations,
                             written)
# Resource-policy scope (linter/policy.py) and S3/Logs facts (linter/s3.py, linter/logs.py).
from .policy import RESTRICTING_CONDITION_KEYS, is_everyone, restricting_condition_keys  # noqa: F401,E402

# Shapes of the written template (linter/shapes.py): positions, leaves, who refers to a resource, list entries
# with their §A defaults, and resources whose content cannot be seen.
from .shapes import get_entry, leaf_paths, node_location, opaque_resources, referrers, section_location  # noqa: F401,E402
# Whether a policy grants a request at all, its conditions aside; write or broad actions (linter/grants.py).
from .grants import may_allow, write_or_broad_actions  # noqa: F401,E402
# CloudWatch Logs (linter/logs.py), CloudFront distributions (linter/cloudfront.py), S3 policies and
# notifications (linter/s3.py).
from .logs import LOG_GROUP, RETENTION_DAYS, names_logs_service  # noqa: F401,E402
from .cloudfront import DISTRIBUTION_CONFIG, DISTRIBUTION, behavior_paths, list_paths  # noqa: F401,E402
from .s3 import (BUCKET_PART, NOTIFICATION_KINDS, OBJECTS_PART, bucket_parts, denies_insecure_transport,  # noqa: F401,E402
                 events_overlap, filters_overlap, key_filter)
# CloudFront origins on S3, bucket policy grants and Block Public Access (linter/s3_origins.py); load balancer
# listeners, target groups, EC2 targets and port ranges (linter/balancing.py). Rules ECS001, ELB002, BKT004,
# CFR002, CFR003.
from .s3_origins import (OTHER_HOST, S3_REST, S3_WEBSITE, Endpoint, any_condition_unknown,  # noqa: F401,E402
                         block_public_access, bucket_grant, cloudfront_service_principal, identity_principal,
                         object_ownership, origin_endpoint, public_grants, public_statement, source_arn_is,
                         website_kind)
from .balancing import (CLUSTER as ECS_CLUSTER, LOAD_BALANCER as ELB_LOAD_BALANCER,  # noqa: F401,E402
                        TARGET_GROUP as ELB_TARGET_GROUP, balancers_of, cluster_instances, ingress_allows_span,
                        instance_security_groups, listener_target_groups, listeners_of, registered_targets)
# How a reference is written: resource and attribute, Lambda qualifiers (linter/reference_forms.py).
from .reference_forms import (ALIAS, LATEST, UNQUALIFIED, VERSION, function_reference_kind,  # noqa: F401,E402
                              reference_of)
# Templates checked together (linter/stacks.py): export names, nested stacks' parameters.
from .stacks import ExportClash, NestedParameterProblem, export_clashes, nested_stack_parameter_problems  # noqa: F401,E402
from .policy import role_names_resource  # noqa: F401,E402
from .s3 import notified_on_write  # noqa: F401,E402
# Lambda versions and aliases (linter/lambda_versions.py).
from .lambda_versions import (FV_ALIAS, FV_DEPLOY_TIME, FV_INVALID, FV_LATEST, FV_NUMBER,  # noqa: F401,E402
                              FV_VERSION_ARN, function_version_kind, is_function_resource_id,
                              scaling_target_qualifier)
# Step Functions roles and the calls of Task states (linter/stepfunctions.py).
from .stepfunctions import TASK_PERMISSIONS, TaskCall, state_machine_role, task_calls  # noqa: F401,E402
# EC2 container instances of ECS clusters (linter/ecs.py).
from .ecs import (cluster_settings, ecs_optimized_image, instance_role, launch_source, launch_texts,  # noqa: F401,E402
                  setting_names_cluster)
