"""Review packs: the monthly issue review, the quarterly communication audit and the annual
protocol update, each built on the period's compliance report and KPIs, with trends.

Pure: the pack service loads tickets, logs, accounts, policy snapshots and stored KPI history;
this module only combines them. Trends use the period's own months where the pack computes them
(quarterly and annual) and stored figures for earlier months.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.policy.models import Policy
from helpdesk.reports import audit, review
from helpdesk.reports.annual import PolicyInForce, policies_in_force
from helpdesk.reports.compute import Report, compute
from helpdesk.reports.facts import by_period, relevant
from helpdesk.reports.kpis import values
from helpdesk.reports.periods import Period, months_before, months_of, period_before
from helpdesk.reports.trends import Trend, trends
from helpdesk.tickets.records import Entry, Ticket

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account

PACKS = ("monthly", "quarterly", "annual")
PACK_PERIODS = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
TREND_MONTHS = {"monthly": 6, "quarterly": 6, "annual": 12}
TITLES = {"monthly": "Monthly issue review", "quarterly": "Quarterly communication audit",
          "annual": "Annual protocol update"}


@dataclass
class PackInputs:
    tickets: list[Ticket]
    logs: dict[int, list[Entry]]  # thread entries of the tickets the pack looks into
    accounts: list[Account] | None
    history: dict[str, dict[str, float | None] | None]  # stored KPI values by period label
    documents: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # policy snapshots by digest
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    kind: str
    title: str
    report: Report
    months: list[Report]  # the period's months, for quarterly and annual packs
    trends: list[Trend]
    review: review.IssueReview | None
    audit: audit.CommunicationAudit | None
    policies: list[PolicyInForce]
    source: dict[str, Any]

    @property
    def period(self) -> Period:
        return self.report.period


def history_labels(kind: str, period: Period) -> list[str]:
    """The stored figures a pack reads: earlier trend months, and the period before (for changes)."""
    own = {m.label for m in months_of(period)} if kind != "monthly" else {period.label}
    before = period_before(period)
    labels = [m.label for m in months_before(period, TREND_MONTHS[kind]) if m.label not in own]
    return labels + ([before.label] if before and before.label not in labels else [])


def build_pack(kind: str, period: Period, inputs: PackInputs, policy: Policy, as_of: datetime,
               snapshot: Callable[[str | None], Policy]) -> Pack:
    before = period_before(period)
    previous = inputs.history.get(before.label) if before else None
    report = compute(inputs.tickets, inputs.logs, policy, period, as_of, inputs.source, accounts=inputs.accounts,
                     previous=previous, previous_label=before.label if before else None)
    own_months = months_of(period) if kind != "monthly" else []
    months = [compute(bucket, inputs.logs, policy, m, as_of, accounts=inputs.accounts)
              for m, bucket in zip(own_months, by_period(inputs.tickets, own_months), strict=True)]
    computed = {r.period.label: values(r.kpis) for r in [report, *months]}
    series = [(m.label, computed.get(m.label, inputs.history.get(m.label)))
              for m in months_before(period, TREND_MONTHS[kind])]
    facts = relevant(inputs.tickets, inputs.logs, period, as_of) if kind != "annual" else []
    return Pack(
        kind=kind, title=TITLES[kind], report=report, months=months, trends=trends(series, report.kpis),
        review=review.issue_review(facts, report, inputs.logs, policy) if kind == "monthly" else None,
        audit=_audit(period, facts, months, inputs, policy, as_of, snapshot) if kind == "quarterly" else None,
        policies=policies_in_force(inputs.tickets, period, inputs.documents) if kind == "annual" else [],
        source=dict(inputs.source))


def _audit(period: Period, facts: Sequence[Any], months: list[Report], inputs: PackInputs, policy: Policy,
           as_of: datetime, snapshot: Callable[[str | None], Policy]) -> audit.CommunicationAudit:
    scale = policy.kpis.csat_scale
    satisfaction = [audit.month_satisfaction(
        m.period.label, [t for t in relevant(inputs.tickets, {}, m.period, as_of) if t.resolved], scale)
        for m in months]
    return audit.CommunicationAudit(
        templates=audit.template_rows([t for t in facts if t.resolved], snapshot, scale, list(policy.severities)),
        escalation=audit.escalation_procedure([t for t in facts if t.opened], inputs.logs, policy),
        satisfaction=satisfaction, incidents=audit.incidents(facts, policy, period))


def log_candidates(kind: str, tickets: Sequence[Ticket], period: Period) -> list[int]:
    """Tickets whose whole log a pack reads before computing: the escalated ones opened in the period
    (levels, triggers, and for the audit the time to acknowledge)."""
    if kind == "annual":
        return []
    return sorted({t.number for t in tickets if t.escalations > 0 and period.contains(t.created_at)})


def review_candidates(inputs: PackInputs, report: Report, policy: Policy, as_of: datetime) -> list[int]:
    facts = relevant(inputs.tickets, inputs.logs, report.period, as_of)
    return [n for n in review.needs_log(facts, report, policy) if n not in inputs.logs]


def stored_months(pack: Pack) -> Mapping[str, Report]:
    """The reports whose KPI values the pack stores as history: the period and its months."""
    return {r.period.label: r for r in [pack.report, *pack.months]}
