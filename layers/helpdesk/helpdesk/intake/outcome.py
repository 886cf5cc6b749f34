"""What intake decided about one message: the public contract of `helpdesk replay --json`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpdesk.intake.records import OutcomeName


@dataclass
class Outcome:
    message_id: str
    outcome: OutcomeName
    ticket: int | None = None
    severity: str | None = None
    reason: str | None = None
    emails_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "outcome": self.outcome, "ticket": self.ticket,
                "severity": self.severity, "reason": self.reason, "emails_sent": self.emails_sent}
