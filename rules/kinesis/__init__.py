"""Kinesis and Firehose rules."""
