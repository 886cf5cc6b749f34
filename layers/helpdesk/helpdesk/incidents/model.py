"""The incident record and its log: one problem, the tickets it caused, and what was said about it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.core.clock import iso

IncidentStatus = Literal["open", "resolved"]
_ID = re.compile(r"^\s*(?:inc-?)?(\d+)\s*$", re.IGNORECASE)
SIGNATURES_KEPT = 20  # member signatures an open incident compares new tickets against


def incident_id(number: int) -> str:
    return f"INC-{number}"


def incident_number(text: str) -> int | None:
    """`INC-12`, `inc12` or `12`; None for anything else."""
    match = _ID.match(str(text or ""))
    return int(match.group(1)) if match else None


class Incident(BaseModel):
    model_config = ConfigDict(extra="ignore")

    number: int
    title: str
    severity: str
    status: IncidentStatus = "open"
    owner: str | None = None
    status_line: str = ""  # the public line every linked customer reads in updates
    tickets: set[int] = Field(default_factory=set)
    lead: int | None = None  # the ticket whose escalation chain speaks for the incident
    accounts: dict[str, float] = Field(default_factory=dict)  # account (domain) -> ARR
    account_names: dict[str, str] = Field(default_factory=dict)
    strategic: set[str] = Field(default_factory=set)  # accounts flagged strategic, fortune500 or $500K ARR and more
    category: str = ""
    triggers: set[str] = Field(default_factory=set)
    signatures: list[list[int]] = Field(default_factory=list)
    opened_by: str = "detection"
    reason: str = ""
    created_at: datetime
    updated_at: datetime | None = None
    first_update_at: datetime | None = None
    last_update_at: datetime | None = None
    resolved_at: datetime | None = None
    updates_sent: int = 0  # fan-outs started (cadence and staff updates)
    next_update_at: datetime | None = None
    root_cause: str = ""
    fix: str = ""
    prevention: str = ""

    @property
    def id(self) -> str:
        return incident_id(self.number)

    @property
    def arr(self) -> float:
        return sum(self.accounts.values())

    @property
    def open(self) -> bool:
        return self.status == "open"

    def summary(self) -> dict[str, object]:
        """The JSON shape `helpdesk incidents` and `incident show` print (a public contract: extend only)."""
        return {"incident": self.id, "title": self.title, "severity": self.severity, "status": self.status,
                "owner": self.owner, "status_line": self.status_line, "tickets": sorted(self.tickets),
                "lead_ticket": self.lead, "accounts": sorted(self.accounts), "arr_affected": self.arr,
                "strategic_accounts": sorted(self.account_names.get(a, a) for a in self.strategic),
                "opened_by": self.opened_by, "reason": self.reason, "created_at": self.created_at.isoformat(),
                "first_update_at": self.first_update_at.isoformat() if self.first_update_at else None,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
                "updates_sent": self.updates_sent}


class IncidentEntry(BaseModel):
    """One line of an incident's own log: opened, linked, unlinked, an update, resolved."""

    model_config = ConfigDict(extra="ignore")

    incident: int
    at: datetime
    kind: str
    key: str = ""
    actor: str = "system"
    ticket: int | None = None
    text: str = ""

    @property
    def id(self) -> str:
        return f"{iso(self.at)}#{self.kind}#{self.key}"


class RecentTicket(BaseModel):
    """A new ticket as the detection window remembers it: no text, only its signature."""

    model_config = ConfigDict(extra="ignore")

    ticket: int
    account: str
    at: datetime
    category: str = ""
    triggers: list[str] = Field(default_factory=list)
    hashes: list[int] = Field(default_factory=list)
    severity: str = ""
    arr: float = 0.0
    name: str = ""
    strategic: bool = False


class OpenIncident(BaseModel):
    """An open incident as detection sees it (the open index): enough to match and to join."""

    model_config = ConfigDict(extra="ignore")

    number: int
    title: str
    severity: str
    lead: int | None = None
    category: str = ""
    triggers: list[str] = Field(default_factory=list)
    signatures: list[list[int]] = Field(default_factory=list)
    tickets_count: int = 0

    @property
    def id(self) -> str:
        return incident_id(self.number)

    @classmethod
    def of(cls, incident: Incident) -> OpenIncident:
        return cls(number=incident.number, title=incident.title, severity=incident.severity, lead=incident.lead,
                   category=incident.category, triggers=sorted(incident.triggers), signatures=incident.signatures,
                   tickets_count=len(incident.tickets))
