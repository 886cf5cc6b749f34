"""Who hears about an escalation, and when: executive rules, coverage, quiet hours, SMS routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpdesk.policy.models import ExecCondition, ExecutiveRule, Policy
from helpdesk.tickets.context import TicketContext

AT_RISK_TRIGGERS = frozenset({"churn_threat", "revenue_risk", "escalation_request", "legal", "public_relations",
                              "csat_low", "nps_detractor"})
STRATEGIC_FLAGS = frozenset({"strategic", "fortune500"})
STRATEGIC_ARR = 500_000


def sms_routes(spec: str) -> dict[str, list[str]]:
    """`L3,Executive=+14155550100;L1=+14155550111` -> {level: [phones]}."""
    routes: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        levels, _, phones = part.partition("=")
        for level in filter(None, (lv.strip() for lv in levels.split(","))):
            routes.setdefault(level, []).extend(p.strip() for p in phones.split(",") if p.strip())
    return routes


def triggers_of(ctx: TicketContext, trigger: str | None = None) -> set[str]:
    return set(ctx.ticket.triggers) | ({trigger} if trigger else set())


def at_risk(triggers: set[str]) -> bool:
    return bool(triggers & AT_RISK_TRIGGERS)


def strategic(ctx: TicketContext) -> bool:
    return bool(ctx.account.flags & STRATEGIC_FLAGS) or ctx.account.arr >= STRATEGIC_ARR


def last_progress_at(ctx: TicketContext) -> datetime:
    """Significant progress: opening, a public reply or note, or a status change (not our cadence mail)."""
    t = ctx.ticket
    return max(m for m in (t.created_at, t.last_public_reply_at, t.public_note_at, t.last_status_change_at) if m)


def hours_without_progress(ctx: TicketContext, now: datetime) -> float:
    return (now - last_progress_at(ctx)).total_seconds() / 3600


def revenue_share(policy: Policy, ctx: TicketContext) -> float:
    return ctx.account.arr / policy.company_annual_revenue if policy.company_annual_revenue else 0.0


def _holds(cond: ExecCondition, policy: Policy, ctx: TicketContext, triggers: set[str], now: datetime) -> bool:
    days = ctx.account.days_to_renewal(now)
    checks = [
        not cond.account_flags or bool(ctx.account.flags & set(cond.account_flags)),
        cond.min_arr is None or ctx.account.arr >= cond.min_arr,
        cond.min_revenue_share is None or revenue_share(policy, ctx) >= cond.min_revenue_share,
        cond.max_days_to_renewal is None or (days is not None and 0 <= days <= cond.max_days_to_renewal),
        not cond.triggers or bool(triggers & set(cond.triggers)),
        not cond.severities or ctx.severity in cond.severities,
        not cond.issue_types or ctx.ticket.issue_type in cond.issue_types,
        cond.hours_without_progress is None or hours_without_progress(ctx, now) >= cond.hours_without_progress,
        cond.c_level_involved is None or ctx.ticket.c_level_involved == cond.c_level_involved,
        cond.at_risk is None or at_risk(triggers) == cond.at_risk,
    ]
    return all(checks)


def _shorthand(rule: ExecutiveRule, policy: Policy, ctx: TicketContext, triggers: set[str]) -> bool:
    arr = ctx.account.arr
    money = (rule.min_arr is not None and arr >= rule.min_arr) or (
        rule.min_revenue_share is not None and revenue_share(policy, ctx) >= rule.min_revenue_share)
    return (money and at_risk(triggers)) or bool(triggers & set(rule.triggers)) or \
        ctx.ticket.issue_type in rule.issue_types


def _applies(rule: ExecutiveRule, policy: Policy, ctx: TicketContext, triggers: set[str], now: datetime) -> bool:
    return _shorthand(rule, policy, ctx, triggers) or any(_holds(c, policy, ctx, triggers, now) for c in rule.when)


def executive_roles(policy: Policy, ctx: TicketContext, trigger: str | None, now: datetime | None = None
                    ) -> list[tuple[str, str]]:
    """(role, why) for every executive rule that applies."""
    at = now or ctx.ticket.updated_at or ctx.ticket.created_at
    triggers = triggers_of(ctx, trigger)
    found: dict[str, str] = {}
    for rule in policy.executive_rules:
        if _applies(rule, policy, ctx, triggers, at):
            found.setdefault(rule.role, rule.reason or "executive rule")
    return list(found.items())


@dataclass(frozen=True)
class Covered:
    roles: list[str]
    notes: list[str]  # "ceo on leave until 3 Jan; coo covers"


def with_coverage(policy: Policy, roles: list[str], now: datetime) -> Covered:
    """Roles with anyone away swapped for their designated backup, and what the briefing says of it."""
    today = now.date()
    out: list[str] = []
    notes: list[str] = []
    for role in roles:
        cover = next((c for c in policy.coverage if c.role == role and c.start <= today <= c.end), None)
        if cover is None:
            out.append(role)
            continue
        out.append(cover.backup)
        notes.append(cover.note or f"{role} away until {cover.end:%d %b}; {cover.backup} covers")
    return Covered(list(dict.fromkeys(out)), notes)


def quiet_until(policy: Policy, severity: str, now: datetime) -> datetime | None:
    """End of the quiet hours or maintenance window `now` falls in, unless the severity never waits."""
    notes = policy.notifications
    if severity in notes.never_deferred:
        return None
    for window in notes.maintenance_windows:
        if window.start <= now < window.end:
            return window.end
    quiet = notes.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(ZoneInfo(quiet.timezone))
    start, end, clock = quiet.start, quiet.end, local.time()
    overnight = start > end
    inside = (start <= clock or clock < end) if overnight else (start <= clock < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=local.tzinfo)
