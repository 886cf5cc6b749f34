"""Lambda Function URL -> a satisfaction rating (GET with a signed token) or a comment (POST)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from helpdesk.app import factory
from helpdesk.core.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return factory.survey().handle(event)
