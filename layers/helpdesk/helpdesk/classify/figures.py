"""Impact figures: money per hour, how many people are affected, and how much slower things got."""

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
_DURATION = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?)(?:\s*(?:-|to|–)\s*(\d+(?:[.,]\d+)?))?\s*"
    r"(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?)\b", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "mil": 0.001, "s": 1, "sec": 1, "min": 60, "h": 3600, "hr": 3600, "hou": 3600,
                 "day": 86400}
_WORD_DURATION = re.compile(r"\b(?:a|one|about a|almost a)\s+(minute|hour|second)\b|\binstant(?:ly)?\b|"
                            r"\bunder a second\b", re.IGNORECASE)
_COMPARE = re.compile(r"\b(?:from|before|normally|usually|used to|compared|previously|instead of|was|were|"
                      r"now|since|last (?:week|month)|normal)\b", re.IGNORECASE)
_HOURS_MINUTES = re.compile(r"\b(\d+)\s?h\s?(\d+)\s?m(?:in)?\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


@dataclass(frozen=True)
class Figure:
    kind: str  # money_per_hour | people | everyone | slowdown
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


def _seconds(match: re.Match[str]) -> float:
    unit = match.group(3).lower()
    factor = next((v for k, v in _UNIT_SECONDS.items() if unit.startswith(k)), 1.0)
    if unit in ("m",):
        factor = 60.0
    high = match.group(2) or match.group(1)
    return float(high.replace(",", ".")) * factor


def _word_seconds(match: re.Match[str]) -> float:
    word = match.group(0).lower()
    if "instant" in word or "under a second" in word:
        return 0.5
    return {"second": 1.0, "minute": 60.0, "hour": 3600.0}[match.group(1).lower()]


def slowdown(text: str) -> Figure | None:
    """The largest ratio between two durations compared in one sentence or two adjacent ones."""
    text = _HOURS_MINUTES.sub(lambda m: f"{int(m.group(1)) + int(m.group(2)) / 60:.2f} hours", text[:20_000])
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    best: Figure | None = None
    for i, sentence in enumerate(sentences):
        window = sentence + " " + (sentences[i + 1] if i + 1 < len(sentences) else "")
        if not _COMPARE.search(window):
            continue
        values = [_seconds(m) for m in itertools.islice(_DURATION.finditer(window), 8)]
        values += [_word_seconds(m) for m in itertools.islice(_WORD_DURATION.finditer(window), 4)]
        values = [v for v in values if v > 0]
        if len(values) < 2:
            continue
        ratio = max(values) / min(values)
        if ratio < 200 and (best is None or ratio > best.value):
            best = Figure("slowdown", ratio, " ".join(sentence.split())[:120], 0)
    return best
