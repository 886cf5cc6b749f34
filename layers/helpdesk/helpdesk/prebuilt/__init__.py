"""Data compiled ahead of time from inputs that never change at run time, so a cold start loads
it instead of computing it: the bundled public suffix list as parsed rules, the holiday tables of
the presets' calendars, and every preset policy as its validated document.

`python -m helpdesk.prebuilt.build` writes `data/`; a test fails when it is stale. Each table is
keyed by what it was built from (library version, source digest), and a miss falls back to the
slow path, so a stale table can make a cold start slower but never wrong.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
HOLIDAY_YEARS = range(2024, 2037)


@cache
def table(name: str) -> dict[str, Any]:
    path = DATA / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def holiday_key(country: str, subdiv: str | None, categories: tuple[str, ...]) -> str:
    return "|".join([country, subdiv or "", ",".join(categories)])


def holidays(country: str, subdiv: str | None, categories: tuple[str, ...], year: int) -> frozenset[date] | None:
    """The public holidays of one calendar and year, or None when they were not compiled."""
    days = table("holidays").get("calendars", {}).get(holiday_key(country, subdiv, categories), {}).get(str(year))
    return None if days is None else frozenset(date.fromisoformat(d) for d in days)


def holiday_source_known(country: str, subdiv: str | None, categories: tuple[str, ...]) -> bool:
    """True when the calendar was compiled, which proves the country and subdivision exist."""
    return holiday_key(country, subdiv, categories) in table("holidays").get("calendars", {})


def public_suffixes() -> tuple[frozenset[str], int] | None:
    """The parsed public suffix rules and their longest label count, or None when not compiled."""
    data = table("public_suffixes")
    return (frozenset(data["rules"]), int(data["max_labels"])) if data else None


def source_digest(*texts: str) -> str:
    return hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()


def lexicon_data(name: str, text: str) -> dict[str, Any] | None:
    """The classifier lexicon's parsed YAML, when it was compiled from exactly this text."""
    entry = table("lexicons").get(name)
    return entry["data"] if entry and entry["source"] == source_digest(text) else None


def policy_document(name: str, digest: str) -> dict[str, Any] | None:
    """A preset's validated document, when it was compiled from exactly these source texts."""
    entry = table("policies").get(name)
    return entry["document"] if entry and entry["source"] == digest else None
