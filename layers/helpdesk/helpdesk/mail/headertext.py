"""Header text that is safe to show and to send: decoded, one line, no invisible characters."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header, make_header

MAX_SUBJECT = 998
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Bidirectional overrides, embeddings, isolates and marks, plus zero-width characters: they let a
# name or subject read differently on screen from what it is (`moc.elpmaxe@ada` shown reversed).
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff]")


def unescape_bytes(value: str) -> str:
    """Header text holding raw 8-bit bytes (as surrogates) decoded as UTF-8, else Windows-1252."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def clean_header_text(value: str, limit: int = MAX_SUBJECT) -> str:
    """One line of printable text: CR, LF and other controls become spaces; invisible characters go."""
    value = INVISIBLE.sub("", unescape_bytes(value))
    return " ".join(_CONTROL.sub(" ", value.replace("\r", " ").replace("\n", " ")).split())[:limit]


def decode_words(raw: str) -> str:
    """Decode RFC 2047 encoded words, surviving unknown charsets and broken encodings."""
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001 - any failure falls back to a lossy per-chunk decode
        out = []
        try:
            chunks = decode_header(raw)
        except Exception:  # noqa: BLE001
            return raw
        for chunk, charset in chunks:
            out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
        return "".join(out)


def decode_bytes(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
        except (LookupError, ValueError, TypeError):
            continue
        try:
            return data.decode(candidate, errors="strict" if candidate == "utf-8" else "replace")
        except Exception:  # noqa: BLE001 - bytes-to-bytes codecs and broken codecs raise odd errors
            continue
    return data.decode("cp1252", errors="replace")
