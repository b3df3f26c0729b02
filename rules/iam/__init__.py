"""IAM, KMS and secrets rules."""
