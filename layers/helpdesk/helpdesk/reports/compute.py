"""Compliance report figures: ticket items, escalation entries, policy and period in, a Report out.

Pure functions, no I/O: the service loads the items, this module only counts. Every figure the
report prints is defined here, once.

Populations
- *Opened*: tickets whose `created_at` falls in the period. Ticket volume, escalation rate and
  recurrence rate are shares of these.
- *Resolved*: tickets whose latest resolution (`sla_resolution.at`, else `resolved_at`) falls in
  the period, including ones reopened since. Reopen rate, first-contact resolution, CSAT, NPS and
  follow-up completion are measured on these: a rating or a follow-up belongs to a resolution.
- *Clocks* (first response, workaround, resolution) count in the period in which they stopped.
  Severity is the ticket's severity now (a re-prioritised ticket counts under its last severity).

Definitions
- Compliance = met / (met + breached) over the clocks of one kind that closed in the period, with
  the outcome recorded when the clock stopped (`sla_<clock>.outcome`). A clock still running at
  report time (`as_of`) whose due time has passed is breached; it counts in the period its due
  time falls in, so a ticket left open for weeks is one breach in one report, not one per report.
  A clock that stopped without an outcome (resolved with no public reply, or without a
  workaround) counts only if the breach check had already fired (`breached_<clock>_at`), in the
  period of that breach. A reopened ticket runs a fresh resolution clock: its earlier recorded
  outcome still counts where it stopped, and the new clock counts once it stops or falls due.
- Times (median and 90th percentile) use clocks that stopped in the period: `minutes` is clock
  time (business time where the severity's clock says so, pauses excluded), `wall_minutes` is
  elapsed time. The median of an even count is the mean of the middle two; the 90th percentile
  is the nearest-rank value (the ceil(0.9 n)-th smallest), so it is always an observed time.
- Escalation rate = opened tickets escalated at least once (`escalations` > 0) / opened. By level
  and by trigger: opened tickets with an escalation entry at that level or for that trigger.
- Recurrence rate = opened tickets with `related_ticket` set / opened. We use the link the system
  makes when a customer writes about an older ticket after its reopen window: it is a recorded
  fact about this problem coming back. The alternative (same account and issue type within 30
  days of a resolution) would read 30 more days of resolved tickets for every report and count
  unrelated questions that share a coarse issue type (such as "training_or_question").
- Reopen rate = resolved tickets reopened at least once (`reopens` > 0) / resolved.
- First-contact resolution = resolved tickets that are resolved or closed now, had at most one
  public staff reply (`public_replies` <= 1), no customer reply after the first message
  (`customer_replies` == 0) and were never reopened (`reopens` == 0) / resolved.
- CSAT (1-5): ratings of resolved tickets; average, distribution and satisfied share (4 and 5).
  The seed's 9.0 of 10 is 4.5 of 5 (the 10-point figure is the 5-point average times two).
- NPS (0-10): promoters 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % detractors.
- Follow-up completion = follow-ups sent / follow-ups owed by report time, for the standing
  resolution of resolved tickets that are still resolved or closed: a follow-up is owed once
  `resolved_at` + its delay (the severity's `follow_ups`) has passed. Follow-ups of earlier
  resolutions (sent, or skipped on reopening) are taken out of the ticket's running counters.

Size: being split with the KPI work (reports issue); every figure's definition stays in this docstring.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import iso
from helpdesk.policy.models import Policy
from helpdesk.tickets.records import CLOSED, Entry, Ticket

CLOCKS = ("first_response", "workaround", "resolution")
CLOCK_NAMES = {"first_response": "first response", "workaround": "workaround", "resolution": "resolution"}
TOP_ACCOUNTS = 5
ALL = "all"

# The seeds' service goals (resolution framework). They are not per-severity policy targets, so
# they live here rather than in the policy file.
FCR_GOAL = 85.0  # % of resolved tickets, at least
CSAT_GOAL = 4.5  # average of 5, at least (9.0 of 10)
RECURRENCE_GOAL = 5.0  # % of opened tickets, below
ESCALATION_GOAL = 10.0  # % of opened tickets, below
FOLLOWUP_GOAL = 100.0  # % of owed follow-ups sent, at least


# -- the period ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive, aware UTC
    timezone: str
    label: str  # 2026-11, 2026-W47, 2026-11-02_2026-11-05: safe in an S3 key
    kind: str  # month | week | range
    title: str

    def contains(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when < self.end


def local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def previous_period(kind: str, now: datetime, timezone: str) -> Period:
    """The last full week (Monday to Monday) or calendar month before `now`, in `timezone`."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if kind == "week":
        end = today - timedelta(days=today.weekday())
        start = end - timedelta(days=7)
    elif kind == "month":
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
    else:
        raise ValueError(f"unknown report period {kind!r}; use week or month")
    return make_period(local_midnight(start, timezone), local_midnight(end, timezone), timezone)


def make_period(start: datetime, end: datetime, timezone: str) -> Period:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("report bounds need a timezone")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValueError("a report period must end after it starts")
    zone = ZoneInfo(timezone)
    s, e = start.astimezone(zone), end.astimezone(zone)
    if s.time() != time(0) or e.time() != time(0):
        label = f"{s:%Y-%m-%dT%H%M}_{e:%Y-%m-%dT%H%M}"
        return Period(start, end, timezone, label, "range", f"{s:%d %b %Y %H:%M} to {e:%d %b %Y %H:%M %Z}")
    last_day = e.date() - timedelta(days=1)
    if s.day == 1 and e.date() == _next_month(s.date()):
        return Period(start, end, timezone, f"{s:%Y-%m}", "month", f"{s:%B %Y}")
    if s.weekday() == 0 and (e.date() - s.date()).days == 7:
        year, week, _ = s.date().isocalendar()
        return Period(start, end, timezone, f"{year}-W{week:02d}", "week",
                      f"Week {week}: {s:%a %d %b} to {last_day:%a %d %b %Y}")
    return Period(start, end, timezone, f"{s:%Y-%m-%d}_{e:%Y-%m-%d}", "range",
                  f"{s:%d %b %Y} to {last_day:%d %b %Y}")


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def resolved_months(start: datetime, end: datetime) -> list[str]:
    """The `resolved#YYYY-MM` partitions (UTC months of `resolved_at`) overlapping [start, end)."""
    first = start.astimezone(UTC).date().replace(day=1)
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    months = []
    while first <= last:
        months.append(f"{first:%Y-%m}")
        first = _next_month(first)
    return months


# -- the figures -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int
    percent: float | None  # one decimal; None when there is nothing to measure


@dataclass(frozen=True)
class Compliance:
    met: int
    breached: int
    target: float | None
    percent: float | None
    status: str  # met | missed | no target | n/a


@dataclass(frozen=True)
class Dist:
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Times:
    clock: Dist  # business (clock) minutes, pauses excluded
    wall: Dist  # wall minutes


@dataclass(frozen=True)
class Csat:
    count: int
    average: float | None  # of 5, two decimals
    average_of_10: float | None  # the same on the 10-point scale, one decimal
    satisfied: Ratio  # ratings of 4 or 5
    distribution: dict[str, int]  # "1".."5"


@dataclass(frozen=True)
class Nps:
    count: int
    score: float | None  # -100..100, one decimal
    promoters: int
    passives: int
    detractors: int
    distribution: dict[str, int]  # "0".."10"


@dataclass(frozen=True)
class Figures:
    key: str  # severity id, or "all"
    name: str
    opened: int
    resolved: int
    response: Compliance
    workaround: Compliance
    resolution: Compliance
    first_response_minutes: Times
    workaround_minutes: Times
    resolution_minutes: Times
    escalation: Ratio
    reopen: Ratio
    recurrence: Ratio
    first_contact: Ratio
    followups: Ratio
    csat: Csat
    nps: Nps


@dataclass(frozen=True)
class Goal:
    key: str
    name: str
    actual: float | None
    target: float
    comparison: str  # ">=" or "<"
    unit: str  # "%" or "/5"
    sample: int  # tickets or ratings the actual rests on
    status: str  # met | missed | n/a


@dataclass(frozen=True)
class Breakdown:
    key: str
    name: str
    tickets: int  # opened tickets with at least one such escalation
    events: int  # escalations of opened tickets
    percent: float | None  # tickets / opened


@dataclass(frozen=True)
class AccountRow:
    domain: str
    name: str
    tickets: int  # opened in the period
    breaches: int  # breached clocks counted in the period


@dataclass(frozen=True)
class BreachedClock:
    clock: str
    due: str
    at: str | None  # when it stopped; None while still running
    running: bool
    late_minutes: float  # wall minutes past due (to `as_of` while running)


@dataclass(frozen=True)
class BreachedTicket:
    number: int
    severity: str
    severity_name: str
    account: str
    subject: str
    status: str
    clocks: list[BreachedClock]
    hint: str  # the command that shows the whole ticket


@dataclass(frozen=True)
class Report:
    period: Period
    as_of: str
    policy: str
    severities: list[Figures]
    overall: Figures
    goals: list[Goal]
    escalation_levels: list[Breakdown]
    escalation_triggers: list[Breakdown]
    top_accounts_by_tickets: list[AccountRow]
    top_accounts_by_breaches: list[AccountRow]
    breaches: list[BreachedTicket]
    source: dict[str, Any] = field(default_factory=dict)  # what the service read to build it


# -- per-ticket facts ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    clock: str
    met: bool
    due: str
    at: str | None
    running: bool
    minutes: float | None
    wall_minutes: float | None
    late_minutes: float


@dataclass
class _Ticket:
    item: Ticket
    severity: str
    opened: bool  # created in the period
    resolved: bool  # latest resolution in the period
    outcomes: list[_Outcome]
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


def _stopped_outcome(ticket: Ticket, clock: str, period: Period) -> _Outcome | None:
    record, due = ticket.sla(clock), ticket.due(clock)
    if record is None or not period.contains(record.at):
        return None
    recorded_due = record.due or due
    late = (record.at - recorded_due).total_seconds() if recorded_due else 0.0
    return _Outcome(clock, record.outcome == "met", iso(record.due) if record.due else (iso(due) if due else ""),
                    iso(record.at), False, record.minutes, record.wall_minutes, _minutes(max(0.0, late)))


def _running(ticket: Ticket, clock: str) -> bool:
    record, due = ticket.sla(clock), ticket.due(clock)
    stopped = record.at if record else None
    # A pending ticket's clock is paused (its due moves on when it resumes) unless it had already run out.
    paused = ticket.status == "pending" and ticket.breached_at(clock) is None
    reopened_since = clock == "resolution" and ticket.reopened_at is not None and stopped is not None \
        and ticket.reopened_at > stopped
    return ticket.status not in CLOSED and not paused and due is not None and (stopped is None or reopened_since)


def _overdue_outcome(ticket: Ticket, clock: str, period: Period, as_of: datetime) -> _Outcome | None:
    due = ticket.due(clock)
    if due is None or not _running(ticket, clock) or due >= as_of or not period.contains(due):
        return None
    return _Outcome(clock, False, iso(due), None, True, None, None, _minutes((as_of - due).total_seconds()))


def _unrecorded_breach(ticket: Ticket, clock: str, period: Period) -> _Outcome | None:
    """A clock that stopped without an outcome counts only if its breach check had fired."""
    due, breached_at = ticket.due(clock), ticket.breached_at(clock)
    if ticket.sla(clock) is not None or ticket.status not in CLOSED or not period.contains(breached_at):
        return None
    assert breached_at is not None
    late = max(0.0, (breached_at - due).total_seconds()) if due else 0.0
    return _Outcome(clock, False, iso(due or breached_at), None, False, None, None, _minutes(late))


def clock_outcomes(ticket: Ticket, clock: str, period: Period, as_of: datetime) -> list[_Outcome]:
    """The outcomes of one clock of one ticket that count in `period` (see the module docstring)."""
    found = (_stopped_outcome(ticket, clock, period), _overdue_outcome(ticket, clock, period, as_of),
             _unrecorded_breach(ticket, clock, period))
    return [o for o in found if o is not None]


def _resolution_time(ticket: Ticket) -> datetime | None:
    return ticket.sla_resolution.at if ticket.sla_resolution else ticket.resolved_at


def _facts(ticket: Ticket, entries: Sequence[Entry], period: Period, as_of: datetime) -> _Ticket:
    escalations = [e for e in entries if e.kind == "escalation"]
    outcomes = [o for clock in CLOCKS for o in clock_outcomes(ticket, clock, period, as_of)]
    return _Ticket(item=ticket, severity=ticket.severity or "unknown", opened=period.contains(ticket.created_at),
                   resolved=period.contains(_resolution_time(ticket)), outcomes=outcomes,
                   levels=Counter(str(e.level) for e in escalations if e.level),
                   triggers=Counter(str(e.trigger) for e in escalations if e.trigger))


# -- aggregation -----------------------------------------------------------------------------

def ratio(part: int, whole: int) -> Ratio:
    return Ratio(part, whole, round(100 * part / whole, 1) if whole else None)


def compliance(met: int, breached: int, target: float | None) -> Compliance:
    total = met + breached
    percent = round(100 * met / total, 1) if total else None
    if target is None:
        status = "no target"
    elif not total:
        status = "n/a"
    else:
        status = "met" if 100 * met >= target * total else "missed"
    return Compliance(met, breached, target, percent, status)


def dist(values: Iterable[float | None]) -> Dist:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return Dist(0, None, None)
    rank = math.ceil(0.9 * len(ordered))
    return Dist(len(ordered), round(float(statistics.median(ordered)), 1), round(ordered[rank - 1], 1))


def _times(outcomes: list[_Outcome]) -> Times:
    stopped = [o for o in outcomes if not o.running and o.minutes is not None]
    return Times(dist(o.minutes for o in stopped), dist(o.wall_minutes for o in stopped))


def _rating(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if low <= value <= high else None


def csat(values: list[int]) -> Csat:
    counts = Counter(values)
    average = round(sum(values) / len(values), 2) if values else None
    return Csat(len(values), average, round(sum(values) / len(values) * 2, 1) if values else None,
                ratio(counts[4] + counts[5], len(values)), {str(k): counts[k] for k in range(1, 6)})


def nps(values: list[int]) -> Nps:
    counts = Counter(values)
    promoters = counts[9] + counts[10]
    detractors = sum(counts[k] for k in range(0, 7))
    score = round(100 * (promoters - detractors) / len(values), 1) if values else None
    return Nps(len(values), score, promoters, len(values) - promoters - detractors, detractors,
               {str(k): counts[k] for k in range(0, 11)})


def followups_owed(t: _Ticket, policy: Policy, as_of: datetime) -> tuple[int, int]:
    """(owed, sent) for the follow-ups of the ticket's standing resolution (see the docstring)."""
    resolved = t.item.resolved_at
    severity = policy.severities.get(t.severity)
    scheduled = t.num("followups_scheduled")
    if not t.closed or resolved is None or severity is None or not scheduled:
        return 0, 0
    current = min(len(severity.follow_ups), scheduled)
    earlier = max(0, scheduled - t.num("followups_skipped") - current)
    owed = sum(1 for after in severity.follow_ups[:current] if resolved + after <= as_of)
    return owed, min(owed, max(0, t.num("followups_done") - earlier))


def _first_contact(t: _Ticket) -> bool:
    return (t.closed and t.num("public_replies") <= 1 and t.num("customer_replies") == 0
            and t.num("reopens") == 0)


def _by_clock(tickets: list[_Ticket]) -> dict[str, list[_Outcome]]:
    found: dict[str, list[_Outcome]] = defaultdict(list)
    for outcome in (o for t in tickets for o in t.outcomes):
        found[outcome.clock].append(outcome)
    return found


def _comp(outcomes: list[_Outcome], target: float | None) -> Compliance:
    met = sum(o.met for o in outcomes)
    return compliance(met, len(outcomes) - met, target)


def _ratings(resolved: list[_Ticket], question: str, low: int, high: int) -> list[int]:
    found = (_rating(getattr(t.item, question), low, high) for t in resolved)
    return [r for r in found if r is not None]


def _share(tickets: list[_Ticket], test: Callable[[_Ticket], bool]) -> Ratio:
    return ratio(sum(1 for t in tickets if test(t)), len(tickets))


def figures(key: str, name: str, tickets: list[_Ticket], target_response: float | None,
            target_resolution: float | None, policy: Policy, as_of: datetime) -> Figures:
    opened = [t for t in tickets if t.opened]
    resolved = [t for t in tickets if t.resolved]
    by_clock = _by_clock(tickets)
    owed = [followups_owed(t, policy, as_of) for t in resolved]
    return Figures(
        key=key, name=name, opened=len(opened), resolved=len(resolved),
        response=_comp(by_clock["first_response"], target_response), workaround=_comp(by_clock["workaround"], None),
        resolution=_comp(by_clock["resolution"], target_resolution),
        first_response_minutes=_times(by_clock["first_response"]),
        workaround_minutes=_times(by_clock["workaround"]), resolution_minutes=_times(by_clock["resolution"]),
        escalation=_share(opened, lambda t: t.num("escalations") > 0),
        reopen=_share(resolved, lambda t: t.num("reopens") > 0),
        recurrence=_share(opened, lambda t: bool(t.item.related_ticket)),
        first_contact=_share(resolved, _first_contact),
        followups=ratio(sum(s for _, s in owed), sum(o for o, _ in owed)),
        csat=csat(_ratings(resolved, "csat", 1, 5)), nps=nps(_ratings(resolved, "nps", 0, 10)),
    )


def goal(key: str, name: str, actual: float | None, comparison: str, target: float, unit: str,
         sample: int) -> Goal:
    if actual is None:
        status = "n/a"
    else:
        status = "met" if (actual >= target if comparison == ">=" else actual < target) else "missed"
    return Goal(key, name, actual, target, comparison, unit, sample, status)


def goals(overall: Figures) -> list[Goal]:
    return [
        goal("first_contact", "First-contact resolution", overall.first_contact.percent, ">=", FCR_GOAL, "%",
             overall.first_contact.whole),
        goal("csat", "Customer satisfaction (CSAT)", overall.csat.average, ">=", CSAT_GOAL, "/5",
             overall.csat.count),
        goal("recurrence", "Recurrence rate", overall.recurrence.percent, "<", RECURRENCE_GOAL, "%",
             overall.recurrence.whole),
        goal("escalation", "Escalation rate", overall.escalation.percent, "<", ESCALATION_GOAL, "%",
             overall.escalation.whole),
        goal("followups", "Follow-up completion", overall.followups.percent, ">=", FOLLOWUP_GOAL, "%",
             overall.followups.whole),
    ]


def _breakdowns(opened: list[_Ticket], attribute: str, names: Mapping[str, str],
                order: Sequence[str]) -> list[Breakdown]:
    tickets: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for t in opened:
        for key, count in getattr(t, attribute).items():
            tickets[key] += 1
            events[key] += count
    known = [k for k in order if k in tickets]
    rest = sorted((k for k in tickets if k not in order), key=lambda k: (-tickets[k], k))
    return [Breakdown(k, names.get(k, k.replace("_", " ")), tickets[k], events[k],
                      ratio(tickets[k], len(opened)).percent) for k in known + rest]


def _accounts(tickets: list[_Ticket]) -> tuple[list[AccountRow], list[AccountRow]]:
    names: dict[str, str] = {}
    opened: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    for t in tickets:
        domain = t.item.account_domain or "unknown"
        names.setdefault(domain, t.item.account_name or domain)
        opened[domain] += t.opened
        breaches[domain] += sum(not o.met for o in t.outcomes)
    rows = [AccountRow(d, names[d], opened[d], breaches[d]) for d in names]
    by_tickets = sorted((r for r in rows if r.tickets), key=lambda r: (-r.tickets, r.name.lower(), r.domain))
    by_breaches = sorted((r for r in rows if r.breaches),
                         key=lambda r: (-r.breaches, r.name.lower(), r.domain))
    return by_tickets[:TOP_ACCOUNTS], by_breaches[:TOP_ACCOUNTS]


def _breached(tickets: list[_Ticket], policy: Policy, rank: Mapping[str, int]) -> list[BreachedTicket]:
    out = []
    for t in sorted(tickets, key=lambda t: (rank.get(t.severity, len(rank)), t.number)):
        clocks = [BreachedClock(CLOCK_NAMES[o.clock], o.due, o.at, o.running, o.late_minutes)
                  for o in t.outcomes if not o.met]
        if clocks:
            out.append(BreachedTicket(
                t.number, t.severity, _severity_name(policy, t.severity),
                t.item.account_name or t.item.account_domain or "", t.item.subject[:120], t.item.status, clocks,
                f"helpdesk show {t.number}"))
    return out


def _severity_name(policy: Policy, severity: str) -> str:
    found = policy.severities.get(severity)
    return found.name if found else severity


def _latest(tickets: Iterable[Ticket]) -> list[Ticket]:
    """One record per ticket; the index may briefly hold a ticket twice while it changes state."""
    found: dict[int, Ticket] = {}
    for ticket in tickets:
        if ticket.number not in found or ticket.version > found[ticket.number].version:
            found[ticket.number] = ticket
    return list(found.values())


def compute(tickets: Iterable[Ticket], entries: Mapping[int, Sequence[Entry]],
            policy: Policy, period: Period, as_of: datetime, source: dict[str, Any] | None = None) -> Report:
    """The whole report. `entries` maps ticket numbers to their thread entries (escalations are
    read from them); tickets outside the period are ignored, so callers may pass more."""
    facts = _relevant(tickets, entries, period, as_of)
    seen = _severity_order(policy, facts)
    rank = {sid: i for i, sid in enumerate(seen)}
    overall = figures(ALL, "All severities", facts, None, None, policy, as_of)
    opened = [t for t in facts if t.opened]
    level_names = {k: f"{k} ({v.name})" for k, v in policy.levels.items()}
    by_tickets, by_breaches = _accounts(facts)
    return Report(
        period=period, as_of=iso(as_of), policy=policy.name, severities=_severity_rows(facts, seen, policy, as_of),
        overall=overall, goals=goals(overall),
        escalation_levels=_breakdowns(opened, "levels", level_names, list(policy.levels)),
        escalation_triggers=_breakdowns(opened, "triggers", TRIGGER_NAMES, []),
        top_accounts_by_tickets=by_tickets, top_accounts_by_breaches=by_breaches,
        breaches=_breached(facts, policy, rank), source=dict(source or {}),
    )


TRIGGER_NAMES = {"chain": "escalation chain (time)", "manual": "escalated by hand"}


def _relevant(tickets: Iterable[Ticket], entries: Mapping[int, Sequence[Entry]], period: Period,
              as_of: datetime) -> list[_Ticket]:
    """Facts for the tickets that count in the period: opened, resolved, or with a clock outcome in it."""
    facts = (_facts(t, entries.get(t.number, ()), period, as_of) for t in _latest(tickets))
    return [t for t in facts if t.opened or t.resolved or t.outcomes]


def _severity_order(policy: Policy, facts: list[_Ticket]) -> list[str]:
    """The policy's severities, most severe first, then any others found on tickets (older policies)."""
    order = list(policy.severities)
    return order + sorted({t.severity for t in facts} - set(order))


def _severity_rows(facts: list[_Ticket], seen: list[str], policy: Policy, as_of: datetime) -> list[Figures]:
    rows = []
    for sid in seen:
        sev = policy.severities.get(sid)
        subset = [t for t in facts if t.severity == sid]
        if sev is None and not subset:
            continue
        targets = (sev.response_compliance_target, sev.resolution_compliance_target) if sev else (None, None)
        rows.append(figures(sid, sev.name if sev else sid, subset, *targets, policy, as_of))
    return rows
