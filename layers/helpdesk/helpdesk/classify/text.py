"""The parts of a message the classifier reads, cut into clauses of stemmed words.

A message is split into the customer's own words and the signature block under them (names, titles,
phone numbers), which only the executive detector reads. Words are lower-cased and reduced by a small
suffix stripper so that "deleted", "deletes" and "deleting" meet the same lexicon entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# The opening of a message carries its point (the longest labelled email is 1,560 characters);
# reading 4,000 keeps 200 KB mail under 50 ms with the larger lexicon (benchmarks/classifier_speed.py).
MAX_CHARS = 4_000
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_SIGNATURE_RULE = re.compile(r"^[ \t]*(?:--|__+)[ \t]*$", re.MULTILINE)
_MOBILE_FOOTER = re.compile(r"^[ \t]*sent from my [^\n]*$", re.MULTILINE | re.IGNORECASE)
# Legal footers ("CONFIDENTIALITY NOTICE: ... may result in legal action") are boilerplate, not the customer.
_DISCLAIMER = re.compile(
    r"^[ \t]*(?:\**\s*)?(?:confidentiality notice|confidential(?:ity)?\s*:|disclaimer\s*:|legal notice|"
    r"privileged (?:and|&) confidential|this (?:e-?mail|message|communication)(?: and any (?:attachments?|files?)"
    r"(?: transmitted with it)?)? (?:is|are|may be|may contain|contains?) (?:confidential|intended|privileged|"
    r"legally)|if you (?:are not the intended|have received this))", re.MULTILINE | re.IGNORECASE)
# Letters of any script: "zeitüberschreitung", "łukasz" and "王伟" stay whole words.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\$|%|\?|!")
# Clause ends: sentence punctuation, a blank line, a contrast word or a list bullet.
_BREAK_WORDS = frozenset({"but", "however", "although", "though", "except", "whereas", "yet"})
_BREAK_PUNCT = re.compile(r"[.;:!?]+(?=\s|$)|\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s")
_SIGN_OFF = re.compile(
    r"^(?:thanks|thank you|many thanks|thx|cheers|regards|best|best regards|kind regards|warm regards|"
    r"sincerely|yours|cordialement|merci|vielen dank|danke|gracias|muchas gracias|obrigado|obrigada|"
    r"grazie|tack|dank je wel|bedankt|saludos|ciao)\b[^\n]{0,40}$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.?!:;)]\s*$")
_SUFFIXES = ("ingly", "edly", "ies", "ied", "ing", "ed", "es", "ly", "s")
_KEEP_DOUBLE = frozenset("lsz")
_IRREGULAR = {"lost": "lost", "went": "go", "ran": "run", "got": "get", "stolen": "steal",
              "stole": "steal", "broke": "break", "broken": "break", "saw": "see", "seen": "see",
              "shown": "show", "hit": "hit", "left": "leav", "down": "down", "data": "data", "datas": "data",
              "ours": "ours", "news": "news", "gone": "gone", "us": "us", "sales": "sale", "business": "business"}


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """A light, consistent suffix stripper; lexicon entries go through the same function."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.isdigit() or word[:-1].isdigit():
        return word
    word = _strip_suffix(word)
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _strip_suffix(word: str) -> str:
    suffix = next((x for x in _SUFFIXES if _strippable(word, x)), None)
    if suffix is None:
        return word
    word = word[: -len(suffix)] + ("i" if suffix in ("ies", "ied") else "")
    doubled = len(word) > 3 and word[-1] == word[-2] and word[-1] not in _KEEP_DOUBLE
    return word[:-1] if suffix in _UNDOUBLE and doubled else word


def _strippable(word: str, suffix: str) -> bool:
    if not word.endswith(suffix) or len(word) - len(suffix) < 3:
        return False
    if suffix == "ly" and (word.endswith(("ply", "ily")) or len(word) < 7):
        return False  # "apply", "reply", "family", "daily", "early" are not adverbs of "app", "rep", "fami"
    return not (suffix in ("s", "es") and word.endswith(("ss", "us", "is")))


_UNDOUBLE = frozenset({"ing", "ed", "edly", "ingly"})  # "stopped" -> "stop", "spelled" keeps its "ll"


@dataclass
class Token:
    word: str  # lower-cased surface form
    stem: str
    start: int  # character offset in the analysed text
    clause: int


@dataclass
class Analysed:
    """One message, ready for matching: tokens in clauses, plus the raw parts."""

    subject: str
    body: str  # the customer's own words, without quotes, footer or signature block
    signature: str
    text: str  # subject and body, lower-cased: what phrase matching reads
    tokens: list[Token] = field(default_factory=list)
    clause_starts: list[int] = field(default_factory=list)  # token index where each clause starts


def own_words(text: str) -> str:
    """The body without quoted lines, the signature below a "--" line, or mobile footers."""
    text = text[:MAX_CHARS]
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    rule = _SIGNATURE_RULE.search(text)
    if rule:
        text = text[: rule.start()]
    footer = _DISCLAIMER.search(text)
    if footer and footer.start() > 0:
        text = text[: footer.start()]
    return _MOBILE_FOOTER.sub("", text)


def split_signature(body: str) -> tuple[str, str]:
    """Cut the closing block of short lines (sign-off, name, title, company, phone) from the body."""
    lines = body.rstrip().splitlines()
    cut = len(lines)
    for i in range(len(lines) - 1, max(-1, len(lines) - 9), -1):
        line = lines[i].strip()
        if not line:
            continue
        if _SIGN_OFF.match(line):
            cut = i
            break
        if len(line.split()) > 8 or _SENTENCE_END.search(line) and not line.endswith(")"):
            break
        cut = i
    if cut == 0:  # nothing but short lines: a terse message, not a signature
        return body, ""
    return "\n".join(lines[:cut]), "\n".join(lines[cut:])


def only_signoff(body: str) -> bool:
    """True when no line is a sentence: a greeting, a sign-off, a name, a title, a phone number."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return all(len(line.split()) <= 5 and not re.search(r"[.?!]\s*$", line) for line in lines)


def analyse(subject: str, new_text: str) -> Analysed:
    body, signature = split_signature(own_words(new_text or ""))
    subject = (subject or "")[:1000]
    text = f"{subject}\n\n{body}".lower().replace("’", "'")
    result = Analysed(subject=subject, body=body, signature=signature, text=text)
    breaks = [m.end() for m in _BREAK_PUNCT.finditer(text)]
    clause, next_break = 0, 0
    result.clause_starts.append(0)
    for match in _TOKEN.finditer(text):
        while next_break < len(breaks) and breaks[next_break] <= match.start():
            next_break += 1
            clause += 1
            result.clause_starts.append(len(result.tokens))
        word = match.group(0)
        if word in _BREAK_WORDS:
            clause += 1
            result.clause_starts.append(len(result.tokens))
        result.tokens.append(Token(word, stem(word), match.start(), clause))
    return result
