"""How much slower things got: the largest factor a message states or implies.

Customers say it many ways: "40 minutes, it used to be done in about 5", "two minutes where it used to
take 10 seconds", "from 3 seconds to 50-70 seconds", "three times as long", "twice as slow", "pick rate
down 60%", "half as many orders an hour". Durations may be digits or words, and a bare number after
"instead of" or "used to take" takes the unit of the duration it is compared with.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

MAX_TEXT = 20_000
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "half an": 0.5, "half a": 0.5,
                 "a couple of": 2, "a few": 3, "several": 4}
_NUM = r"(?:\d+(?:[.,]\d+)?|" + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True)) + ")"
_UNIT = r"(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?)"
_WORD_UNIT = r"(milliseconds?|seconds?|minutes?|hours?|days?)"
_DIGITS = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(rf"(?<![\w.])({_DIGITS})(?:\s*(?:-|to|–|or)\s*({_DIGITS}))?\s*{_UNIT}\b|"
                       rf"\b({_NUM})(?:\s*(?:-|to|–|or)\s*({_NUM}))?\s+{_WORD_UNIT}\b|"
                       rf"\b(?:about|around|over|almost|nearly|takes?|took|taking|than|in|for|of|to|within)\s+"
                       rf"(an?)\s+(second|minute|hour|day)\b", re.IGNORECASE)
# A number with no unit, compared with a duration nearby: "instead of 20", "used to take about 5".
_BARE = re.compile(r"\b(?:instead of|rather than|compared (?:to|with)|versus|vs\.?|used to (?:take|be)|"
                   r"down from|up from|against|from|normally|usually|it was)\s+(?:(?:take|takes|took|be|is|are|was|"
                   r"were|run|runs) )?(?:about |around |roughly |just |"
                   rf"only |under |maybe |approximately |~)?({_NUM})(?!\s*(?:%|{_UNIT[1:-1]})\b)(?![\w.,]*\d)",
                   re.IGNORECASE)
_INSTANT = re.compile(r"\binstant(?:ly|aneous)?\b|\bunder a second\b|\bimmediate(?:ly)?\b", re.IGNORECASE)
_COMPARE = re.compile(r"\b(?:from|before|normally|usually|used to|compared|previously|instead of|was|were|"
                      r"now|since|last (?:week|month)|normal|where it|against|versus|vs)\b", re.IGNORECASE)
_TIMES = re.compile(r"\b(\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|twenty)\s*(?:x|times)\s+"
                    r"(?:slower|longer|as long|as slow|the time)\b|\b(twice)\s+(?:as long|as slow|the time)\b",
                    re.IGNORECASE)
_PERCENT_SLOWER = re.compile(r"\b(\d+)\s?%\s+(?:slower|longer)\b", re.IGNORECASE)
_THROUGHPUT = re.compile(r"\b(?:throughput|pick(?:ing)? rate|output|productivity|processing rate|capacity|speed|"
                         r"orders (?:an|per) hour)\s+(?:has |have |is |are |was )?(?:dropped|fallen|fell|down|"
                         r"decreased|reduced|gone down)\s+(?:by\s+)?(?:about |around |roughly |over |almost |nearly )?"
                         r"(\d+)\s?%", re.IGNORECASE)
_HALF = re.compile(r"\bhalf as many\b|\bhalved\b|\bhalf the (?:speed|rate|throughput)\b", re.IGNORECASE)
_HOURS_MINUTES = re.compile(r"\b(\d+)\s?h\s?(\d+)\s?m(?:in)?\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_UNIT_SECONDS = (("ms", 0.001), ("mil", 0.001), ("sec", 1.0), ("s", 1.0), ("min", 60.0), ("m", 60.0),
                 ("hr", 3600.0), ("hou", 3600.0), ("h", 3600.0), ("day", 86400.0))
MAX_RATIO = 200


@dataclass(frozen=True)
class Slowdown:
    factor: float
    phrase: str


def _number(text: str) -> float:
    word = " ".join(text.lower().split())
    if word in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[word])
    return float(word.replace(",", "."))


def _unit_seconds(unit: str) -> float:
    unit = unit.lower()
    return next(factor for prefix, factor in _UNIT_SECONDS if unit.startswith(prefix))


def _measured(m: re.Match[str]) -> tuple[float, int, str]:
    """Seconds of one duration match; its upper value when it is a range ("50-70 seconds")."""
    if m.group(7):  # "an hour", "a minute"
        return _unit_seconds(m.group(8)), m.start(), m.group(0)
    low, high, unit = next(m.groups()[i: i + 3] for i in (0, 3) if m.group(i + 1))
    return _number(high or low) * _unit_seconds(unit), m.start(), m.group(0)


def _durations(window: str) -> list[tuple[float, int, str]]:
    """(seconds, position, words) for each duration in the window, bare numbers given a neighbour's unit."""
    found = [_measured(m) for m in itertools.islice(_DURATION.finditer(window), 8)]
    for m in itertools.islice(_BARE.finditer(window), 4) if found else ():
        nearest = min(found, key=lambda d: abs(d[1] - m.start()))
        unit = re.search(_UNIT + r"\b\s*$", nearest[2], re.IGNORECASE)
        if unit:
            found.append((_number(m.group(1)) * _unit_seconds(unit.group(1)), m.start(), m.group(0)))
    found += [(0.5, m.start(), m.group(0)) for m in itertools.islice(_INSTANT.finditer(window), 2)]
    return [d for d in found if d[0] > 0]


def _widest(window: str) -> Slowdown | None:
    """The largest ratio between two durations in one window, below MAX_RATIO (ratios above are unrelated)."""
    values = sorted(_durations(window))
    pairs = [(high[0] / low[0], low, high) for low, high in itertools.combinations(values, 2)
             if high[0] / low[0] < MAX_RATIO]
    if not pairs:
        return None
    ratio, low, high = max(pairs, key=lambda p: p[0])
    return Slowdown(ratio, f"{' '.join(high[2].split())} against {' '.join(low[2].split())}")


def _compared(text: str) -> Slowdown | None:
    """Durations compared in one sentence or two adjacent ones that use a word of comparison."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    windows = (s + " " + (sentences[i + 1] if i + 1 < len(sentences) else "") for i, s in enumerate(sentences))
    found = [_widest(w) for w in windows if _COMPARE.search(w)]
    return max((f for f in found if f), key=lambda f: f.factor, default=None)


def _stated(text: str) -> Slowdown | None:
    """Factors said outright: "3x slower", "twice as long", "80% slower", "throughput down 60%"."""
    found: list[Slowdown] = []
    for m in itertools.islice(_TIMES.finditer(text), 4):
        word = (m.group(1) or m.group(2)).lower()
        factor = 2.0 if word == "twice" else _number(word)
        found.append(Slowdown(factor, m.group(0)))
    for m in itertools.islice(_PERCENT_SLOWER.finditer(text), 4):
        found.append(Slowdown(1 + int(m.group(1)) / 100, m.group(0)))
    for m in itertools.islice(_THROUGHPUT.finditer(text), 4):
        share = min(int(m.group(1)), 95) / 100
        found.append(Slowdown(1 / (1 - share), m.group(0)))
    found += [Slowdown(2.0, m.group(0)) for m in itertools.islice(_HALF.finditer(text), 2)]
    return max(found, key=lambda s: s.factor, default=None)


@lru_cache(maxsize=32)
def slowdown(text: str) -> Slowdown | None:
    """The largest slowdown factor found, with the words that state it."""
    text = _HOURS_MINUTES.sub(lambda m: f"{int(m.group(1)) + int(m.group(2)) / 60:.2f} hours", text[:MAX_TEXT])
    candidates = [s for s in (_compared(text), _stated(text)) if s]
    return max(candidates, key=lambda s: s.factor, default=None)
