"""Detection: does a new ticket belong to an open incident, or with recent tickets make a new one?

The policy's threshold (`incidents.detect`) counts tickets of the window whose signature matches
the new one: the same category or a shared trigger with enough word overlap, or a large word
overlap alone. Only the current and the previous window are read (one BatchGetItem) and the
newest incidents (one bounded Query), never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from helpdesk.core.clock import iso
from helpdesk.incidents.model import OpenIncident, RecentTicket
from helpdesk.incidents.signature import Signature, similarity

if TYPE_CHECKING:
    from helpdesk.policy.limits import IncidentDetection
    from helpdesk.policy.models import Policy

@dataclass
class Match:
    """A decision: join `incident`, or open one with `tickets` (the earlier ones and this one)."""

    reason: str
    incident: OpenIncident | None = None
    tickets: list[RecentTicket] = field(default_factory=list)
    overlap: float = 0.0


def window_starts(now: datetime, window: timedelta) -> tuple[str, str]:
    """The current detection window and the one before it: together they cover the last `window`."""
    size = int(window.total_seconds())
    start = int(now.timestamp()) // size * size
    as_text = [iso(datetime.fromtimestamp(s, tz=now.tzinfo)) for s in (start, start - size)]
    return as_text[0], as_text[1]


def overlap_if_match(sig: Signature, category: str, triggers: set[str] | list[str], hashes: list[int],
                     detect: IncidentDetection) -> float:
    """The word overlap when the two signatures count as one problem, else 0."""
    found = similarity(list(sig.hashes), hashes)
    shared = sig.category == category or bool(sig.triggers & set(triggers))
    return found if found >= (detect.similarity if shared else detect.similarity_alone) else 0.0


def severity_rank(policy: Policy, severity: str) -> int:
    """0 is the most severe (the policy lists severities from the top)."""
    order = list(policy.severities)
    return order.index(severity) if severity in order else len(order)


def join_open(sig: Signature, incidents: list[OpenIncident], detect: IncidentDetection) -> Match | None:
    best: tuple[float, OpenIncident] | None = None
    for incident in incidents:
        score = max((overlap_if_match(sig, incident.category, incident.triggers, h, detect)
                     for h in incident.signatures), default=0.0)
        if score and (best is None or score > best[0]):
            best = (score, incident)
    if best is None:
        return None
    score, incident = best
    return Match(f"its wording matches {incident.id} ({incident.title}): {score:.0%} word overlap with "
                 f"earlier reports", incident=incident, overlap=score)


def cluster(me: RecentTicket, sig: Signature, recent: list[RecentTicket], detect: IncidentDetection,
            now: datetime) -> Match | None:
    """Open a new incident when enough matching tickets from enough accounts arrived in the window."""
    since = now - detect.window
    alike = [r for r in recent if r.ticket != me.ticket and r.at >= since
             and overlap_if_match(sig, r.category, r.triggers, r.hashes, detect)]
    members = {r.ticket: r for r in [*alike, me]}
    accounts = {r.account for r in members.values()}
    if len(members) < detect.min_tickets or len(accounts) < detect.min_accounts:
        return None
    minutes = max(1, int((now - min(r.at for r in members.values())).total_seconds() // 60))
    return Match(f"{len(members)} tickets from {len(accounts)} accounts in {minutes} min describe the same "
                 f"problem ({sig.category})", tickets=sorted(members.values(), key=lambda r: r.ticket))
