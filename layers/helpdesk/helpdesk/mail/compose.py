"""Outbound MIME: multipart text + HTML with the headers that keep threads and stop loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from helpdesk.mail.parsing import clean_header_text

MAX_SUBJECT = 250


@dataclass(frozen=True)
class OutboundMail:
    sender: str  # bare address
    sender_name: str
    to: list[str]
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str = "auto-replied"  # RFC 3834: auto-replied, auto-generated, or "no" for humans
    extra_headers: dict[str, str] = field(default_factory=dict)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, content type, data)
    template: str | None = None  # which template rendered it; recorded on the outbound entry


def _address(name: str, address: str) -> Address:
    local, _, domain = address.partition("@")
    return Address(display_name=clean_header_text(name, 120), username=local, domain=domain)


def _threading_headers(mail: OutboundMail) -> dict[str, str]:
    """Reply-To, In-Reply-To, References and the loop-stopping headers, where they apply."""
    headers = {"Reply-To": (mail.reply_to, 320), "In-Reply-To": (mail.in_reply_to, 998),
               "References": (" ".join(mail.references[-10:]), 2000)}
    found = {name: clean_header_text(value, limit) for name, (value, limit) in headers.items() if value}
    if mail.auto_submitted != "no":
        found.update({"Auto-Submitted": mail.auto_submitted, "X-Auto-Response-Suppress": "All"})
    return found


def _attach(message: EmailMessage, filename: str, content_type: str, data: bytes) -> None:
    maintype, _, subtype = content_type.partition("/")
    if maintype == "text":
        maintype, subtype = "application", "octet-stream"  # keep the bytes exactly as received
    message.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                           filename=clean_header_text(filename, 200))


def compose(mail: OutboundMail, *, sent_at: datetime) -> tuple[bytes, str]:
    """Render the MIME bytes and return them with the Message-ID we set."""
    message = EmailMessage(policy=policy.SMTP)
    domain = mail.sender.partition("@")[2] or "localhost"
    message_id = make_msgid(domain=domain)
    message["From"] = _address(mail.sender_name, mail.sender)
    message["To"] = ", ".join(clean_header_text(t, 320) for t in mail.to)
    message["Subject"] = clean_header_text(mail.subject, MAX_SUBJECT)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    for name, value in _threading_headers(mail).items():
        message[name] = value
    for name, value in mail.extra_headers.items():
        message[clean_header_text(name, 60)] = clean_header_text(value, 998)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for filename, content_type, data in mail.attachments:
        _attach(message, filename, content_type, data)
    return message.as_bytes(), message_id
