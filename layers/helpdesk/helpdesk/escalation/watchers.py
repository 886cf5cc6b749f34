"""Escalations that come from silence: an executive who does not acknowledge within the commitment,
and a ticket with no significant progress (no public update or status change) for too long."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.clock import Clock, iso, parse_iso
from helpdesk.escalation.routing import last_progress_at
from helpdesk.policy.calendar import business_hours_for
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, Skip

if TYPE_CHECKING:
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.tickets.context import TicketContext

PROGRESS_ID = "progress"


def progress_item(number: int, opened: datetime, ctx_policy: object) -> DueItem | None:
    """The first no-progress check of a new ticket, when the policy asks for one."""
    window = ctx_policy.briefings.no_progress_after  # type: ignore[attr-defined]
    return DueItem.new(number, PROGRESS_ID, "progress_check", opened + window) if window else None


class ExecutiveAckCheck:
    """At the end of the commitment: if nobody acknowledged the briefing, escalate one level up."""

    plan_bound = False

    def __init__(self, escalator: Escalator, clock: Clock) -> None:
        self.escalator = escalator
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        level, briefed = item.payload["level"], parse_iso(item.payload["briefed_at"])
        acked = ctx.ticket.executive_acks.get(level)  # once a level acknowledged the ticket, it is engaged
        owned = ctx.ticket.chain_stopped_at is not None and ctx.ticket.chain_stopped_at >= briefed
        if ctx.closed or owned or acked is not None:
            return Skip("acknowledged")  # one tap on the briefing, or staff took the ticket since
        number = ctx.number
        return Done(outcome="unanswered", then=lambda: self.escalator.raise_trigger(
            number, "executive_unanswered", f"{level}-{iso(briefed)}"))


class NoProgressCheck:
    """No public update or status change for the policy's window: the ticket escalates one level."""

    plan_bound = False

    def __init__(self, escalator: Escalator, clock: Clock) -> None:
        self.escalator = escalator
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Defer | Skip:
        assert ctx is not None
        briefings = ctx.policy.briefings
        window = briefings.no_progress_after
        if ctx.closed or window is None:
            return Skip("closed" if ctx.closed else "not_watched")
        now = self.clock.now()
        # Measured on the ticket's own clock, so a quiet holiday weekend is not "no progress".
        targets = ctx.targets()
        clock = business_hours_for(ctx.policy, targets.clock, severity=ctx.severity, account_flags=ctx.account.flags)
        last = last_progress_at(ctx)
        if clock.elapsed(last, now) < window:
            return Defer(clock.add(last, window), "progress made", replan=True)
        if briefings.no_progress_for and ctx.severity not in briefings.no_progress_for:
            return Defer(clock.add(now, window), "severity not watched for progress", replan=True)
        self.escalator.raise_trigger(ctx.number, "no_progress", iso(now))
        return Defer(clock.add(now, window), "escalated for no progress; watching again", replan=True)
