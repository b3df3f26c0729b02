"""CloudFront rules."""
