"""AWS Batch rules."""
