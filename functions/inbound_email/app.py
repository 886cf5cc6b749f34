"""SES receipt rule -> Lambda action. Raw MIME is already in S3 (the rule's S3 action ran first)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from helpdesk.app import factory, snapstart, warmup
from helpdesk.core.observability import logger, metrics, tracer
from helpdesk.intake.batch import process_event

snapstart.install(warmup.inbound)


@logger.inject_lambda_context(clear_state=True, log_event=False)  # events carry addresses and subjects
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {"outcomes": process_event(event, factory.inbound())}
