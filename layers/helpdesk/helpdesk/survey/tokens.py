"""Signed survey links: each token signs the ticket, the question, the score, the recipient and
an expiry, so a click needs no login and nobody can rate someone else's ticket or change a score."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.core.clock import Clock
from helpdesk.core.errors import HelpdeskError

TOKEN_TTL = timedelta(days=30)  # when the policy does not say (policy.resolution.survey_expires_after)
QUESTIONS = {"csat": (1, 5), "nps": (0, 10)}
_MAC_CONTEXT = b"helpdesk-survey|"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{8,1024}\.[A-Za-z0-9_-]{43}$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")


class SurveyRequestError(HelpdeskError):
    """A request the page must refuse; `reason` is logged (never customer data), `status` answered."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TokenError(SurveyRequestError):
    pass


@dataclass(frozen=True)
class Claim:
    """What a rating link says: this recipient gives this score to this question about this ticket."""

    ticket: int
    kind: str  # csat | nps
    score: int
    recipient: str
    expires: int  # Unix seconds

    @property
    def survey_round(self) -> str:
        """All links of one survey email share this id, so a survey escalates at most once per trigger."""
        return f"survey-{self.expires}"

    def payload(self) -> bytes:
        return f"1|{self.ticket}|{self.kind}|{self.score}|{self.expires}|{self.recipient}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_claim(token: str) -> Claim:
    """Read a token's claim WITHOUT checking its signature (tooling, and the first step of `check`)."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        raise TokenError("malformed", 400)
    try:
        fields = _unb64(token.partition(".")[0]).decode("utf-8").split("|", 5)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenError("malformed", 400) from exc
    if len(fields) != 6 or fields[0] != "1" or fields[2] not in QUESTIONS:
        raise TokenError("malformed", 400)
    version, ticket, kind, score, expires, recipient = fields
    if not all(_DIGITS.match(value) for value in (ticket, score, expires)) or "@" not in recipient:
        raise TokenError("malformed", 400)
    return Claim(int(ticket), kind, int(score), recipient, int(expires))


class SurveyTokens:
    """HMAC-SHA256 over the whole claim with the deployment's signing key; time from the injected clock."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        self.key = key
        self.clock = clock

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, _MAC_CONTEXT + payload, hashlib.sha256).digest()

    def sign(self, claim: Claim) -> str:
        """Sign any claim as given (tests use this to make tokens the issuing path refuses to)."""
        payload = claim.payload()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def issue(self, ticket: int, kind: str, score: int, recipient: str, expires: datetime) -> str:
        low, high = QUESTIONS[kind]
        if not low <= score <= high:
            raise ValueError(f"{kind} scores run from {low} to {high}")
        address = recipient.strip().lower()
        if "@" not in address:
            raise ValueError("a survey needs a recipient address")
        return self.sign(Claim(int(ticket), kind, int(score), address, int(expires.timestamp())))

    def make_link(self, base_url: str, ticket: int, kind: str, score: int, recipient: str,
                  expires: datetime) -> str:
        joiner = "&" if "?" in base_url else "?"
        return f"{base_url}{joiner}t={self.issue(ticket, kind, score, recipient, expires)}"

    def check(self, token: str) -> Claim:
        """The verified claim, or TokenError: malformed 400, altered 403, out of range 400, expired 410."""
        claim = parse_claim(token)
        payload_text, _, mac_text = token.partition(".")
        try:
            mac = _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise TokenError("malformed", 400) from exc
        if not hmac.compare_digest(mac, self._mac(_unb64(payload_text))):
            raise TokenError("bad_signature", 403)
        low, high = QUESTIONS[claim.kind]
        if not low <= claim.score <= high:
            raise TokenError("score_out_of_range", 400)
        if self.clock.now().timestamp() > claim.expires:
            raise TokenError("expired", 410)
        return claim

    def verify(self, token: str) -> Claim | None:
        try:
            return self.check(token)
        except TokenError:
            return None


