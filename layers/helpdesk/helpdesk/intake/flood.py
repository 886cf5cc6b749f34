"""Flood control: acknowledgment caps per sender and per domain, backscatter, contact windows,
one repeat-contacts escalation per account and window, and digests of notifications.

Every window is written with a version condition inside the same transaction as the ticket, so
N concurrent messages from one sender never exceed a cap: the losers re-read and decide again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from helpdesk.accounts.lookup import registrable_domain
from helpdesk.intake.participants import FREE_MAIL
from helpdesk.intake.records import DAY, SenderRecord
from helpdesk.mail.loops import ack_suppression
from helpdesk.sla.due import DueItem

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.intake.services import IntakeServices
    from helpdesk.mail.parsing import InboundMail
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.records import Verdicts

HOUR = timedelta(hours=1)
DIGEST_KIND = "notify_digest"


def sender_domain(address: str) -> str | None:
    """The domain whose acknowledgments are capped together; free-mail users are strangers, not a domain."""
    domain = registrable_domain(address)
    return None if domain in FREE_MAIL else domain


def forged(verdicts: Verdicts) -> bool:
    """SPF and DKIM both failed to vouch for the sender and DMARC says the From domain disowns it."""
    return verdicts.spf != "PASS" and verdicts.dkim != "PASS" and verdicts.dmarc == "FAIL"


def _over_cap(record: SenderRecord | None, per_hour: int, per_day: int, now: datetime) -> str | None:
    if record is None:
        return None
    if record.acks_within(now, HOUR) >= per_hour:
        return "hour"
    return "day" if record.acks_within(now, DAY) >= per_day else None


def ack_suppression_reason(policy: Policy, mail: InboundMail, sender: SenderRecord, domain: SenderRecord | None,
                           verdicts: Verdicts, now: datetime) -> str | None:
    """Why a real ticket must still get no automatic acknowledgment, or None."""
    if sender.undeliverable:
        return "recipient_undeliverable"
    if forged(verdicts):
        return "unauthenticated_sender"  # answering would send backscatter to whoever was forged
    limits = policy.ack_limits
    window = _over_cap(sender, limits.per_hour, limits.per_day, now)
    if window:
        return f"ack_rate_limited_{window}"
    window = _over_cap(domain, limits.domain_per_hour, limits.domain_per_day, now)
    if window:
        return f"ack_rate_limited_domain_{window}"
    return ack_suppression(mail)


def after_contact(policy: Policy, sender: SenderRecord, now: datetime, *, acknowledged: bool,
                  new_ticket: bool = False) -> SenderRecord:
    """The sender's windows once this message is counted (and acknowledged, when it will be)."""
    stamp = int(now.timestamp())
    contacts = [*SenderRecord.within(sender.contact_times, now, policy.thresholds.repeat_contacts.within), stamp]
    acks = SenderRecord.within(sender.ack_times, now, DAY) + ([stamp] if acknowledged else [])
    tickets = SenderRecord.within(sender.ticket_times, now, policy.intake.notify_digest_window)
    return sender.model_copy(update={"contact_times": contacts, "ack_times": acks,
                                     "ticket_times": [*tickets, stamp] if new_ticket else tickets})


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


def repeat_scope(account: Account, sender: str) -> str:
    """Repeat contacts escalate once per account; unknown senders count per domain (or per address)."""
    return account.domain if not account.is_default else (sender_domain(sender) or sender)


def bundled(policy: Policy, sender: SenderRecord, now: datetime) -> bool:
    """Past the first few new tickets from one sender in the window, notifications go into a digest."""
    within = SenderRecord.within(sender.ticket_times, now, policy.intake.notify_digest_window)
    return len(within) >= policy.intake.notify_digest_after


def digest_item(policy: Policy, what: str, now: datetime, **payload: str) -> DueItem:
    """The digest of one window for `what` (a sender, an incident): due when the window ends."""
    window = policy.intake.notify_digest_window.total_seconds()
    start = int(now.timestamp() // window * window)
    key = hashlib.blake2b(what.encode(), digest_size=8).hexdigest()
    due = datetime.fromtimestamp(start + window, tz=now.tzinfo)
    return DueItem(id=f"{DIGEST_KIND}#{start}", kind=DIGEST_KIND, digest=key, due_at=due, planned_at=due,
                   payload={"what": what, **payload})


def raise_triggers(services: IntakeServices, number: int, fired: list[str], account: Account, sender: str,
                   occurrence: str) -> None:
    """Escalate what a message fired; repeat contacts at most once per account and policy window."""
    now = services.clock.now()
    window = services.policy.thresholds.repeat_contacts.within
    raised = []
    for trigger in fired:
        if trigger == "repeat_contacts":
            if not services.store.accounts.claim_once(repeat_scope(account, sender), trigger, now + window, now):
                continue
            raised.append((trigger, now.strftime("%Y%m%d%H%M")))
        else:
            raised.append((trigger, occurrence))
    services.escalator.raise_triggers(number, raised)
