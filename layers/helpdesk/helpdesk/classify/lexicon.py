"""Concept patterns over stemmed words, with negation, hypothetical and harmless-sense handling.

A concept is a list of patterns. A pattern is a sequence of elements separated by spaces:

    word          one word, compared after stemming ("deleted" matches "delete")
    a|b|c         any one of these words
    {concept}     any match of another concept
    *             a gap of up to three words
    ~a|b          zero-width: the next word is none of these
    $             zero-width: the clause ends here

A whole match stays inside one clause. A match whose clause says, before it and within four words,
"not", "no", "never", "without" or a "-n't" word is negated; one in a clause that opens with "if",
"whether" or "in case" (or a sentence asking "what if") is hypothetical. Matches that overlap a
`harmless` match ("drop-down", "lost my password", "legal entity") do not count at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.classify.text import Analysed, stem

DATA_DIR = Path(__file__).parent / "data"
MAX_GAP = 4
MAX_HITS = 12
NEGATION_WINDOW = 4
_NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "neither", "nor", "zero", "nobodi"})
_NOT_NEGATIONS = frozenset({"no longer", "not only", "not just", "no doubt", "not sure", "no one", "no way"})
_HYPOTHETICAL = frozenset({"if", "whether", "hypothetically", "suppose", "supposing", "unless"})


class ConceptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patterns: list[str]
    negatable: bool = True  # a negated match does not count
    conditional: bool = False  # threats are conditional ("if this isn't fixed we will leave"): "if" keeps them
    note: str = ""


class LexiconSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: dict[str, ConceptSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    concept: str
    start: int  # token index
    end: int  # exclusive
    phrase: str  # the customer's words
    negated: bool = False
    hypothetical: bool = False

    @property
    def counts(self) -> bool:
        return not (self.negated or self.hypothetical)


Element = tuple[str, object]


def _element(word: str) -> Element:
    if word == "*":
        return ("gap", MAX_GAP)
    if word == "$":
        return ("end", None)
    if word.startswith("{") and word.endswith("}"):
        return ("concept", word[1:-1])
    if word.startswith("~"):
        return ("not", frozenset(stem(w.replace("-", "")) for w in word[1:].split("|")))
    # Alternatives are single words or "_"-joined sequences ("small_number"); the tokenizer splits hyphens.
    alternatives = [tuple(stem(part) for part in re.split(r"[_-]", w) if part) for w in word.split("|") if w]
    if all(len(a) == 1 for a in alternatives):
        return ("words", frozenset(a[0] for a in alternatives))
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for alt in alternatives:
        by_first.setdefault(alt[0], []).append(alt)
    return ("seq", {first: tuple(alts) for first, alts in by_first.items()})


def _pattern(text: str) -> tuple[Element, ...]:
    """Hyphenated words become consecutive words, as the tokenizer splits them ("drop-down")."""
    elements: list[Element] = []
    for word in text.lower().replace("’", "'").split():
        plain = "|" not in word and not word.startswith(("~", "{")) and word.strip("-")
        if plain and "-" in word:
            elements.extend(_element(part) for part in word.split("-") if part)
        else:
            elements.append(_element(word))
    return tuple(elements)


@dataclass
class Lexicon:
    concepts: dict[str, list[tuple[Element, ...]]]
    specs: dict[str, ConceptSpec]

    def __post_init__(self) -> None:
        # First words of each pattern, so that matching only tries patterns that can start at a word.
        self._firsts: dict[str, frozenset[str] | None] = {}
        self.pattern_firsts = {name: [self._pattern_first(p, ()) for p in patterns]
                               for name, patterns in self.concepts.items()}

    def first_words(self, concept: str, seen: tuple[str, ...] = ()) -> frozenset[str] | None:
        """Stems a match of the concept can start with; None when it could start anywhere."""
        if concept in self._firsts:
            return self._firsts[concept]
        if concept in seen:
            return None
        found: set[str] = set()
        for pattern in self.concepts.get(concept, ()):
            first = self._pattern_first(pattern, (*seen, concept))
            if first is None:
                return None
            found |= first
        if not seen:
            self._firsts[concept] = frozenset(found)
        return frozenset(found)

    def _pattern_first(self, pattern: tuple[Element, ...], seen: tuple[str, ...]) -> frozenset[str] | None:
        if not pattern:
            return None
        kind, arg = pattern[0]
        if kind == "words":
            return arg  # type: ignore[return-value]
        if kind == "seq":
            return frozenset(arg)  # type: ignore[arg-type,call-overload]
        if kind == "concept":
            return self.first_words(str(arg), seen)
        return None

    @classmethod
    def from_spec(cls, spec: LexiconSpec) -> Lexicon:
        return cls({name: [_pattern(p) for p in c.patterns] for name, c in spec.concepts.items()},
                   dict(spec.concepts))


@lru_cache(maxsize=4)
def load_lexicon(name: str = "lexicon") -> Lexicon:
    from helpdesk.prebuilt import lexicon_data  # the YAML parsed at build time, when unchanged

    text = (DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    data = lexicon_data(name, text)
    if data is None:
        import yaml

        data = yaml.safe_load(text)
    return Lexicon.from_spec(LexiconSpec.model_validate(data))


@dataclass
class Matcher:
    """Finds concept matches in one analysed message; results are memoised per message."""

    lexicon: Lexicon
    doc: Analysed
    _memo: dict[tuple[str, int], frozenset[int]] = field(default_factory=dict)
    _found: dict[str, list[Hit]] = field(default_factory=dict)
    _masked: set[int] | None = None

    def ends(self, concept: str, i: int) -> frozenset[int]:
        key = (concept, i)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        self._memo[key] = frozenset()  # guards against a concept that refers to itself
        result: set[int] = set()
        if i >= len(self.doc.tokens):
            return frozenset()
        token = self.doc.tokens[i]
        firsts = self.lexicon.pattern_firsts.get(concept, ())
        for pattern, first in zip(self.lexicon.concepts.get(concept, ()), firsts, strict=True):
            if first is None or token.stem in first:
                result |= self._match(pattern, 0, i, token.clause)
        frozen = frozenset(result)
        self._memo[key] = frozen
        return frozen

    def _match(self, pattern: tuple[Element, ...], k: int, i: int, clause: int) -> set[int]:
        if k == len(pattern):
            return {i}
        kind, arg = pattern[k]
        if kind in ("end", "not"):
            return self._match(pattern, k + 1, i, clause) if self._boundary(kind, arg, i, clause) else set()
        if kind == "gap":
            return self._gap(pattern, k, i, clause)
        tokens = self.doc.tokens
        if i >= len(tokens) or tokens[i].clause != clause:
            return set()
        if kind == "words":
            return self._match(pattern, k + 1, i + 1, clause) if tokens[i].stem in arg else set()  # type: ignore
        ends = self._seq_ends(arg, i, clause) if kind == "seq" else self.ends(str(arg), i)
        found: set[int] = set()
        for end in ends:
            found |= self._match(pattern, k + 1, end, clause)
        return found

    def _boundary(self, kind: str, arg: object, i: int, clause: int) -> bool:
        """`end`: the clause ends here (a question or exclamation mark ends it too); `not`: no such word."""
        tokens = self.doc.tokens
        if i >= len(tokens) or tokens[i].clause != clause:
            return True
        if kind == "end":
            return tokens[i].word in ("?", "!")
        return tokens[i].stem not in arg  # type: ignore[operator]

    def _gap(self, pattern: tuple[Element, ...], k: int, i: int, clause: int) -> set[int]:
        tokens = self.doc.tokens
        found: set[int] = set()
        for skip in range(MAX_GAP + 1):
            if skip and (i + skip > len(tokens) or tokens[i + skip - 1].clause != clause):
                break
            found |= self._match(pattern, k + 1, i + skip, clause)
        return found

    def _seq_ends(self, arg: object, i: int, clause: int) -> list[int]:
        tokens = self.doc.tokens
        ends = []
        for seq in arg.get(tokens[i].stem, ()):  # type: ignore[attr-defined]
            window = tokens[i: i + len(seq)]
            same = len(window) == len(seq) and all(t.clause == clause for t in window)
            if same and all(t.stem == w for t, w in zip(window, seq, strict=True)):
                ends.append(i + len(seq))
        return ends

    def masked(self) -> set[int]:
        if self._masked is None:
            self._masked = set()
            for hit in self._scan("harmless", set()):
                self._masked.update(range(hit.start, hit.end))
        return self._masked

    def find(self, concept: str) -> list[Hit]:
        """Every match of a concept outside harmless phrases, longest first at each start."""
        if concept not in self._found:
            self._found[concept] = self._scan(concept, self.masked() if concept != "harmless" else set())
        return self._found[concept]

    def counted(self, concept: str) -> list[Hit]:
        """Matches that count: not negated (unless the concept says so), not hypothetical (unless a threat)."""
        spec = self.lexicon.specs.get(concept)
        negatable, conditional = (spec.negatable, spec.conditional) if spec else (True, False)
        return [h for h in self.find(concept)
                if not (h.negated and negatable) and not (h.hypothetical and not conditional)]

    def _scan(self, concept: str, masked: set[int]) -> list[Hit]:
        hits: list[Hit] = []
        last_end = -1
        firsts = self.lexicon.first_words(concept)
        for i, token in enumerate(self.doc.tokens):
            if i < last_end or i in masked or (firsts is not None and token.stem not in firsts):
                continue
            ends = [e for e in self.ends(concept, i) if e > i and not masked.intersection(range(i, e))]
            if ends:
                hits.append(self._hit(concept, i, max(ends)))
                last_end = max(ends)
                if len(hits) >= MAX_HITS:  # the first matches decide; this bounds repetitive mail
                    break
        return hits

    def _hit(self, concept: str, start: int, end: int) -> Hit:
        tokens = self.doc.tokens
        phrase = self.doc.text[tokens[start].start: tokens[end - 1].start + len(tokens[end - 1].word)]
        clause = tokens[start].clause
        before = [t for t in tokens[max(0, start - 12): start] if t.clause == clause]
        words = [t.word for t in before]
        near = words[-NEGATION_WINDOW:]
        negated = any(_is_negator(w, near[j + 1] if j + 1 < len(near) else "") for j, w in enumerate(near))
        hypothetical = any(w in _HYPOTHETICAL for w in words) or _asks_what_if(tokens, start)
        return Hit(concept, start, end, " ".join(phrase.split()), negated, hypothetical)


def _is_negator(word: str, following: str) -> bool:
    if f"{word} {following}" in _NOT_NEGATIONS:
        return False
    return stem(word) in _NEGATORS or (word.endswith(("n't", "nt")) and word in _NT_WORDS)


_NT_WORDS = frozenset({"isn't", "aren't", "wasn't", "weren't", "doesn't", "don't", "didn't", "hasn't", "haven't",
                       "hadn't", "won't", "wouldn't", "shouldn't", "isnt", "arent", "wasnt", "doesnt", "dont",
                       "didnt", "hasnt", "havent", "wont"})


def _asks_what_if(tokens: list, start: int) -> bool:
    clause = tokens[start].clause
    j = start - 1
    while j >= 0 and tokens[j].clause == clause:
        j -= 1
    head = [t.word for t in tokens[j + 1: j + 4]]
    return head[:2] == ["what", "if"] or head[:3] == ["what", "happens", "if"] or head[:1] == ["in"] and \
        head[1:2] == ["case"]
