"""Post-incident review reminders: a skeleton built from the ticket's own log."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import local_text
from helpdesk.messages.schedule import formal_review_due, working_moment
from helpdesk.messages.wording import plain_duration
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.records import CLOCKS, Entry

if TYPE_CHECKING:
    from helpdesk.tickets.context import TicketContext

REVIEW_KINDS = {
    "customer_message": "reported by the customer", "acknowledgment": "acknowledged to the customer",
    "acknowledged": "acknowledged by staff", "escalation": "escalated", "customer_update": "customer updated",
    "staff_reply": "staff replied", "status_changed": "status changed", "sla_breached": "SLA breached",
    "severity_changed": "severity changed", "reopened": "reopened", "customer_reply": "customer replied",
}


def _detail(entry: Entry) -> str:
    if entry.kind == "escalation":
        return f" to {entry.level} ({entry.trigger})"
    if entry.kind in ("status_changed", "severity_changed"):
        return f" {entry.from_value} -> {entry.to_value}"
    if entry.kind == "sla_breached":
        return f" ({(entry.clock or '').replace('_', ' ')})"
    return ""


def review_timeline(entries: list[Entry], zone: ZoneInfo) -> list[tuple[str, str]]:
    lines = []
    for entry in sorted(entries, key=lambda e: (e.at, e.kind != "customer_message")):
        label = REVIEW_KINDS.get(entry.kind)
        if label:
            lines.append((local_text(entry.at, zone) or "", label + _detail(entry)))
    return lines


def open_questions(ctx: TicketContext) -> list[str]:
    ticket = ctx.ticket
    questions = []
    if not ticket.root_cause:
        questions.append("What was the root cause? (reply with #rootcause to record it)")
    if not ticket.prevention:
        questions.append("What will stop this happening again? (#prevention)")
    for clock in CLOCKS:
        outcome = ticket.sla(clock)
        if (outcome and outcome.outcome == "breached") or ticket.breached_at(clock):
            questions.append(f"Why was the {clock.replace('_', ' ')} target missed?")
    if ticket.escalations:
        questions.append("Did the escalations reach the right people at the right time?")
    questions.append("Which customer communication worked, and which did not?")
    return questions


def clock_rows(ctx: TicketContext, zone: ZoneInfo) -> list[dict[str, str]]:
    """Each clock the ticket had, the workaround's included: its target, when it stopped, met or not."""
    ticket, rows = ctx.ticket, []
    for clock in CLOCKS:
        outcome, due = ticket.sla(clock), ticket.due(clock)
        if outcome is None and due is None:
            continue
        stopped = outcome.at if outcome else ticket.clock_done(clock)
        if outcome:
            result = f"{outcome.outcome} after {plain_duration(timedelta(minutes=outcome.minutes))} on the clock"
        elif ticket.breached_at(clock):
            result = "breached"
        elif clock == "workaround" and not stopped:
            result = "no workaround recorded" + (" (resolved first)" if ticket.resolved_at else "")
        else:
            result = "still running"
        rows.append({"clock": clock.replace("_", " "), "target": local_text(outcome.due if outcome else due, zone)
                     or "none", "stopped": local_text(stopped, zone) or "-", "result": result})
    return rows


def review_context(ctx: TicketContext, entries: list[Entry], stage: str) -> dict[str, Any]:
    zone = ZoneInfo(timezone_of(ctx.policy, ctx.severity))
    resolved = ctx.ticket.resolved_at or ctx.ticket.created_at
    if stage == "debrief":
        due = working_moment(ctx.policy, ctx.severity, resolved + timedelta(days=1), ctx.account.flags, always=True)
    else:
        due = formal_review_due(ctx.policy, ctx, resolved)
    return {
        "stage": stage,
        "due": local_text(due, zone, "date"),
        "timeline": review_timeline(entries, zone),
        "sla": clock_rows(ctx, zone),
        "open_questions": open_questions(ctx),
    }
