"""Finding a lexicon's concepts in one message, with negation, hypothetical and harmless-sense handling.

A whole match stays inside one clause. A match whose clause says, before it and within four words,
"not", "no", "never", "without" or a "-n't" word is negated; one in a clause that opens with "if",
"whether" or "in case" (or a sentence asking "what if") is hypothetical, and so is one in a question about
how the product behaves ("how long are deleted records kept?", "will the site be down?", "do backups
include deleted files?"; not "why did our orders vanish?" or "can you check?"). Matches that overlap a
`harmless` match ("drop-down", "lost my password", "legal entity") do not count at all, and a concept
may name others whose matches void its own (`overridden_by`: "every one of our" is not "one of our").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.classify.lexicon import MAX_GAP, Element, Lexicon
from helpdesk.classify.text import Analysed, Token, stem

MAX_HITS = 12
NEGATION_WINDOW = 4
_NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "neither", "nor", "zero", "nobodi"})
_NOT_NEGATIONS = frozenset({"no longer", "not only", "not just", "no doubt", "not sure", "no one", "no way"})
_SUBJECTS = frozenset({"we", "we'll", "we're", "we've", "i", "i'll", "i'm", "i've", "they", "they'll", "they're",
                       "you", "you'll", "you're", "she", "he", "she'll", "he'll"})
_HYPOTHETICAL = frozenset({"if", "whether", "hypothetically", "suppose", "supposing", "unless"})
# Questions opening with these ask how the product behaves in general, not about something that happened.
_GENERIC_QUESTION_HEADS = frozenset({"how", "when", "do", "does", "will", "would", "should", "may", "might", "shall"})
_GENERIC_QUESTION_PAIRS = frozenset({("is", "there"), ("are", "there"), ("what", "happens"), ("what", "happen"),
                                     ("where", "do"), ("where", "does"), ("can", "we"), ("can", "i"), ("could", "we"),
                                     ("could", "i"), ("what", "will"), ("what", "would"), ("is", "it")})
_NT_WORDS = frozenset({"isn't", "aren't", "wasn't", "weren't", "doesn't", "don't", "didn't", "hasn't", "haven't",
                       "hadn't", "won't", "wouldn't", "shouldn't", "isnt", "arent", "wasnt", "doesnt", "dont",
                       "didnt", "hasnt", "havent", "wont"})


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


def _in_clause(tokens: list[Token], i: int, clause: int) -> bool:
    return i < len(tokens) and tokens[i].clause == clause


@dataclass
class Matcher:
    """Finds concept matches in one analysed message; results are memoised per message."""

    lexicon: Lexicon
    doc: Analysed
    _memo: dict[tuple[str, int], frozenset[int]] = field(default_factory=dict)
    _found: dict[str, list[Hit]] = field(default_factory=dict)
    _masked: set[int] | None = None
    _by_stem: dict[str, list[int]] | None = None
    _patterns: dict[str, list[tuple[tuple[Element, ...], frozenset[str] | None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stems = frozenset(t.stem for t in self.doc.tokens)

    def ends(self, concept: str, i: int) -> frozenset[int]:
        """Token indexes where a match of the concept starting at token i can end."""
        key = (concept, i)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        self._memo[key] = frozenset()  # guards against a concept that refers to itself
        if i >= len(self.doc.tokens):
            return frozenset()
        token = self.doc.tokens[i]
        result: set[int] = set()
        for pattern, first in self._possible(concept):
            if first is None or token.stem in first:
                result |= self._match(pattern, 0, i, token.clause)
        frozen = frozenset(result)
        self._memo[key] = frozen
        return frozen

    def _match(self, pattern: tuple[Element, ...], k: int, i: int, clause: int) -> set[int]:
        if k == len(pattern):
            return {i}
        kind, arg = pattern[k]
        if kind == "words":  # the common case, decided here
            return self._match(pattern, k + 1, i + 1, clause) if self._word_at(arg, i, clause) else set()
        if kind in ("end", "not"):
            ok = self._zero_width(kind, arg, i, clause)
            return self._match(pattern, k + 1, i, clause) if ok else set()
        if kind == "gap":
            return self._gap(pattern, k, i, clause)
        if not _in_clause(self.doc.tokens, i, clause):
            return set()
        return {end for nxt in self._steps(kind, arg, i, clause) for end in self._match(pattern, k + 1, nxt, clause)}

    def _word_at(self, stems: object, i: int, clause: int) -> bool:
        tokens = self.doc.tokens
        return i < len(tokens) and tokens[i].clause == clause and tokens[i].stem in stems  # type: ignore[operator]

    def _zero_width(self, kind: str, arg: object, i: int, clause: int) -> bool:
        tokens = self.doc.tokens
        if not _in_clause(tokens, i, clause):
            return True
        if kind == "end":  # a question or exclamation mark ends the clause too
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

    def _steps(self, kind: str, arg: object, i: int, clause: int) -> set[int]:
        """Where the next element may start after this one matches at token i."""
        tokens = self.doc.tokens
        if kind == "seq":
            return {i + len(seq) for seq in arg.get(tokens[i].stem, ())  # type: ignore[attr-defined]
                    if self._sequence_at(seq, i, clause)}
        return set(self.ends(str(arg), i))

    def _sequence_at(self, seq: tuple[str, ...], i: int, clause: int) -> bool:
        window = self.doc.tokens[i: i + len(seq)]
        return len(window) == len(seq) and all(t.clause == clause and t.stem == w
                                               for t, w in zip(window, seq, strict=True))

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
        if spec is None:
            return [h for h in self.find(concept) if h.counts]
        hits = [h for h in self.find(concept) if _stands(h, spec.negatable, spec.conditional)]
        return self._not_inside(hits, spec.overridden_by) if spec.overridden_by and hits else hits

    def _not_inside(self, hits: list[Hit], others: list[str]) -> list[Hit]:
        cover = {i for other in others for h in self.find(other) for i in range(h.start, h.end)}
        return [h for h in hits if not cover.intersection(range(h.start, h.end))]

    def _possible(self, concept: str) -> list[tuple[tuple[Element, ...], frozenset[str] | None]]:
        """The concept's patterns that can match this message at all: every word they need occurs in it."""
        cached = self._patterns.get(concept)
        if cached is not None:
            return cached
        self._patterns[concept] = []  # a concept that needs itself is not possible through itself
        lex = self.lexicon
        triples = zip(lex.concepts.get(concept, ()), lex.pattern_firsts.get(concept, ()), lex.required.get(concept, ()),
                      strict=True)
        found = [(p, first) for p, first, needs in triples if all(self._available(need) for need in needs)]
        self._patterns[concept] = found
        return found

    def _available(self, need: tuple[str, object]) -> bool:
        kind, arg = need
        if kind == "concept":
            return bool(self._possible(str(arg)))
        return not self._stems.isdisjoint(arg)  # type: ignore[arg-type]

    def _starts(self, concept: str) -> list[int]:
        """Token indexes where a match may start: those whose stem can open one of the possible patterns."""
        firsts = [first for _p, first in self._possible(concept)]
        if any(first is None for first in firsts):
            return list(range(len(self.doc.tokens)))
        if self._by_stem is None:
            self._by_stem = {}
            for i, token in enumerate(self.doc.tokens):
                self._by_stem.setdefault(token.stem, []).append(i)
        stems = set().union(*(f for f in firsts if f is not None)) & self._stems
        return sorted(i for stem_ in stems for i in self._by_stem.get(stem_, ()))

    def _scan(self, concept: str, masked: set[int]) -> list[Hit]:
        hits: list[Hit] = []
        last_end = -1
        for i in self._starts(concept):
            if i < last_end or i in masked:
                continue
            end = self._longest(concept, i, masked)
            if end is not None:
                hits.append(self._hit(concept, i, end))
                last_end = end
            if len(hits) >= MAX_HITS:  # the first matches decide; this bounds repetitive mail
                break
        return hits

    def _longest(self, concept: str, i: int, masked: set[int]) -> int | None:
        ends = [e for e in self.ends(concept, i) if e > i]
        return max((e for e in ends if not masked.intersection(range(i, e))), default=None)

    def _hit(self, concept: str, start: int, end: int) -> Hit:
        tokens = self.doc.tokens
        phrase = self.doc.text[tokens[start].start: tokens[end - 1].start + len(tokens[end - 1].word)]
        clause = tokens[start].clause
        words = [t.word for t in tokens[max(0, start - 12): start] if t.clause == clause]
        near = words[-NEGATION_WINDOW:]
        # "if this isn't fixed we'll leave": a new subject after the negator starts the main clause.
        restart = max((j for j, w in enumerate(near) if w in _SUBJECTS), default=-1)
        negated = any(_is_negator(w, near[j + 1] if j + 1 < len(near) else "")
                      for j, w in enumerate(near) if j > restart)
        hypothetical = any(w in _HYPOTHETICAL for w in words) or _asks_what_if(tokens, start) or \
            _generic_question(tokens, start)
        return Hit(concept, start, end, " ".join(phrase.split()), negated, hypothetical)


def _stands(hit: Hit, negatable: bool, conditional: bool) -> bool:
    return not (hit.negated and negatable) and not (hit.hypothetical and not conditional)


def _is_negator(word: str, following: str) -> bool:
    if f"{word} {following}" in _NOT_NEGATIONS:
        return False
    return stem(word) in _NEGATORS or (word.endswith(("n't", "nt")) and word in _NT_WORDS)


def _asks_what_if(tokens: list[Token], start: int) -> bool:
    clause = tokens[start].clause
    j = start - 1
    while j >= 0 and tokens[j].clause == clause:
        j -= 1
    head = [t.word for t in tokens[j + 1: j + 4]]
    return head[:2] == ["what", "if"] or head[:3] == ["what", "happens", "if"] or head[:2] == ["in", "case"]


def _generic_question(tokens: list[Token], start: int) -> bool:
    """The clause is a question about how things work: it ends in "?" and opens with how/when/will/do..."""
    clause = tokens[start].clause
    first = last = start
    while first > 0 and tokens[first - 1].clause == clause:
        first -= 1
    while last + 1 < len(tokens) and tokens[last + 1].clause == clause:
        last += 1
    if tokens[last].word != "?":
        return False
    head = [t.word for t in tokens[first: first + 2]]
    return head[0] in _GENERIC_QUESTION_HEADS or tuple(head) in _GENERIC_QUESTION_PAIRS
