"""Logger, Tracer and Metrics singletons shared by every handler and the domain."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "helpdesk"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Helpdesk", service=SERVICE)
