"""Compliance report figures: ticket items, escalation entries, policy and period in, a Report out.

Pure functions, no I/O: the service loads the items, this module only counts. Every compliance
figure the report prints is defined here, once; the work is split over `reports.periods`,
`reports.facts` (which outcomes count where), `reports.figures` and `reports.kpis`.

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
- CSAT (1-5): overall scores of resolved tickets; average, distribution and satisfied share (4
  and 5). The 10-point figure the framework's goal uses (9.0) is the 5-point average times two.
- NPS (0-10): promoters 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % detractors.
- Follow-up completion = follow-ups sent / follow-ups owed by report time, for the standing
  resolution of resolved tickets that are still resolved or closed: a follow-up is owed once
  `resolved_at` + its delay (the severity's `follow_ups`) has passed. Follow-ups of earlier
  resolutions (sent, or skipped on reopening) are taken out of the ticket's running counters.
- The KPIs (goals from the policy's `kpis:` section) are defined in `reports.kpis`; the review
  packs' figures in `reports.review`, `reports.audit` and `reports.annual`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import iso
from helpdesk.incidents.model import Incident
from helpdesk.policy.models import Policy
from helpdesk.reports.facts import CLOCKS, TicketFacts, relevant
from helpdesk.reports.figures import Figures, figures, ratio
from helpdesk.reports.incidents import IncidentSection, incident_section
from helpdesk.reports.kpis import Inputs, Kpi, measure, with_previous
from helpdesk.reports.periods import (  # noqa: F401 - re-exported: callers and tests import them from here
    Period,
    local_midnight,
    make_period,
    previous_period,
    resolved_months,
)
from helpdesk.tickets.records import Entry, Ticket

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account

CLOCK_NAMES = {"first_response": "first response", "workaround": "workaround", "resolution": "resolution"}
TOP_ACCOUNTS = 5
ALL = "all"
TRIGGER_NAMES = {"chain": "escalation chain (time)", "manual": "escalated by hand"}
__all__ = ["CLOCKS", "Period", "Report", "compute", "local_midnight", "make_period", "previous_period",
           "resolved_months"]


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
    kpis: list[Kpi]
    escalation_levels: list[Breakdown]
    escalation_triggers: list[Breakdown]
    top_accounts_by_tickets: list[AccountRow]
    top_accounts_by_breaches: list[AccountRow]
    breaches: list[BreachedTicket]
    previous_label: str | None = None  # the period the KPI changes compare with
    source: dict[str, Any] = field(default_factory=dict)  # what the service read to build it
    incidents: IncidentSection = field(default_factory=IncidentSection)


def _breakdowns(opened: list[TicketFacts], attribute: str, names: Mapping[str, str],
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


def _accounts(tickets: list[TicketFacts]) -> tuple[list[AccountRow], list[AccountRow]]:
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


def _breached(tickets: list[TicketFacts], policy: Policy, rank: Mapping[str, int]) -> list[BreachedTicket]:
    out = []
    for t in sorted(tickets, key=lambda t: (rank.get(t.severity, len(rank)), t.number)):
        clocks = [BreachedClock(CLOCK_NAMES[o.clock], iso(o.due) if o.due else "", iso(o.at) if o.at else None,
                                o.running, o.late_minutes)
                  for o in t.outcomes if not o.met]
        if clocks:
            out.append(BreachedTicket(
                t.number, t.severity, severity_name(policy, t.severity),
                t.item.account_name or t.item.account_domain or "", t.item.subject[:120], t.item.status, clocks,
                f"helpdesk show {t.number}"))
    return out


def severity_name(policy: Policy, severity: str) -> str:
    found = policy.severities.get(severity)
    return found.name if found else severity


def compute(tickets: Iterable[Ticket], entries: Mapping[int, Sequence[Entry]],
            policy: Policy, period: Period, as_of: datetime, source: dict[str, Any] | None = None, *,
            accounts: list[Account] | None = None, previous: dict[str, float | None] | None = None,
            previous_label: str | None = None, incidents: Iterable[Incident] = ()) -> Report:
    """The whole report. `entries` maps ticket numbers to their thread entries (escalations are
    read from them); tickets outside the period are ignored, so callers may pass more. `accounts`
    (the directory) gives retention; `previous` (KPI values of the period before) the changes."""
    facts = relevant(tickets, entries, period, as_of)
    seen = severity_order(policy, facts)
    rank = {sid: i for i, sid in enumerate(seen)}
    overall = figures(ALL, "All severities", facts, None, None, policy, as_of)
    opened = [t for t in facts if t.opened]
    level_names = {k: f"{k} ({v.name})" for k, v in policy.levels.items()}
    by_tickets, by_breaches = _accounts(facts)
    kpis = measure(Inputs(facts, overall, policy.kpis, period, accounts, ZoneInfo(period.timezone)))
    return Report(
        period=period, as_of=iso(as_of), policy=policy.name, severities=_severity_rows(facts, seen, policy, as_of),
        overall=overall, kpis=with_previous(kpis, previous),
        escalation_levels=_breakdowns(opened, "levels", level_names, list(policy.levels)),
        escalation_triggers=_breakdowns(opened, "triggers", TRIGGER_NAMES, []),
        top_accounts_by_tickets=by_tickets, top_accounts_by_breaches=by_breaches,
        breaches=_breached(facts, policy, rank), previous_label=previous_label if previous else None,
        source=dict(source or {}), incidents=incident_section(incidents, period, as_of),
    )


def severity_order(policy: Policy, facts: list[TicketFacts]) -> list[str]:
    """The policy's severities, most severe first, then any others found on tickets (older policies)."""
    order = list(policy.severities)
    return order + sorted({t.severity for t in facts} - set(order))


def _severity_rows(facts: list[TicketFacts], seen: list[str], policy: Policy, as_of: datetime) -> list[Figures]:
    rows = []
    for sid in seen:
        sev = policy.severities.get(sid)
        subset = [t for t in facts if t.severity == sid]
        if sev is None and not subset:
            continue
        targets = (sev.response_compliance_target, sev.resolution_compliance_target) if sev else (None, None)
        rows.append(figures(sid, sev.name if sev else sid, subset, *targets, policy, as_of))
    return rows
