"""Per-ticket facts for one period: which populations a ticket belongs to and which of its SLA
clock outcomes count in the period (the rules are written out in `reports.compute`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from helpdesk.reports.periods import Period
from helpdesk.tickets.records import CLOSED, Entry, Ticket

CLOCKS = ("first_response", "workaround", "resolution")


@dataclass(frozen=True)
class Outcome:
    clock: str
    met: bool
    due: datetime | None
    at: datetime | None  # when it stopped (None while running, or when no outcome was recorded)
    running: bool
    minutes: float | None
    wall_minutes: float | None
    late_minutes: float


@dataclass
class TicketFacts:
    item: Ticket
    severity: str
    opened: bool  # created in the period
    resolved: bool  # latest resolution in the period
    outcomes: list[Outcome]
    levels: Counter[str]  # escalation entries by level
    triggers: Counter[str]  # escalation entries by trigger

    def num(self, name: str) -> int:
        value = getattr(self.item, name, 0)
        return int(value) if isinstance(value, int | float) else 0

    @property
    def number(self) -> int:
        return self.item.number

    @property
    def closed(self) -> bool:
        return self.item.status in CLOSED


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _stopped_outcome(ticket: Ticket, clock: str, period: Period) -> Outcome | None:
    record, due = ticket.sla(clock), ticket.due(clock)
    if record is None or not period.contains(record.at):
        return None
    recorded_due = record.due or due
    late = (record.at - recorded_due).total_seconds() if recorded_due else 0.0
    return Outcome(clock, record.outcome == "met", recorded_due, record.at, False, record.minutes,
                   record.wall_minutes, _minutes(max(0.0, late)))


def _running(ticket: Ticket, clock: str) -> bool:
    record, due = ticket.sla(clock), ticket.due(clock)
    stopped = record.at if record else None
    # A pending ticket's clock is paused (its due moves on when it resumes) unless it had already run out.
    paused = ticket.status == "pending" and ticket.breached_at(clock) is None
    reopened_since = clock == "resolution" and ticket.reopened_at is not None and stopped is not None \
        and ticket.reopened_at > stopped
    return ticket.status not in CLOSED and not paused and due is not None and (stopped is None or reopened_since)


def _overdue_outcome(ticket: Ticket, clock: str, period: Period, as_of: datetime) -> Outcome | None:
    due = ticket.due(clock)
    if due is None or not _running(ticket, clock) or due >= as_of or not period.contains(due):
        return None
    return Outcome(clock, False, due, None, True, None, None, _minutes((as_of - due).total_seconds()))


def _unrecorded_breach(ticket: Ticket, clock: str, period: Period) -> Outcome | None:
    """A clock that stopped without an outcome counts only if its breach check had fired."""
    due, breached_at = ticket.due(clock), ticket.breached_at(clock)
    if ticket.sla(clock) is not None or ticket.status not in CLOSED or not period.contains(breached_at):
        return None
    assert breached_at is not None
    late = max(0.0, (breached_at - due).total_seconds()) if due else 0.0
    return Outcome(clock, False, due or breached_at, None, False, None, None, _minutes(late))


def clock_outcomes(ticket: Ticket, clock: str, period: Period, as_of: datetime) -> list[Outcome]:
    """The outcomes of one clock of one ticket that count in `period`."""
    found = (_stopped_outcome(ticket, clock, period), _overdue_outcome(ticket, clock, period, as_of),
             _unrecorded_breach(ticket, clock, period))
    return [o for o in found if o is not None]


def resolution_time(ticket: Ticket) -> datetime | None:
    return ticket.sla_resolution.at if ticket.sla_resolution else ticket.resolved_at


_NONE: Counter[str] = Counter()  # shared by tickets without escalations; never changed


def ticket_facts(ticket: Ticket, entries: Sequence[Entry], period: Period, as_of: datetime) -> TicketFacts:
    escalations = [e for e in entries if e.kind == "escalation"]
    outcomes = [o for clock in CLOCKS for o in clock_outcomes(ticket, clock, period, as_of)]
    levels = Counter(str(e.level) for e in escalations if e.level) if escalations else _NONE
    triggers = Counter(str(e.trigger) for e in escalations if e.trigger) if escalations else _NONE
    return TicketFacts(item=ticket, severity=ticket.severity or "unknown", opened=period.contains(ticket.created_at),
                       resolved=period.contains(resolution_time(ticket)), outcomes=outcomes, levels=levels,
                       triggers=triggers)


def latest(tickets: Iterable[Ticket]) -> list[Ticket]:
    """One record per ticket; the index may briefly hold a ticket twice while it changes state."""
    found: dict[int, Ticket] = {}
    for ticket in tickets:
        if ticket.number not in found or ticket.version > found[ticket.number].version:
            found[ticket.number] = ticket
    return list(found.values())


def last_event(ticket: Ticket) -> datetime | None:
    """The last instant a closed ticket's figures can count at (None while it is open)."""
    if ticket.status not in CLOSED:
        return None
    events = [ticket.created_at, ticket.resolved_at, *(outcome.at for c in CLOCKS if (outcome := ticket.sla(c))),
              *(ticket.breached_at(c) for c in CLOCKS)]
    return max(e for e in events if e is not None)


def may_count(ticket: Ticket, period: Period) -> bool:
    """A cheap test that keeps every ticket that could count in the period: opened before it ends,
    and still open, or with its last recorded clock event after the period starts."""
    if ticket.created_at >= period.end:
        return False
    last = last_event(ticket)
    return last is None or last >= period.start


def by_period(tickets: Iterable[Ticket], periods: Sequence[Period]) -> list[list[Ticket]]:
    """The tickets that may count in each of `periods` (consecutive, oldest first), in one pass."""
    buckets: list[list[Ticket]] = [[] for _ in periods]
    for ticket in latest(tickets):
        last = last_event(ticket)
        for index, period in enumerate(periods):
            if ticket.created_at < period.end and (last is None or last >= period.start):
                buckets[index].append(ticket)
    return buckets


def relevant(tickets: Iterable[Ticket], entries: Mapping[int, Sequence[Entry]], period: Period,
             as_of: datetime) -> list[TicketFacts]:
    """Facts for the tickets that count in the period: opened, resolved, or with a clock outcome in it."""
    facts = (ticket_facts(t, entries.get(t.number, ()), period, as_of) for t in latest(tickets)
             if may_count(t, period))
    return [t for t in facts if t.opened or t.resolved or t.outcomes]
