"""API Gateway rules."""
