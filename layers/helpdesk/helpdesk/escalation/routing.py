"""Who hears about an escalation, and when: executive rules, quiet hours, SMS routes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpdesk.policy.models import ExecutiveRule, Policy
from helpdesk.tickets.context import TicketContext

AT_RISK_TRIGGERS = frozenset({"churn_threat", "revenue_risk", "escalation_request", "legal", "public_relations",
                              "csat_low", "nps_detractor"})


def sms_routes(spec: str) -> dict[str, list[str]]:
    """`L3,Executive=+14155550100;L1=+14155550111` -> {level: [phones]}."""
    routes: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        levels, _, phones = part.partition("=")
        for level in filter(None, (lv.strip() for lv in levels.split(","))):
            routes.setdefault(level, []).extend(p.strip() for p in phones.split(",") if p.strip())
    return routes


def _rule_applies(rule: ExecutiveRule, policy: Policy, ctx: TicketContext, triggers: set[str]) -> bool:
    arr = ctx.account.arr
    share = arr / policy.company_annual_revenue if policy.company_annual_revenue else 0
    money = (rule.min_arr is not None and arr >= rule.min_arr) or (
        rule.min_revenue_share is not None and share >= rule.min_revenue_share)
    at_risk = bool(triggers & AT_RISK_TRIGGERS)
    return (money and at_risk) or bool(triggers & set(rule.triggers)) or ctx.ticket.issue_type in rule.issue_types


def executive_roles(policy: Policy, ctx: TicketContext, trigger: str | None) -> list[str]:
    triggers = set(ctx.ticket.triggers) | ({trigger} if trigger else set())
    roles = [rule.role for rule in policy.executive_rules if _rule_applies(rule, policy, ctx, triggers)]
    return list(dict.fromkeys(roles))


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
