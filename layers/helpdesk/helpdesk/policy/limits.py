"""Limits in the policy file: acknowledgment caps, thresholds, and who may join a ticket."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from helpdesk.policy.durations import Duration
from helpdesk.policy.hours import Strict


class AckLimits(Strict):
    """Automatic acknowledgments per sender and per sender domain, over sliding windows."""

    per_hour: int = Field(default=3, ge=0)
    per_day: int = Field(default=10, ge=0)
    domain_per_hour: int = Field(default=20, ge=0)  # a flood of forged or scripted senders from one domain
    domain_per_day: int = Field(default=60, ge=0)


class Intake(Strict):
    """Who may join a ticket, and when staff notifications about one sender are bundled."""

    colleagues_may_join: bool = True  # same registrable domain as the requester (never free-mail domains)
    notify_digest_after: int = Field(default=3, ge=1)  # tickets from one sender in the window notified singly
    notify_digest_window: Duration = timedelta(hours=1)


class RepeatContacts(Strict):
    count: int = Field(default=3, ge=2)
    within: Duration = timedelta(hours=24)


class Thresholds(Strict):
    csat_low_below: float = 3.0
    nps_detractor_below: int = 6
    revenue_risk_min_arr: float = 100_000
    repeat_contacts: RepeatContacts = RepeatContacts()
    breach_warnings: list[float] = Field(default_factory=lambda: [0.75, 0.9])


class IncidentDetection(Strict):
    """When new tickets count as one problem: enough of them, from enough accounts, close in time and wording."""

    min_tickets: int = Field(default=3, ge=2)
    min_accounts: int = Field(default=2, ge=1)
    window: Duration = timedelta(minutes=15)
    similarity: float = Field(default=0.5, gt=0, le=1)  # word overlap needed with the category or a trigger shared
    similarity_alone: float = Field(default=0.75, gt=0, le=1)  # word overlap needed when nothing else is shared


class Incidents(Strict):
    """Incidents: detection, whose notifications are bundled, and which triggers still escalate one ticket."""

    enabled: bool = True
    detect: IncidentDetection = IncidentDetection()
    notify_first: int = Field(default=3, ge=0)  # staff hear about this many tickets of an incident singly
    # Triggers a linked ticket still escalates on its own (once): the incident's chain does not cover them.
    own_triggers: list[str] = Field(default_factory=lambda: [
        "churn_threat", "legal", "public_relations", "escalation_request", "security_incident", "data_loss",
        "hipaa", "patient_safety", "pci", "executive_involvement", "financial_impact", "manual"])
    fanout_batch: int = Field(default=50, ge=1, le=100)  # notices created per fan-out step
