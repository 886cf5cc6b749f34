"""Subjects with one ticket tag, at most one `Re:`, and single spaces.

Customers' subjects arrive as `Re: [#1001] Re: Login broken` or `AW: Fwd: ...`; our templates put
their own tag and label in front. `tidy_subject` keeps the first tag, keeps one `Re:` when the
template wrote one straight after the tag, and drops the reply prefixes and tags that follow a
tag, a label's colon or the start, so `[#1002] Re: Re: [#1001] Login` reads `[#1002] Re: Login`.
"""

from __future__ import annotations

import re

_PREFIX = r"(?:re|aw|sv|vs|antw|ant|wg|fwd?|tr|rif|odp)\s*(?:\[\d+\])?\s*[:：]"
_NOISE_RUN = re.compile(rf"(^|[:：\]])\s*(?:(?:{_PREFIX})\s*|\[#\d+\]\s*)+", re.I)
_LEADING_RE = re.compile(rf"^(?:{_PREFIX}\s*|\[#\d+\]\s*)*?re\s*:", re.I)
_SPACES = re.compile(r"\s+")
_FIRST_TAG = re.compile(rf"^((?:{_PREFIX}\s*)*)(\[#\d+\])", re.I)


def base_subject(subject: str | None) -> str:
    """A customer's subject without reply prefixes or ticket tags at its start or after a colon."""
    text = _SPACES.sub(" ", subject or "").strip()
    text = _NOISE_RUN.sub(lambda m: m.group(1) + " ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.lstrip(":：").strip()


def tidy_subject(subject: str | None) -> str:
    """`[#1001] Re: Login broken` or `Re: [#1001] Login broken`: the template's order, one tag, one `Re:`."""
    text = _SPACES.sub(" ", subject or "").strip()
    tag = _FIRST_TAG.match(text)
    if not tag:
        return base_subject(text)
    rest = text[tag.end():].strip()
    reply_first = bool(re.search(r"\bre\s*:", tag.group(1), re.I))
    reply_after = not reply_first and bool(_LEADING_RE.match(rest))
    parts = ("Re:" if reply_first else "", tag.group(2), "Re:" if reply_after else "", base_subject(rest))
    return " ".join(part for part in parts if part)
