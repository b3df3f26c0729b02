"""CloudWatch and Logs rules."""
