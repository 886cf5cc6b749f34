"""Strip quoted history from replies so only the customer's new words count.

Handles top-posting (Gmail, Outlook, Apple Mail, iPhone, Yahoo, AOL) and bottom-posting
(Thunderbird): `>` quoted lines, the attribution line that introduces them, and the
header blocks that Outlook-style clients put above the previous message.
"""

from __future__ import annotations

import re

# Words that end an attribution line in common client languages ("On ... wrote:").
_WROTE = re.compile(
    r"(wrote|writes|napisał|написал\w*|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef|skrev|kirjoitti|"
    r"写道|さんは書きました|a\s+escrit|írta)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^(-{2,}\s*)?(on|le|am|el|il|op|den|w\s+dniu|em|\d)", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"oorspronkelijk bericht|forwarded by)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(from|von|de|van|da)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|to|subject|gesendet|envoyé|enviado|cc)\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*_{8,}\s*$")
_QUOTED = re.compile(r"^\s*>")


def strip_quoted(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _history_start(lines)]
    kept = _drop_quotes_and_attributions(lines)
    return "\n".join(kept).strip("\n").rstrip()


def _history_start(lines: list[str]) -> int:
    """Index of the first line of a header-style quoted message, or len(lines)."""
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line):
            return i
        if _SEPARATOR.match(line) and any(_HEADER_FROM.match(n) for n in lines[i + 1 : i + 4]):
            return i
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1 : i + 5]):
            return i
    return len(lines)


def _attribution_at(lines: list[str], end: int) -> int | None:
    """If lines[end] closes an attribution ("... wrote:"), return the index where it starts."""
    if not _WROTE.search(lines[end]):
        return None
    for start in range(end, max(-1, end - 3), -1):
        if not lines[start].strip():
            break
        if _ATTRIBUTION_START.match(lines[start].lstrip("> ").strip()):
            return start
    return end if lines[end].strip().lower().startswith(("on ", "am ", "le ")) else None


def _next_content(lines: list[str], i: int) -> str | None:
    for line in lines[i:]:
        if line.strip():
            return line
    return None


def _drop_quotes_and_attributions(lines: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _QUOTED.match(line):
            i += 1
            continue
        # An attribution spans at most three lines; look ahead for its closing "wrote:".
        for end in range(i, min(i + 3, len(lines))):
            start = _attribution_at(lines, end)
            if start == i:
                following = _next_content(lines, end + 1)
                if following is None or _QUOTED.match(following):
                    i = end + 1
                    break
                return kept  # unquoted history after an attribution: everything below is old
        else:
            kept.append(line)
            i += 1
    return _trim_blank_runs(kept)


def _trim_blank_runs(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip())
    return out
