"""Concept patterns over stemmed words: the lexicon's language and its compiled form.

A concept is a list of patterns. A pattern is a sequence of elements separated by spaces:

    word          one word, compared after stemming ("deleted" matches "delete")
    a|b|c         any one of these words; a_b joins words into a sequence ("any_of")
    {concept}     any match of another concept
    *             a gap of up to four words
    ~a|b          zero-width: the next word is none of these
    $             zero-width: the clause ends here

Matching one message against a lexicon (negation, hypotheticals, harmless senses) is in matcher.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.classify.text import stem

DATA_DIR = Path(__file__).parent / "data"
MAX_GAP = 4


class ConceptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patterns: list[str]
    negatable: bool = True  # a negated match does not count
    conditional: bool = False  # threats are conditional ("if this isn't fixed we will leave"): "if" keeps them
    overridden_by: list[str] = Field(default_factory=list)  # a match inside one of these concepts' matches is void
    note: str = ""


class LexiconSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: dict[str, ConceptSpec] = Field(default_factory=dict)


Element = tuple[str, object]


def _element(word: str) -> Element:
    special = _SPECIAL.get(word[:1])
    element = special(word) if special else None
    if element:
        return element
    alternatives = _alternatives(word)
    if all(len(a) == 1 for a in alternatives):
        return ("words", frozenset(a[0] for a in alternatives))
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for alt in alternatives:
        by_first.setdefault(alt[0], []).append(alt)
    return ("seq", {first: tuple(alts) for first, alts in by_first.items()})


def _alternatives(word: str) -> list[tuple[str, ...]]:
    """Alternatives are single words or "_"-joined sequences ("small_number"); the tokenizer splits hyphens."""
    return [tuple(stem(part) for part in re.split(r"[_-]", w) if part) for w in word.split("|") if w]


_SPECIAL: dict[str, Callable[[str], Element | None]] = {
    "*": lambda word: ("gap", MAX_GAP) if word == "*" else None,
    "$": lambda word: ("end", None) if word == "$" else None,
    "{": lambda word: ("concept", word[1:-1]) if word.endswith("}") else None,
    "~": lambda word: ("not", frozenset(stem(w.replace("-", "")) for w in word[1:].split("|"))),
}


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
        # What each pattern cannot match without: its words (any one alternative) and its sub-concepts.
        self.required = {name: [_required(p) for p in patterns] for name, patterns in self.concepts.items()}

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


Requirement = tuple[str, object]  # ("words", stems: one must occur) | ("concept", name: must be possible)


def _required(pattern: tuple[Element, ...]) -> tuple[Requirement, ...]:
    needs: list[Requirement] = []
    for kind, arg in pattern:
        if kind == "words":
            needs.append(("words", arg))
        elif kind == "seq":
            needs.append(("words", frozenset(cast("Iterable[str]", arg))))
        elif kind == "concept":
            needs.append(("concept", arg))
    return tuple(needs)


@lru_cache(maxsize=4)
def load_lexicon(name: str = "lexicon") -> Lexicon:
    from helpdesk.prebuilt import lexicon_data  # the YAML parsed at build time, when unchanged

    text = (DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    data = lexicon_data(name, text)
    if data is None:
        import yaml

        data = yaml.safe_load(text)
    return Lexicon.from_spec(LexiconSpec.model_validate(data))
