"""Sending mail that belongs to a ticket: compose, send through SES, and build the log entries.

The entries and Message-ID items come back as writes, so callers commit them in the same
transaction that completes the obligation that caused the mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.adapters.aws.mailer import Mailer
from helpdesk.adapters.aws.store import message_id_key, ticket_pk
from helpdesk.adapters.aws.table import Write, put
from helpdesk.core.clock import iso
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


@dataclass
class Job:
    """A claimed obligation whose whole effect is one email (acknowledgment, staff notification)."""

    pk: str
    sk: str
    owner: str
    number: int
    kind: str
    mail: OutboundMail
    attempts: int = 1
    visibility: str = "public"
    after: Any = None  # callable(Sent) -> list[Write]: extra writes once the mail is out


def deliver(store: Any, outbox: Outbox, jobs: list[Job], now: datetime, on_failure: Any) -> list[Sent]:
    """Send each job's mail, then complete all of them in one transaction (the fast path's last call).

    `on_failure(job, exc)` handles a send that failed (reschedule or record); the others still complete.
    """
    from helpdesk.core.errors import ConflictError, PermanentSendError, TransientAwsError
    from helpdesk.sla.due_work import complete_write

    writes: list[Write] = []
    sent_all = []
    for job in jobs:
        try:
            sent = outbox.send(job.number, job.kind, job.mail, now, visibility=job.visibility)
        except (TransientAwsError, PermanentSendError) as exc:
            on_failure(job, exc)
            continue
        sent_all.append(sent)
        writes += [complete_write(job.pk, job.sk, job.owner, now, sent_message_id=sent.ses_message_id), *sent.writes]
        if job.after:
            writes += job.after(sent)
    for start in range(0, len(writes), 100):
        try:
            store.transact(writes[start : start + 100])
        except ConflictError:
            pass  # a lease lapsed and another worker took over; the mail is out, at worst it repeats
    return sent_all
