"""Every email that belongs to a ticket: one factory to build it, one outbox to send and record it.

The log entry and the Message-ID links come back as writes, so callers commit them with the
completion of the due item that caused the mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from helpdesk.core.errors import RecipientUndeliverableError
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail, compose
from helpdesk.messages.rendering import render
from helpdesk.tickets.records import Entry, Ticket, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.mailer import Mailer
    from helpdesk.adapters.aws.store import Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.policy.models import Policy

Audience = Literal["customer", "staff"]


@dataclass(frozen=True)
class Sender:
    """Who our mail comes from: the support address, the team's name, and the key for reply tokens."""

    address: str
    team_name: str
    signing_key: bytes
    team_queue: str = ""

    def reply_to(self, number: int, audience: Audience) -> str:
        return reply_address(self.address, number, self.signing_key, audience)


@dataclass(frozen=True)
class Sent:
    ses_message_id: str
    our_message_id: str
    writes: list[Write] = field(default_factory=list)


REFERENCES_KEPT = 20  # the root and the latest links; mail clients thread on either end


def thread_chain(ticket: Ticket, parent: str | None) -> list[str]:
    """`References` for the next mail on a ticket: the customer's own chain, the ticket's first
    message, the customer's latest, our latest, then the parent, each once and oldest first."""
    chain: list[str] = []
    for message_id in [*ticket.thread_references, ticket.root_message_id, ticket.last_customer_message_id,
                       ticket.last_outbound_message_id, parent]:
        if message_id and message_id not in chain:
            chain.append(message_id)
    if parent in chain:  # the parent closes the list, as RFC 5322 asks
        chain.remove(parent)
        chain.append(parent)
    return chain if len(chain) <= REFERENCES_KEPT else [chain[0], *chain[-(REFERENCES_KEPT - 1):]]


class MailFactory:
    """Builds outbound mail from a template: threading, reply tokens and loop headers in one place."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def to_customer(self, ticket: Ticket, template: str, context: dict[str, Any], policy: Policy, *,
                    sender_name: str | None = None, in_reply_to: str | None = None,
                    auto_submitted: str = "auto-generated",
                    attachments: list[tuple[str, str, bytes]] | None = None) -> OutboundMail:
        if ticket.requester_undeliverable:
            raise RecipientUndeliverableError(f"ticket #{ticket.number}: the requester's address bounced")
        rendered = render(template, context, policy.templates.override_dir)
        parent = in_reply_to or ticket.last_outbound_message_id or ticket.root_message_id
        return OutboundMail(
            sender=self.sender.address, sender_name=sender_name or self.sender.team_name, to=[ticket.requester],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=self.sender.reply_to(ticket.number, "customer"), in_reply_to=parent,
            references=thread_chain(ticket, parent), auto_submitted=auto_submitted,
            extra_headers={"X-Helpdesk-Ticket": str(ticket.number)}, attachments=list(attachments or []),
            template=template)

    def to_staff(self, number: int, to: str, template: str, context: dict[str, Any], policy: Policy, *,
                 auto_submitted: str = "auto-generated") -> OutboundMail:
        rendered = render(template, context, policy.templates.override_dir)
        return OutboundMail(
            sender=self.sender.address, sender_name=self.sender.team_name, to=[to], subject=rendered.subject,
            text=rendered.text, html=rendered.html, reply_to=self.sender.reply_to(number, "staff"),
            auto_submitted=auto_submitted, extra_headers={"X-Helpdesk-Ticket": str(number)}, template=template)


class Outbox:
    def __init__(self, mailer: Mailer, store: Store, sender: Sender) -> None:
        self.mailer = mailer
        self.store = store
        self.sender = sender

    def send(self, number: int, kind: str, mail: OutboundMail, now: datetime, *, visibility: str = "public",
             remember_as_outbound: bool = False, **extra: Any) -> Sent:
        """Raises TransientAwsError or PermanentSendError; on success returns what to record.

        `remember_as_outbound` makes this the message the customer's next reply is expected to answer.
        """
        raw, our_id = compose(mail, sent_at=now)
        ses_id = self.mailer.send_raw(self.sender.address, mail.to, raw)
        entry = Entry(ticket=number, at=now, kind=kind, key=ses_id[1:13], direction="outbound",
                      visibility="public" if visibility == "public" else "internal", to=list(mail.to),
                      subject=mail.subject, message_id=ses_id, our_message_id=our_id, template=mail.template,
                      **extra)
        writes = [self.store.tickets.add_entry(entry)]
        writes += [self.store.message_ids.link(message_id, number) for message_id in (ses_id, our_id)]
        if remember_as_outbound:
            writes.append(self.store.tickets.change(number, TicketPatch(sets={"last_outbound_message_id": ses_id})))
        return Sent(ses_id, our_id, writes)
