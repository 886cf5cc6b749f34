"""Sending mail that belongs to a ticket: compose, send through SES, and build the log entries.

The entries and Message-ID items come back as writes, so callers commit them in the same
transaction that completes the obligation that caused the mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.aws.mailer import Mailer
from helpdesk.aws.table import Write, put
from helpdesk.aws.ticket_store import message_id_key, ticket_pk
from helpdesk.clock import iso
from helpdesk.mail.compose import OutboundMail, compose


@dataclass(frozen=True)
class Sent:
    ses_message_id: str
    our_message_id: str
    writes: list[Write]


class Outbox:
    def __init__(self, mailer: Mailer, support_address: str) -> None:
        self.mailer = mailer
        self.support_address = support_address

    def send(self, number: int, kind: str, mail: OutboundMail, now: datetime, *, visibility: str = "public",
             extra: dict[str, Any] | None = None) -> Sent:
        """Raises TransientAwsError or PermanentSendError; on success returns what to record."""
        raw, our_id = compose(mail, sent_at=now)
        ses_id = self.mailer.send_raw(self.support_address, mail.to, raw)
        entry = {
            "PK": ticket_pk(number), "SK": f"ENTRY#{iso(now)}#{kind}#{ses_id[1:13]}", "type": "entry",
            "kind": kind, "at": iso(now), "actor": "system", "direction": "outbound", "visibility": visibility,
            "to": mail.to, "subject": mail.subject, "message_id": ses_id, "our_message_id": our_id, **(extra or {}),
        }
        writes = [put(entry)]
        for message_id in (ses_id, our_id):
            pk, sk = message_id_key(message_id)
            writes.append(put({"PK": pk, "SK": sk, "type": "message_id", "ticket": number}))
        return Sent(ses_id, our_id, writes)
