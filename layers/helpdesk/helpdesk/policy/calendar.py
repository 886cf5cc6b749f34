"""Business-time arithmetic: is the desk open, and when is "4 business hours from now"?

Opening hours are wall-clock times in the calendar's IANA zone: an instant is open when the local
clock reads an open time on a day that is not a holiday. So a 00:00-24:00 day lasts 23 h or 25 h
across DST, a range starting inside the spring-forward gap opens when the clock jumps, and a range
inside the repeated fall-back hour is open both times round. Each local day becomes a few UTC spans,
computed once and cached, so arithmetic walks day by day, never minute by minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar, get_args
from zoneinfo import ZoneInfo

from helpdesk import prebuilt
from helpdesk.core.errors import PolicyError
from helpdesk.policy.models import ALWAYS_OPEN, Calendar, OpeningRange, Policy, Weekday

Span = tuple[datetime, datetime]
Range = tuple[timedelta, timedelta]
T = TypeVar("T", int, datetime)
_ZERO = timedelta(0)
_DAY = timedelta(days=1)
# UTC offsets lie within -12h..+14h, so a local day's instants all fall inside this window around it.
_BEFORE, _AFTER = timedelta(hours=15), timedelta(hours=39)
_MAX_CLOSED_DAYS = 400  # closed for over a year is a broken calendar, not a long weekend; stop walking


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"business-time arithmetic needs aware datetimes, got {instant!r}")
    return instant.astimezone(UTC)


def _merge(spans: Iterable[tuple[T, T]]) -> tuple[tuple[T, T], ...]:
    """Sort and union overlapping or touching half-open spans."""
    out: list[tuple[T, T]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def _week(weeks: Iterable[dict[Weekday, list[OpeningRange]]]) -> tuple[tuple[Range, ...], ...]:
    """Per weekday (Monday first), the union of every week's ranges as offsets from local midnight."""
    weeks = list(weeks)
    merged = (_merge(r.seconds() for w in weeks for r in w.get(day, ())) for day in get_args(Weekday))
    return tuple(tuple((timedelta(seconds=a), timedelta(seconds=b)) for a, b in day) for day in merged)


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdiv: str | None, cats: tuple[str, ...], year: int) -> frozenset[date]:
    compiled = prebuilt.holidays(country, subdiv, cats, year)  # the usual years, without loading any rules
    if compiled is not None:
        return compiled
    import holidays  # deferred: 24x7-only policies never pay for loading holiday rules

    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year, categories=cats or None))


def _applicable_variants(calendar: Calendar, severity: str | None, flags: set[str]) -> list[Any]:
    return [v for v in calendar.variants.values()
            if (severity is not None and severity in v.applies_to.severities)
            or flags.intersection(v.applies_to.account_flags)]


def _check_holiday_source(country: str, subdiv: str | None, cats: tuple[str, ...]) -> None:
    """Fail at load on an unknown country, subdivision or category, not mid-ticket."""
    if prebuilt.holiday_source_known(country, subdiv, cats):
        return
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdiv, categories=cats or None)
    except (NotImplementedError, ValueError, KeyError) as exc:
        raise PolicyError(f"calendar holidays: {exc}") from exc


class BusinessHours:
    """Weekly opening hours + holidays in one IANA timezone."""

    def __init__(
        self, calendar: Calendar, *, severity: str | None = None, account_flags: Iterable[str] = ()
    ) -> None:
        variants = _applicable_variants(calendar, severity, set(account_flags))
        self._tz = ZoneInfo(calendar.timezone)
        self._normal = _week([calendar.hours, *(v.hours for v in variants)])
        self._on_holidays = _week(v.hours for v in variants if v.open_on_holidays)
        if not any(self._normal):
            raise PolicyError(f"calendar ({calendar.timezone}) has no opening hours in the week")
        self._extra_holidays = frozenset(calendar.extra_holidays)
        source = calendar.holidays
        self._source = source and (source.country, source.subdivision, tuple(source.categories))
        if self._source:
            _check_holiday_source(*self._source)
        self._day = lru_cache(maxsize=4096)(self._compute_day)

    def _is_holiday(self, day: date) -> bool:
        public = self._source and _public_holidays(*self._source, day.year)
        return day in self._extra_holidays or bool(public and day in public)

    def _offset(self, instant: datetime) -> timedelta:
        return instant.astimezone(self._tz).utcoffset() or _ZERO

    def _pieces(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime, timedelta]]:
        """Split [lo, hi) into runs of constant UTC offset (bisecting to the second of each change)."""
        first = self._offset(lo)
        if first == self._offset(hi):
            return [(lo, hi, first)]
        a, b = 0, int((hi - lo).total_seconds())
        while b - a > 1:
            mid = (a + b) // 2
            a, b = (mid, b) if self._offset(lo + timedelta(seconds=mid)) == first else (a, mid)
        change = lo + timedelta(seconds=b)
        return [(lo, change, first), *self._pieces(change, hi)]

    def _compute_day(self, day: date) -> tuple[Span, ...]:
        """The UTC spans whose local wall clock reads an open time on `day`."""
        ranges = (self._on_holidays if self._is_holiday(day) else self._normal)[day.weekday()]
        if not ranges:
            return ()
        wall = datetime.combine(day, time(), UTC)  # local midnight's reading, as if it were UTC
        spans = []
        for lo, hi, offset in self._pieces(wall - _BEFORE, wall + _AFTER):
            for a, b in ranges:
                start = max(wall + a - offset, lo)
                end = min(wall + b - offset, hi)
                if start < end:
                    spans.append((start, end))
        return _merge(spans)

    def _walk(self, instant: datetime) -> Iterator[Span]:
        """Open spans ending at or after `instant`, in order, for as long as the caller asks."""
        day = instant.astimezone(self._tz).date() - _DAY
        closed = 0
        while closed <= _MAX_CLOSED_DAYS:
            spans = self._day(day)
            yield from (span for span in spans if span[1] >= instant)
            closed = 0 if spans else closed + 1
            day += _DAY
        raise PolicyError(f"calendar ({self._tz.key}) is closed for over {_MAX_CLOSED_DAYS} days from {day}")

    def _current(self, instant: datetime) -> Span:
        """The first span that ends after `instant`; it may not have started yet."""
        return next(span for span in self._walk(instant) if span[1] > instant)

    def is_open(self, instant: datetime) -> bool:
        instant = _utc(instant)
        return self._current(instant)[0] <= instant

    def lands_in_open_time(self, instant: datetime) -> bool:
        """Open, or exactly at the end of an open span (where a due time may land)."""
        instant = _utc(instant)
        return next(self._walk(instant))[0] <= instant

    def next_open(self, instant: datetime) -> datetime:
        instant = _utc(instant)
        return max(self._current(instant)[0], instant)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant the last second of `duration` business time is used up, from `start`."""
        if duration < _ZERO:
            raise ValueError(f"cannot add a negative duration: {duration}")
        start = _utc(start)
        if not duration:
            return start
        left = duration
        for span_start, span_end in self._walk(start):
            span_start = max(span_start, start)
            if left <= span_end - span_start:
                return span_start + left
            left -= span_end - span_start
        raise AssertionError("unreachable: _walk raises rather than running dry")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return sum((e - s for s, e in self.spans(start, end)), _ZERO)

    def spans(self, start: datetime, end: datetime) -> Iterator[Span]:
        start, end = _utc(start), _utc(end)
        for s, e in self._walk(start):
            s = max(s, start)
            if s >= end:
                return
            if e > s:
                yield s, min(e, end)


class AlwaysOpen:
    """The 24x7 clock: business time is elapsed time."""

    def is_open(self, instant: datetime) -> bool:
        _utc(instant)
        return True

    def lands_in_open_time(self, instant: datetime) -> bool:
        return self.is_open(instant)

    def next_open(self, instant: datetime) -> datetime:
        return _utc(instant)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration < _ZERO:
            raise ValueError(f"cannot add a negative duration: {duration}")
        return _utc(start) + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(_utc(end) - _utc(start), _ZERO)

    def spans(self, start: datetime, end: datetime) -> Iterator[Span]:
        start, end = _utc(start), _utc(end)
        if end > start:
            yield start, end


_ALWAYS_OPEN = AlwaysOpen()
# Values keep their policy alive, so an id() in a key can never be reused by another policy.
_CACHE: dict[tuple[int, str, str | None, frozenset[str]], tuple[Policy, BusinessHours]] = {}


def business_hours_for(
    policy: Policy, calendar_name: str, *, severity: str | None = None, account_flags: Iterable[str] = ()
) -> BusinessHours | AlwaysOpen:
    """The clock for `calendar_name` ("24x7" or a key of `policy.calendars`), cached per policy."""
    if calendar_name == ALWAYS_OPEN:
        return _ALWAYS_OPEN
    key = (id(policy), calendar_name, severity, frozenset(account_flags))
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not policy:
        if calendar_name not in policy.calendars:
            raise PolicyError(f"unknown calendar {calendar_name!r}; known: {', '.join(policy.calendars)}")
        try:
            hours = BusinessHours(policy.calendars[calendar_name], severity=severity, account_flags=key[3])
        except PolicyError as exc:
            raise PolicyError(f"calendars.{calendar_name}: {exc}") from exc
        if len(_CACHE) >= 256:  # policies are few; a reload simply starts afresh
            _CACHE.clear()
        hit = _CACHE[key] = (policy, hours)
    return hit[1]
