"""One-tap acknowledgment: a short, unguessable, expiring link per recipient and ticket.

A GET shows the ticket and a button; only the POST acknowledges, so a link scanner that fetches
every URL in a message changes nothing. The link id is 60 random bits (twelve base32 letters),
short enough to fit an SMS with its text; the record behind it names the ticket, the level and
the recipient, and expires.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict

LINK_PATH = "/a/"
ID_LENGTH = 12


class AckLink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    ticket: int
    level: str
    recipient: str  # a phone's hash, or the level's role list for an email briefing
    created_at: datetime
    valid_until: datetime
    used_at: datetime | None = None

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}{LINK_PATH}{self.id}"

    def live(self, now: datetime) -> bool:
        return now <= self.valid_until


def new_link_id() -> str:
    return base64.b32encode(secrets.token_bytes(8)).decode().rstrip("=").lower()[:ID_LENGTH]


def link_id_of(path: str) -> str | None:
    """The id in a request path `/a/<id>`, or None when the path is not one of ours."""
    if not path.startswith(LINK_PATH):
        return None
    candidate = path[len(LINK_PATH):].strip("/").lower()
    valid = len(candidate) == ID_LENGTH and all(c in "abcdefghijklmnopqrstuvwxyz234567" for c in candidate)
    return candidate if valid else None
