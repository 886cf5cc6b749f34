"""Reading a message: SES verdicts, the raw mail from S3, and the reasons it must not be a ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpdesk.core.errors import RawMailMissingError
from helpdesk.core.observability import logger, metrics
from helpdesk.intake.ses_event import SesRecord
from helpdesk.mail.loops import RobotVerdict, drop_reason, robot_verdict
from helpdesk.mail.parsing import InboundMail, clean_header_text, parse_mail

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore


def quarantine_reason(record: SesRecord) -> str | None:
    if record.verdicts.virus == "FAIL":
        return "virus_verdict_fail"
    if record.verdicts.spam == "FAIL":
        return "spam_verdict_fail"
    return None


def read_mail(blobs: BlobStore, record: SesRecord, raw_key: str) -> InboundMail:
    try:
        return parse_mail(blobs.read(raw_key))
    except RawMailMissingError:
        # SES writes the object before invoking us, so this is an operator problem; the event
        # still carries the headers, so the customer is not left without a ticket.
        logger.error("raw_mail_missing", extra={"s3_key": raw_key})
        metrics.add_metric(name="RawMailMissing", unit="Count", value=1)
        return mail_from_event(record)


def mail_from_event(record: SesRecord) -> InboundMail:
    """A best-effort message from the headers SES put in the event, for when S3 has no body."""
    raw = "\r\n".join(f"{n}: {v}" for n, v in record.headers).encode("utf-8", "replace") + b"\r\n\r\n"
    parsed = parse_mail(raw)
    parsed.defects.append("raw_mail_missing")
    if not parsed.subject and record.subject:
        parsed.subject = clean_header_text(record.subject)
    return parsed


def envelope_sender(source: str) -> str | None:
    source = (source or "").strip().strip("<>").lower()
    return source if "@" in source else None


def return_path(record: SesRecord, mail: InboundMail) -> str | None:
    header = mail.header("return-path")
    if header is not None:
        return header
    return record.source if record.source is not None else None


def not_a_ticket(mail: InboundMail, record: SesRecord) -> tuple[str | None, str | None, RobotVerdict | None]:
    """(the sender's address, why this message must be dropped, the robot verdict): None for real mail."""
    sender = (mail.from_address or envelope_sender(record.source) or "").lower() or None
    path = return_path(record, mail)
    reason = drop_reason(mail, path)
    verdict = robot_verdict(mail, path) if reason else None
    if reason is None and not sender:
        reason = "no_sender_address"
    return sender, reason, verdict
