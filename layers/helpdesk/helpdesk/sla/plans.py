"""The durable obligations a ticket carries, derived from its plan.

Ids are deterministic (`DUE#p<plan>#<kind>...`), so writing them twice is harmless, and the
plan number fences them: a re-plan (severity change, pause) bumps it and old items become
no-ops when they fall due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.store import TicketStore
from helpdesk.core.clock import iso
from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.models import Policy
from helpdesk.sla.targets import Targets, escalation_steps, next_update, warnings_for


def plan_items(store: TicketStore, policy: Policy, number: int, targets: Targets, account: Account,
               plan: int, *, first_response_open: bool = True, workaround_open: bool = True,
               skip_before: datetime | None = None) -> list[dict[str, Any]]:
    """Every timed obligation of a plan. `skip_before` drops what a re-plan would put in the past twice."""
    prefix = f"DUE#p{plan}#"
    items = []

    def add(suffix: str, kind: str, at: datetime, **payload: Any) -> None:
        if skip_before is not None and at < skip_before and kind == "warning":
            return  # a warning for a moment already gone is noise
        items.append(store.due_item(number, prefix + suffix, kind, iso(at), {"plan": plan, **payload}))

    if first_response_open:
        add("breach#first_response", "breach", targets.first_response_due, clock="first_response")
    for warning in warnings_for(policy, targets, account):
        if warning.condition == "first_response" and not first_response_open:
            continue
        percent = warning.label.split("%")[0]
        add(f"warn#{warning.condition}#{percent}", "warning", warning.at, clock=warning.condition,
            fraction=int(percent) / 100)
    if targets.update_every:
        first_update = next_update(policy, targets, account, targets.opened_at)
        if first_update is not None:
            add("update#0001", "update", first_update, seq=1)
    for step in escalation_steps(policy, targets, account):
        add(f"esc#{step.step}#{step.repeat}", "escalation", step.at, step=step.step, repeat=step.repeat,
            level=step.level, unless=step.condition)
    if targets.workaround_due and workaround_open:
        add("breach#workaround", "breach", targets.workaround_due, clock="workaround")
    add("breach#resolution", "breach", targets.resolution_due, clock="resolution")
    return items


def reopen(store: TicketStore, policy: Policy, ticket: dict[str, Any], now: datetime, actor: str,
           reason: str) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Back in front of people: open again, a fresh resolution target from now, updates resume.

    Returns the ticket fields to set, the counters to add and the writes (log entry, obligations).
    """
    from helpdesk.adapters.aws.table import put

    number, plan_no = int(ticket["number"]), int(ticket.get("plan_version", 1)) + 1
    sets: dict[str, Any] = {"status": "investigating", "reopened_at": iso(now), "state_key": "open",
                            "state_at": iso(now), "plan_version": plan_no, "resolved_at": None, "closed_at": None}
    entry = {"PK": f"TICKET#{number}", "SK": f"ENTRY#{iso(now)}#reopened", "type": "entry", "kind": "reopened",
             "at": iso(now), "actor": actor, "visibility": "internal", "reason": reason,
             "previous_status": ticket.get("status")}
    writes: list[Any] = [put(entry)]
    severity = policy.severities.get(ticket["severity"])
    if severity is not None:
        resolution_due = now + severity.resolution
        sets["resolution_due"] = iso(resolution_due)
        writes.append(put(store.due_item(number, f"DUE#p{plan_no}#breach#resolution", "breach", iso(resolution_due),
                                         {"plan": plan_no, "clock": "resolution"})))
        if severity.update_every:
            writes.append(put(store.due_item(number, f"DUE#p{plan_no}#update#0001", "update",
                                             iso(now + severity.update_every), {"plan": plan_no, "seq": 1})))
    return sets, {"reopens": 1}, writes


def business_elapsed(policy: Policy, targets: Targets, account: Account, start: datetime, end: datetime) -> float:
    """Seconds of the severity's clock between two instants (business time where the policy says so)."""
    clock = business_hours_for(policy, targets.clock, severity=targets.severity, account_flags=account.flags)
    return clock.elapsed(start, end).total_seconds()
