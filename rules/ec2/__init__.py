"""EC2, security group, EBS and EFS rules."""
