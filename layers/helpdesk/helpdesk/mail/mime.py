"""Walking a parsed MIME tree without trusting it: every header access and payload decode is guarded.

A part whose headers or payload make the stdlib raise degrades to an opaque attachment or is
skipped; it never fails the message. Attached messages (message/rfc822) are kept as bytes and not
walked: what a person forwards is content, not the structure of the mail we received.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.utils import parseaddr

from helpdesk.mail.headertext import clean_header_text, decode_bytes, decode_words

MAX_PARTS = 500  # beyond this, remaining parts are ignored (counted as a defect)
MAX_DEPTH = 60
_VERBATIM = policy.default.clone(refold_source="none")  # re-serialise without re-parsing source headers
_METHOD = re.compile(r"^METHOD:\s*([A-Za-z-]+)", re.M)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass
class Attachment:
    filename: str
    content_type: str
    payload: bytes

    def __repr__(self) -> str:
        return f"Attachment(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a message/delivery-status part."""

    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # RFC 3463 code such as 5.1.1, or ""
    diagnostic: str = ""  # the remote server's words, e.g. "552 mailbox full"


@dataclass
class Body:
    plain: list[str]
    html: list[str]
    attachments: list[Attachment]
    part_types: list[str]
    statuses: list[RecipientStatus]
    calendar_method: str | None = None
    report_type: str | None = None


def walk(message: Message, defects: list[str]) -> Iterator[tuple[Message, str, bool]]:
    """Depth-first (part, content type, is a container) without recursion, so nesting cannot blow the stack."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            defects.append("too_many_parts")
            return
        ctype = content_type(part)
        children = part.get_payload() if ctype.startswith("multipart/") else None
        yield part, ctype, isinstance(children, list)
        if not isinstance(children, list):
            continue
        if depth >= MAX_DEPTH:
            defects.append("nesting_too_deep")
            continue
        stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))


def read_parts(message: Message, defects: list[str]) -> Body:
    body = Body([], [], [], [], [])
    for part, ctype, container in walk(message, defects):
        body.part_types.append(ctype)
        if container:
            if ctype == "multipart/report":
                body.report_type = body.report_type or _param(part, "report-type")
            continue
        try:
            _read_leaf(part, ctype, body)
        except Exception:  # noqa: BLE001 - one broken part must not cost the rest of the message
            defects.append("unreadable_part")
    return body


def _read_leaf(part: Message, ctype: str, body: Body) -> None:
    if ctype == "message/delivery-status":
        body.statuses.extend(_statuses(part))
        return
    if ctype == "text/calendar" or (ctype == "application/ics"):
        body.calendar_method = body.calendar_method or _calendar_method(part)
    if ctype == "message/rfc822" or filename(part) or _is_attachment(part, ctype):
        payload = attached_message(part) if ctype == "message/rfc822" else payload_bytes(part)
        name = filename(part) or _default_name(ctype, len(body.attachments))
        body.attachments.append(Attachment(name, ctype, payload))
        part.set_payload("")  # drop the encoded copy now that the decoded bytes are kept
        return
    text = decode_bytes(payload_bytes(part), charset(part))
    (body.plain if ctype == "text/plain" else body.html).append(text)


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001
        return None


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name, header="content-type")
    except Exception:  # noqa: BLE001
        return None
    return str(value).strip().lower() if isinstance(value, str) and value else None


def filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        return None
    name = clean_header_text(decode_words(str(name)), 200).replace("/", "_").replace("\\", "_")
    return name.lstrip(".") or "attachment"


def payload_bytes(part: Message) -> bytes:
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


def _default_name(ctype: str, index: int) -> str:
    extension = {"message/rfc822": "eml", "text/calendar": "ics"}.get(ctype, "bin")
    return f"part-{index + 1}.{extension}"


def attached_message(part: Message) -> bytes:
    """The attached message's bytes; its own headers are never re-parsed (they may crash the parser)."""
    inner = part.get_payload()
    if not (isinstance(inner, list) and inner and isinstance(inner[0], Message)):
        return payload_bytes(part)
    for chosen in (_VERBATIM, policy.compat32):
        try:
            return inner[0].as_bytes(policy=chosen)
        except Exception:  # noqa: BLE001 - try the next, more literal serialisation
            continue
    lines = [f"{name}: {value}" for name, value in inner[0].raw_items()]
    payload = inner[0].get_payload()
    text = "\n".join(lines) + "\n\n" + (payload if isinstance(payload, str) else "")
    return text.encode("utf-8", "surrogateescape")


def _calendar_method(part: Message) -> str | None:
    method = _param(part, "method")
    if not method:
        found = _METHOD.search(decode_bytes(payload_bytes(part)[:20_000], "utf-8"))
        method = found.group(1) if found else None
    return method.upper() if method else None


def _header_text(block: Message, name: str) -> str:
    try:
        return str(block.get(name, "") or "")
    except Exception:  # noqa: BLE001
        return ""


def _statuses(part: Message) -> list[RecipientStatus]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    found = []
    for block in blocks[:200]:
        if not isinstance(block, Message):
            continue
        recipient = _header_text(block, "final-recipient") or _header_text(block, "original-recipient")
        address = parseaddr(recipient.split(";", 1)[-1].strip())[1].lower()
        status = _STATUS.search(_header_text(block, "status"))
        action = _header_text(block, "action").strip().lower()
        if "@" in address or action:
            diagnostic = _header_text(block, "diagnostic-code")[:300]
            found.append(RecipientStatus(address, action, status.group(1) if status else "", diagnostic))
    return found
