"""Report periods: weeks, months, quarters and years in the policy's timezone, and custom ranges.

A period runs from local midnight to local midnight, so a quarter that spans a DST change is a
few hours shorter or longer than its days times 24, and each of its months starts at its own
local midnight. Periods are kept in UTC; labels (2026-11, 2026-Q4, 2026, 2026-W47) are safe in
an S3 key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive, aware UTC
    timezone: str
    label: str
    kind: str  # week | month | quarter | year | range
    title: str

    def contains(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when < self.end

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _next_month(day: date) -> date:
    return add_months(day, 1)


def previous_period(kind: str, now: datetime, timezone: str) -> Period:
    """The last full week (Monday to Monday), month, quarter or year before `now`, in `timezone`."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if kind == "week":
        end = today - timedelta(days=today.weekday())
        start = end - timedelta(days=7)
    elif kind in ("month", "quarter", "year"):
        length = {"month": 1, "quarter": 3, "year": 12}[kind]
        first_month = {"month": today.month, "quarter": today.month - (today.month - 1) % 3, "year": 1}[kind]
        end = date(today.year, first_month, 1)
        start = add_months(end, -length)
    else:
        raise ValueError(f"unknown report period {kind!r}; use week, month, quarter or year")
    return make_period(local_midnight(start, timezone), local_midnight(end, timezone), timezone)


def make_period(start: datetime, end: datetime, timezone: str) -> Period:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("report bounds need a timezone")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValueError("a report period must end after it starts")
    zone = ZoneInfo(timezone)
    s, e = start.astimezone(zone), end.astimezone(zone)
    if s.time() != time(0) or e.time() != time(0):
        label = f"{s:%Y-%m-%dT%H%M}_{e:%Y-%m-%dT%H%M}"
        return Period(start, end, timezone, label, "range", f"{s:%d %b %Y %H:%M} to {e:%d %b %Y %H:%M %Z}")
    return _calendar_period(start, end, timezone, s.date(), e.date())


def _calendar_period(start: datetime, end: datetime, timezone: str, s: date, e: date) -> Period:
    last_day = e - timedelta(days=1)
    if s.day == 1 and e == _next_month(s):
        return Period(start, end, timezone, f"{s:%Y-%m}", "month", f"{s:%B %Y}")
    if s.day == 1 and s.month % 3 == 1 and e == add_months(s, 3):
        quarter = (s.month - 1) // 3 + 1
        return Period(start, end, timezone, f"{s.year}-Q{quarter}", "quarter",
                      f"Q{quarter} {s.year} ({s:%B} to {last_day:%B})")
    if s.day == 1 and s.month == 1 and e == date(s.year + 1, 1, 1):
        return Period(start, end, timezone, f"{s.year}", "year", f"{s.year}")
    if s.weekday() == 0 and (e - s).days == 7:
        year, week, _ = s.isocalendar()
        return Period(start, end, timezone, f"{year}-W{week:02d}", "week",
                      f"Week {week}: {s:%a %d %b} to {last_day:%a %d %b %Y}")
    return Period(start, end, timezone, f"{s:%Y-%m-%d}_{e:%Y-%m-%d}", "range", f"{s:%d %b %Y} to {last_day:%d %b %Y}")


def period_of(label: str, timezone: str) -> Period:
    """The period a label names: 2026-11, 2026-Q4, 2026 or 2026-W47."""
    text = label.strip()
    if match := _MONTH.match(text):
        start = date(int(match[1]), int(match[2]), 1)
        end = add_months(start, 1)
    elif match := _QUARTER.match(text):
        start = date(int(match[1]), 3 * int(match[2]) - 2, 1)
        end = add_months(start, 3)
    elif match := _YEAR.match(text):
        start, end = date(int(text), 1, 1), date(int(text) + 1, 1, 1)
    elif match := _WEEK.match(text):
        start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        end = start + timedelta(days=7)
    else:
        raise ValueError(f"{label!r}: expected a month (2026-11), quarter (2026-Q4), year (2026) or week (2026-W47)")
    return make_period(local_midnight(start, timezone), local_midnight(end, timezone), timezone)


def months_of(period: Period) -> list[Period]:
    """The calendar months a month, quarter or year is made of (local midnights, DST included)."""
    zone = ZoneInfo(period.timezone)
    first = period.start.astimezone(zone).date().replace(day=1)
    months = []
    while local_midnight(first, period.timezone) < period.end:
        months.append(make_period(local_midnight(first, period.timezone),
                                  local_midnight(_next_month(first), period.timezone), period.timezone))
        first = _next_month(first)
    return months


def months_before(period: Period, count: int) -> list[Period]:
    """The `count` calendar months ending with the last month of `period`, oldest first."""
    zone = ZoneInfo(period.timezone)
    last = (period.end.astimezone(zone) - timedelta(microseconds=1)).date().replace(day=1)
    starts = [add_months(last, -n) for n in range(count - 1, -1, -1)]
    return [make_period(local_midnight(s, period.timezone), local_midnight(add_months(s, 1), period.timezone),
                        period.timezone) for s in starts]


def period_before(period: Period) -> Period | None:
    """The period of the same kind just before this one (None for a custom range)."""
    zone = ZoneInfo(period.timezone)
    s = period.start.astimezone(zone).date()
    if period.kind == "week":
        start = s - timedelta(days=7)
    elif period.kind in ("month", "quarter", "year"):
        start = add_months(s, -{"month": 1, "quarter": 3, "year": 12}[period.kind])
    else:
        return None
    return make_period(local_midnight(start, period.timezone), period.start, period.timezone)


def resolved_months(start: datetime, end: datetime) -> list[str]:
    """The `resolved#YYYY-MM` partitions (UTC months of `resolved_at`) overlapping [start, end)."""
    first = start.astimezone(UTC).date().replace(day=1)
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    months = []
    while first <= last:
        months.append(f"{first:%Y-%m}")
        first = _next_month(first)
    return months
