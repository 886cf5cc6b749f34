"""Targets for one ticket: which clock, which modifiers, and when each promise falls due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from helpdesk.accounts.model import Account
from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.escalations import ALL_CLOCKS
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
    paused: timedelta = timedelta(0)  # clock time spent waiting on the customer, added to every target
    factors: dict[str, float] = field(default_factory=dict)  # per clock: a modifier names the clocks it scales

    def factor_for(self, clock: str) -> float:
        return self.factors.get(clock, self.factor)

    def due(self, policy: Policy, account: Account, duration: timedelta) -> datetime:
        """When `duration` of this ticket's clock has run, counting from opening and skipping pauses."""
        clock = business_hours_for(policy, self.clock, severity=self.severity, account_flags=account.flags)
        return clock.add(self.opened_at, duration + self.paused)


def due_fields(targets: Targets) -> dict[str, object]:
    """The ticket fields that mirror a plan's targets (set on opening, re-plans and resumes)."""
    return {"first_response_due": targets.first_response_due, "resolution_due": targets.resolution_due,
            "workaround_due": targets.workaround_due,
            "first_response_seconds": int(targets.first_response.total_seconds()),
            "update_every_seconds": int(targets.update_every.total_seconds()) if targets.update_every else None}


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


def clock_factors(policy: Policy, modifiers: list[str]) -> dict[str, float]:
    """The strongest applicable factor for each clock, among the modifiers that name that clock."""
    return {clock: min([policy.modifiers[m].factor for m in modifiers if clock in policy.modifiers[m].clocks],
                       default=1.0) for clock in ALL_CLOCKS}


def timezone_of(policy: Policy, severity_id: str) -> str:
    sev = policy.severities[severity_id]
    for name in (sev.clock, sev.hours_calendar):
        if name and name != ALWAYS_OPEN:
            return policy.calendars[name].timezone
    first = next(iter(policy.calendars.values()), None)
    return first.timezone if first else "UTC"


def plan(policy: Policy, severity_id: str, opened_at: datetime, account: Account,
         triggers: Iterable[str] = (), paused: timedelta = timedelta(0)) -> Targets:
    """Due times from the policy, in business time where the severity's clock says so.

    Modifiers do not compound: the strongest applicable factor wins (50% faster beats 25%).
    """
    sev = policy.severities[severity_id]
    modifiers = applicable_modifiers(policy, account, triggers, opened_at)
    factors = clock_factors(policy, modifiers)
    factor = min(factors.values(), default=1.0)
    flags = account.flags
    clock = business_hours_for(policy, sev.clock, severity=severity_id, account_flags=flags)
    after_hours = False
    first = sev.first_response
    if sev.first_response_after_hours and sev.hours_calendar:
        hours = business_hours_for(policy, sev.hours_calendar, severity=severity_id, account_flags=flags)
        if not hours.is_open(opened_at):
            after_hours, first = True, sev.first_response_after_hours
    first = first * factors["first_response"]
    return Targets(
        severity=severity_id,
        opened_at=opened_at,
        factor=factor,
        modifiers=modifiers,
        after_hours=after_hours,
        first_response=first,
        first_response_due=clock.add(opened_at, first + paused),
        update_every=sev.update_every * factors["update"] if sev.update_every else None,
        workaround_due=clock.add(opened_at, sev.workaround * factors["workaround"] + paused)
        if sev.workaround else None,
        resolution_due=clock.add(opened_at, sev.resolution * factors["resolution"] + paused),
        timezone=timezone_of(policy, severity_id),
        clock=sev.clock,
        paused=paused,
        factors=factors,
    )


@dataclass(frozen=True)
class Milestone:
    """One promise on a ticket's timeline: when it falls due and what happens then."""

    kind: str  # first_response | update | warning | escalation | workaround | resolution
    at: datetime
    label: str
    level: str | None = None
    condition: str | None = None
    step: int | None = None
    repeat: int | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "at": self.at.isoformat(), "label": self.label}
        for name in ("level", "condition", "step", "repeat"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


MAX_UPDATES = 200


def escalation_steps(policy: Policy, targets: Targets, account: Account) -> list[Milestone]:
    """Each step of the severity's chain, with its repeats, on the severity's clock."""
    out = []
    for index, step in enumerate(policy.escalation.get(targets.severity, [])):
        for repeat in range(step.repeat_times + 1):
            delay = step.after + (step.repeat_every or timedelta(0)) * repeat
            at = targets.due(policy, account, delay * targets.factor_for("escalation"))
            level = policy.levels[step.level].name
            out.append(Milestone("escalation", at, f"escalate to {step.level} ({level}) unless {step.unless}",
                                 level=step.level, condition=step.unless, step=index, repeat=repeat))
    return out


def warnings_for(policy: Policy, targets: Targets, account: Account) -> list[Milestone]:
    """Breach warnings to the owner at the policy's fractions of each target (default 75% and 90%)."""
    sev = policy.severities[targets.severity]
    out = []
    clocks = [("first_response", targets.first_response)]
    clocks.append(("resolution", sev.resolution * targets.factor_for("resolution")))
    for name, target in clocks:
        for fraction in policy.thresholds.breach_warnings:
            at = targets.due(policy, account, target * fraction)
            out.append(Milestone("warning", at, f"{int(fraction * 100)}% of the {name.replace('_', ' ')} target",
                                 condition=name))
    return out


def next_update(policy: Policy, targets: Targets, account: Account, after: datetime) -> datetime | None:
    """Cadence runs on the wall clock; on a business clock an update due while closed waits for opening."""
    if not targets.update_every:
        return None
    clock = business_hours_for(policy, targets.clock, severity=targets.severity, account_flags=account.flags)
    return clock.next_open(after + targets.update_every)


def update_times(policy: Policy, targets: Targets, account: Account, until: datetime) -> list[datetime]:
    times: list[datetime] = []
    at = next_update(policy, targets, account, targets.opened_at)
    while at is not None and at < until and len(times) < MAX_UPDATES:
        times.append(at)
        at = next_update(policy, targets, account, at)
    return times


def schedule(policy: Policy, targets: Targets, account: Account) -> list[Milestone]:
    """Every due time of a ticket opened now and never touched: what `policy simulate` prints."""
    out = [Milestone("first_response", targets.first_response_due, "first response due")]
    out += [Milestone("update", at, f"customer update #{i + 1}")
            for i, at in enumerate(update_times(policy, targets, account, targets.resolution_due))]
    out += warnings_for(policy, targets, account)
    out += escalation_steps(policy, targets, account)
    if targets.workaround_due:
        out.append(Milestone("workaround", targets.workaround_due, "workaround due"))
    out.append(Milestone("resolution", targets.resolution_due, "resolution due"))
    return sorted(out, key=lambda m: (m.at, m.kind))
