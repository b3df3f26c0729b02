"""CloudFormation, SAM and CodeDeploy rules."""
