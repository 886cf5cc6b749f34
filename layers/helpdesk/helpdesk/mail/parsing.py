"""Best-effort MIME parsing that never raises for a message's content.

The stdlib parser with `policy.default` does the work; this module adds the defences real mail
needs: headers that fail to parse fall back to their raw text, unknown charsets degrade to a
lossy decode, deep nesting is walked iteratively, and a parser crash falls back to headers plus
the undecoded body.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from helpdesk.mail.html_text import html_to_text
from helpdesk.mail.quotes import strip_quoted

MAX_PARTS = 500  # beyond this, remaining parts are ignored (counted as a defect)
MAX_DEPTH = 60
MAX_SUBJECT = 998
FEED_CHUNK = 1 << 20  # RFC 5322 line limit; longer subjects are cut here
_MSGID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Attachment:
    filename: str
    content_type: str
    payload: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class InboundMail:
    from_address: str | None = None
    from_name: str = ""
    subject: str = ""
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    text: str = ""
    new_text: str = ""
    html_only: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    is_delivery_report: bool = False
    failed_recipients: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, most recent first, de-duplicated."""
        seen: dict[str, None] = {}
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(mid, None)
        return list(seen)


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
    """One line of printable text: CR, LF and other controls become spaces."""
    value = unescape_bytes(value)
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
        except LookupError:
            continue
        try:
            return data.decode(candidate, errors="strict" if candidate == "utf-8" else "replace")
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


def parse_mail(raw: bytes) -> InboundMail:
    mail = InboundMail()
    try:
        message = _parse_in_chunks(raw)
    except (RecursionError, MemoryError, Exception) as exc:  # noqa: BLE001
        mail.defects.append(f"parser_failed:{type(exc).__name__}")
        message = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        _read_headers(message, mail)
        body = raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""
        mail.text = decode_bytes(body[:1_000_000], "utf-8")
        mail.new_text = strip_quoted(mail.text, mail.subject)
        return mail
    _read_headers(message, mail)
    _read_body(message, mail)
    mail.new_text = strip_quoted(mail.text, mail.subject)
    return mail


def _parse_in_chunks(raw: bytes) -> Message:
    """Feed the parser 1 MB at a time so a 30 MB message never exists twice as one string."""
    parser = BytesFeedParser(policy=policy.default)
    view = memoryview(raw)
    for start in range(0, len(raw), FEED_CHUNK):
        parser.feed(bytes(view[start : start + FEED_CHUNK]))
    return parser.close()


def _raw_headers(message: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        text = decode_words(unescape_bytes(value)) if isinstance(value, str) else str(value)
        headers.setdefault(str(name).lower(), []).append(clean_header_text(text, 4000))
    return headers


def _read_headers(message: Message, mail: InboundMail) -> None:
    mail.headers = _raw_headers(message)
    mail.subject = clean_header_text(mail.header("subject") or "")
    name, address = parseaddr(mail.header("from") or "")
    mail.from_name = clean_header_text(name, 200)
    mail.from_address = _single_address(address) or _single_address(mail.header("from") or "")
    mail.to = _addresses(mail.headers.get("to", []))
    mail.cc = _addresses(mail.headers.get("cc", []))
    ids = _MSGID.findall(mail.header("message-id") or "")
    mail.message_id = ids[0] if ids else None
    mail.in_reply_to = _MSGID.findall(mail.header("in-reply-to") or "")[:5]
    mail.references = _MSGID.findall(" ".join(mail.headers.get("references", [])))[-20:]
    try:
        mail.date = parsedate_to_datetime(mail.header("date") or "").astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        mail.date = None


_ADDRESS = re.compile(r"[^\s<>\"',;:()]+@[^\s<>\"',;:()]+\.[^\s<>\"',;:()]+")


def _single_address(text: str) -> str | None:
    """The first thing in `text` shaped like an address (salvages `From: Name bob@x.com`)."""
    found = _ADDRESS.search(text.strip())
    return found.group(0).lower().rstrip(".") if found else None


def _addresses(values: list[str]) -> list[str]:
    try:
        pairs = getaddresses(values)
    except Exception:  # noqa: BLE001
        return []
    return [addr.lower() for _, addr in pairs if "@" in addr][:50]


def _walk(message: Message, mail: InboundMail):
    """Depth-first walk without recursion, so 1,000 nested multiparts cannot blow the stack."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            mail.defects.append("too_many_parts")
            return
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            if depth >= MAX_DEPTH:
                mail.defects.append("nesting_too_deep")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))
            continue
        yield part


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        return None
    name = clean_header_text(decode_words(name), 200).replace("/", "_").replace("\\", "_")
    return name.lstrip(".") or "attachment"


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _is_attachment(part: Message, ctype: str) -> bool:
    try:
        disposition = str(part.get("content-disposition") or "").split(";")[0].strip().lower()
    except Exception:  # noqa: BLE001
        disposition = ""
    return disposition == "attachment" or ctype not in ("text/plain", "text/html")


def _read_body(message: Message, mail: InboundMail) -> None:
    plain: list[str] = []
    html: list[str] = []
    if message.get_content_type() == "multipart/report":
        mail.is_delivery_report = True
    for part in _walk(message, mail):
        ctype = _content_type(part)
        if ctype == "message/delivery-status":
            mail.is_delivery_report = True
            mail.failed_recipients.extend(_failed_recipients(part))
            continue
        if ctype == "message/rfc822" or _filename(part) or _is_attachment(part, ctype):
            payload = _payload(part) if ctype != "message/rfc822" else _attached_message(part)
            name = _filename(part) or _default_name(ctype, len(mail.attachments))
            mail.attachments.append(Attachment(name, ctype, payload))
            part.set_payload("")  # drop the encoded copy now that the decoded bytes are kept
            continue
        text = decode_bytes(_payload(part), _charset(part))
        (plain if ctype == "text/plain" else html).append(text)
    if plain:
        mail.text = "\n\n".join(t.strip("\n") for t in plain)
    elif html:
        mail.html_only = True
        mail.text = "\n\n".join(html_to_text(h) for h in html)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001
        return None


def _default_name(ctype: str, index: int) -> str:
    extension = {"message/rfc822": "eml", "text/calendar": "ics"}.get(ctype, "bin")
    return f"part-{index + 1}.{extension}"


def _attached_message(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            return inner[0].as_bytes(policy=policy.default)
        except Exception:  # noqa: BLE001
            return str(inner[0]).encode("utf-8", "replace")
    return _payload(part)


def _failed_recipients(part: Message) -> list[str]:
    """Final-Recipient of each per-recipient block whose Action is `failed`."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    failed = []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = str(block.get("action", "")).strip().lower()
        recipient = str(block.get("final-recipient") or block.get("original-recipient") or "")
        address = parseaddr(recipient.split(";", 1)[-1].strip())[1].lower()
        if action == "failed" and "@" in address:
            failed.append(address)
    return failed
