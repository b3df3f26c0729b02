"""EventBridge rules."""
