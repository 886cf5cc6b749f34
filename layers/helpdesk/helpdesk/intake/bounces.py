"""Hard bounces: the address is marked undeliverable, and the tickets it belongs to stop mailing it.

A delivery report carries a copy (or the headers) of the message that bounced; ours say which
ticket they belong to (`X-Helpdesk-Ticket`). Each such ticket whose requester bounced is marked,
so no acknowledgment, update, follow-up, survey or relay goes out to that address again, and
its owner is told once, on the ticket.
"""

from __future__ import annotations

from datetime import datetime
from email import policy as email_policy
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING

from helpdesk.intake.entries import short_hash
from helpdesk.mail.parsing import InboundMail
from helpdesk.messages.staff_notification import StaffNotifications
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.table import Write
    from helpdesk.intake.services import IntakeServices
    from helpdesk.sla.due import DueItem

ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
MAX_BOUNCED = 50


def bounced_tickets(mail: InboundMail) -> list[int]:
    """Tickets named by the returned copy of our message."""
    found = []
    for part in mail.attachments:
        if part.content_type not in ORIGINAL_TYPES:
            continue
        try:
            headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(part.payload[:65536])
            value = str(headers.get("X-Helpdesk-Ticket") or "").strip()
        except Exception:  # noqa: BLE001 - a broken copy names no ticket; the bounce is still recorded
            continue
        if value.isdigit():
            found.append(int(value))
    return list(dict.fromkeys(found))


def bounce_writes(services: IntakeServices, mail: InboundMail, now: datetime) -> tuple[list[Write], list[DueItem]]:
    """Mark bounced addresses, and each affected ticket once; the owner's notices are due at once."""
    store = services.store
    failed = {a.lower() for a in mail.failed_recipients[:MAX_BOUNCED]}
    writes = [store.senders.mark_undeliverable(a, now, mail.bounce_kind or "hard", short_hash(a)) for a in failed]
    notices: list[DueItem] = []
    for ticket in store.tickets.get_many(bounced_tickets(mail)).values():
        if ticket.requester.lower() not in failed or ticket.requester_undeliverable:
            continue
        entry = Entry(ticket=ticket.number, at=now, kind="recipient_bounced", key=short_hash(ticket.requester),
                      actor="system", visibility="internal",
                      text=f"Mail to {ticket.requester} bounced ({mail.bounce_reason or 'failed'}); nothing more is "
                           f"sent to that address. Reach the customer another way.")
        notice = StaffNotifications.item_for(entry, services.due.leased)
        notices.append(notice)
        writes += [store.tickets.change(ticket.number, TicketPatch(sets={"requester_undeliverable": True})),
                   store.tickets.add_entry(entry), store.due.add(notice)]
    return writes, notices
