"""Why an item escalates, at which level, and whether that reason was already told.

Levels are ranked in the policy's order. A ticket's briefings never step down: a reason for a
level below the one already reached is told at the level reached. Each reason has a key; a
level that was told a reason for a ticket is not told it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from helpdesk.policy.durations import humanize
from helpdesk.policy.escalations import NEXT_LEVEL

if TYPE_CHECKING:
    from helpdesk.policy.models import Policy
    from helpdesk.sla.due import DueItem
    from helpdesk.tickets.context import TicketContext

WAITING_FOR = {"acknowledged": "nobody has acknowledged it", "first_response": "no first response",
               "resolved": "not resolved"}
REASON_KINDS = ("escalation", "trigger")


@dataclass(frozen=True)
class Reason:
    """One reason to brief a level: the level it asks for, the trigger name and the words people read."""

    level: str
    trigger: str
    text: str
    key: str  # what makes it "the same reason" for dedup: a trigger name, a chain step, a hand escalation

    def told_key(self, level: str) -> str:
        return f"{level}|{self.key}"


def rank(policy: Policy, level: str) -> int:
    levels = list(policy.levels)
    return levels.index(level) if level in levels else -1


def higher(policy: Policy, a: str | None, b: str | None) -> str | None:
    """The higher of two levels (either may be None)."""
    if a is None or b is None:
        return a or b
    return a if rank(policy, a) >= rank(policy, b) else b


def next_level(policy: Policy, level: str | None) -> str:
    levels = list(policy.levels)
    if level not in levels:
        return levels[0]
    return levels[min(levels.index(level) + 1, len(levels) - 1)]


def effective_level(ctx: TicketContext, wanted: str) -> str:
    """Never step down: what was asked, or the level the ticket already reached, whichever is higher."""
    return higher(ctx.policy, wanted, ctx.ticket.escalation_level) or wanted


def _chain_reason(item: DueItem, ctx: TicketContext) -> Reason | str:
    unless = item.payload.get("unless")
    if item.plan != ctx.ticket.plan_version or ctx.status == "pending" or ctx.condition_met(unless):
        return "condition_met"
    level, repeat = item.payload["level"], item.payload.get("repeat") or 0
    reached = ctx.ticket.escalation_level
    if not repeat and reached and rank(ctx.policy, level) <= rank(ctx.policy, reached):
        return "level_already_briefed"  # a first chain step adds nothing for a level that already knows
    step = f"chain:{item.payload.get('step')}:{repeat}"
    return Reason(level, "chain", _waiting_text(ctx, item, str(unless)), step)


def _waiting_text(ctx: TicketContext, item: DueItem, unless: str) -> str:
    """"not resolved after 30 minutes": what the step waited for, and how long it waited."""
    steps = ctx.policy.escalation.get(ctx.severity) or []
    index, repeat = int(item.payload.get("step") or 0), int(item.payload.get("repeat") or 0)
    waiting = WAITING_FOR.get(unless, "overdue")
    if index >= len(steps):
        return waiting
    step = steps[index]
    waited = step.after + (step.repeat_every or timedelta(0)) * repeat
    return f"{waiting} after {humanize(waited)}" if waited else waiting


def _set_level_reason(item: DueItem) -> Reason:
    """A level set by the caller: a person escalated by hand, the account's health window, an incident."""
    payload = item.payload
    text = str(payload.get("reason"))
    trigger = payload.get("trigger", "manual")
    return Reason(payload["level"], trigger, f"{text} ({payload['actor']})" if payload.get("actor") else text,
                  f"{trigger}:{item.id}" if trigger == "manual" else trigger)


def _trigger_reason(item: DueItem, ctx: TicketContext) -> Reason | str:
    trigger = item.payload["trigger"]
    action = ctx.policy.triggers.get(trigger)
    if action is None or not action.escalate_to:
        return "no_action"
    if action.after and ctx.closed:
        return "resolved_in_time"
    if action.escalate_to == NEXT_LEVEL and ctx.ticket.escalation_level == list(ctx.policy.levels)[-1]:
        return "already_at_top"  # "one level up" from the top would only repeat the last briefing
    level = next_level(ctx.policy, ctx.ticket.escalation_level) if action.escalate_to == NEXT_LEVEL \
        else action.escalate_to
    # A trigger is told once per level; "one level up" each time it fires; a survey once per round.
    key = f"{trigger}:{item.id}" if action.escalate_to == NEXT_LEVEL else \
        f"{trigger}:round{item.payload['round']}" if item.payload.get("round") else trigger
    return Reason(level, trigger, action.description or trigger.replace("_", " "), key)


def reason_of(item: DueItem, ctx: TicketContext) -> Reason | str:
    """The reason an item escalates, or why it no longer does (a short outcome code)."""
    if item.kind == "escalation":
        return _chain_reason(item, ctx)
    if item.payload.get("level"):
        return _set_level_reason(item)
    return _trigger_reason(item, ctx)


def already_told(ctx: TicketContext, reason: Reason, level: str) -> bool:
    done = ctx.ticket.escalations_done
    return reason.told_key(level) in done or any(k.endswith(f"|{reason.key}") and k.split("|", 1)[0] in
                                                 _at_or_above(ctx.policy, level) for k in done)


def _at_or_above(policy: Policy, level: str) -> set[str]:
    return {name for name in policy.levels if rank(policy, name) >= rank(policy, level)}
