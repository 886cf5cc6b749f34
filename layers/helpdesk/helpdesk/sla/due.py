"""Due work: the one record for everything that must happen at a time.

Acknowledgments, notifications, breach checks, warnings, customer updates, escalation steps,
SMS, follow-ups, surveys and retries are all `DueItem`s. Ids are deterministic within their
home (a ticket, or an SMS recipient's limit window), so writing one twice is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DueStatus = Literal["pending", "done", "failed"]


class DueItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: str
    ticket: int | None = None
    sms_window: str | None = None  # the home of SMS digests: a recipient's rate-limit window
    incident: int | None = None  # the home of an incident's own work: its cadence and fan-outs
    digest: str | None = None  # the home of notification digests: what they bundle (a sender, an incident)
    status: DueStatus = "pending"
    due_at: datetime
    planned_at: datetime | None = None
    attempts: int = 0
    payload: dict[str, Any] = Field(default_factory=dict)
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    failure: str | None = None
    outcome: str | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    tickets: list[int] = Field(default_factory=list)  # a digest's tickets, gathered as they arrive
    # What the creator already holds in memory (the entry a notification is about); never stored.
    attached: Any = Field(default=None, exclude=True)

    @classmethod
    def new(cls, ticket: int | None, item_id: str, kind: str, at: datetime, payload: dict[str, Any] | None = None,
            *, lease_owner: str | None = None, lease_until: datetime | None = None) -> DueItem:
        """A pending item; with a lease it is already claimed by the caller's fast path."""
        return cls(id=item_id, kind=kind, ticket=ticket, due_at=lease_until or at, planned_at=at,
                   payload=dict(payload or {}), lease_owner=lease_owner, lease_until=lease_until,
                   attempts=1 if lease_owner else 0)

    @property
    def planned(self) -> datetime:
        return self.planned_at or self.due_at

    @property
    def plan(self) -> int:
        """The plan generation this item belongs to; a re-plan makes older generations stale."""
        return int(self.payload.get("plan", 1))
