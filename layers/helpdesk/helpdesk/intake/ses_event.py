"""SES receipt events, validated field by field without a model library.

The checks follow the SES event's documented shape (the one Powertools' SES models encode), loosened
where real mail differs: Subject, To, Date, Return-Path and Message-ID headers may be missing, the
DKIM verdict is read when present, and the header list and processing time may be absent. Errors
name every bad field by its path (`ses.receipt.spamVerdict: Field required`). Reading an event this
way costs microseconds and no imports, where the parser package loads every event model it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.tickets.records import Verdicts

VERDICTS = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED")
Check = Callable[[Any], str | None]  # a problem with a value, or None


@dataclass(frozen=True)
class SesRecord:
    message_id: str
    received_at: datetime
    source: str
    recipients: list[str]
    verdicts: Verdicts
    subject: str | None
    from_: list[str]
    headers: list[tuple[str, str]]


class InvalidRecordError(ValueError):
    def __init__(self, message_id: str | None, fields: list[str]) -> None:
        super().__init__(f"invalid SES record: {', '.join(fields)}")
        self.message_id = message_id
        self.fields = fields


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "Input should be a valid string"


def _texts(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "Input should be a valid list of strings"


def _instant(value: Any) -> str | None:
    return None if _parse_instant(value) is not None else "Input should be a valid datetime"


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else "Input should be " + ", ".join(repr(a) for a in allowed)

    return check


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else "Input should be a non-negative integer"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "Input should be a valid boolean"


def _listing(value: Any) -> str | None:
    return None if isinstance(value, list) else "Input should be a valid list"


# (path, required, check): paths below a missing or non-object parent are reported once, at the parent.
_VERDICT = {"status": (True, _one_of(*VERDICTS))}
SCHEMA: dict[str, Any] = {
    "eventSource": (True, _one_of("aws:ses")),
    "eventVersion": (True, _text),
    "ses": (True, {
        "mail": (True, {
            "timestamp": (True, _instant), "source": (True, _text), "messageId": (True, _text),
            "destination": (True, _texts), "headersTruncated": (False, _flag), "headers": (False, _listing),
            "commonHeaders": (True, {
                "from": (False, _texts), "to": (False, _texts), "returnPath": (False, _text),
                "messageId": (False, _text), "date": (False, _text), "subject": (False, _text),
            }),
        }),
        "receipt": (True, {
            "timestamp": (True, _instant), "processingTimeMillis": (False, _count), "recipients": (True, _texts),
            "spamVerdict": (True, _VERDICT), "virusVerdict": (True, _VERDICT), "spfVerdict": (True, _VERDICT),
            "dmarcVerdict": (True, _VERDICT), "dkimVerdict": (False, _VERDICT),
            "action": (True, {"type": (True, _one_of("Lambda")), "invocationType": (True, _one_of("Event")),
                              "functionArn": (True, _text)}),
        }),
    }),
}


def problems(value: Any, schema: dict[str, Any] = SCHEMA, path: str = "") -> list[str]:
    """Every field that is missing or malformed, as `path: problem`."""
    if not isinstance(value, dict):
        return [f"{path or 'record'}: Input should be a valid dictionary"]
    found = []
    for name, (required, check) in schema.items():
        where = f"{path}.{name}" if path else name
        if value.get(name) is None:
            if required:
                found.append(f"{where}: Field required")
            continue
        if isinstance(check, dict):
            found += problems(value[name], check, where)
        elif (problem := check(value[name])) is not None:
            found.append(f"{where}: {problem}")
    return found


def _message_id(raw: Any) -> str | None:
    ses = raw.get("ses") if isinstance(raw, dict) else None
    mail = ses.get("mail") if isinstance(ses, dict) else None
    message_id = mail.get("messageId") if isinstance(mail, dict) else None
    return message_id if isinstance(message_id, str) else None


def _headers(mail: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(h.get("name", "")), str(h.get("value", ""))) for h in mail.get("headers") or []
            if isinstance(h, dict)]


def read_record(raw: Any) -> SesRecord:
    found = problems(raw)
    if found:
        raise InvalidRecordError(_message_id(raw), sorted(set(found)))
    mail, receipt = raw["ses"]["mail"], raw["ses"]["receipt"]
    common = mail["commonHeaders"]
    verdicts = Verdicts(spam=receipt["spamVerdict"]["status"], virus=receipt["virusVerdict"]["status"],
                        spf=receipt["spfVerdict"]["status"],
                        dkim=(receipt.get("dkimVerdict") or {}).get("status", "MISSING"),
                        dmarc=receipt["dmarcVerdict"]["status"])
    received_at = _parse_instant(receipt["timestamp"])
    assert received_at is not None  # checked above
    return SesRecord(message_id=mail["messageId"], received_at=received_at, source=mail["source"],
                     recipients=list(receipt["recipients"]), verdicts=verdicts, subject=common.get("subject"),
                     from_=list(common.get("from") or []), headers=_headers(mail))
