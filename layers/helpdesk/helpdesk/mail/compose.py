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


def _address(name: str, address: str) -> Address:
    local, _, domain = address.partition("@")
    return Address(display_name=clean_header_text(name, 120), username=local, domain=domain)


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
    if mail.reply_to:
        message["Reply-To"] = clean_header_text(mail.reply_to, 320)
    if mail.in_reply_to:
        message["In-Reply-To"] = clean_header_text(mail.in_reply_to, 998)
    if mail.references:
        message["References"] = clean_header_text(" ".join(mail.references[-10:]), 2000)
    if mail.auto_submitted != "no":
        message["Auto-Submitted"] = mail.auto_submitted
        message["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.extra_headers.items():
        message[clean_header_text(name, 60)] = clean_header_text(value, 998)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for filename, content_type, data in mail.attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "text":
            maintype, subtype = "application", "octet-stream"  # keep the bytes exactly as received
        message.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                               filename=clean_header_text(filename, 200))
    return message.as_bytes(), message_id
