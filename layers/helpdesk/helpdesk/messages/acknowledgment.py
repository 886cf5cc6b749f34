"""The acknowledgment: the customer's first proof that a person will handle their request."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.core.clock import Clock
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.subjects import base_subject
from helpdesk.messages.wording import (
    business_day,
    cadence_text,
    done_so_far,
    signature,
    style_for,
    target_text,
    when,
)
from helpdesk.policy.calendar import business_hours_for
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.records import Ticket, TicketPatch

if TYPE_CHECKING:
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.context import TicketContext

ACK_ID = "ack"
EXCERPT_LINES = 8


def point_of_contact(account: Account, team_name: str, support_address: str) -> dict[str, str]:
    if account.csm_email:
        return {"name": account.csm_name or account.csm_email, "title": "Customer Success Manager",
                "email": account.csm_email, "phone": account.csm_phone}
    return {"name": team_name, "title": "", "email": support_address, "phone": ""}


def excerpt_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [line[:160] for line in lines[:EXCERPT_LINES]]


class Acknowledgments:
    """Performs `ack` items: the first reply, stating targets, cadence and who is on it."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        now = self.clock.now()
        sent = self.outbox.send(ctx.number, "acknowledgment", self.build(ctx.ticket, ctx.account, ctx.policy), now)
        metrics.add_metric(name="AcknowledgmentsSent", unit="Count", value=1)
        metric("AcknowledgmentLatency", (now - ctx.ticket.created_at).total_seconds(), "Seconds",
               severity=ctx.severity)
        logger.info("ack_sent", extra={"ticket": ctx.number})
        touch = self.outbox.store.tickets.change(ctx.number, TicketPatch(sets={
            "ack_sent_at": now, "last_outbound_message_id": sent.ses_message_id}))
        return Done([*sent.writes, touch], "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ticket: Ticket, account: Account, policy: Policy) -> OutboundMail:
        sender = self.factory.sender
        return self.factory.to_customer(ticket, policy.templates.acknowledgment,
                                        acknowledgment_context(ticket, account, policy, sender.team_name,
                                                               sender.address),
                                        policy, in_reply_to=ticket.root_message_id, auto_submitted="auto-replied")


def acknowledgment_context(ticket: Ticket, account: Account, policy: Policy, team_name: str,
                           support_address: str) -> dict[str, Any]:
    """What every acknowledgment style can say; the style (from the policy) picks what to say."""
    severity = policy.severities[ticket.severity]
    zone = ZoneInfo(timezone_of(policy, ticket.severity))
    working_day = business_day(policy, ticket.severity)
    first_target = timedelta(seconds=ticket.first_response_seconds) or severity.first_response
    every = timedelta(seconds=ticket.update_every_seconds) if ticket.update_every_seconds else None
    note = ""
    if ticket.modifiers:
        note = "Your account has priority handling, so these targets are shorter than our standard ones."
    elif ticket.after_hours:
        note = "You wrote to us outside business hours; the first-response target reflects our after-hours cover."
    due = ticket.first_response_due or ticket.created_at
    next_update = None
    if every:  # the cadence counts from the opening, on the severity's clock
        clock = business_hours_for(policy, severity.clock, severity=ticket.severity, account_flags=account.flags)
        next_update = clock.next_open(ticket.created_at + every)
    # With account modifiers the policy's duration is not the ticket's: the deadline alone is exact.
    resolution = None if ticket.modifiers else severity.resolution
    return {
        "style": style_for(policy, ticket.severity),
        "ticket": {"number": ticket.number, "subject": base_subject(ticket.subject)},
        "customer_name": ticket.requester_name or "there",
        "team_name": team_name,
        "severity": {"id": ticket.severity, "name": severity.name},
        "targets": {
            # first_response / update_every keep their names for older override templates
            "first_response": target_text(first_target, None, zone, working_day).removeprefix("within "),
            "first_response_by": when(due, zone),
            "first_response_text": target_text(first_target, due, zone, working_day),
            "update_every": cadence_text(every),
            "next_update": when(next_update, zone) if next_update else None,
            "resolution_text": target_text(resolution, ticket.resolution_due, zone, working_day),
            "note": note,
        },
        "done": done_so_far(policy, ticket, zone),
        "owner_acknowledged": ticket.acknowledged_at is not None,
        "contact": point_of_contact(account, team_name, support_address),
        "signature": signature(ticket, account, team_name),
        "excerpt": list(ticket.excerpt),
        "incident": {"id": ticket.incident, "title": ticket.incident_title} if ticket.incident else None,
    }
