"""SES receipt events, read with the Powertools parser models, loosened where real mail differs.

Powertools' models require headers that some real messages lack (Subject, To, Date) and omit
the DKIM verdict that staff authentication needs, so we extend them rather than dig in dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    SesMail,
    SesMailCommonHeaders,
    SesMessage,
    SesReceipt,
    SesReceiptVerdict,
    SesRecordModel,
)
from pydantic import Field, ValidationError

from helpdesk.tickets.records import Verdicts


class LenientCommonHeaders(SesMailCommonHeaders):
    header_from: list[str] = Field(default_factory=list, alias="from")
    to: list[str] = Field(default_factory=list)
    # Real mail lacks these headers at times; Powertools declares them required, so we loosen them.
    returnPath: str | None = None  # type: ignore[assignment]
    messageId: str | None = None  # type: ignore[assignment]
    date: str | None = None  # type: ignore[assignment]
    subject: str | None = None  # type: ignore[assignment]


class ReceiptWithDkim(SesReceipt):
    processingTimeMillis: int = 0
    dkimVerdict: SesReceiptVerdict | None = None


class MailWithLenientHeaders(SesMail):
    headersTruncated: bool = False
    headers: list[Any] = Field(default_factory=list)
    commonHeaders: LenientCommonHeaders


class InboundSesMessage(SesMessage):
    mail: MailWithLenientHeaders
    receipt: ReceiptWithDkim


class InboundSesRecord(SesRecordModel):
    ses: InboundSesMessage


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


def read_record(raw: Any) -> SesRecord:
    try:
        model = parse(event=raw, model=InboundSesRecord)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) + f": {e['msg']}" for e in exc.errors()})
        mail = (raw.get("ses") or {}).get("mail") if isinstance(raw, dict) else None
        message_id = mail.get("messageId") if isinstance(mail, dict) else None
        raise InvalidRecordError(message_id if isinstance(message_id, str) else None, fields) from exc
    mail, receipt = model.ses.mail, model.ses.receipt
    verdicts = Verdicts(
        spam=receipt.spamVerdict.status,
        virus=receipt.virusVerdict.status,
        spf=receipt.spfVerdict.status,
        dkim=receipt.dkimVerdict.status if receipt.dkimVerdict else "MISSING",
        dmarc=receipt.dmarcVerdict.status,
    )
    headers = [(str(h.get("name", "")), str(h.get("value", ""))) if isinstance(h, dict) else (h.name, h.value)
               for h in mail.headers]
    return SesRecord(
        message_id=mail.messageId,
        received_at=receipt.timestamp,
        source=mail.source,
        recipients=list(receipt.recipients),
        verdicts=verdicts,
        subject=mail.commonHeaders.subject,
        from_=list(mail.commonHeaders.header_from),
        headers=headers,
    )
