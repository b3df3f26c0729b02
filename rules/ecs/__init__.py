"""ECS and Fargate rules."""
