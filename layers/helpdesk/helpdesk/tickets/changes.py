"""The changes people and the system make to a ticket, each a small function of (context, now).

A change says which fields it sets, which entry it logs, which due items it creates and which
other writes go with it. `TicketOps.apply` composes several (a staff email may carry many) into
one transaction fenced on the ticket's version. Clocks stop here: when one closes, its SLA
outcome is recorded on the ticket so reports never recompute history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import iso
from helpdesk.core.errors import HelpdeskError
from helpdesk.core.observability import metric, metrics
from helpdesk.policy.calendar import business_hours_for
from helpdesk.sla.due import DueItem
from helpdesk.sla.plans import business_elapsed, plan_items, reopen_plan
from helpdesk.sla.targets import Targets, due_fields
from helpdesk.tickets.records import CLOSED, STATUSES, ClockOutcome, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.table import Write
    from helpdesk.tickets.context import TicketContext

MAX_NOTE = 2000


class TicketOpError(HelpdeskError):
    """An operation that cannot apply (unknown ticket, bad status, unknown severity)."""


@dataclass
class Change:
    """What one change does: fields, counters, a log entry, new due items and any other writes."""

    sets: dict[str, Any] = field(default_factory=dict)
    entry: dict[str, Any] | None = None  # Entry fields; `kind` is required, `at` and `ticket` are filled in
    items: list[DueItem] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    progress: str | None = None
    adds: dict[str, Any] = field(default_factory=dict)

    def patch(self) -> TicketPatch:
        return TicketPatch(sets=self.sets, adds=self.adds)


Builder = Callable[["TicketContext", datetime], Change]
# Obligations created by a resolution (summary, survey, follow-ups...), injected to keep layers apart.
ResolutionPlanner = Callable[["TicketContext", datetime], tuple[list[DueItem], list["Write"], dict[str, Any]]]


def who(actor: str) -> str:
    return actor.split("@")[0] if "@" in actor else actor


def clock_outcome(ctx: TicketContext, clock: str, now: datetime) -> dict[str, Any]:
    """SLA result of a clock that just stopped: met or breached, minutes on the clock and on the wall."""
    due = ctx.ticket.due(clock)
    if not due:
        return {}
    opened = ctx.ticket.created_at
    on_clock = (business_elapsed(ctx.policy, ctx.targets(), ctx.account, opened, now) - ctx.ticket.paused_seconds) / 60
    met = now <= due
    metric("SlaMet" if met else "SlaBreached", clock=clock, severity=ctx.severity)
    if clock == "first_response":
        metric("FirstResponseTime", round(max(0.0, on_clock) * 60), "Seconds", severity=ctx.severity)
    wall = round((now - opened).total_seconds() / 60, 1)
    outcome = ClockOutcome(outcome="met" if met else "breached", due=due, at=now,
                           minutes=round(max(0.0, on_clock), 1), wall_minutes=wall)
    return {f"sla_{clock}": outcome}


def replan(ctx: TicketContext, targets: Targets, plan_no: int, now: datetime) -> list[DueItem]:
    """The items of a new plan, from the ticket's original open time, without past warnings."""
    return plan_items(ctx.policy, ctx.number, targets, ctx.account, plan_no,
                      first_response_open=not ctx.ticket.first_response_at,
                      workaround_open=not ctx.ticket.workaround_at, skip_before=now)


def acknowledge(actor: str) -> Builder:
    """Someone owns it now: the escalation chain stops and a new ticket moves to acknowledged."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        sets: dict[str, Any] = {"chain_stopped_at": now}
        if not ctx.ticket.acknowledged_at:
            sets.update(acknowledged_at=now, acknowledged_by=actor)
        if ctx.status == "new":
            sets["status"] = "acknowledged"
        return Change(sets, {"kind": "acknowledged", "actor": actor}, progress=f"Acknowledged by {who(actor)}")

    return change


def checked_status(status: str) -> str:
    status = status.strip().lower()
    if status not in STATUSES or status == "new":
        raise TicketOpError(f"unknown status {status!r}; use one of {', '.join(STATUSES[1:])}")
    return status


def set_status(status: str, actor: str, planner: ResolutionPlanner) -> Builder:
    status = checked_status(status)

    def change(ctx: TicketContext, now: datetime) -> Change:
        previous = ctx.status
        result = Change(entry={"kind": "status_changed", "actor": actor, "from_value": previous,
                               "to_value": status, "status": status},
                        progress=f"Status changed from {previous} to {status}")
        result.sets.update(status=status, last_status_change_at=now)
        if status != "pending" and not ctx.ticket.acknowledged_at:
            result.sets.update(acknowledged_at=now, acknowledged_by=actor)
        _pause_or_resume(ctx, previous, status, now, result)
        if status == "workaround" and not ctx.ticket.workaround_at:
            result.sets.update(workaround_at=now, **clock_outcome(ctx, "workaround", now))
        if status in CLOSED and previous not in CLOSED:
            _resolve(ctx, status, now, planner, result)
        if status == "closed" and previous != "closed":
            result.sets["closed_at"] = now
        return result

    return change


def _pause_or_resume(ctx: TicketContext, previous: str, status: str, now: datetime, result: Change) -> None:
    if status == "pending" and previous != "pending":
        result.sets.update(paused_at=now, plan_version=ctx.ticket.plan_version + 1)
    if previous == "pending" and status != "pending":
        result.items += _resume(ctx, now, result.sets)


def _resolve(ctx: TicketContext, status: str, now: datetime, planner: ResolutionPlanner, result: Change) -> None:
    resolved_at = ctx.ticket.resolved_at or now
    result.sets.update(resolved_at=resolved_at, **clock_outcome(ctx, "resolution", now))
    items, writes, adds = planner(ctx, now)
    result.items += items
    result.writes += writes
    result.adds.update(adds)
    if status == "resolved":
        close_at = now + ctx.policy.lifecycle.auto_close_after
        result.items.append(DueItem.new(ctx.number, f"autoclose#{iso(resolved_at)}", "autoclose", close_at,
                                        {"resolved_at": iso(resolved_at)}))


def _resume(ctx: TicketContext, now: datetime, sets: dict[str, Any]) -> list[DueItem]:
    """Leaving `pending`: the paused time is added to every target and the plan is rebuilt."""
    paused_at = ctx.ticket.paused_at or now
    targets = ctx.targets()
    clock = business_hours_for(ctx.policy, targets.clock, severity=targets.severity, account_flags=ctx.account.flags)
    paused = clock.elapsed(paused_at, now) + timedelta(seconds=ctx.ticket.paused_seconds)
    plan_no = ctx.ticket.plan_version + 1
    ctx.ticket.paused_seconds = int(paused.total_seconds())
    targets = ctx.targets()
    sets.update(paused_seconds=int(paused.total_seconds()), plan_version=plan_no, **due_fields(targets),
                waiting_seconds=ctx.ticket.waiting_seconds + int((now - paused_at).total_seconds()))
    return replan(ctx, targets, plan_no, now)


def note(text: str, actor: str, *, public: bool = False) -> Builder:
    """Internal notes stay internal; a public note is the status line customers see in updates."""
    text = text.strip()
    if not text:
        raise TicketOpError("a note needs some text")

    def change(ctx: TicketContext, now: datetime) -> Change:
        sets: dict[str, Any] = {"public_note": text[:MAX_NOTE], "public_note_at": now} if public else {}
        entry = {"kind": "public_note" if public else "note", "actor": actor, "text": text[:16000],
                 "visibility": "public" if public else "internal"}
        return Change(sets, entry, progress=f"Update from the team: {text[:200]}" if public else None)

    return change


def change_severity(severity: str, actor: str) -> Builder:
    """Re-plan every clock from the original open time under the new severity (never a restart)."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        try:
            new = ctx.policy.resolve_severity(severity)
        except KeyError as exc:
            raise TicketOpError(str(exc)) from exc
        previous = ctx.severity
        if new == previous:
            return Change(entry={"kind": "severity_unchanged", "actor": actor, "to_value": new})
        plan_no = ctx.ticket.plan_version + 1
        ctx.ticket.severity = new
        targets = ctx.targets()
        items = [] if ctx.status == "pending" else replan(ctx, targets, plan_no, now)
        return Change({"severity": new, "plan_version": plan_no, **due_fields(targets)},
                      {"kind": "severity_changed", "actor": actor, "from_value": previous, "to_value": new},
                      items, progress=f"Priority changed from {previous} to {new}")

    return change


def set_field(name: str, value: Any, actor: str, progress: str | None = None) -> Builder:
    """Plain facts: owner, root cause, prevention, issue type."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        return Change({name: value}, {"kind": f"{name}_set", "actor": actor, "value": value}, progress=progress)

    return change


def add_need(need: str, actor: str) -> Builder:
    """A resource the team needs (people, tools, authority): listed in every later briefing."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        needs = [*ctx.ticket.needs, need.strip()[:200]][-10:]
        return Change({"needs": needs}, {"kind": "need_added", "actor": actor, "value": need.strip()[:200]},
                      progress=f"Asked for: {need.strip()[:120]}")

    return change


def add_tag(tag: str, actor: str) -> Builder:
    def change(ctx: TicketContext, now: datetime) -> Change:
        return Change(entry={"kind": "tagged", "actor": actor, "tag": tag}, adds={"tags": {tag}})

    return change


def reopen(actor: str, reason: str) -> Builder:
    """Reopen a resolved or closed ticket (a bad rating, a customer reply inside the window)."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        if not ctx.closed:
            return Change(entry={"kind": "reopen_skipped", "actor": actor, "reason": reason})
        sets, items = reopen_plan(ctx.policy, ctx.ticket, ctx.account, now)
        metrics.add_metric(name="TicketsReopened", unit="Count", value=1)
        return Change(sets, {"kind": "reopened", "actor": actor, "reason": reason, "previous_status": ctx.status},
                      items, progress=f"Reopened: {reason}", adds={"reopens": 1})

    return change


def first_response_fields(ctx: TicketContext, now: datetime, actor: str) -> dict[str, Any]:
    sets: dict[str, Any] = {"last_public_reply_at": now}
    if not ctx.ticket.first_response_at:
        sets.update(first_response_at=now, first_response_by=actor, **clock_outcome(ctx, "first_response", now))
        if not ctx.ticket.acknowledged_at:
            sets.update(acknowledged_at=now, acknowledged_by=actor)
    return sets


def public_reply(actor: str, entry: dict[str, Any]) -> Builder:
    """A staff answer relayed to the customer: stops the first-response clock, resets the cadence."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        sets = first_response_fields(ctx, now, actor)
        if ctx.status in ("new", "acknowledged"):
            sets["status"] = "investigating"
        return Change(sets, entry, progress=f"Replied to the customer ({who(actor)})", adds={"public_replies": 1})

    return change


def log_only(entry: dict[str, Any] | None, *, items: list[DueItem] | None = None,
             writes: list[Write] | None = None) -> Builder:
    """A change that only logs (and carries items or writes that must commit with the others)."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        return Change(entry=entry, items=list(items or []), writes=list(writes or []))

    return change
