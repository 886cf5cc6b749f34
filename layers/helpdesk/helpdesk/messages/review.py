"""Post-incident review reminders: a skeleton built from the ticket's own log."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import local_text
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
            lines.append((entry.at.astimezone(zone).strftime("%a %d %b %H:%M"), label + _detail(entry)))
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


def review_context(ctx: TicketContext, entries: list[Entry], stage: str) -> dict[str, Any]:
    zone = ZoneInfo(timezone_of(ctx.policy, ctx.severity))
    resolved = ctx.ticket.resolved_at or ctx.ticket.created_at
    wait = timedelta(days=1) if stage == "debrief" else ctx.policy.resolution.formal_review_after
    return {
        "stage": stage,
        "due": local_text(resolved + wait, zone, "date"),
        "timeline": review_timeline(entries, zone),
        "sla": [(clock.replace("_", " "), ctx.ticket.sla(clock).model_dump())  # type: ignore[union-attr]
                for clock in CLOCKS if ctx.ticket.sla(clock)],
        "open_questions": open_questions(ctx),
    }
