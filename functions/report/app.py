"""EventBridge Scheduler ({"period": "week"} or {"pack": "monthly"|"quarterly"}) or on demand
({"from": ..., "to": ...}, {"pack": ..., "of": ...}) -> compliance report or review pack."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from helpdesk.app import factory
from helpdesk.core.observability import logger, metrics, tracer
from helpdesk.reports.service import ReportRequest


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse(event=event, model=ReportRequest)
    logger.append_keys(report_period=request.pack or request.period or "range")
    return factory.report().handle(request)
