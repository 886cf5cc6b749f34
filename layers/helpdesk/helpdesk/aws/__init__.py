"""Data access: the only modules that talk to AWS through boto3."""
