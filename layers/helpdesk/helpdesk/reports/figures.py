"""The compliance figures of one group of tickets (a severity, or all of them), from their facts.
Definitions are in `reports.compute`."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.policy.models import Policy
from helpdesk.reports.facts import Outcome, TicketFacts


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
    mean: float | None = None


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
    return Dist(len(ordered), round(float(statistics.median(ordered)), 1), round(ordered[rank - 1], 1),
                round(sum(ordered) / len(ordered), 1))


def times(outcomes: list[Outcome]) -> Times:
    stopped = [o for o in outcomes if not o.running and o.minutes is not None]
    return Times(dist(o.minutes for o in stopped), dist(o.wall_minutes for o in stopped))


def rating_value(value: Any, low: int, high: int) -> int | None:
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


def followups_owed(t: TicketFacts, policy: Policy, as_of: datetime) -> tuple[int, int]:
    """(owed, sent) for the follow-ups of the ticket's standing resolution."""
    resolved = t.item.resolved_at
    severity = policy.severities.get(t.severity)
    scheduled = t.num("followups_scheduled")
    if not t.closed or resolved is None or severity is None or not scheduled:
        return 0, 0
    current = min(len(severity.follow_ups), scheduled)
    earlier = max(0, scheduled - t.num("followups_skipped") - current)
    owed = sum(1 for after in severity.follow_ups[:current] if resolved + after <= as_of)
    return owed, min(owed, max(0, t.num("followups_done") - earlier))


def first_contact(t: TicketFacts) -> bool:
    return (t.closed and t.num("public_replies") <= 1 and t.num("customer_replies") == 0
            and t.num("reopens") == 0)


def by_clock(tickets: list[TicketFacts]) -> dict[str, list[Outcome]]:
    found: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in (o for t in tickets for o in t.outcomes):
        found[outcome.clock].append(outcome)
    return found


def _comp(outcomes: list[Outcome], target: float | None) -> Compliance:
    met = sum(o.met for o in outcomes)
    return compliance(met, len(outcomes) - met, target)


def ratings(resolved: list[TicketFacts], question: str, low: int, high: int) -> list[int]:
    found = (rating_value(t.item.rating(question), low, high) for t in resolved)
    return [r for r in found if r is not None]


def share(tickets: list[TicketFacts], test: Callable[[TicketFacts], bool]) -> Ratio:
    return ratio(sum(1 for t in tickets if test(t)), len(tickets))


def figures(key: str, name: str, tickets: list[TicketFacts], target_response: float | None,
            target_resolution: float | None, policy: Policy, as_of: datetime) -> Figures:
    opened = [t for t in tickets if t.opened]
    resolved = [t for t in tickets if t.resolved]
    clocks = by_clock(tickets)
    owed = [followups_owed(t, policy, as_of) for t in resolved]
    return Figures(
        key=key, name=name, opened=len(opened), resolved=len(resolved),
        response=_comp(clocks["first_response"], target_response), workaround=_comp(clocks["workaround"], None),
        resolution=_comp(clocks["resolution"], target_resolution),
        first_response_minutes=times(clocks["first_response"]),
        workaround_minutes=times(clocks["workaround"]), resolution_minutes=times(clocks["resolution"]),
        escalation=share(opened, lambda t: t.num("escalations") > 0),
        reopen=share(resolved, lambda t: t.num("reopens") > 0),
        recurrence=share(opened, lambda t: bool(t.item.related_ticket)),
        first_contact=share(resolved, first_contact),
        followups=ratio(sum(s for _, s in owed), sum(o for o, _ in owed)),
        csat=csat(ratings(resolved, "csat", 1, 5)), nps=nps(ratings(resolved, "nps", 0, 10)),
    )
