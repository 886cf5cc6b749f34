"""Staff hear about every new ticket and every customer reply, and can answer by replying."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.core.clock import Clock, local_text
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.commands import command_help
from helpdesk.tickets.records import Entry, Ticket

if TYPE_CHECKING:
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.context import TicketContext

KIND = "staff_notify"


def notify_id(entry_id: str) -> str:
    return "notify#" + hashlib.blake2b(entry_id.encode(), digest_size=8).hexdigest()


def owner_address(ticket: Ticket, account: Account, team_queue: str) -> str:
    """Who owns a ticket: the assignee, else the account's CSM, else the team queue."""
    return ticket.owner or account.csm_email or team_queue


def account_facts(account: Account) -> dict[str, str]:
    return {"name": account.name, "arr": f"${account.arr:,.0f}" if account.arr else "not recorded",
            "tier": ", ".join(sorted(account.flags)) or "standard",
            "industry": account.industry or "not recorded",
            "renewal": account.renewal_date.isoformat() if account.renewal_date else "not recorded",
            "since": account.customer_since.isoformat() if account.customer_since else "not recorded"}


def reply_suggestions(ticket: Ticket, classification: dict[str, Any]) -> list[str]:
    """What a reply's own classification says where it differs from the ticket's, in words.

    The notification heads with the ticket's classification; a reply that reads differently is
    a hint for staff ("this message suggests P2"), never the ticket's state.
    """
    current = {"severity": ticket.severity, "issue_type": ticket.issue_type, "emotion": ticket.emotion}
    hints = []
    for evidence in classification.get("evidence") or []:
        decision, value = evidence.get("decision"), evidence.get("value")
        if decision in current and value and value != current[decision]:
            label = {"severity": "severity", "issue_type": "type", "emotion": "a customer who seems"}[decision]
            phrases = evidence.get("phrases") or []
            said = f", from “{'”, “'.join(phrases[:3])}”" if phrases else ""
            hints.append(f"This message suggests {label} {value}{said}.")
    return hints


class StaffNotifications:
    """Performs `staff_notify` items: the owner gets the customer's new text and the ticket's facts."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock

    @staticmethod
    def item_for(entry: Entry, lease: Any) -> DueItem:
        """The notification about `entry`, leased to the caller's fast path, with the entry attached."""
        item: DueItem = lease(entry.ticket, notify_id(entry.id), KIND, {"entry_id": entry.id})
        item.attached = entry
        return item

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        entry = item.attached or self.outbox.store.tickets.entry(ctx.number, item.payload["entry_id"])
        if entry is None:
            return Skip("nothing_to_notify")
        mail = self.build(ctx.ticket, ctx.account, entry, ctx.policy)
        sent = self.outbox.send(ctx.number, "staff_notification", mail, self.clock.now(), visibility="internal")
        return Done(sent.writes, "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ticket: Ticket, account: Account, entry: Entry, policy: Policy) -> OutboundMail:
        zone = ZoneInfo(timezone_of(policy, ticket.severity))
        classification = entry.classification or {}
        context = {
            "ticket": {"number": ticket.number, "subject": ticket.subject, "status": ticket.status,
                       "severity": ticket.severity, "severity_name": policy.severities[ticket.severity].name,
                       "issue_type": ticket.issue_type, "emotion": ticket.emotion, "triggers": list(ticket.triggers)},
            "new": entry.kind == "customer_message",
            "bounced": entry.kind == "recipient_bounced",
            "requester": {"name": ticket.requester_name, "email": ticket.requester},
            "text": entry.text or "(no text)",
            "truncated": entry.text_truncated,
            "attachments": [a.name for a in entry.attachments],
            "evidence": (classification.get("evidence") or []) if entry.kind == "customer_message" else [],
            "suggests": reply_suggestions(ticket, classification) if entry.kind != "customer_message" else [],
            "account": account_facts(account),
            "deadlines": [(label, local_text(ticket.due(clock), zone)) for label, clock in (
                ("First response", "first_response"), ("Workaround", "workaround"),
                ("Resolution", "resolution")) if ticket.due(clock)],
            "recent": list(ticket.recent)[-6:],
            "health_watch": ticket.health_watch.model_dump(mode="json") if ticket.health_watch else None,
            "related": {"number": ticket.related_ticket, "reason": ticket.related_reason}
            if ticket.related_ticket and ticket.related_reason else None,
            "commands": command_help(),
            "team_name": self.factory.sender.team_name,
            "incident": {"id": ticket.incident, "title": ticket.incident_title, "reason": ticket.incident_reason}
            if ticket.incident else None,
        }
        to = owner_address(ticket, account, self.factory.sender.team_queue)
        return self.factory.to_staff(ticket.number, to, "staff_notification", context, policy)


class NotificationDigests:
    """Performs `notify_digest` items: one mail listing the tickets whose notifications were bundled."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock, policy: Policy) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock
        self.policy = policy

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        tickets = self.outbox.store.tickets.get_many(item.tickets)
        if not tickets:
            return Skip("nothing_bundled")
        listed = [tickets[n] for n in sorted(tickets)]
        rows = [{"number": t.number, "severity": t.severity, "subject": t.subject, "status": t.status,
                 "requester": t.requester} for t in listed]
        context = {"what": item.payload.get("what", ""), "count": len(listed),
                   "team_name": self.factory.sender.team_name, "tickets": rows}
        first = listed[0].number
        mail = self.factory.to_staff(first, item.payload.get("owner") or self.factory.sender.team_queue,
                                     "notification_digest", context, self.policy)
        sent = self.outbox.send(first, "notification_digest", mail, self.clock.now(), visibility="internal",
                                to_value=",".join(str(t.number) for t in listed))
        return Done(sent.writes, "sent", {"sent_message_id": sent.ses_message_id})
