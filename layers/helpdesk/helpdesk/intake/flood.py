"""Flood control: acknowledgment caps per sender, contact windows, and the event triggers.

Caps slide over an hour and a day. The sender's windows are written with a version condition
inside the same transaction as the ticket, so concurrent mail from one sender cannot overwrite
each other's counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from helpdesk.intake.records import DAY, SenderRecord
from helpdesk.mail.loops import ack_suppression

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.mail.parsing import InboundMail
    from helpdesk.policy.models import Policy

HOUR = timedelta(hours=1)


def ack_suppression_reason(policy: Policy, mail: InboundMail, sender: SenderRecord, now: datetime) -> str | None:
    """Why a real ticket must still get no automatic acknowledgment, or None."""
    if sender.undeliverable:
        return "recipient_undeliverable"
    limits = policy.ack_limits
    if sender.acks_within(now, HOUR) >= limits.per_hour:
        return "ack_rate_limited_hour"
    if sender.acks_within(now, DAY) >= limits.per_day:
        return "ack_rate_limited_day"
    return ack_suppression(mail)


def after_contact(policy: Policy, sender: SenderRecord, now: datetime, *, acknowledged: bool) -> SenderRecord:
    """The sender's windows once this message is counted (and acknowledged, when it will be)."""
    window = policy.thresholds.repeat_contacts.within
    stamp = int(now.timestamp())
    contacts = [*SenderRecord.within(sender.contact_times, now, window), stamp]
    acks = SenderRecord.within(sender.ack_times, now, DAY) + ([stamp] if acknowledged else [])
    return sender.model_copy(update={"contact_times": contacts, "ack_times": acks})


def event_triggers(policy: Policy, found: list[str], sender: SenderRecord, account: Account, emotion: str,
                   now: datetime) -> list[str]:
    """Classifier triggers plus the event triggers: repeat contacts and revenue at risk."""
    thresholds = policy.thresholds
    fired = list(found)
    if 1 + sender.contacts_within(now, thresholds.repeat_contacts.within) >= thresholds.repeat_contacts.count:
        fired.append("repeat_contacts")
    unhappy = emotion in ("frustrated", "angry") or {"churn_threat", "escalation_request"} & set(found)
    if account.arr > thresholds.revenue_risk_min_arr and unhappy:
        fired.append("revenue_risk")
    return [t for t in dict.fromkeys(fired) if t in policy.triggers]
