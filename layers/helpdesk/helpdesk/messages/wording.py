"""How customer mail says times, targets, names and sign-offs, in one place.

A target is one unit a customer can picture plus the moment it falls due ("within 2 business
days, by Mon 30 Nov 19:00 PST"), never a sum of units. On a business clock the unit is the
calendar's working day, so 24 hours of business time on a 12-hour day reads "2 business days".
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from helpdesk.core.clock import local_text
from helpdesk.policy.hours import ALWAYS_OPEN
from helpdesk.sla.targets import timezone_of

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.records import Ticket

STYLES = ("critical", "standard", "low")
DAY = timedelta(days=1)


def business_day(policy: Policy, severity_id: str) -> timedelta | None:
    """The length of the longest working day on the severity's clock; None on a 24x7 clock."""
    clock = policy.severities[severity_id].clock
    if clock == ALWAYS_OPEN or clock not in policy.calendars:
        return None
    days = [sum(end - start for start, end in (r.seconds() for r in ranges))
            for ranges in policy.calendars[clock].hours.values()]
    longest = max(days, default=0)
    return timedelta(seconds=longest) if longest else None


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def plain_duration(value: timedelta, working_day: timedelta | None = None) -> str:
    """One unit, rounded up so a promise is never shorter than the policy's: `3 business days`."""
    seconds = max(0, int(value.total_seconds()))
    if working_day is not None and seconds >= working_day.total_seconds():
        return _count(math.ceil(seconds / working_day.total_seconds() - 1e-9), "business day")
    if seconds < 90 * 60 and seconds % 3600:
        return _count(max(1, math.ceil(seconds / 60)), "minute")
    hours = math.ceil(seconds / 3600)
    if working_day is not None:
        return _count(hours, "business hour")
    if hours <= 36:
        return _count(hours, "hour")
    days = math.ceil(seconds / 86400)
    if days >= 14 and days % 7 == 0:
        return _count(days // 7, "week")
    return _count(days, "day")


def when(instant: datetime | None, zone: ZoneInfo) -> str:
    """`Mon 30 Nov 10:00 PST`: the one way customer mail names a moment."""
    return local_text(instant, zone) or ""


def target_text(duration: timedelta | None, due: datetime | None, zone: ZoneInfo,
                working_day: timedelta | None = None) -> str:
    """`within 1 business day, by Mon 30 Nov 10:00 PST` (either half alone when the other is unknown)."""
    parts = []
    if duration:
        parts.append(f"within {plain_duration(duration, working_day)}")
    if due:
        parts.append(f"by {when(due, zone)}")
    return ", ".join(parts)


def cadence_text(every: timedelta | None) -> str | None:
    """`every 2 hours`, `every day`; None when updates go out only when there is news."""
    if not every:
        return None
    if every == DAY:
        return "every day"
    if every == timedelta(hours=1):
        return "every hour"
    return f"every {plain_duration(every)}"


def zone_for(policy: Policy, severity_id: str) -> ZoneInfo:
    return ZoneInfo(timezone_of(policy, severity_id))


def style_for(policy: Policy, severity_id: str) -> str:
    """The wording the policy chose for a severity: critical, standard or low."""
    return policy.templates.styles.get(severity_id, "standard")


def owner_name(address: str | None) -> str:
    """`dana.lee@example.com` reads as `Dana Lee`."""
    if not address:
        return ""
    local = address.split("@", 1)[0]
    words = [w for w in re.split(r"[._\-+]+", local) if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words)


def signature(ticket: Ticket, account: Account, team_name: str) -> dict[str, str]:
    """Who signs: the ticket's named owner (or whoever took it), else the account's CSM, else the team."""
    owner = ticket.owner or ticket.acknowledged_by
    if owner and "@" in owner:
        is_csm = bool(account.csm_email) and account.csm_email.lower() == owner.lower()
        name = account.csm_name if is_csm and account.csm_name else owner_name(owner)
        return {"name": name or team_name, "team": team_name, "email": owner,
                "phone": account.csm_phone if is_csm else ""}
    if account.csm_email and account.csm_name:
        return {"name": account.csm_name, "team": team_name, "email": account.csm_email,
                "phone": account.csm_phone or ""}
    return {"name": team_name, "team": "", "email": "", "phone": ""}


_GREETING = re.compile(r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^\n]{0,60}[,!:]?\s*$", re.I)
_BARE_NAME = re.compile(r"^\s*[A-Z][\w'-]{0,30}( [A-Z][\w'-]{0,30})?\s*[,!:]\s*$")
_SIGNOFF = re.compile(
    r"^\s*(thanks?( you)?( again)?( for [^\n]*)?|many thanks|best( regards)?|kind regards|regards|cheers|"
    r"sincerely|all the best|warm regards|--+)\s*[,.!]?\s*$", re.I)
_PATIENCE = re.compile(r"\s*(thank you|thanks) (so much |again )?for (your|the) (patience|understanding)[^.!\n]*[.!]?",
                       re.I)


def strip_greeting_and_signoff(text: str) -> str:
    """The substance of a staff reply: no `Dana,` on top, no `Thanks, Sam` below."""
    lines = (text or "").replace("\r\n", "\n").strip().split("\n")
    while lines and (not lines[0].strip() or _GREETING.match(lines[0]) or _BARE_NAME.match(lines[0])):
        lines.pop(0)
    if lines:  # "Dana, logins work again." : a name addressed at the start of the first line
        lines[0] = re.sub(r"^\s*(hi |hello |dear )?[A-Z][\w'-]{0,30},\s+(?=\w)", "", lines[0], flags=re.I)
        lines[0] = lines[0][:1].upper() + lines[0][1:]
    for index, line in enumerate(lines):
        if _SIGNOFF.match(line):
            lines = lines[:index]
            break
    body = "\n".join(lines).strip()
    return _PATIENCE.sub("", body).strip()


def first_alerted(policy: Policy, ticket: Ticket) -> str | None:
    """Who the severity's chain alerts straight away (`after: 0m`), by the level's name."""
    for step in policy.escalation.get(ticket.severity, []):
        if not step.after and step.level in policy.levels:
            return policy.levels[step.level].name
    return None


def done_so_far(policy: Policy, ticket: Ticket, zone: ZoneInfo) -> list[str]:
    """What has really happened on the ticket, in the customer's words; nothing is claimed ahead."""
    done = [f"Logged your report as ticket #{ticket.number} at {when(ticket.created_at, zone)} and rated it "
            f"{policy.severities[ticket.severity].name.lower()} priority."]
    for level, at in sorted(ticket.briefed_at.items(), key=lambda pair: pair[1]):
        name = policy.levels[level].name if level in policy.levels else level
        done.append(f"Briefed our {name} at {when(at, zone)}.")
    if not ticket.briefed_at:
        alerted = first_alerted(policy, ticket)
        if alerted:
            done.append(f"Alerted our {alerted} the moment your ticket opened.")
    if ticket.acknowledged_at:
        who = owner_name(ticket.acknowledged_by) or "An engineer"
        done.append(f"{who} took ownership at {when(ticket.acknowledged_at, zone)}.")
    return done


def zone_label(zone: ZoneInfo, at: datetime | None = None) -> str:
    """`America/Los_Angeles (PST)`: the zone every time in a message or listing is given in."""
    abbreviation = (at or datetime.now(zone)).astimezone(zone).strftime("%Z")
    return f"{zone.key} ({abbreviation})" if abbreviation and abbreviation != zone.key else zone.key
