"""The annual protocol update: the year's KPI trends, and the policy changes made during it.

Policy changes are read from the snapshots tickets carry: each ticket stores the digest of the
policy it opened under, and the snapshot of every digest is kept. Grouping the year's tickets by
digest, in the order each first appears, gives the policies in force and when each took over;
comparing consecutive snapshots field by field says what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helpdesk.core.clock import iso
from helpdesk.reports.formatting import local_time
from helpdesk.reports.periods import Period
from helpdesk.tickets.records import Ticket

MAX_CHANGES = 40  # field changes listed per policy change; the rest are counted
_SHOWN = 60  # characters of a changed value


@dataclass(frozen=True)
class PolicyInForce:
    digest: str
    name: str
    first_ticket: str  # when the first ticket of the year opened under it
    last_ticket: str
    tickets: int
    changes: list[str]  # from the policy before it: "path: old -> new"
    more_changes: int
    known: bool  # whether its snapshot could be read


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def diff(before: Any, after: Any, path: str = "") -> list[str]:
    """Field paths whose values differ, as `path: old -> new` (added and removed keys included)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in before:
                found.append(f"{where}: added ({_short(after[key])})")
            elif key not in after:
                found.append(f"{where}: removed")
            else:
                found += diff(before[key], after[key], where)
        return found
    return [] if before == after else [f"{path or '(whole policy)'}: {_short(before)} -> {_short(after)}"]


def policies_in_force(tickets: Iterable[Ticket], period: Period,
                      documents: Mapping[str, dict[str, Any] | None]) -> list[PolicyInForce]:
    """The policies the period's tickets opened under, oldest first, each with what changed."""
    seen: dict[str, list[Ticket]] = {}
    for t in sorted((t for t in tickets if period.contains(t.created_at)), key=lambda t: (t.created_at, t.number)):
        seen.setdefault(t.policy_digest or "", []).append(t)
    out = []
    previous: dict[str, Any] | None = None
    for digest, members in seen.items():
        document = documents.get(digest) if digest else None
        changes = diff(previous, document) if previous is not None and document is not None else []
        out.append(PolicyInForce(
            digest or "unknown", (document or {}).get("name", members[0].policy_name or "unknown"),
            local_time(iso(members[0].created_at), period.timezone, "%d %b %Y"),
            local_time(iso(members[-1].created_at), period.timezone, "%d %b %Y"), len(members),
            changes[:MAX_CHANGES], max(0, len(changes) - MAX_CHANGES), document is not None))
        previous = document if document is not None else previous
    return out
