"""What happens when an SLA item falls due: breach checks, owner warnings and customer updates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from helpdesk.core.clock import Clock, local_text
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.staff_notification import owner_address
from helpdesk.policy.durations import humanize
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, Skip
from helpdesk.sla.plans import update_item
from helpdesk.sla.targets import next_update
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.tickets.context import TicketContext

CADENCE_HORIZON = timedelta(days=365)  # updates stop being planned this far past the resolution target


class BreachChecker:
    """At a target's due time: if the clock is still running, the SLA is breached."""

    plan_bound = True

    def __init__(self, store: Store, clock: Clock, raise_trigger: Callable[[int, str], object]) -> None:
        self.store = store
        self.clock = clock
        self.raise_trigger = raise_trigger

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        clock_name = item.payload["clock"]
        if ctx.ticket.clock_done(clock_name) or (clock_name == "workaround" and ctx.closed):
            return Skip("met")
        now = self.clock.now()
        entry = Entry(ticket=ctx.number, at=now, kind="sla_breached", key=clock_name, clock=clock_name,
                      due_at=item.planned, severity=ctx.severity)
        writes = [self.store.tickets.add_entry(entry),
                  self.store.tickets.change(ctx.number, TicketPatch(sets={f"breached_{clock_name}_at": now,
                                                                          "updated_at": now}))]
        metric("SlaBreached", clock=clock_name, severity=ctx.severity)
        logger.warning("sla_breached", extra={"ticket": ctx.number, "clock": clock_name, "severity": ctx.severity})
        events = [{"kind": "sla_breached", "ticket": ctx.number, "clock": clock_name, "severity": ctx.severity}]
        number = ctx.number
        then = (lambda: self.raise_trigger(number, "response_breach")) if clock_name == "first_response" else None
        return Done(writes, "breached", events=events, then=then)


class WarningSender:
    """Before a breach, the owner hears about it (at 75% and 90% of the target by default).

    `spoken_for` says when another ticket speaks for this one (an incident's lead): then only the lead
    warns, so an outage of thirty tickets is not sixty warning mails."""

    plan_bound = True

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock,
                 spoken_for: Callable[[TicketContext], bool] | None = None) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock
        self.spoken_for = spoken_for

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        clock_name = item.payload["clock"]
        if ctx.ticket.clock_done(clock_name) or ctx.closed:
            return Skip("not_needed")
        if self.spoken_for is not None and self.spoken_for(ctx):
            return Skip("incident_lead_warns")
        now = self.clock.now()
        percent = int(float(item.payload["fraction"]) * 100)
        sent = self.outbox.send(ctx.number, "warning_sent", self.build(ctx, clock_name, percent, now), now,
                                visibility="internal", clock=clock_name, percent=percent)
        metrics.add_metric(name="BreachWarningsSent", unit="Count", value=1)
        events = [{"kind": "warning_sent", "ticket": ctx.number, "clock": clock_name}]
        return Done(sent.writes, "sent", events=events)

    def build(self, ctx: TicketContext, clock_name: str, percent: int, now: datetime) -> OutboundMail:
        due = ctx.ticket.due(clock_name)
        zone = ZoneInfo(ctx.targets().timezone)
        context = {
            "ticket": {"number": ctx.number, "subject": ctx.ticket.subject, "status": ctx.status},
            "severity": {"id": ctx.severity, "name": ctx.policy.severities[ctx.severity].name},
            "clock": clock_name.replace("_", " "), "percent": percent,
            "due": local_text(due, zone) if due else "soon",
            "remaining": humanize(max(timedelta(0), due - now)) if due else "little time",
            "account": ctx.account.name, "team_name": self.factory.sender.team_name,
        }
        to = owner_address(ctx.ticket, ctx.account, self.factory.sender.team_queue)
        return self.factory.to_staff(ctx.number, to, ctx.policy.templates.breach_warning, context, ctx.policy)


class UpdateSender:
    """Customer updates on the policy's cadence until the ticket is resolved."""

    plan_bound = True

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip | Defer:
        assert ctx is not None
        if ctx.closed:
            return Skip("stopped")
        targets = ctx.targets()
        if ctx.ticket.incident and targets.update_every:
            # The incident's updates speak for this ticket; its own cadence resumes if it is unlinked.
            return Defer(self.clock.now() + targets.update_every, f"{ctx.ticket.incident} sends the updates",
                         replan=True)
        last_public = ctx.ticket.last_public_reply_at
        if last_public and targets.update_every and last_public > item.planned - targets.update_every:
            # A public reply inside this period already told the customer where things stand.
            when = next_update(ctx.policy, targets, ctx.account, last_public)
            if when is not None:
                return Defer(when, "cadence reset by public reply", replan=True)
        now = self.clock.now()
        seq = int(item.payload.get("seq", 1))
        following = next_update(ctx.policy, targets, ctx.account, now)
        sent = self.outbox.send(ctx.number, "customer_update", self.build(ctx, seq, following), now, seq=seq)
        writes = [*sent.writes, self.outbox.store.tickets.change(ctx.number, TicketPatch(
            sets={"last_update_at": now, "updated_at": now, "last_outbound_message_id": sent.ses_message_id},
            adds={"updates_sent": 1}))]
        if following is not None and following < targets.resolution_due + CADENCE_HORIZON:
            writes.append(self.outbox.store.due.add(update_item(ctx.number, item.plan, seq + 1, following)))
        metrics.add_metric(name="CustomerUpdatesSent", unit="Count", value=1)
        return Done(writes, "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ctx: TicketContext, seq: int, following: datetime | None) -> OutboundMail:
        zone = ZoneInfo(ctx.targets().timezone)
        context = {
            "ticket": {"number": ctx.number, "subject": ctx.ticket.subject, "status": ctx.status.replace("_", " ")},
            "customer_name": ctx.ticket.requester_name or "there",
            "severity": {"id": ctx.severity, "name": ctx.policy.severities[ctx.severity].name},
            "seq": seq,
            "public_note": ctx.ticket.public_note,
            "progress": list(ctx.ticket.progress)[-5:],
            "next_update": local_text(following, zone) if following else None,
            "opened_for": humanize(self.clock.now() - ctx.ticket.created_at),
            "team_name": self.factory.sender.team_name,
        }
        return self.factory.to_customer(ctx.ticket, ctx.policy.templates.customer_update, context, ctx.policy)
