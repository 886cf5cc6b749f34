"""Plus-address tokens that route replies back to their ticket.

`support+1042.k3f9a2b7c1mq@help.example.com` carries an HMAC of the ticket number, so nobody
can write into a ticket by guessing its number. Staff get a different token (`.staff.`) so a
customer who sees a staff address still cannot issue staff commands.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

Audience = Literal["customer", "staff"]
_TOKEN = re.compile(
    r"^(?P<local>[^+@]+)\+(?P<ticket>\d{1,12})\.(?:(?P<staff>staff)\.)?(?P<sig>[a-z2-7]{12})@(?P<domain>.+)$"
)


@dataclass(frozen=True)
class TicketToken:
    ticket: int
    audience: Audience


def _signature(key: bytes, ticket: int, audience: Audience) -> str:
    digest = hmac.new(key, f"{audience}:{ticket}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:12]


def reply_address(support_address: str, ticket: int, key: bytes, audience: Audience = "customer") -> str:
    local, _, domain = support_address.partition("@")
    middle = "staff." if audience == "staff" else ""
    return f"{local}+{ticket}.{middle}{_signature(key, ticket, audience)}@{domain}"


def read_token(recipient: str, support_address: str, key: bytes) -> TicketToken | None:
    """The ticket a recipient address routes to, or None if it is not ours or the HMAC is wrong."""
    match = _TOKEN.match(recipient.strip().lower())
    if not match:
        return None
    local, _, domain = support_address.lower().partition("@")
    if match["local"] != local or match["domain"] != domain:
        return None
    ticket = int(match["ticket"])
    audience: Audience = "staff" if match["staff"] else "customer"
    if not hmac.compare_digest(match["sig"], _signature(key, ticket, audience)):
        return None
    return TicketToken(ticket, audience)
