"""Impact figures: money per hour and how many people are affected (slowdowns are in slowdown.py)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_OCCURRENCES = 25
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?\s*(?:/|per|an|a|every|each)\s*"
    r"(hour|hr|h|day|minute|min)\b", re.IGNORECASE)
_PER_HOUR = {"hour": 1.0, "hr": 1.0, "h": 1.0, "day": 1 / 24, "minute": 60.0, "min": 60.0}
_PEOPLE = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:of\s+(?:our|the|my)\s+)?(?:[a-z-]+\s+){0,2}?"
    r"(users|employees|people|staff|agents|customers|stores|clinicians|nurses|doctors|locations|members|shops|"
    r"branches|clinics|pharmacies|practices|analysts|adjusters|drivers|tellers|merchants|physicians|providers|"
    r"persons|colleagues|sites|offices|hospitals|registers|terminals|tills|schools|teachers|students|patients)\b")
_EVERYONE = re.compile(
    r"\b(?:all(?:\s+of)?(?:\s+(?:our|the|my))?\s+(?:\d[\d,]*\s+)?(?:[a-z-]+\s+)?"
    r"(?:users|employees|staff|people|agents|customers|clinicians|nurses|doctors|members|stores|shops|branches|"
    r"clinics|locations|pharmacies|tellers|adjusters|drivers|physicians|merchants|colleagues)"
    r"|every\s+(?:single\s+)?(?:user|employee|agent|customer|member|store|branch|clinic|register|shop)"
    r"|everyone|everybody|nobody|no one"
    r"|(?:our|the)\s+(?:entire|whole)\s+(?:company|organi[sz]ation|org|business|staff|workforce|hospital|team))\b")


@dataclass(frozen=True)
class Figure:
    kind: str  # money_per_hour | people | everyone
    value: float
    phrase: str
    start: int


def _amount(number: str, scale: str | None, unit: str | None = None) -> float:
    value = float(number.replace(",", ""))
    value *= {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get((scale or "").lower(), 1)
    return value * _PER_HOUR.get((unit or "hour").lower(), 1.0)


def money(text: str) -> list[Figure]:
    if "$" not in text:
        return []
    return [Figure("money_per_hour", _amount(m.group(1), m.group(2), m.group(3)), " ".join(m.group(0).split()),
                   m.start()) for m in itertools.islice(_MONEY.finditer(text), MAX_OCCURRENCES)]


def people(text: str) -> list[Figure]:
    found = [Figure("people", _amount(m.group(1), None), " ".join(m.group(0).split()), m.start())
             for m in itertools.islice(_PEOPLE.finditer(text), MAX_OCCURRENCES)]
    found += [Figure("everyone", float("inf"), " ".join(m.group(0).split()), m.start())
              for m in itertools.islice(_EVERYONE.finditer(text), MAX_OCCURRENCES)]
    return found
