"""How an inbound message is recorded: its log entry, its inbound record, and its parts in S3.

Attachments and bodies over 16 KB go to S3 (DynamoDB items are capped at 400 KB); the entry keeps
their keys. The raw MIME already sits in S3, where the receipt rule put it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.classifier import Classification
from helpdesk.intake.arrival import Arrival
from helpdesk.intake.records import InboundRecord, OutcomeName
from helpdesk.tickets.records import Attachment, Entry

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore

MAX_INLINE_TEXT = 16_000
MAX_ATTACHMENTS = 50
MAX_RECENT_CHARS = 140


def short_hash(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=6).hexdigest()


def store_parts(blobs: BlobStore, arrival: Arrival) -> tuple[list[Attachment], str | None]:
    base = f"attachments/{arrival.message_id}"
    stored = []
    for i, attachment in enumerate(arrival.mail.attachments[:MAX_ATTACHMENTS]):
        key = blobs.write(f"{base}/{i + 1}-{attachment.filename}", attachment.payload, attachment.content_type)
        stored.append(Attachment(name=attachment.filename, content_type=attachment.content_type,
                                 size=attachment.size, key=key))
    text_key = None
    if len(arrival.mail.text) > MAX_INLINE_TEXT:
        text_key = blobs.write(f"bodies/{arrival.message_id}.txt", arrival.mail.text.encode(),
                               "text/plain; charset=utf-8")
    return stored, text_key


def message_entry(arrival: Arrival, number: int, kind: str, now: datetime, classification: Classification | None,
                  attachments: list[Attachment], text_key: str | None) -> Entry:
    mail = arrival.mail
    text = mail.new_text or ""
    return Entry(
        ticket=number, at=now, kind=kind, key=short_hash(arrival.message_id), actor=arrival.sender,
        direction="inbound", visibility="public", subject=mail.subject, message_id=mail.message_id,
        ses_message_id=arrival.message_id, raw_key=arrival.raw_key, text=text[:MAX_INLINE_TEXT],
        text_truncated=len(text) > MAX_INLINE_TEXT, text_key=text_key, html_only=mail.html_only,
        attachments=attachments, verdicts=arrival.record.verdicts, defects=mail.defects[:10],
        classification=classification.as_dict() if classification else None)


def inbound_record(arrival: Arrival, outcome: OutcomeName, now: datetime, *, ticket: int | None = None,
                   severity: str | None = None, reason: str | None = None) -> InboundRecord:
    return InboundRecord(ses_message_id=arrival.message_id, outcome=outcome, ticket=ticket, severity=severity,
                         reason=reason, raw_key=arrival.raw_key, received_at=arrival.record.received_at,
                         recorded_at=now, verdicts=arrival.record.verdicts)


def recent_line(at: datetime, who: str, verb: str, text: str) -> str:
    """One line of the recent-thread digest kept on the ticket for notifications."""
    words = " ".join((text or "").split())
    return f"{at.strftime('%Y-%m-%d %H:%M')}Z {who[:40]} {verb}: {words[:MAX_RECENT_CHARS]}"


def references(arrival: Arrival) -> list[str]:
    mail = arrival.mail
    chain = [*mail.references, mail.message_id] if mail.message_id else list(mail.references)
    return [m for m in chain if m][-10:]
