"""Best-effort MIME parsing that never raises for a message's content.

The stdlib parser with `policy.default` does the work; this module adds the defences real mail
needs: headers that fail to parse fall back to their raw text, unknown charsets degrade to a
lossy decode, deep nesting is walked iteratively, a broken part degrades alone, and a parser
crash falls back to headers plus the undecoded body. Addresses come from `identity`, which reads
them from the undecoded header so that a display name can never pass for an address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

from helpdesk.mail.bounces import read_bounce
from helpdesk.mail.headertext import MAX_SUBJECT, clean_header_text, decode_bytes, decode_words, unescape_bytes
from helpdesk.mail.html_text import html_to_text
from helpdesk.mail.identity import parse_addresses, read_identity
from helpdesk.mail.mime import MAX_DEPTH, MAX_PARTS, Attachment, RecipientStatus, read_parts
from helpdesk.mail.quotes import strip_quoted

__all__ = [
    "MAX_DEPTH", "MAX_PARTS", "MAX_SUBJECT", "Attachment", "InboundMail", "RecipientStatus", "clean_header_text",
    "decode_bytes", "decode_words", "parse_mail", "unescape_bytes",
]

FEED_CHUNK = 1 << 20
MAX_TEXT = 1_000_000
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class InboundMail:
    from_address: str | None = None  # the one address in From, or the first when there are several
    from_name: str = ""  # display name, decoded and cleaned; never holds an address that is not From's
    from_addresses: list[str] = field(default_factory=list)
    sender_trusted: bool = False  # exactly one valid address in From: the only From an identity may rest on
    identity_problems: list[str] = field(default_factory=list)
    sender: str | None = None  # the Sender header's address
    reply_to: list[str] = field(default_factory=list)
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
    part_types: list[str] = field(default_factory=list)  # content types of the MIME tree, attached mail excluded
    calendar_method: str | None = None  # METHOD of a text/calendar part: REQUEST, REPLY, CANCEL...
    report_type: str | None = None  # multipart/report's report-type: delivery-status, feedback-report...
    is_delivery_report: bool = False
    delivery_statuses: list[RecipientStatus] = field(default_factory=list)
    failed_recipients: list[str] = field(default_factory=list)  # hard bounces only
    bounce_kind: str | None = None  # "hard" (5.x.x) or "soft" (4.x.x, delayed, mailbox full)
    bounce_reason: str | None = None  # "failed", "delayed" or "mailbox_full"
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


def parse_mail(raw: bytes) -> InboundMail:
    mail = InboundMail()
    try:
        message = _parse_in_chunks(raw)
    except (RecursionError, MemoryError, Exception) as exc:  # noqa: BLE001
        mail.defects.append(f"parser_failed:{type(exc).__name__}")
        _read_headers_only(raw, mail)
        return mail
    _read_headers(message, mail)
    try:
        _read_body(message, mail)
    except (RecursionError, Exception) as exc:  # noqa: BLE001 - keep the headers, lose the body
        mail.defects.append(f"body_failed:{type(exc).__name__}")
    _finish(mail)
    return mail


def _read_headers_only(raw: bytes, mail: InboundMail) -> None:
    try:
        _read_headers(BytesHeaderParser(policy=policy.default).parsebytes(raw), mail)
    except Exception as exc:  # noqa: BLE001
        mail.defects.append(f"headers_failed:{type(exc).__name__}")
    body = raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""
    mail.text = decode_bytes(body[:MAX_TEXT], "utf-8")
    _finish(mail)


def _finish(mail: InboundMail) -> None:
    try:
        mail.new_text = strip_quoted(mail.text, mail.subject)
    except Exception:  # noqa: BLE001 - quote stripping is a nicety; the full text is still there
        mail.defects.append("quote_strip_failed")
        mail.new_text = mail.text
    try:
        read_bounce(mail)
    except Exception:  # noqa: BLE001
        mail.defects.append("bounce_read_failed")


def _parse_in_chunks(raw: bytes) -> Message:
    """Feed the parser 1 MB at a time so a 30 MB message never exists twice as one string."""
    parser = BytesFeedParser(policy=policy.default)
    view = memoryview(raw)
    for start in range(0, len(raw), FEED_CHUNK):
        parser.feed(bytes(view[start : start + FEED_CHUNK]))
    return parser.close()


def _header_values(message: Message) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(decoded and cleaned for display, undecoded for address parsing), by lowercase name."""
    shown: dict[str, list[str]] = {}
    undecoded: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = str(name).lower()
        text = unescape_bytes(value) if isinstance(value, str) else str(value)
        undecoded.setdefault(key, []).append(text)
        shown.setdefault(key, []).append(clean_header_text(decode_words(text), 4000))
    return shown, undecoded


def _read_headers(message: Message, mail: InboundMail) -> None:
    mail.headers, raw = _header_values(message)
    mail.subject = clean_header_text(mail.header("subject") or "")
    _read_addresses(raw, mail)
    ids = _MSGID.findall(mail.header("message-id") or "")
    mail.message_id = ids[0] if ids else None
    mail.in_reply_to = _MSGID.findall(mail.header("in-reply-to") or "")[:5]
    mail.references = _MSGID.findall(" ".join(mail.headers.get("references", [])))[-20:]
    try:
        mail.date = parsedate_to_datetime(mail.header("date") or "").astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        mail.date = None


def _read_addresses(raw: dict[str, list[str]], mail: InboundMail) -> None:
    identity = read_identity(raw.get("from", []))
    mail.from_address, mail.from_addresses = identity.address, identity.addresses
    mail.from_name, mail.sender_trusted = identity.name, identity.trusted
    mail.identity_problems = identity.problems
    mail.to = parse_addresses(raw.get("to", [])).addresses
    mail.cc = parse_addresses(raw.get("cc", [])).addresses
    mail.reply_to = parse_addresses(raw.get("reply-to", []), limit=10).addresses
    senders = parse_addresses(raw.get("sender", [])[:1], limit=1).addresses
    mail.sender = senders[0] if senders else None
    if mail.sender and mail.from_address and mail.sender != mail.from_address:
        mail.identity_problems.append("sender_differs_from_from")


def _read_body(message: Message, mail: InboundMail) -> None:
    body = read_parts(message, mail.defects)
    mail.attachments = body.attachments
    mail.part_types = body.part_types
    mail.calendar_method = body.calendar_method
    mail.report_type = body.report_type
    mail.delivery_statuses = body.statuses
    mail.is_delivery_report = body.report_type == "delivery-status" or "message/delivery-status" in body.part_types
    if body.plain:
        mail.text = "\n\n".join(t.strip("\n") for t in body.plain)[:MAX_TEXT]
    elif body.html:
        mail.html_only = True
        mail.text = "\n\n".join(html_to_text(h) for h in body.html)[:MAX_TEXT]
