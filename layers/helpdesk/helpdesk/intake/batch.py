"""One SES Lambda event: every record is handled, one bad record never hides the others."""

from __future__ import annotations

from typing import Any

from helpdesk.core.errors import TransientAwsError
from helpdesk.core.observability import logger, metrics, quiet_aws_loggers, scrub, where
from helpdesk.intake.processor import InboundProcessor, Outcome
from helpdesk.intake.ses_event import InvalidRecordError, read_record


class RecordsFailedError(RuntimeError):
    """Raised after all records were tried, so Lambda retries the event (records are idempotent)."""


def process_event(event: Any, processor: InboundProcessor) -> list[dict[str, Any]]:
    quiet_aws_loggers()
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.error("event_without_records", extra={"event_type": type(event).__name__})
        metrics.add_metric(name="InvalidEvents", unit="Count", value=1)
        return []
    outcomes: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    for index, raw in enumerate(records):
        try:
            record = read_record(raw)
        except InvalidRecordError as exc:
            # SES already stored the raw mail; keep its key in the log so an operator can replay it.
            logger.error("invalid_ses_record", extra={"index": index, "fields": exc.fields,
                                                      "ses_message_id": exc.message_id})
            metrics.add_metric(name="InvalidEvents", unit="Count", value=1)
            outcomes.append({"message_id": exc.message_id, "outcome": "quarantined",
                             "reason": "invalid_event: " + "; ".join(exc.fields)[:500]})
            continue
        try:
            outcome: Outcome = processor.handle(record)
            outcomes.append(outcome.as_dict())
        except TransientAwsError as exc:
            logger.warning("record_transient_failure", extra={"index": index, "error": scrub(str(exc)),
                                                              "failure": exc.kind})
            metrics.add_metric(name="TransientFailures", unit="Count", value=1)
            failures.append(exc)
        except Exception as exc:  # noqa: BLE001 - logged, then re-raised below so the event is retried
            # The message text is scrubbed: exceptions can quote addresses or subjects.
            logger.error("record_failed", extra={"index": index, "error_type": type(exc).__name__,
                                                 "error": scrub(str(exc)), "where": where(exc)})
            failures.append(exc)
        finally:
            logger.remove_keys(["ticket", "ses_message_id"])
    if failures:
        raise RecordsFailedError(f"{len(failures)} of {len(records)} records failed") from failures[0]
    return outcomes
