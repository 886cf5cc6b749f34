"""Operator commands: list and show tickets, acknowledge, change status or priority, add notes."""

from __future__ import annotations

import getpass
import os
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.app import factory
from helpdesk.core.clock import local_text
from helpdesk.tickets.operations import TicketOps
from helpdesk_local.target import Target


def operator() -> str:
    return f"operator:{os.environ.get('HELPDESK_OPERATOR') or getpass.getuser()}"


def ops_for(target: Target) -> TicketOps:
    return factory.operator(target.environment, target.clock).ops


def list_tickets(target: Target, status: str | None, severity: str | None, include_resolved: bool) -> list[dict]:
    tickets = target.store.tickets.open()
    if include_resolved or status in ("resolved", "closed"):
        months = {t.created_at.strftime("%Y-%m") for t in tickets} | {target.clock.now().strftime("%Y-%m")}
        for month in sorted(months):
            tickets += target.store.tickets.resolved_in(month)
    if status:
        tickets = [t for t in tickets if t.status == status]
    if severity:
        tickets = [t for t in tickets if t.severity.lower() == severity.lower()]
    rows = {t.number: t.model_dump(mode="json", exclude_none=True) for t in tickets}
    return [rows[n] for n in sorted(rows)]


def format_ticket_row(ticket: dict[str, Any]) -> str:
    due = ticket.get("first_response_due", "")[:16].replace("T", " ")
    flags = " BREACHED" if any(k.startswith("breached_") for k in ticket) else ""
    return (f"#{ticket['number']:<6} {ticket.get('severity', '?'):<9} {ticket.get('status', '?'):<13} "
            f"{ticket.get('account_name', '')[:22]:<22} {ticket.get('subject', '')[:44]:<44} "
            f"first response due {due}Z{flags}")


def show(target: Target, number: int) -> dict[str, Any] | None:
    ticket, entries, due = target.store.tickets.log(number)
    if ticket is None:
        return None
    return {"ticket": ticket.model_dump(mode="json", exclude_none=True),
            "entries": [e.model_dump(mode="json", exclude_none=True) for e in entries],
            "due": [d.model_dump(mode="json", exclude_none=True) for d in due]}


def format_show(view: dict[str, Any], timezone: str = "UTC") -> str:
    t, zone = view["ticket"], ZoneInfo(timezone)

    def local(value: str | None) -> str:
        return local_text(value, zone) or "-"

    lines = [f"Ticket #{t['number']}: {t.get('subject', '')}",
             f"  status {t.get('status')}  severity {t.get('severity')}  type {t.get('issue_type')}  "
             f"emotion {t.get('emotion')}  triggers {', '.join(t.get('triggers') or []) or '-'}",
             f"  requester {t.get('requester')}  account {t.get('account_name')} ({t.get('account_domain')})",
             "Clocks:"]
    for clock in ("first_response", "workaround", "resolution"):
        outcome = t.get(f"sla_{clock}")
        state = (f"{outcome['outcome']} after {outcome['minutes']} min on the clock" if outcome else
                 "BREACHED, still open" if t.get(f"breached_{clock}_at") else "running")
        if t.get(f"{clock}_due"):
            lines.append(f"  {clock.replace('_', ' '):<15} due {local(t.get(f'{clock}_due'))}  {state}")
    if t.get("paused_seconds"):
        lines.append(f"  paused for {int(t['paused_seconds']) // 60} min of clock time so far")
    lines.append("Thread:")
    for entry in view["entries"]:
        detail = entry.get("subject") or entry.get("text", "")[:80] or entry.get("to") or ""
        if entry["kind"] == "escalation":
            detail = f"{entry.get('level')} ({entry.get('trigger')}): {entry.get('reason')}"
        elif entry["kind"] in ("status_changed", "severity_changed"):
            detail = f"{entry.get('from_value')} -> {entry.get('to_value')}"
        lines.append(f"  {local(entry.get('at')):<20} {entry['kind']:<18} {entry.get('actor', ''):<28} {detail}")
    pending = [d for d in view["due"] if d.get("status") == "pending"]
    lines.append(f"Pending obligations: {len(pending)}")
    for item in sorted(pending, key=lambda d: d["due_at"])[:15]:
        lines.append(f"  {local(item['due_at']):<20} {item['kind']:<11} {item['id']}")
    return "\n".join(lines)
