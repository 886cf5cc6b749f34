"""Adapters to the outside world; nothing outside `adapters` imports boto3 or botocore."""
