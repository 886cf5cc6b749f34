"""What happens when an SLA item falls due: breach checks, owner warnings and customer updates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import Clock, local_text, parse_iso
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.progress import STATUS_WORDS, escalation_state, eta_text, news_since, next_steps
from helpdesk.messages.staff_notification import owner_address
from helpdesk.messages.subjects import base_subject
from helpdesk.messages.wording import plain_duration, signature, style_for
from helpdesk.messages.wording import when as wording_when
from helpdesk.policy.durations import humanize
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, Skip
from helpdesk.sla.plans import nudge_item, update_item
from helpdesk.sla.targets import next_update
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.policy.models import Policy
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


def overnight(policy: Policy, zone: ZoneInfo, instant: datetime) -> bool:
    """Inside the policy's quiet hours, or 20:00-08:00 in the severity's zone when it sets none."""
    quiet = policy.notifications.quiet_hours
    start, end = (quiet.start, quiet.end) if quiet else (time(20), time(8))
    local = instant.astimezone(ZoneInfo(quiet.timezone) if quiet else zone).time()
    return local >= start or local < end if start > end else start <= local < end


class UpdateSender:
    """Customer updates on the policy's cadence until the ticket is resolved.

    Each says what changed since the last one, from the log. With nothing new it says so; at night,
    for severities whose policy folds them, a second update with still nothing new is not sent.
    """

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
        zone = ZoneInfo(targets.timezone)
        news = news_since(self.outbox.store.tickets.entries(ctx.number), last_told(ctx), ctx.policy, zone)
        store = self.outbox.store
        more = []
        if following is not None and following < targets.resolution_due + CADENCE_HORIZON:
            more = [store.due.add(i) for i in update_items(ctx, item.plan, seq + 1, following)]
        severity = ctx.policy.severities[ctx.severity]
        if not news and ctx.ticket.quiet_updates and severity.fold_overnight_updates \
                and overnight(ctx.policy, zone, now):
            logger.info("update_folded", extra={"ticket": ctx.number, "seq": seq})
            return Done(more, "folded")
        promised = following
        if not news and severity.fold_overnight_updates:
            # The night's slots will be folded unless there is news: promise the first one after it.
            while promised is not None and overnight(ctx.policy, zone, promised) \
                    and promised < now + timedelta(days=1):
                promised = next_update(ctx.policy, targets, ctx.account, promised)
        sent = self.outbox.send(ctx.number, "customer_update", self.build(ctx, seq, promised, news), now, seq=seq)
        writes = [*sent.writes, store.tickets.change(ctx.number, TicketPatch(
            sets={"last_update_at": now, "updated_at": now, "last_outbound_message_id": sent.ses_message_id,
                  "quiet_updates": 0 if news else ctx.ticket.quiet_updates + 1},
            adds={"updates_sent": 1})), *more]
        metrics.add_metric(name="CustomerUpdatesSent", unit="Count", value=1)
        return Done(writes, "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ctx: TicketContext, seq: int, following: datetime | None,
              news: list[str] | None = None) -> OutboundMail:
        return self.factory.to_customer(ctx.ticket, ctx.policy.templates.customer_update,
                                        update_context(ctx, seq, following, news or [], self.clock.now(),
                                                       self.factory.sender.team_name),
                                        ctx.policy)


def last_told(ctx: TicketContext) -> datetime | None:
    """Since when the customer has heard nothing: the last update, public reply or acknowledgment."""
    moments = [m for m in (ctx.ticket.last_update_at, ctx.ticket.last_public_reply_at, ctx.ticket.ack_sent_at)
               if m is not None]
    return max(moments) if moments else None


def update_items(ctx: TicketContext, plan: int, seq: int, at: datetime) -> list[DueItem]:
    """The next update and, before it, the owner's nudge (dropped if it would fall in the past)."""
    items = [update_item(ctx.number, plan, seq, at)]
    nudge_at = at - ctx.policy.templates.nudge_before
    if ctx.policy.templates.nudge_before and nudge_at > (ctx.ticket.last_update_at or ctx.ticket.created_at):
        items.append(nudge_item(ctx.number, plan, seq, nudge_at, at))
    return items


def update_context(ctx: TicketContext, seq: int, following: datetime | None, news: list[str], now: datetime,
                   team_name: str) -> dict[str, Any]:
    zone = ZoneInfo(ctx.targets().timezone)
    ticket = ctx.ticket
    acknowledged = ticket.acknowledged_at is not None
    return {
        "style": style_for(ctx.policy, ctx.severity),
        "ticket": {"number": ctx.number, "subject": base_subject(ticket.subject),
                   "status": ctx.status.replace("_", " ")},
        "status_words": STATUS_WORDS.get(ctx.status, ctx.status.replace("_", " ")),
        "customer_name": ticket.requester_name or "there",
        "severity": {"id": ctx.severity, "name": ctx.policy.severities[ctx.severity].name},
        "seq": seq,
        "news": news,
        "since": wording_when(last_told(ctx) or ticket.created_at, zone),
        "public_note": ticket.public_note,
        "public_note_at": wording_when(ticket.public_note_at, zone) if ticket.public_note_at else None,
        "progress": list(ticket.progress)[-5:],
        "acknowledged": acknowledged,
        "escalation": [] if acknowledged else escalation_state(ticket, ctx.policy, zone),
        "next_steps": next_steps(ticket),
        "eta": eta_text(ticket, zone),
        "resolution_target": wording_when(ticket.resolution_due, zone) if ticket.resolution_due else None,
        "next_update": local_text(following, zone) if following else None,
        "opened_for": plain_duration(now - ticket.created_at),
        "team_name": team_name,
        "signature": signature(ticket, ctx.account, team_name),
    }


class UpdateNudger:
    """Some minutes before a customer update: if nothing new has happened, the owner hears first."""

    plan_bound = True

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        if ctx.closed:
            return Skip("stopped")
        zone = ZoneInfo(ctx.targets().timezone)
        if ctx.ticket.quiet_updates and ctx.policy.severities[ctx.severity].fold_overnight_updates \
                and overnight(ctx.policy, zone, parse_iso(item.payload["update_at"])):
            return Skip("update_will_fold")  # nobody is woken for an update that will not be sent
        since = last_told(ctx) or ctx.ticket.created_at
        if news_since(self.outbox.store.tickets.entries(ctx.number), since, ctx.policy, zone):
            return Skip("news_to_tell")
        now = self.clock.now()
        context = {
            "ticket": {"number": ctx.number, "subject": base_subject(ctx.ticket.subject), "status": ctx.status},
            "severity": {"id": ctx.severity, "name": ctx.policy.severities[ctx.severity].name},
            "due": local_text(item.payload["update_at"], zone, "weekday_time"),
            "due_long": local_text(item.payload["update_at"], zone),
            "since": local_text(since, zone, "weekday_time"),
            "account": ctx.account.name, "team_name": self.factory.sender.team_name,
            "acknowledged": ctx.ticket.acknowledged_at is not None,
        }
        to = ctx.ticket.owner or ctx.ticket.acknowledged_by or \
            owner_address(ctx.ticket, ctx.account, self.factory.sender.team_queue)
        mail = self.factory.to_staff(ctx.number, to, "update_nudge", context, ctx.policy)
        sent = self.outbox.send(ctx.number, "update_nudge", mail, now, visibility="internal")
        touch = self.outbox.store.tickets.change(ctx.number, TicketPatch(sets={"nudged_at": now}))
        return Done([*sent.writes, touch], "sent", {"sent_message_id": sent.ses_message_id})
