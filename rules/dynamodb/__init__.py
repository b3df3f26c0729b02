"""DynamoDB and DAX rules."""
