"""S3 rules."""
