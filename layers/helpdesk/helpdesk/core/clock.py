"""The one place that knows what time it is.

Domain code asks the clock it was given; handlers pass `current_clock()`. The local runtime
installs a virtual clock so a two-day lifecycle runs in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


_installed: Clock = SystemClock()


def current_clock() -> Clock:
    return _installed


def install_clock(clock: Clock) -> Clock:
    """Replace the process clock; returns the previous one so callers can restore it."""
    global _installed
    previous, _installed = _installed, clock
    return previous


def iso(instant: datetime) -> str:
    """Fixed-width UTC timestamp that sorts lexically (used as DynamoDB sort keys)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# How people read an instant in their timezone; one table, so every message says times the same way.
LOCAL_FORMATS = {
    "time": "%a %d %b %H:%M %Z",  # Mon 23 Nov 09:15 PST
    "long": "%a %d %b %Y, %H:%M %Z",  # Mon 23 Nov 2026, 09:15 PST
    "day": "%a %d %b",  # Mon 23 Nov
    "date": "%a %d %b %Y",  # Mon 23 Nov 2026
    "weekday_time": "%a %H:%M",  # Mon 09:15
    "month_day": "%d %B %Y",  # 23 November 2026
}


def local_text(value: datetime | str | None, zone: tzinfo, style: str = "time") -> str | None:
    """An instant (or a stored ISO timestamp) as people read it in their timezone."""
    if not value:
        return None
    instant = parse_iso(value) if isinstance(value, str) else value
    return instant.astimezone(zone).strftime(LOCAL_FORMATS[style])
