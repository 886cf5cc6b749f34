"""Operator commands: list and show tickets, acknowledge, change status or priority, add notes."""

from __future__ import annotations

import getpass
import os
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.app.settings import CommonSettings
from helpdesk.core.clock import local_text
from helpdesk.tickets.context import OPEN_STATE
from helpdesk.tickets.operations import TicketOps
from helpdesk_local.target import Target


def operator() -> str:
    return f"operator:{os.environ.get('HELPDESK_OPERATOR') or getpass.getuser()}"


def ops_for(target: Target) -> TicketOps:
    from helpdesk.app.factory import build_services

    return TicketOps(build_services(CommonSettings.from_env(target.environment)).work)


def list_tickets(target: Target, status: str | None, severity: str | None, include_resolved: bool) -> list[dict]:
    tickets = target.store.tickets_in_state(OPEN_STATE)
    if include_resolved or status in ("resolved", "closed"):
        months = {t["created_at"][:7] for t in tickets} | {target.clock.now().strftime("%Y-%m")}
        for month in sorted(months):
            tickets += target.store.tickets_in_state(f"resolved#{month}")
    if status:
        tickets = [t for t in tickets if t.get("status") == status]
    if severity:
        tickets = [t for t in tickets if t.get("severity", "").lower() == severity.lower()]
    return sorted(tickets, key=lambda t: int(t["number"]))


def format_ticket_row(ticket: dict[str, Any]) -> str:
    due = ticket.get("first_response_due", "")[:16].replace("T", " ")
    flags = " BREACHED" if any(k.startswith("breached_") for k in ticket) else ""
    return (f"#{ticket['number']:<6} {ticket.get('severity', '?'):<9} {ticket.get('status', '?'):<13} "
            f"{ticket.get('account_name', '')[:22]:<22} {ticket.get('subject', '')[:44]:<44} "
            f"first response due {due}Z{flags}")


def show(target: Target, number: int) -> dict[str, Any] | None:
    items = target.store.ticket_items(number)
    ticket = next((i for i in items if i["SK"] == "META"), None)
    if ticket is None:
        return None
    return {"ticket": ticket,
            "entries": [i for i in items if i["SK"].startswith("ENTRY#")],
            "due": [i for i in items if i["SK"].startswith("DUE#")]}


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
        elif entry["kind"] == "status_changed":
            detail = f"{entry.get('from')} -> {entry.get('to')}"
        lines.append(f"  {local(entry.get('at')):<20} {entry['kind']:<18} {entry.get('actor', ''):<28} {detail}")
    pending = [d for d in view["due"] if d.get("status") == "pending"]
    lines.append(f"Pending obligations: {len(pending)}")
    for item in sorted(pending, key=lambda d: d["due_at"])[:15]:
        lines.append(f"  {local(item['due_at']):<20} {item['kind']:<11} {item['SK']}")
    return "\n".join(lines)
