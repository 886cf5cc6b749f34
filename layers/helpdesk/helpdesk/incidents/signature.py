"""A problem's signature: the classifier's category and triggers, and the words the customer used.

Words are lower-cased, crudely stemmed, stripped of filler and of the generic words every complaint
shares ("error", "broken", "customers"), and folded into a few concepts ("payment", "checkout" and
"order" are one thing to a shopper). What remains names *what* is broken. Each word is kept only as
a 32-bit hash (never the text), and two tickets overlap by the share of the shorter one's words the
other also uses (the overlap coefficient), which suits short and long reports alike; when both name
a concept, the concepts decide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("""a an and are as at be been but by can cannot could do does for from get gets getting got has have
having hello hi i in is it its just me my no not of on or our ours please so some that the their them then there
these they this to too us was we were what when which who will with would you your yours any all every very
since now right still also able again ago few minutes minute hour hours today morning working work works thanks
thank team support help look error errors fail failed failing failure broken broke down outage crash
crashed issues working work works wrong customer customers user users people shopper shoppers client clients
getting give gives shows show showing page screen site since minutes anymore completely totally unable
everything affected affecting impact impacted production prod live right know see seems seem something going
side hey won let
anyone anything anybody
everyone everybody nobody nothing one two sure think maybe might must just really quite bit couple lot lots
end issue problem problems trouble check advise asap urgent urgently fix fixed hello dear regards best""".split())
# Words customers use for the same thing, folded into one so different wording of one problem overlaps.
_CONCEPTS: dict[str, str] = {}
for _concept, _words in {
    "purchase": "pay paid paying payment checkout purchase purchas buy buying bought order cart basket transaction "
                "transact card storefront shop store",
    "login": "log login logon sign signin sso saml auth authenticat password 2fa mfa",
    "billing": "invoice bill billing charg charge refund credit subscription",
    "reporting": "export csv dashboard chart analytic",
    "mail": "inbox smtp bounce",
}.items():
    _CONCEPTS.update(dict.fromkeys(_words.split(), f"~{_concept}"))  # "~": never a word of the text itself
_ENDINGS = ("ing", "ed", "es", "s")


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
        if word not in _STOP:
            found.add(_CONCEPTS.get(word, word))
    return found


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")


def word_hashes(text: str) -> list[int]:
    return sorted({_hash(word) for word in words(text)})


CONCEPT_HASHES = frozenset(_hash(c) for c in set(_CONCEPTS.values()))


def similarity(a: list[int], b: list[int]) -> float:
    """How far two signatures name the same thing, 0 to 1.

    When both name a concept (payments, sign-in, billing...), the concepts decide: one in common is
    a match, none is not. Otherwise it is the share of the shorter one's words the other uses too,
    and a single shared word between longer texts is chance, not a match."""
    if not a or not b:
        return 0.0
    left, right = set(a), set(b)
    concepts = (left & CONCEPT_HASHES, right & CONCEPT_HASHES)
    if concepts[0] and concepts[1]:
        return 1.0 if concepts[0] & concepts[1] else 0.0
    shared, shorter = len(left & right), min(len(left), len(right))
    if shared < 2 and shorter > 1:
        return 0.0
    return shared / shorter


@dataclass(frozen=True)
class Signature:
    category: str
    triggers: frozenset[str] = field(default_factory=frozenset)
    hashes: tuple[int, ...] = ()

    @classmethod
    def of(cls, category: str, triggers: list[str], subject: str, text: str) -> Signature:
        return cls(category or "general", frozenset(triggers), tuple(word_hashes(f"{subject}\n{text}")))
