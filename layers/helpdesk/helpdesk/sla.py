"""Targets for one ticket: which clock, which modifiers, and when each promise falls due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from helpdesk.accounts import Account
from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.models import ALWAYS_OPEN, ModifierCondition, Policy


@dataclass(frozen=True)
class Targets:
    severity: str
    opened_at: datetime
    factor: float
    modifiers: list[str]
    after_hours: bool
    first_response: timedelta
    first_response_due: datetime
    update_every: timedelta | None
    workaround_due: datetime | None
    resolution_due: datetime
    timezone: str
    clock: str
    notes: list[str] = field(default_factory=list)


def _condition_matches(cond: ModifierCondition, account: Account, triggers: set[str], now: datetime) -> bool:
    checks = []
    if cond.account_flags:
        checks.append(bool(account.flags & set(cond.account_flags)))
    if cond.min_arr is not None:
        checks.append(account.arr >= cond.min_arr)
    if cond.customer_for_less_than is not None:
        age = account.customer_age_days(now)
        checks.append(age is not None and timedelta(days=age) < cond.customer_for_less_than)
    if cond.industries:
        checks.append(account.industry in cond.industries)
    if cond.triggers:
        checks.append(bool(triggers & set(cond.triggers)))
    return bool(checks) and all(checks)


def applicable_modifiers(policy: Policy, account: Account, triggers: Iterable[str], now: datetime) -> list[str]:
    found = set(triggers)
    return [name for name, mod in policy.modifiers.items()
            if any(_condition_matches(c, account, found, now) for c in mod.when)]


def timezone_of(policy: Policy, severity_id: str) -> str:
    sev = policy.severities[severity_id]
    for name in (sev.clock, sev.hours_calendar):
        if name and name != ALWAYS_OPEN:
            return policy.calendars[name].timezone
    first = next(iter(policy.calendars.values()), None)
    return first.timezone if first else "UTC"


def plan(policy: Policy, severity_id: str, opened_at: datetime, account: Account,
         triggers: Iterable[str] = ()) -> Targets:
    """Due times from the policy, in business time where the severity's clock says so.

    Modifiers do not compound: the strongest applicable factor wins (50% faster beats 25%).
    """
    sev = policy.severities[severity_id]
    modifiers = applicable_modifiers(policy, account, triggers, opened_at)
    factor = min([policy.modifiers[m].factor for m in modifiers], default=1.0)
    flags = account.flags
    clock = business_hours_for(policy, sev.clock, severity=severity_id, account_flags=flags)
    after_hours = False
    first = sev.first_response
    if sev.first_response_after_hours and sev.hours_calendar:
        hours = business_hours_for(policy, sev.hours_calendar, severity=severity_id, account_flags=flags)
        if not hours.is_open(opened_at):
            after_hours, first = True, sev.first_response_after_hours
    first = first * factor
    return Targets(
        severity=severity_id,
        opened_at=opened_at,
        factor=factor,
        modifiers=modifiers,
        after_hours=after_hours,
        first_response=first,
        first_response_due=clock.add(opened_at, first),
        update_every=sev.update_every * factor if sev.update_every else None,
        workaround_due=clock.add(opened_at, sev.workaround * factor) if sev.workaround else None,
        resolution_due=clock.add(opened_at, sev.resolution * factor),
        timezone=timezone_of(policy, severity_id),
        clock=sev.clock,
    )
