"""Small value records a ticket holds: SES verdicts, a stopped clock's outcome, the health watch."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Verdicts(BaseModel):
    """What SES concluded about a message on receipt (spam and virus scans, SPF, DKIM, DMARC)."""

    model_config = ConfigDict(frozen=True)

    spam: str = "MISSING"
    virus: str = "MISSING"
    spf: str = "MISSING"
    dkim: str = "MISSING"
    dmarc: str = "MISSING"

    def as_dict(self) -> dict[str, str]:
        return self.model_dump()


class ClockOutcome(BaseModel):
    """The SLA result of a clock that stopped: met or breached, time on the clock and on the wall."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["met", "breached"]
    due: datetime
    at: datetime
    minutes: float
    wall_minutes: float


class HealthWatch(BaseModel):
    """The account is inside the monitoring window that follows a serious incident."""

    model_config = ConfigDict(frozen=True)

    until: datetime
    source_ticket: int | None = None


class KbArticle(BaseModel):
    """A knowledge-base article created or updated for a ticket (`#kb <url or title>`)."""

    model_config = ConfigDict(frozen=True)

    ref: str
    at: datetime
    by: str = ""
