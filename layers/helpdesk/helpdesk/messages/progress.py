"""What a customer update can truthfully say: the news since the last one, read from the log.

Only what happened is told. Internal notes, tags and staff-only commands are never news; a
public note (`#update`) is quoted on its own, and an estimate (`#eta`) or next steps (`#next`)
are stated as the team gave them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from helpdesk.messages.wording import owner_name, when

if TYPE_CHECKING:
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.records import Entry, Ticket

STATUS_WORDS = {
    "new": "new", "acknowledged": "acknowledged", "investigating": "under investigation",
    "pending": "waiting for information from you", "workaround": "workaround in place", "resolved": "resolved",
    "closed": "closed",
}

NEXT_STEPS = {
    "new": "Getting an engineer on your ticket and confirming what is affected.",
    "acknowledged": "Reproducing the problem and confirming what is affected.",
    "investigating": "Finding the cause and working towards a fix.",
    "pending": "Waiting for the information we asked you for; once we have it, work resumes straight away.",
    "workaround": "Working on a permanent fix while the workaround keeps you running.",
}


# Log kinds that are news in themselves, whoever made them: the line a customer reads.
PLAIN_NEWS = {
    "customer_reply": "We received your message of {at}.",
    "public_note": "The team posted a progress note at {at} (below).",
    "eta_set": "The team revised the estimated time to resolution at {at}.",
    "next_steps_set": "The team set out the next steps at {at}.",
    "root_cause_set": "We identified the likely cause at {at}.",
    "reopened": "The ticket was reopened at {at}.",
}


def _level_name(policy: Policy, level: str) -> str:
    return policy.levels[level].name if level in policy.levels else level


def _line(entry: Entry, policy: Policy, zone: ZoneInfo) -> str | None:
    at = when(entry.at, zone)
    kind = entry.kind
    if kind in PLAIN_NEWS:
        return PLAIN_NEWS[kind].format(at=at)
    if kind == "acknowledged":
        return f"{owner_name(entry.actor) or 'An engineer'} took ownership of your ticket at {at}."
    if kind == "status_changed" and entry.to_value:
        return f"Status changed to {STATUS_WORDS.get(entry.to_value, entry.to_value)} at {at}."
    if kind == "severity_changed" and entry.to_value in policy.severities:
        return f"Priority changed to {policy.severities[entry.to_value].name.lower()} ({entry.to_value}) at {at}."
    if kind == "escalation" and entry.level:
        return f"Escalated to our {_level_name(policy, entry.level)} at {at}."
    if kind == "staff_reply" and entry.visibility == "public":
        return f"We replied to you at {at}."
    return None


def news_since(entries: list[Entry], since: datetime | None, policy: Policy, zone: ZoneInfo) -> list[str]:
    """Customer-facing lines for what happened after `since`, oldest first, each told once."""
    lines: list[str] = []
    for entry in sorted(entries, key=lambda e: e.at):
        if since is not None and entry.at <= since:
            continue
        line = _line(entry, policy, zone)
        if line and line not in lines:
            lines.append(line)
    return lines


def next_steps(ticket: Ticket) -> str:
    return ticket.next_steps or NEXT_STEPS.get(ticket.status, NEXT_STEPS["investigating"])


def eta_text(ticket: Ticket, zone: ZoneInfo) -> str | None:
    """The team's estimate in words: `by Tue 01 Dec 14:00 PST`, or what they wrote."""
    if ticket.eta_at:
        return f"by {when(ticket.eta_at, zone)}"
    return ticket.eta or None


def escalation_state(ticket: Ticket, policy: Policy, zone: ZoneInfo) -> list[str]:
    """Before anyone owns the ticket: what is being done to get someone on it, and who was told."""
    lines = []
    for level, at in sorted(ticket.briefed_at.items(), key=lambda pair: pair[1]):
        lines.append(f"Escalated to our {_level_name(policy, level)} at {when(at, zone)}.")
    lines.append("Until an engineer takes ownership, the ticket keeps escalating automatically, one level at "
                 "a time, on the schedule your priority sets.")
    return lines
