"""SNS rules."""
