"""Durations as people write them in policy files: `15m`, `2h`, `1d`, `1w`, `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")


def parse_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise PydanticCustomError("duration", "durations cannot be negative")
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.startswith("-"):
            raise PydanticCustomError("duration", "durations cannot be negative, got {value}", {"value": repr(value)})
        if _WHOLE.match(text):
            seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
            return timedelta(seconds=seconds)
    raise PydanticCustomError("duration", "expected a duration like '15m', '2h', '1d' or '1w'")


def format_duration(value: timedelta) -> str:
    """Inverse of parse_duration, using the largest exact units (`90m` -> `1h30m`)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def humanize(value: timedelta) -> str:
    """Customer-facing wording: `15 minutes`, `2 hours`, `1 day`, `2 weeks`, `1 hour 30 minutes`."""
    seconds = int(value.total_seconds())
    names = (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60))
    words = []
    for name, size in names:
        count, seconds = divmod(seconds, size)
        if count:
            words.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(words) or "0 minutes"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
