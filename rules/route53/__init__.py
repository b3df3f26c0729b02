"""Route 53 rules."""
