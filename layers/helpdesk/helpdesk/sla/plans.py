"""The due work a ticket's plan implies: breach checks, warnings, updates and escalation steps.

Ids are deterministic (`p<plan>#<kind>...`), so writing them twice is harmless, and the plan
number fences them: a re-plan (severity change, pause, reopen) bumps it and older items become
no-ops when they fall due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.accounts.model import Account
from helpdesk.core.clock import iso
from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.models import Policy
from helpdesk.sla.due import DueItem
from helpdesk.sla.targets import Targets, due_fields, escalation_steps, next_update, plan, warnings_for
from helpdesk.tickets.records import Ticket


class _Plan:
    def __init__(self, number: int, plan: int, skip_before: datetime | None) -> None:
        self.number, self.plan, self.skip_before = number, plan, skip_before
        self.items: list[DueItem] = []

    def add(self, suffix: str, kind: str, at: datetime, **payload: Any) -> None:
        if self.skip_before is not None and at < self.skip_before and kind == "warning":
            return  # a warning for a moment already gone is noise
        self.items.append(DueItem.new(self.number, f"p{self.plan}#{suffix}", kind, at, {"plan": self.plan, **payload}))


def plan_items(policy: Policy, number: int, targets: Targets, account: Account, plan: int, *,
               first_response_open: bool = True, workaround_open: bool = True,
               skip_before: datetime | None = None) -> list[DueItem]:
    """Every timed obligation of a plan. `skip_before` drops what a re-plan would put in the past twice."""
    out = _Plan(number, plan, skip_before)
    if first_response_open:
        out.add("breach#first_response", "breach", targets.first_response_due, clock="first_response")
    for warning in warnings_for(policy, targets, account):
        if warning.condition == "first_response" and not first_response_open:
            continue
        percent = warning.label.split("%")[0]
        out.add(f"warn#{warning.condition}#{percent}", "warning", warning.at, clock=warning.condition,
                fraction=int(percent) / 100)
    first_update = next_update(policy, targets, account, targets.opened_at) if targets.update_every else None
    if first_update is not None:
        out.add("update#0001", "update", first_update, seq=1)
        nudge_at = first_update - policy.templates.nudge_before
        if policy.templates.nudge_before and nudge_at > targets.opened_at:
            out.add("nudge#0001", "update_nudge", nudge_at, seq=1, update_at=iso(first_update))
    for step in escalation_steps(policy, targets, account):
        out.add(f"esc#{step.step}#{step.repeat}", "escalation", step.at, step=step.step, repeat=step.repeat,
                level=step.level, unless=step.condition)
    if targets.workaround_due and workaround_open:
        out.add("breach#workaround", "breach", targets.workaround_due, clock="workaround")
    out.add("breach#resolution", "breach", targets.resolution_due, clock="resolution")
    return out.items


def update_item(number: int, plan: int, seq: int, at: datetime) -> DueItem:
    return DueItem.new(number, f"p{plan}#update#{seq:04d}", "update", at, {"plan": plan, "seq": seq})


def nudge_item(number: int, plan: int, seq: int, at: datetime, update_at: datetime) -> DueItem:
    """The owner's reminder before update `seq`, when nothing new has happened since the last one."""
    return DueItem.new(number, f"p{plan}#nudge#{seq:04d}", "update_nudge", at,
                       {"plan": plan, "seq": seq, "update_at": iso(update_at)})


def reopen_plan(policy: Policy, ticket: Ticket, account: Account, now: datetime
                ) -> tuple[dict[str, Any], list[DueItem]]:
    """Back in front of people: every clock, warning and chain step planned again, in business time
    with the account's factors, from the reopen (or from the original opening, as the policy says).

    Returns the ticket fields to set and the new plan's items.
    """
    plan_no = ticket.plan_version + 1
    start = now if policy.lifecycle.replan_reopened_from == "reopen" else ticket.created_at
    targets = plan(policy, ticket.severity, start, account, ticket.triggers)
    sets: dict[str, Any] = {"status": "investigating", "reopened_at": now, "plan_version": plan_no,
                            "resolved_at": None, "closed_at": None, "clock_start": start, "paused_seconds": 0,
                            "chain_stopped_at": None, **due_fields(targets)}
    items = plan_items(policy, ticket.number, targets, account, plan_no,
                       first_response_open=not ticket.first_response_at, workaround_open=not ticket.workaround_at,
                       skip_before=now)
    return sets, items


def business_elapsed(policy: Policy, targets: Targets, account: Account, start: datetime, end: datetime) -> float:
    """Seconds of the severity's clock between two instants (business time where the policy says so)."""
    clock = business_hours_for(policy, targets.clock, severity=targets.severity, account_flags=account.flags)
    return clock.elapsed(start, end).total_seconds()
