"""SES outbound. Raw sends, so the threading headers are ours."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from helpdesk.adapters.aws.clients import client
from helpdesk.adapters.aws.failures import raise_for


class Mailer:
    def __init__(self, region: str | None = None, ses: Any = None) -> None:
        self._ses = ses
        self._region = region

    @property
    def ses(self) -> Any:
        if self._ses is None:
            self._ses = client("ses")
        return self._ses

    def send_raw(self, source: str, destinations: list[str], raw: bytes) -> str:
        """Send and return the Message-ID that SES assigned (the one replies will reference)."""
        try:
            response = self.ses.send_raw_email(Source=source, Destinations=destinations, RawMessage={"Data": raw})
        except (ClientError, BotoCoreError) as exc:
            raise_for(exc, "ses.send_raw_email")  # pauses and throttling are transient; see failures.py
        return ses_message_id(response["MessageId"], self.ses.meta.region_name)


def ses_message_id(raw_id: str, region: str) -> str:
    """SES rewrites Message-ID to `<id@email.amazonses.com>` (us-east-1) or `<id@REGION.amazonses.com>`."""
    domain = "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
    return f"<{raw_id}@{domain}>"
