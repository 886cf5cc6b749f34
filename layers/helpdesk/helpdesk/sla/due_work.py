"""Durable obligations: claim with a lease, perform, then complete or reschedule.

A claim moves the item's `due_at` to the end of its lease, so the sweeper's index query sees
it again only if the worker died. Completion removes `due_shard`, which drops the item from the
sparse DueWork index. Every transition is a conditional write, so two workers never both win.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from helpdesk.adapters.aws.store import TicketStore
from helpdesk.adapters.aws.table import Update, Write
from helpdesk.core.clock import iso
from helpdesk.core.errors import ConflictError

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)


def new_lease_owner() -> str:
    return uuid.uuid4().hex[:16]


def lease_until(now: datetime) -> str:
    return iso(now + LEASE)


def claim(store: TicketStore, pk: str, sk: str, owner: str, now: datetime) -> dict[str, Any] | None:
    """Take the lease on a pending item that is due and not leased; None if someone else has it."""
    update = Update(
        pk, sk,
        sets={"lease_owner": owner, "lease_until": lease_until(now), "due_at": lease_until(now)},
        adds={"attempts": 1},
        condition="#status = :pending AND #due <= :now AND (attribute_not_exists(#lease) OR #lease <= :now)",
        values={":pending": "pending", ":now": iso(now)},
    )
    try:
        return store.update(update, return_new=True)
    except ConflictError:
        return None


def complete_write(pk: str, sk: str, owner: str, now: datetime, **result: Any) -> Write:
    return Update(
        pk, sk,
        sets={"status": "done", "completed_at": iso(now), **{k: v for k, v in result.items() if v is not None}},
        removes=["due_shard", "lease_until", "lease_owner"],
        condition="#owner = :me AND #status = :pending",
        values={":me": owner, ":pending": "pending"},
        label="due",
    ).write()


def fail_write(pk: str, sk: str, owner: str, now: datetime, reason: str) -> Write:
    """A permanent failure: recorded, out of the index, never retried."""
    return Update(
        pk, sk,
        sets={"status": "failed", "failed_at": iso(now), "failure": reason},
        removes=["due_shard", "lease_until", "lease_owner"],
        condition="#owner = :me", values={":me": owner}, label="due",
    ).write()


def backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=30 * (2 ** max(0, attempts - 1))))


def reschedule(store: TicketStore, pk: str, sk: str, owner: str, now: datetime, attempts: int,
               error: str, at: datetime | None = None, *, replan: bool = False) -> None:
    """Give the item back, by default with a backoff, so a later sweep performs it.

    `replan` moves the planned time too (a cadence reset), not just the next attempt.
    """
    due = iso(at or now + backoff(attempts))
    sets = {"due_at": due, "last_error": error, **({"planned_at": due} if replan else {})}
    update = Update(
        pk, sk,
        sets=sets,
        removes=["lease_until", "lease_owner"],
        condition="#owner = :me", values={":me": owner},
    )
    try:
        store.update(update)
    except ConflictError:
        pass  # the lease was lost; whoever holds it now owns the retry
