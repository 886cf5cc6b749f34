"""When aftercare happens: follow-ups, the survey and reviews on working days, spaced by the policy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.hours import ALWAYS_OPEN
from helpdesk.sla.targets import timezone_of

if TYPE_CHECKING:
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.context import TicketContext


def working_moment(policy: Policy, severity_id: str, at: datetime, flags: Iterable[str] = (), *,
                   always: bool = False) -> datetime:
    """`at`, moved to the next open moment of a business-time severity's calendar.

    On a 24x7 severity the time stands, unless `always` (staff reviews): then a weekend moves to
    the Monday, at the same local time.
    """
    clock_name = policy.severities[severity_id].clock
    if clock_name != ALWAYS_OPEN:
        return business_hours_for(policy, clock_name, severity=severity_id, account_flags=flags).next_open(at)
    if not always:
        return at
    zone = ZoneInfo(timezone_of(policy, severity_id))
    local = at.astimezone(zone)
    while local.weekday() >= 5:  # noqa: PLR2004 - Saturday and Sunday
        local += timedelta(days=1)
    return local.astimezone(at.tzinfo)


def aftercare(ctx: TicketContext, resolved: datetime) -> list[tuple[str, str, datetime, dict[str, Any]]]:
    """The follow-ups and the survey, in order: each at least `spacing` after the one before and,
    for business-time severities, on a working day. A follow-up goes before a survey due at the
    same moment: first "is it still working?", then "how did we do?".
    """
    policy = ctx.policy
    later: list[tuple[str, str, timedelta, dict[str, Any]]] = [
        ("survey", "survey", policy.resolution.survey_after, {})]
    later += [(f"followup#{i + 1}", "followup", after, {"index": i + 1, "after": int(after.total_seconds())})
              for i, after in enumerate(policy.severities[ctx.severity].follow_ups)]
    planned, previous = [], resolved
    for suffix, kind, after, payload in sorted(later, key=lambda entry: (entry[2], entry[1] == "survey")):
        at = working_moment(policy, ctx.severity, max(resolved + after, previous + policy.resolution.spacing),
                            ctx.account.flags)
        planned.append((suffix, kind, at, payload))
        previous = at
    return planned


def weekday_before(due: datetime, zone: ZoneInfo) -> datetime:
    """The weekday before `due` (a Monday deadline is reminded on the Friday), same local time."""
    local = due.astimezone(zone) - timedelta(days=1)
    while local.weekday() >= 5:  # noqa: PLR2004 - Saturday and Sunday
        local -= timedelta(days=1)
    return local.astimezone(due.tzinfo)


def formal_review_due(policy: Policy, ctx: TicketContext, resolved: datetime) -> datetime:
    """The formal review's deadline: `formal_review_after` from resolution, on a weekday."""
    return working_moment(policy, ctx.severity, resolved + policy.resolution.formal_review_after,
                          ctx.account.flags, always=True)
