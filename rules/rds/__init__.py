"""RDS, Aurora and ElastiCache rules."""
