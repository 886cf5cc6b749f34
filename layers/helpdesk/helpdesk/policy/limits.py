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
