"""Elastic Beanstalk rules."""
