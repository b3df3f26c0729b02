"""Lambda rules."""
