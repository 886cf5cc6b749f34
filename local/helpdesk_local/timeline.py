"""The timeline of a local run: what happened to each ticket, read from its log, plus what left.

Ticket events (status and severity changes, breaches, warnings, escalations, SMS, acknowledgments,
notes, reopens, ratings, failed sends) come from the ticket's own entries, so a change made by
staff email, a reopen caused by a rating or an auto-close appears exactly as it was recorded.
Mail that left (SES) and what SNS delivered to subscribers are observed, because they are what
people received.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk.core.clock import iso
from helpdesk.tickets.records import Entry


@dataclass
class TimelineEvent:
    at: datetime
    kind: str
    ticket: int | None = None
    to: str | None = None
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "kind": self.kind, "ticket": self.ticket, "to": self.to,
                "subject": self.subject, **self.details}


def _status(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "status_changed", e.ticket,
                         details={"status": e.to_value or e.status, "from": e.from_value, "by": e.actor})


def _severity(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "severity_changed", e.ticket,
                         details={"severity": e.to_value, "from": e.from_value, "by": e.actor})


def _breach(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "sla_breached", e.ticket, details={"clock": e.clock, "severity": e.severity})


def _warning(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "warning_sent", e.ticket, to=", ".join(e.to),
                         details={"clock": e.clock, "percent": e.percent})


def _escalation(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "escalation_published", e.ticket, subject=e.subject, details={
        "level": e.level, "role": e.roles, "severity": e.severity, "trigger": e.trigger, "reason": e.reason,
        "triggers": e.triggers, "revenue_at_risk": e.revenue_at_risk, "body": e.body})


def _sms(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "sms_sent", e.ticket, to=e.phone, details={
        "level": e.level, "role": e.roles, "severity": e.severity, "trigger": e.trigger, "body": e.body})


def _ack(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "acknowledged", e.ticket, details={"by": e.actor})


def _note(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "note_added", e.ticket, details={"public": e.kind == "public_note", "by": e.actor})


def _reopened(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "reopened", e.ticket, details={"reason": e.reason, "by": e.actor})


def _rating(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "rating_recorded", e.ticket,
                         details={"question": e.question, "score": e.score, "low": e.low})


def _failed(e: Entry) -> TimelineEvent:
    return TimelineEvent(e.at, "send_failed", e.ticket, details={"what": e.what, "reason": e.failure})


FROM_LOG: dict[str, Callable[[Entry], TimelineEvent]] = {
    "status_changed": _status, "severity_changed": _severity, "sla_breached": _breach, "warning_sent": _warning,
    "escalation": _escalation, "sms_sent": _sms, "acknowledged": _ack, "note": _note, "public_note": _note,
    "reopened": _reopened, "rating": _rating, "send_failed": _failed, "work_parked": _failed,
}


def events_from_log(entries: Iterable[Entry], published: list[str] | None = None) -> list[TimelineEvent]:
    """Events in log order; escalations of one instant in the order SNS received them (`published`)."""
    ordered = list(entries)
    if published:
        rank = {message_id: i for i, message_id in enumerate(published)}
        slots = [i for i, e in enumerate(ordered) if e.kind == "escalation"]
        escalations = sorted((ordered[i] for i in slots), key=lambda e: (e.at, rank.get(e.sns_message_id or "", 0)))
        for slot, entry in zip(slots, escalations, strict=True):
            ordered[slot] = entry
    return [FROM_LOG[e.kind](e) for e in ordered if e.kind in FROM_LOG]


class LogFollower:
    """Reads each ticket's new entries since the last look (entries of one second may arrive late)."""

    def __init__(self) -> None:
        self.since: dict[int, str] = {}
        self.seen: dict[int, set[str]] = {}

    def new_entries(self, store: Any, number: int) -> list[Entry]:
        entries = store.tickets.entries_since(number, self.since.get(number))
        seen = self.seen.setdefault(number, set())
        fresh = [e for e in entries if e.id not in seen]
        seen.update(e.id for e in fresh)
        if entries:
            self.since[number] = iso(max(e.at for e in entries))
        return fresh


def attribute_value(value: Any) -> Any:
    raw = value.get("Value") if isinstance(value, dict) else value
    if isinstance(value, dict) and value.get("Type") == "String.Array":
        return json.loads(str(raw))
    return raw


def notification_events(at: datetime, topic: str, note: dict[str, Any]) -> list[TimelineEvent]:
    """What SNS delivered: ops alerts, and each briefing as received by each subscribed address.

    Escalations and SMS themselves come from the ticket's log (see helpdesk_local.timeline)."""
    attrs = note["attributes"]
    ticket = int(attrs["ticket"]) if str(attrs.get("ticket", "")).isdigit() else None
    if topic == "OpsTopic":
        return [TimelineEvent(at, "ops_alert", ticket, subject=note["subject"])]
    if topic == "ChatTopic":
        return [chat_event(at, ticket, note)]
    if attrs.get("kind") != "briefing":
        return []
    common = {"level": attrs.get("level"), "role": attrs.get("role"), "severity": attrs.get("severity"),
              "trigger": attrs.get("trigger")}
    return [TimelineEvent(at, "escalation_email", ticket, to=address, subject=note["subject"], details=common)
            for address in note["recipients"]]


def chat_event(at: datetime, ticket: int | None, note: dict[str, Any]) -> TimelineEvent:
    """A briefing as AWS Chatbot would post it: the custom notification's title, text and next steps."""
    try:
        content = json.loads(note["bodies"].get("https") or note["bodies"]["default"])["content"]
    except (KeyError, TypeError, ValueError):
        content = {"title": note["subject"], "description": "", "nextSteps": []}
    attrs = note["attributes"]
    return TimelineEvent(at, "chat_message", ticket, to="slack", subject=content.get("title", ""),
                         details={"level": attrs.get("level"), "body": content.get("description", ""),
                                  "next_steps": content.get("nextSteps", [])})
