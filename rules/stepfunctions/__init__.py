"""Step Functions rules."""
