"""Amazon MQ and MSK rules."""
