"""What intake remembers besides tickets: each inbound message's outcome, and each sender's history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.tickets.records import Verdicts

OutcomeName = Literal["created", "threaded", "dropped", "quarantined", "duplicate"]
DAY = timedelta(days=1)


class InboundRecord(BaseModel):
    """One SES message and what became of it; the raw mail stays in S3 under `raw_key`."""

    model_config = ConfigDict(extra="ignore")

    ses_message_id: str
    outcome: OutcomeName
    reason: str | None = None
    ticket: int | None = None
    severity: str | None = None
    raw_key: str
    received_at: datetime
    recorded_at: datetime
    verdicts: Verdicts | None = None


class SenderRecord(BaseModel):
    """A sender's recent acknowledgments and contacts (sliding windows) and whether mail bounces."""

    model_config = ConfigDict(extra="ignore")

    address: str
    version: int = 0
    undeliverable: bool = False
    undeliverable_since: datetime | None = None
    undeliverable_kind: str | None = None
    ack_times: list[int] = Field(default_factory=list)
    contact_times: list[int] = Field(default_factory=list)
    ticket_times: list[int] = Field(default_factory=list)

    @staticmethod
    def within(times: list[int], now: datetime, window: timedelta) -> list[int]:
        floor = now.timestamp() - window.total_seconds()
        return [t for t in times if t > floor]

    def acks_within(self, now: datetime, window: timedelta) -> int:
        return len(self.within(self.ack_times, now, window))

    def contacts_within(self, now: datetime, window: timedelta) -> int:
        return len(self.within(self.contact_times, now, window))
