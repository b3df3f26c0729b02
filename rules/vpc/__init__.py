"""VPC networking rules."""
