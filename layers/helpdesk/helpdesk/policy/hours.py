"""Opening hours and calendars in the policy file: weekly ranges, holidays, variants, timezones."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALWAYS_OPEN = "24x7"
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {value!r}") from exc
    return value


def _valid_span(h1: int, m1: int, h2: int, m2: int) -> bool:
    """Hours 0-23 to start, 0-24 to end (24:00 only on the hour), minutes 0-59."""
    return h1 <= 23 and m1 <= 59 and h2 <= 24 and m2 <= 59 and not (h2 == 24 and m2)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpeningRange(Strict):
    """One span of opening hours within a day; `end` of 24:00 is written as `00:00`."""

    start: time
    end: time | None  # None means midnight at the end of the day

    @classmethod
    def parse(cls, text: str) -> OpeningRange:
        match = _RANGE.match(text.strip())
        if not match:
            raise ValueError(f"expected opening hours like '07:00-19:00', got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if not _valid_span(h1, m1, h2, m2):
            raise ValueError(f"not a time of day in {text!r}")
        start = time(h1, m1)
        end = None if (h2, m2) in ((24, 0), (0, 0)) else time(h2, m2)
        if end is not None and end <= start:
            raise ValueError(f"opening hours must end after they start: {text!r}")
        return cls(start=start, end=end)

    @model_serializer
    def _as_text(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"

    def seconds(self) -> tuple[int, int]:
        end = 86400 if self.end is None else self.end.hour * 3600 + self.end.minute * 60
        return self.start.hour * 3600 + self.start.minute * 60, end


def _parse_week(value: object) -> object:
    """Accept `{mon: "07:00-19:00"}`, lists of ranges, or `{mon-fri: ...}` shorthands."""
    if not isinstance(value, dict):
        return value
    week: dict[str, list[OpeningRange]] = {}
    for key, spans in value.items():
        days = _expand_days(str(key))
        items = spans if isinstance(spans, list) else [s for s in str(spans).split(",") if s.strip()]
        ranges = [s if isinstance(s, OpeningRange) else OpeningRange.parse(str(s)) for s in items]
        for day in days:
            week.setdefault(day, []).extend(ranges)
    return week


def _expand_days(key: str) -> list[str]:
    key = key.strip().lower()
    if "-" in key:
        first, last = key.split("-", 1)
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"unknown weekday range {key!r}; use mon..sun")
        i, j = WEEKDAYS.index(first), WEEKDAYS.index(last)
        return list(WEEKDAYS[i : j + 1])
    if key not in WEEKDAYS:
        raise ValueError(f"unknown weekday {key!r}; use mon..sun")
    return [key]


class HolidaySource(Strict):
    """Public holidays from the `holidays` package."""

    country: str
    subdivision: str | None = None
    categories: list[str] = Field(default_factory=list)


class AppliesTo(Strict):
    severities: list[str] = Field(default_factory=list)
    account_flags: list[str] = Field(default_factory=list)


class CalendarVariant(Strict):
    """Extra opening hours that apply to some tickets (strategic accounts, critical issues)."""

    description: str = ""
    hours: dict[Weekday, list[OpeningRange]]
    applies_to: AppliesTo
    open_on_holidays: bool = False

    @field_validator("hours", mode="before")
    @classmethod
    def _week(cls, value: object) -> object:
        return _parse_week(value)


class Calendar(Strict):
    timezone: str
    hours: dict[Weekday, list[OpeningRange]]
    holidays: HolidaySource | None = None
    extra_holidays: list[date] = Field(default_factory=list)
    variants: dict[str, CalendarVariant] = Field(default_factory=dict)

    @field_validator("hours", mode="before")
    @classmethod
    def _week(cls, value: object) -> object:
        return _parse_week(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


