"""Every KPI of the resolution framework, measured for one period against the policy's goals.

Definitions (populations as in `reports.compute`: *opened* and *resolved* in the period)
- First-contact resolution, recurrence, escalation rate and follow-up completion: as defined in
  `reports.compute` (goals: at least 85%, below 5%, below 10%, at least 100%).
- Average resolution time: the mean business-clock time of the resolution clocks that stopped in
  the period, in hours (goal: below the policy's `average_resolution_time`; the framework sets none).
- Customer satisfaction: the mean overall score (1-5) of resolved tickets; on the 10-point scale
  (`csat_scale: 10`, goal 9.0) it is that mean times two.
- Net Promoter Score: % promoters (9-10) minus % detractors (0-6) among resolved tickets' answers.
- Customer effort: the mean of the survey's ease question (1 very hard .. 10 very easy).
- Retention: accounts whose directory renewal date falls in the period and whose outcome is
  recorded (`helpdesk accounts renew|churn`, or the `renewal_outcome` import column):
  renewed / (renewed + churned). Renewals without an outcome are counted as pending, not lost.
- Response-time compliance: first-response clocks met / counted, every severity together.
- Documentation quality, of 10, on resolved tickets: the staff's `#docscore` ratings (mean over
  the rated tickets), or completeness: the share of the resolution record's five fields filled
  (root cause, fix, prevention, verification, lessons learned) times ten, averaged. The policy's
  `documentation_source` picks one; `auto` uses the ratings when the period has any.
- Knowledge base: distinct articles named with `#kb` in the period, per month (a 30.44-day
  month), and the share of resolved tickets that name an article.
A measure with nothing to count is "not measured", with the reason; it is never shown as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from helpdesk.reports.facts import TicketFacts
from helpdesk.reports.figures import Figures, Ratio
from helpdesk.reports.periods import Period

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from helpdesk.accounts.model import Account
    from helpdesk.policy.kpis import KpiGoals

GROUPS = ("Resolution effectiveness", "Customer relationship impact", "Process excellence")
RECORD_FIELDS = ("root_cause", "fix", "prevention", "verified", "lessons")
MONTH_DAYS = 30.4375
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    group: str
    value: float | None
    unit: str  # "%", "/10", "/5", "h", "score", "/month"
    goal: float | None
    comparison: str  # ">=" or "<"
    status: str  # met | missed | no goal | not measured
    sample: int
    basis: str  # what the value rests on, or why it could not be measured
    previous: float | None = None
    change: float | None = None


@dataclass(frozen=True)
class Inputs:
    facts: list[TicketFacts]
    overall: Figures
    goals: KpiGoals
    period: Period
    accounts: list[Account] | None
    zone: ZoneInfo


def kpi(key: str, name: str, group: int, value: float | None, unit: str, goal: float | None, comparison: str,
        sample: int, basis: str) -> Kpi:
    if value is None:
        status = NOT_MEASURED
    elif goal is None:
        status = "no goal"
    else:
        status = "met" if (value >= goal if comparison == ">=" else value < goal) else "missed"
    return Kpi(key, name, GROUPS[group], value, unit, goal, comparison, status, sample, basis)


def _rate(key: str, name: str, group: int, value: Ratio, goal: float | None, comparison: str, noun: str,
          empty: str) -> Kpi:
    basis = f"{value.part} of {value.whole} {noun}" if value.whole else empty
    return kpi(key, name, group, value.percent, "%", goal, comparison, value.whole, basis)


def _mean(values: list[float], digits: int = 1) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def _resolved(inputs: Inputs) -> list[TicketFacts]:
    return [t for t in inputs.facts if t.resolved]


def first_contact(i: Inputs) -> Kpi:
    return _rate("first_contact_resolution", "First contact resolution rate", 0, i.overall.first_contact,
                 i.goals.first_contact_resolution, ">=", "resolved tickets", "no ticket was resolved in the period")


def resolution_time(i: Inputs) -> Kpi:
    minutes = [o.minutes for t in i.facts for o in t.outcomes
               if o.clock == "resolution" and not o.running and o.minutes is not None]
    goal = i.goals.average_resolution_time
    value = round(sum(minutes) / len(minutes) / 60, 1) if minutes else None
    basis = f"mean business-clock time of {len(minutes)} resolutions" if minutes else \
        "no resolution clock stopped in the period"
    return kpi("average_resolution_time", "Average resolution time", 0, value, "h",
               round(goal.total_seconds() / 3600, 2) if goal else None, "<", len(minutes), basis)


def satisfaction(i: Inputs) -> Kpi:
    scores = [t.item.csat for t in _resolved(i) if t.item.csat is not None]
    scale = i.goals.csat_scale
    mean = sum(scores) / len(scores) if scores else None
    value = None if mean is None else round(mean * 2, 1) if scale == 10 else round(mean, 2)
    basis = (f"{len(scores)} ratings" + (" (the 1-5 mean x 2)" if scale == 10 else "")) if scores else \
        "no satisfaction rating for tickets resolved in the period"
    return kpi("csat", "Customer satisfaction score", 0, value, f"/{scale}", i.goals.csat, ">=", len(scores), basis)


def recurrence(i: Inputs) -> Kpi:
    return _rate("recurrence_rate", "Issue recurrence rate", 0, i.overall.recurrence, i.goals.recurrence_rate, "<",
                 "opened tickets", "no ticket was opened in the period")


def retention(i: Inputs) -> Kpi:
    name, goal = "Customer retention rate", i.goals.retention_rate
    if i.accounts is None:
        return kpi("retention_rate", name, 1, None, "%", goal, ">=", 0, "the account directory was not read")
    dated = [a for a in i.accounts if a.renewal_date is not None]
    due = [a for a in dated if i.period.contains(_renewal_instant(a, i.zone))]
    renewed = sum(1 for a in due if a.renewal_outcome == "renewed")
    churned = sum(1 for a in due if a.renewal_outcome == "churned")
    pending = len(due) - renewed - churned
    if not dated:
        basis = "no account in the directory has a renewal date"
    elif not due:
        basis = "no account's renewal date falls in the period"
    elif not renewed + churned:
        basis = f"{len(due)} renewals fell due but none has an outcome yet (helpdesk accounts renew|churn DOMAIN)"
    else:
        basis = f"{renewed} of {renewed + churned} renewals kept" + (f"; {pending} pending" if pending else "")
    value = round(100 * renewed / (renewed + churned), 1) if renewed + churned else None
    return kpi("retention_rate", name, 1, value, "%", goal, ">=", renewed + churned, basis)


def _renewal_instant(account: Account, zone: ZoneInfo) -> datetime:
    assert account.renewal_date is not None
    return datetime.combine(account.renewal_date, time(0), tzinfo=zone).astimezone(UTC)


def promoter_score(i: Inputs) -> Kpi:
    n = i.overall.nps
    basis = f"{n.count} answers: {n.promoters} promoters, {n.passives} passives, {n.detractors} detractors" \
        if n.count else "no NPS answer for tickets resolved in the period"
    return kpi("nps", "Net Promoter Score", 1, n.score, "score", i.goals.nps, ">=", n.count, basis)


def effort(i: Inputs) -> Kpi:
    scores = [float(t.item.effort_rating) for t in _resolved(i) if t.item.effort_rating is not None]
    basis = f"{len(scores)} answers (10 = very easy)" if scores else \
        "no effort answer for tickets resolved in the period"
    return kpi("customer_effort", "Customer effort score", 1, _mean(scores), "/10", i.goals.customer_effort, ">=",
               len(scores), basis)


def escalation(i: Inputs) -> Kpi:
    return _rate("escalation_rate", "Escalation rate", 1, i.overall.escalation, i.goals.escalation_rate, "<",
                 "opened tickets", "no ticket was opened in the period")


def response(i: Inputs) -> Kpi:
    c = i.overall.response
    total = c.met + c.breached
    basis = f"{c.met} of {total} first responses on time" if total else "no first-response clock counted"
    return kpi("response_compliance", "Response time compliance", 2, c.percent, "%", i.goals.response_compliance,
               ">=", total, basis)


def followups(i: Inputs) -> Kpi:
    return _rate("followup_completion", "Follow-up completion rate", 2, i.overall.followups,
                 i.goals.followup_completion, ">=", "follow-ups owed", "no follow-up fell due for resolved tickets")


def documentation(i: Inputs) -> Kpi:
    resolved = _resolved(i)
    rated = [float(t.item.doc_score) for t in resolved if t.item.doc_score is not None]
    source = i.goals.documentation_source
    use_staff = source == "staff" or (source == "auto" and rated)
    goal, name = i.goals.documentation_quality, "Documentation quality score"
    if use_staff:
        basis = f"staff ratings (#docscore) of {len(rated)} of {len(resolved)} resolved tickets" if rated else \
            "no #docscore rating on tickets resolved in the period"
        return kpi("documentation_quality", name, 2, _mean(rated), "/10", goal, ">=", len(rated), basis)
    scores = [10 * sum(1 for f in RECORD_FIELDS if getattr(t.item, f).strip()) / len(RECORD_FIELDS)
              for t in resolved]
    if not any(scores):  # nobody records the resolution yet: nothing to measure, not a zero
        basis = "no resolved ticket of the period has a resolution-record field (#rootcause, #fix, #prevention, " \
                "#verified, #lessons) or a #docscore" if resolved else "no ticket was resolved in the period"
        return kpi("documentation_quality", name, 2, None, "/10", goal, ">=", len(resolved), basis)
    basis = f"resolution-record completeness of {len(resolved)} resolved tickets (root cause, fix, prevention, " \
            "verification, lessons learned filled)"
    return kpi("documentation_quality", name, 2, _mean(scores), "/10", goal, ">=", len(resolved), basis)


def knowledge_base(i: Inputs) -> list[Kpi]:
    refs = {a.ref.strip().lower() for t in i.facts for a in t.item.kb_articles if i.period.contains(a.at)}
    resolved = _resolved(i)
    with_article = sum(1 for t in resolved if t.item.kb_articles)
    none_yet = "no article was recorded with #kb for tickets in the period"
    per_month = round(len(refs) * MONTH_DAYS / i.period.days, 1) if refs else None
    count = kpi("knowledge_base_articles", "Knowledge base contributions", 2, per_month, "/month",
                i.goals.knowledge_base_articles, ">=", len(refs),
                f"{len(refs)} articles created or updated in the period" if refs else none_yet)
    share_value = round(100 * with_article / len(resolved), 1) if resolved and (refs or with_article) else None
    share_basis = f"{with_article} of {len(resolved)} resolved tickets" if share_value is not None else \
        (none_yet if resolved else "no ticket was resolved in the period")
    share = kpi("knowledge_base_share", "Resolved tickets with an article", 2, share_value, "%", None, ">=",
                len(resolved), share_basis)
    return [count, share]


MEASURES: tuple[Callable[[Inputs], Kpi], ...] = (
    first_contact, resolution_time, satisfaction, recurrence, retention, promoter_score, effort, escalation,
    response, followups, documentation)


def measure(inputs: Inputs) -> list[Kpi]:
    """The framework's KPIs in the order of its table."""
    return [m(inputs) for m in MEASURES] + knowledge_base(inputs)


def with_previous(kpis: list[Kpi], previous: dict[str, float | None] | None) -> list[Kpi]:
    """Each KPI with the previous period's value and the change (in points for percentages)."""
    if not previous:
        return kpis
    out = []
    for k in kpis:
        before = previous.get(k.key)
        change = round(k.value - before, 2) if k.value is not None and before is not None else None
        out.append(replace(k, previous=before, change=change))
    return out


def values(kpis: list[Kpi]) -> dict[str, float | None]:
    return {k.key: k.value for k in kpis}
