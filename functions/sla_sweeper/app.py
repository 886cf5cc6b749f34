"""EventBridge rate(1 minute) -> perform every obligation that is due (the SLA safety net)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from helpdesk.app import factory, snapstart, warmup
from helpdesk.core.observability import logger, metrics, tracer

snapstart.install(warmup.sweeper)


@logger.inject_lambda_context(clear_state=True, log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled = parse(event=event, model=EventBridgeModel)
    logger.append_keys(schedule_time=scheduled.time.isoformat())
    return factory.sweeper().sweeper.run(context.get_remaining_time_in_millis).as_dict()
