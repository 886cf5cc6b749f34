"""The monthly issue review (alert protocol: response times, resolution effectiveness,
communication quality, client feedback).

Definitions
- Response time by hour of day: tickets opened in the month, by the local hour they arrived;
  `answered` have a recorded first response, `median` is its business-clock time, `breached`
  counts first responses recorded late or breach checks that fired with no response.
- Response time by severity and resolution effectiveness come from the month's compliance figures.
- Reopened tickets: every `reopened` entry written in the month, with its reason and who reopened.
- Low-rating comments: survey comments written in the month on tickets whose overall score or
  NPS is below the policy's thresholds now.
- Breached tickets: the month's breached clocks (as in the compliance report), each with its
  timeline from the ticket's log (events only, never message text); the first TIMELINES get one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from helpdesk.core.clock import iso
from helpdesk.policy.models import Policy
from helpdesk.reports.compute import BreachedTicket, Report
from helpdesk.reports.facts import TicketFacts
from helpdesk.reports.figures import dist
from helpdesk.reports.formatting import local_time
from helpdesk.tickets.records import Entry, Ticket

TIMELINES = 50
COMMENT_SHOWN = 600  # characters of each comment in the pack; the thread has the whole text
TIME = "%a %d %b %H:%M"


@dataclass(frozen=True)
class HourRow:
    hour: int
    opened: int
    answered: int
    median: float | None
    breached: int


@dataclass(frozen=True)
class ReopenRow:
    number: int
    severity: str
    account: str
    at: str
    reason: str
    by: str


@dataclass(frozen=True)
class CommentRow:
    number: int
    severity: str
    account: str
    at: str
    ratings: str
    text: str


@dataclass(frozen=True)
class TimelineRow:
    at: str
    what: str


@dataclass(frozen=True)
class BreachTimeline:
    ticket: BreachedTicket
    events: list[TimelineRow]


@dataclass(frozen=True)
class IssueReview:
    by_hour: list[HourRow]
    reopened: list[ReopenRow]
    comments: list[CommentRow]
    breaches: list[BreachTimeline]


def is_low(ticket: Ticket, policy: Policy) -> bool:
    t = policy.thresholds
    return (ticket.csat is not None and ticket.csat < t.csat_low_below) or \
        (ticket.nps is not None and ticket.nps < t.nps_detractor_below)


def needs_log(facts: Sequence[TicketFacts], report: Report, policy: Policy) -> list[int]:
    """The tickets whose logs the review reads: reopened, commented with a low rating, breached."""
    period = report.period
    wanted = {b.number for b in report.breaches[:TIMELINES]}
    for t in facts:
        item = t.item
        if item.reopens and (period.contains(item.reopened_at) or t.resolved):
            wanted.add(item.number)
        if item.survey_comments and period.contains(item.survey_comment_at) and is_low(item, policy):
            wanted.add(item.number)
    return sorted(wanted)


def _by_hour(facts: Sequence[TicketFacts], zone: ZoneInfo) -> list[HourRow]:
    hours: dict[int, list[Ticket]] = {h: [] for h in range(24)}
    for t in facts:
        if t.opened:
            hours[t.item.created_at.astimezone(zone).hour].append(t.item)
    rows = []
    for hour, tickets in hours.items():
        answered = [t.sla_first_response for t in tickets if t.sla_first_response]
        late = sum(1 for t in tickets if (t.sla_first_response and t.sla_first_response.outcome == "breached")
                   or (not t.sla_first_response and t.breached_first_response_at))
        rows.append(HourRow(hour, len(tickets), len(answered), dist(a.minutes for a in answered).median, late))
    return rows


def _reopened(facts: Mapping[int, TicketFacts], logs: Mapping[int, Sequence[Entry]], report: Report
              ) -> list[ReopenRow]:
    tz = report.period.timezone
    rows = [ReopenRow(n, facts[n].severity, facts[n].item.account_name or facts[n].item.account_domain,
                      local_time(iso(e.at), tz, TIME), e.reason or "", e.actor)
            for n, entries in logs.items() if n in facts
            for e in entries if e.kind == "reopened" and report.period.contains(e.at)]
    return sorted(rows, key=lambda r: (r.number, r.at))


def _ratings_text(ticket: Ticket) -> str:
    parts = [f"CSAT {ticket.csat}/5" if ticket.csat is not None else "",
             f"NPS {ticket.nps}/10" if ticket.nps is not None else ""]
    return ", ".join(p for p in parts if p)


def _comments(facts: Mapping[int, TicketFacts], logs: Mapping[int, Sequence[Entry]], report: Report,
              policy: Policy) -> list[CommentRow]:
    tz = report.period.timezone
    rows = []
    for number, entries in logs.items():
        t = facts.get(number)
        if t is None or not is_low(t.item, policy):
            continue
        for e in entries:
            if e.kind == "survey_comment" and report.period.contains(e.at):
                text = (e.text or "")[:COMMENT_SHOWN] + ("…" if len(e.text or "") > COMMENT_SHOWN else "")
                rows.append(CommentRow(number, t.severity, t.item.account_name or t.item.account_domain,
                                       local_time(iso(e.at), tz, TIME), _ratings_text(t.item), text))
    return sorted(rows, key=lambda r: (r.number, r.at))


def _who(actor: str) -> str:
    return actor.split("@")[0] if "@" in actor else actor


EVENTS = {
    "customer_message": lambda e: "customer wrote in (ticket opened)",
    "customer_reply": lambda e: "customer replied",
    "acknowledgment": lambda e: "acknowledgment sent to the customer",
    "acknowledged": lambda e: f"acknowledged by {_who(e.actor)}",
    "staff_reply": lambda e: f"reply from {_who(e.actor)}",
    "staff_note": lambda e: f"internal note by {_who(e.actor)}",
    "status_changed": lambda e: f"status {e.from_value} → {e.to_value} ({_who(e.actor)})",
    "severity_changed": lambda e: f"priority {e.from_value} → {e.to_value}",
    "warning_sent": lambda e: f"warning: {e.percent}% of the {(e.clock or '').replace('_', ' ')} time used",
    "sla_breached": lambda e: f"{(e.clock or 'a').replace('_', ' ')} target breached",
    "escalation": lambda e: f"escalated to {e.level} ({(e.trigger or '').replace('_', ' ')})",
    "customer_update": lambda e: f"update {e.seq or ''} sent to the customer".replace("  ", " "),
    "reopened": lambda e: f"reopened: {e.reason or ''}",
    "resolution_summary": lambda e: "resolution summary sent",
}


def timeline(entries: Sequence[Entry], tz: str) -> list[TimelineRow]:
    return [TimelineRow(local_time(iso(e.at), tz, TIME), EVENTS[e.kind](e)) for e in entries if e.kind in EVENTS]


def issue_review(facts: Sequence[TicketFacts], report: Report, logs: Mapping[int, Sequence[Entry]],
                 policy: Policy) -> IssueReview:
    by_number = {t.number: t for t in facts}
    tz = report.period.timezone
    breaches = [BreachTimeline(b, timeline(logs.get(b.number, ()), tz) if i < TIMELINES else [])
                for i, b in enumerate(report.breaches)]
    return IssueReview(_by_hour(facts, ZoneInfo(tz)), _reopened(by_number, logs, report),
                       _comments(by_number, logs, report, policy), breaches)
