"""Cognito rules."""
