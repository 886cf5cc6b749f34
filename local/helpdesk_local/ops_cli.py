"""Operator commands: list and show tickets, acknowledge, change status or priority, add notes, retry.

Times print in the policy's timezone, labelled, in every command; storage ids never print.
"""

from __future__ import annotations

import getpass
import os
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.app import factory
from helpdesk.core.clock import local_text
from helpdesk.policy.loader import load_policy
from helpdesk.sla.due import DueItem
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.operations import TicketOps
from helpdesk.tickets.records import CLOCKS, Entry, Ticket
from helpdesk_local.target import Target

PENDING_SHOWN = 15


def operator() -> str:
    return f"operator:{os.environ.get('HELPDESK_OPERATOR') or getpass.getuser()}"


def ops_for(target: Target) -> TicketOps:
    return factory.operator(target.environment, target.clock).ops


def zone_of(target: Target) -> ZoneInfo:
    """The one timezone operator output uses: the policy's default severity's."""
    policy = load_policy(target.environment["POLICY_NAME"])
    return ZoneInfo(timezone_of(policy, policy.resolve_severity(policy.default_severity)))


def list_tickets(target: Target, status: str | None, severity: str | None, include_resolved: bool) -> list[Ticket]:
    tickets = target.store.tickets.open()
    if include_resolved or status in ("resolved", "closed"):
        months = {t.created_at.strftime("%Y-%m") for t in tickets} | {target.clock.now().strftime("%Y-%m")}
        for month in sorted(months):
            tickets += target.store.tickets.resolved_in(month)
    wanted = {t.number: t for t in tickets if (not status or t.status == status)
              and (not severity or t.severity.lower() == severity.lower())}
    return [wanted[n] for n in sorted(wanted)]


def format_ticket_row(ticket: Ticket, zone: ZoneInfo) -> str:
    breached = any(ticket.breached_at(clock) for clock in CLOCKS)
    due = local_text(ticket.first_response_due, zone) or "-"
    return (f"#{ticket.number:<6} {ticket.severity:<9} {ticket.status:<13} {ticket.account_name[:22]:<22} "
            f"{ticket.subject[:44]:<44} first response due {due}{' BREACHED' if breached else ''}")


def show(target: Target, number: int) -> tuple[Ticket, list[Entry], list[DueItem]] | None:
    ticket, entries, due = target.store.tickets.log(number)
    return None if ticket is None else (ticket, entries, due)


def show_json(view: tuple[Ticket, list[Entry], list[DueItem]]) -> dict[str, Any]:
    ticket, entries, due = view
    return {"ticket": ticket.model_dump(mode="json", exclude_none=True),
            "entries": [e.model_dump(mode="json", exclude_none=True) for e in entries],
            "due": [describe_due(d) for d in due]}


def describe_due(item: DueItem) -> dict[str, Any]:
    """What a due item is for, in words, with its state; never its storage id."""
    details = {k: v for k, v in item.payload.items() if k in ("clock", "level", "seq", "trigger", "stage", "index")}
    return {"kind": item.kind, "status": item.status, "due_at": item.due_at.isoformat(), "attempts": item.attempts,
            "details": details, **({"failure": item.failure} if item.failure else {}), "ref": item.id}


def _clock_lines(t: Ticket, zone: ZoneInfo) -> list[str]:
    lines = []
    for clock in CLOCKS:
        outcome = t.sla(clock)
        state = (f"{outcome.outcome} after {outcome.minutes} min on the clock" if outcome else
                 "BREACHED, still open" if t.breached_at(clock) else "running")
        if t.due(clock):
            lines.append(f"  {clock.replace('_', ' '):<15} due {local_text(t.due(clock), zone)}  {state}")
    if t.paused_seconds:
        lines.append(f"  paused for {t.paused_seconds // 60} min of clock time so far")
    return lines


def _entry_detail(entry: Entry) -> str:
    if entry.kind == "escalation":
        return f"{entry.level} ({entry.trigger}): {entry.reason}"
    if entry.kind in ("status_changed", "severity_changed"):
        return f"{entry.from_value} -> {entry.to_value}"
    return entry.subject or (entry.text or "")[:80] or ", ".join(entry.to)


def _due_line(item: DueItem, zone: ZoneInfo) -> str:
    what = ", ".join(f"{k} {v}" for k, v in describe_due(item)["details"].items())
    failed = f"  FAILED: {item.failure}" if item.status == "failed" else ""
    return f"  {local_text(item.due_at, zone):<20} {item.kind:<14} {what}{failed}"


def format_show(view: tuple[Ticket, list[Entry], list[DueItem]], zone: ZoneInfo) -> str:
    t, entries, due = view
    lines = [f"Ticket #{t.number}: {t.subject}",
             f"  status {t.status}  severity {t.severity}  type {t.issue_type}  emotion {t.emotion}  "
             f"triggers {', '.join(t.triggers) or '-'}",
             f"  requester {t.requester}  account {t.account_name} ({t.account_domain})",
             f"Clocks (times in {zone.key}):", *_clock_lines(t, zone), "Thread:"]
    lines += [f"  {local_text(e.at, zone):<20} {e.kind:<18} {e.actor:<28} {_entry_detail(e)}" for e in entries]
    pending = sorted((d for d in due if d.status == "pending"), key=lambda d: d.due_at)
    failed = [d for d in due if d.status == "failed"]
    lines.append(f"Pending obligations: {len(pending)}")
    lines += [_due_line(d, zone) for d in pending[:PENDING_SHOWN]]
    if failed:
        lines.append(f"Parked after failing ({len(failed)}; `helpdesk retry {t.number} KIND` runs them again):")
        lines += [_due_line(d, zone) for d in failed]
    return "\n".join(lines)


def retry_parked(target: Target, number: int, item: str | None) -> list[str]:
    """Parked items of the ticket (all, or those whose ref or kind is `item`) go back in the index."""
    _, _, due = target.store.tickets.log(number)
    parked = [d for d in due if d.status == "failed" and (item is None or item in (d.id, d.kind))]
    now = target.clock.now()
    return [d.id for d in parked if target.store.due.retry(d, now)]
