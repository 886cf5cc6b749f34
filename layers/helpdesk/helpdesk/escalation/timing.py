"""When escalations happen: lower levels first, the next milestone a briefing names, and the
deadline of an executive's response commitment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.escalation.reasons import REASON_KINDS, already_told, effective_level, rank, reason_of
from helpdesk.policy.calendar import business_hours_for

if TYPE_CHECKING:
    from helpdesk.sla.due import DueItem
    from helpdesk.tickets.context import TicketContext

MILESTONE_KINDS = {"breach": "{clock} target", "escalation": "escalation to {level}"}


def commitment_due(ctx: TicketContext, now: datetime) -> datetime:
    """2 hours in business hours, 4 hours after hours (the policy's executive response commitment)."""
    briefings = ctx.policy.briefings
    name = briefings.commitment_calendar
    if name and name in ctx.policy.calendars:
        open_now = business_hours_for(ctx.policy, name, severity=ctx.severity).is_open(now)
        return now + (briefings.executive_ack_within if open_now else briefings.executive_ack_after_hours)
    return now + briefings.executive_ack_within


def lower_level_due(ctx: TicketContext, pending: list[DueItem], level: str, now: datetime) -> bool:
    """Is a reason for a lower level runnable now? It goes first, so briefings climb in order."""
    for other in pending:
        if other.kind not in REASON_KINDS or other.due_at > now:
            continue
        reason = reason_of(other, ctx)
        if isinstance(reason, str):
            continue
        lower = effective_level(ctx, reason.level)
        if rank(ctx.policy, lower) < rank(ctx.policy, level) and not already_told(ctx, reason, lower):
            return True
    return False


def next_milestone(pending: list[DueItem], ctx: TicketContext, level: str, now: datetime
                    ) -> tuple[str, datetime] | None:
    """The next breach check or chain step that will matter: steps to the level being briefed, or
    below it, are left out, since they will add nothing."""
    def matters(item: DueItem) -> bool:
        if item.kind == "breach":
            return item.plan == ctx.ticket.plan_version
        step_level = str(item.payload.get("level", ""))
        return bool(item.payload.get("repeat")) or rank(ctx.policy, step_level) > rank(ctx.policy, level)

    upcoming = sorted((d for d in pending if d.kind in MILESTONE_KINDS and d.planned > now and matters(d)),
                      key=lambda d: d.planned)
    for item in upcoming:
        label = MILESTONE_KINDS[item.kind].format(clock=str(item.payload.get("clock", "")).replace("_", " "),
                                                  level=item.payload.get("level", ""))
        return label, item.planned
    return None

