"""AWS adapters: clients, the table, repositories, SES, SNS, S3 and Secrets Manager."""
