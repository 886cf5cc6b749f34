"""The quarterly communication audit (alert protocol: template effectiveness, escalation
procedure, satisfaction trends) and the quarter's incidents.

Definitions
- Template effectiveness: for each template a customer received and each severity, the tickets
  resolved in the quarter that received it, their mean overall score (on the policy's CSAT
  scale) and their reopen rate. Which templates a ticket received is read from the ticket and the
  policy snapshot it opened under: its acknowledgment and update templates (if an
  acknowledgment or an update went out), the relayed staff reply (if staff answered in public),
  the resolution summary (resolved), the survey request (sent) and follow-ups (sent). Each
  outbound entry also names its template, but reading every thread would cost a query per
  ticket; the ticket and its snapshot say the same for one read of the month's partition.
- Escalation procedure: per level, escalations of tickets opened in the quarter, the tickets they
  touched, and the time from each escalation to the next acknowledgment in the log (median and
  90th percentile, minutes; not yet acknowledged are counted apart). Merged: escalated tickets
  that belong to an incident (one incident, many tickets); separate: escalated on their own.
- Satisfaction trend: for each month of the quarter, the mean of every survey answer of the
  tickets resolved in that month.
- Incidents: tickets of the quarter grouped by incident id, with their accounts and breaches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from helpdesk.core.clock import iso
from helpdesk.policy.models import Policy
from helpdesk.reports.facts import TicketFacts
from helpdesk.reports.figures import Dist, Ratio, dist, ratio
from helpdesk.reports.formatting import local_time
from helpdesk.reports.periods import Period
from helpdesk.tickets.records import Entry, Ticket

QUESTIONS = ("csat", "response_time", "communication", "resolution_quality", "effort", "nps")


@dataclass(frozen=True)
class TemplateRow:
    template: str
    severity: str
    tickets: int
    csat: float | None
    ratings: int
    reopen: Ratio


@dataclass(frozen=True)
class LevelRow:
    level: str
    name: str
    escalations: int
    tickets: int
    to_acknowledge: Dist
    unacknowledged: int


@dataclass(frozen=True)
class EscalationProcedure:
    levels: list[LevelRow]
    merged_tickets: int
    incidents: int
    separate_tickets: int


@dataclass(frozen=True)
class MonthSatisfaction:
    label: str
    resolved: int
    answers: dict[str, float | None]  # mean per question; csat on the policy's scale
    counts: dict[str, int]


@dataclass(frozen=True)
class IncidentRow:
    incident: str
    tickets: int
    accounts: int
    severity: str
    opened: str
    resolved: str | None
    breaches: int


@dataclass(frozen=True)
class CommunicationAudit:
    templates: list[TemplateRow]
    escalation: EscalationProcedure
    satisfaction: list[MonthSatisfaction]
    incidents: list[IncidentRow]


def templates_received(ticket: Ticket, policy: Policy) -> list[str]:
    names = policy.templates
    sent = [(ticket.ack_sent_at is not None, names.acknowledgment), (ticket.updates_sent > 0, names.customer_update),
            (ticket.public_replies > 0, "staff_relay"), (ticket.resolved_at is not None, "resolution_summary"),
            (ticket.survey_sent_at is not None, "survey_request"), (ticket.followups_done > 0, "followup")]
    return [name for received, name in sent if received]


def _csat_scaled(values: list[int], scale: int) -> float | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return round(mean * 2, 1) if scale == 10 else round(mean, 2)


def template_rows(resolved: Sequence[TicketFacts], snapshot: Callable[[str | None], Policy], scale: int,
                  order: Sequence[str]) -> list[TemplateRow]:
    groups: dict[tuple[str, str], list[Ticket]] = defaultdict(list)
    for t in resolved:
        for name in templates_received(t.item, snapshot(t.item.policy_digest)):
            groups[(name, t.severity)].append(t.item)
    rank = {s: i for i, s in enumerate(order)}
    rows = [TemplateRow(name, sev, len(items), _csat_scaled([i.csat for i in items if i.csat is not None], scale),
                        sum(1 for i in items if i.csat is not None), ratio(sum(1 for i in items if i.reopens),
                                                                           len(items)))
            for (name, sev), items in groups.items()]
    return sorted(rows, key=lambda r: (r.template, rank.get(r.severity, len(rank)), r.severity))


def _ack_minutes(entries: Sequence[Entry]) -> list[tuple[str, float | None]]:
    """(level, minutes to the next acknowledgment or None) for each escalation in a log."""
    acks = sorted(e.at for e in entries if e.kind == "acknowledged")
    out = []
    for e in entries:
        if e.kind == "escalation" and e.level:
            after = next((a for a in acks if a >= e.at), None)
            out.append((e.level, round((after - e.at).total_seconds() / 60, 1) if after else None))
    return out


def escalation_procedure(opened: Sequence[TicketFacts], logs: Mapping[int, Sequence[Entry]],
                         policy: Policy) -> EscalationProcedure:
    waits: dict[str, list[float | None]] = defaultdict(list)
    touched: dict[str, set[int]] = defaultdict(set)
    for t in opened:
        for level, wait in _ack_minutes(logs.get(t.number, ())):
            waits[level].append(wait)
            touched[level].add(t.number)
    order = [k for k in policy.levels if k in waits] + sorted(k for k in waits if k not in policy.levels)
    levels = [LevelRow(k, policy.levels[k].name if k in policy.levels else k, len(waits[k]), len(touched[k]),
                       dist(w for w in waits[k] if w is not None), sum(1 for w in waits[k] if w is None))
              for k in order]
    escalated = [t for t in opened if t.num("escalations") > 0]
    merged = [t for t in escalated if t.item.incident]
    return EscalationProcedure(levels, len(merged), len({t.item.incident for t in merged}),
                               len(escalated) - len(merged))


def month_satisfaction(label: str, resolved: Sequence[TicketFacts], scale: int) -> MonthSatisfaction:
    answers: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for question in QUESTIONS:
        values = [v for v in (t.item.rating(question) for t in resolved) if v is not None]
        counts[question] = len(values)
        if question == "csat":
            answers[question] = _csat_scaled(values, scale)
        else:
            answers[question] = round(sum(values) / len(values), 1) if values else None
    return MonthSatisfaction(label, len(resolved), answers, counts)


def incidents(facts: Sequence[TicketFacts], policy: Policy, period: Period) -> list[IncidentRow]:
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for t in facts:
        if t.item.incident:
            groups[t.item.incident].append(t)
    rows = []
    rank = {s: i for i, s in enumerate(policy.severities)}
    for incident, members in groups.items():
        worst = min((t.severity for t in members), key=lambda s: rank.get(s, len(rank)))
        opened = min(t.item.created_at for t in members)
        resolved = [t.item.resolved_at for t in members]
        last = max(r for r in resolved if r) if all(resolved) else None
        rows.append(IncidentRow(incident, len(members), len({t.item.account_domain for t in members}), worst,
                                local_time(iso(opened), period.timezone, "%d %b %H:%M"),
                                local_time(iso(last), period.timezone, "%d %b %H:%M") if last else None,
                                sum(1 for t in members for o in t.outcomes if not o.met)))
    return sorted(rows, key=lambda r: (rank.get(r.severity, len(rank)), r.opened))
