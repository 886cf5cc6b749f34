"""SES receipt events as Lambda receives them, built from raw MIME for local delivery."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from helpdesk.core.clock import iso
from helpdesk_local.embedded import ACCOUNT_ID, REGION

PASS = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}


def _header_list(raw: bytes) -> list[dict[str, str]]:
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    return [{"name": str(k), "value": str(v)} for k, v in message.items()][:100]


def ses_event(raw: bytes, *, message_id: str, recipients: list[str], received_at: datetime,
              verdicts: dict[str, str] | None = None, envelope_from: str | None = None) -> dict[str, Any]:
    headers = _header_list(raw)
    lookup = {h["name"].lower(): h["value"] for h in reversed(headers)}
    verdict = {**PASS, **(verdicts or {})}
    sender = [a for _, a in getaddresses([lookup.get("from", "")]) if a]
    return_path = lookup.get("return-path", "").strip()
    common: dict[str, Any] = {
        "from": [lookup["from"]] if "from" in lookup else [],
        "to": [lookup["to"]] if "to" in lookup else [],
        "returnPath": return_path.strip("<>") if return_path else (sender[0] if sender else ""),
        "messageId": lookup.get("message-id", f"<{message_id}@local>"),
        "date": lookup.get("date", ""),
    }
    if "subject" in lookup:
        common["subject"] = lookup["subject"]
    source = envelope_from if envelope_from is not None else (
        return_path.strip("<>") if return_path else (sender[0] if sender else ""))
    return {"Records": [{
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": iso(received_at), "source": source, "messageId": message_id,
                "destination": recipients, "headersTruncated": False, "headers": headers,
                "commonHeaders": common,
            },
            "receipt": {
                "timestamp": iso(received_at), "processingTimeMillis": 250, "recipients": recipients,
                "spamVerdict": {"status": verdict["spam"]}, "virusVerdict": {"status": verdict["virus"]},
                "spfVerdict": {"status": verdict["spf"]}, "dkimVerdict": {"status": verdict["dkim"]},
                "dmarcVerdict": {"status": verdict["dmarc"]},
                "action": {"type": "Lambda", "invocationType": "Event",
                           "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:inbound"},
            },
        },
    }]}


def scheduled_event(at: datetime) -> dict[str, Any]:
    """What EventBridge sends a rate(1 minute) target."""
    return {
        "version": "0", "id": f"sweep-{iso(at)}", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": ACCOUNT_ID, "time": iso(at), "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/helpdesk-local-sweeper"], "detail": {},
    }
