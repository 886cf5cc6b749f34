"""A problem's signature: the classifier's category and triggers, and a MinHash of the words used.

MinHash estimates the Jaccard overlap of two word sets from a few dozen integers, so the recent
tickets of a window can be compared without keeping their text. Words are lower-cased, stripped of
common endings and stop words; what remains is what the customer says is broken.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

HASHES = 64
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("""a an and are as at be been but by can cannot could do does for from get gets getting got has have
having hello hi i in is it its just me my no not of on or our ours please so some that the their them then there
these they this to too us was we were what when which who will with would you your yours any all every very
since now right still also able again ago few minutes minute hour hours today morning working work works thanks
thank team support site help look know see seems seem something going side""".split())
_ENDINGS = ("ing", "ed", "es", "s")
MAX_PRIME = (1 << 61) - 1


def words(text: str) -> set[str]:
    """Content words, crudely stemmed so that "payments" and "payment" count as one."""
    found = set()
    for word in _WORD.findall((text or "").lower()):
        if word in _STOP or len(word) < 3 or word.isdigit():
            continue
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                word = word[: -len(ending)]
                break
        found.add(word)
    return found


def _hash(word: str, seed: int) -> int:
    digest = hashlib.blake2b(word.encode(), digest_size=8, salt=seed.to_bytes(8, "big")).digest()
    return int.from_bytes(digest, "big") % MAX_PRIME


def minhash(text: str) -> list[int]:
    found = words(text)
    if not found:
        return []
    return [min(_hash(word, seed) for word in found) for seed in range(HASHES)]


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard overlap of the two word sets (0 when either text had no content words)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


@dataclass(frozen=True)
class Signature:
    category: str
    triggers: frozenset[str] = field(default_factory=frozenset)
    hashes: tuple[int, ...] = ()

    @classmethod
    def of(cls, category: str, triggers: list[str], subject: str, text: str) -> Signature:
        return cls(category or "general", frozenset(triggers), tuple(minhash(f"{subject}\n{text}")))

    def overlap(self, hashes: list[int] | tuple[int, ...]) -> float:
        return similarity(list(self.hashes), list(hashes))
