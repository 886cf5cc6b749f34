"""Due items as table items: claim with a lease, complete, fail, release, and the sparse index.

A claim moves `due_at` to the end of the lease, so the index shows the item again only if its
worker died. Completion and failure remove `due_shard`, which drops it from the DueWork index.
Every transition is conditional, so two workers never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.adapters.aws.codec import stored, to_attributes
from helpdesk.adapters.aws.keys import DUE, digest_pk, due_shard, incident_pk, sms_window_pk, ticket_pk
from helpdesk.adapters.aws.table import Table, Update, Write, put
from helpdesk.adapters.aws.tickets import due_from_item
from helpdesk.core.clock import iso
from helpdesk.core.errors import ConflictError
from helpdesk.sla.due import DueItem

PAGE = 25
_CLEAR_LEASE = ["due_shard", "lease_until", "lease_owner"]


def home_pk(item: DueItem) -> str:
    if item.sms_window:
        return sms_window_pk(item.sms_window)
    if item.digest:
        return digest_pk(item.digest)
    if item.incident is not None:
        return incident_pk(item.incident)
    if item.ticket is None:
        raise ValueError(f"due item {item.id!r} has no home")
    return ticket_pk(item.ticket)


class DueRepository:
    def __init__(self, table: Table, shards: int) -> None:
        self.table = table
        self.shards = shards

    def _item(self, item: DueItem) -> dict[str, Any]:
        pk, sk = home_pk(item), DUE + item.id
        attributes = {"PK": pk, "SK": sk, "type": "due", **to_attributes(item)}
        attributes.pop("id", None)
        if item.status == "pending":
            attributes["due_shard"] = due_shard(pk, sk, self.shards)
        return attributes

    # -- writes inside transactions ----------------------------------------------------------

    def add(self, item: DueItem) -> Write:
        return put(self._item(item))

    def add_once(self, item: DueItem, label: str = "due_once") -> Write:
        return put(self._item(item), only_if_new=True, label=label)

    def gather(self, item: DueItem, ticket: int) -> Write:
        """Add a ticket to a pending digest, creating the digest if this is its first ticket (one upsert)."""
        pk, sk = home_pk(item), DUE + item.id
        first = {"type": "due", "kind": item.kind, "status": "pending", "due_at": iso(item.due_at),
                 "planned_at": iso(item.planned), "attempts": 0, "payload": stored(item.payload),
                 "digest": item.digest, "due_shard": due_shard(pk, sk, self.shards)}
        names = {f"#g{i}": name for i, name in enumerate(first)}
        sets = [f"#g{i} = if_not_exists(#g{i}, :g{i})" for i in range(len(first))]
        values = {f":g{i}": value for i, value in enumerate(first.values())}
        return Update(pk, sk, raw_sets=[*sets, "tickets = list_append(if_not_exists(tickets, :none), :ticket)"],
                      values={**values, ":none": [], ":ticket": [ticket]}, names=names, label="digest").write()

    def complete(self, item: DueItem, owner: str, now: datetime, **result: Any) -> Write:
        extra = {k: stored(v) for k, v in result.items() if v is not None}
        sets = {"status": "done", "completed_at": iso(now), **extra}
        return Update(home_pk(item), DUE + item.id, sets=sets, removes=list(_CLEAR_LEASE),
                      condition="#owner = :me AND #status = :pending",
                      values={":me": owner, ":pending": "pending"}, label="due").write()

    def fail(self, item: DueItem, owner: str | None, now: datetime, reason: str) -> Write:
        """Parked: out of the index, visible, retried only by an operator."""
        update = Update(home_pk(item), DUE + item.id,
                        sets={"status": "failed", "failed_at": iso(now), "failure": reason[:500]},
                        removes=list(_CLEAR_LEASE), label="due")
        if owner is not None:
            update.condition, update.values = "#owner = :me", {":me": owner}
        return update.write()

    # -- single calls ----------------------------------------------------------------------

    def put_once(self, item: DueItem) -> bool:
        """Write a new item unless one with its id exists; False if it did."""
        try:
            self.table.put(self._item(item), only_if_new=True, label="due_once")
        except ConflictError:
            return False
        return True

    def claim(self, item: DueItem, owner: str, now: datetime, lease_until: datetime) -> DueItem | None:
        """Take the lease on a pending, due, unleased item; None if someone else has it."""
        update = Update(
            home_pk(item), DUE + item.id,
            sets={"lease_owner": owner, "lease_until": iso(lease_until), "due_at": iso(lease_until)},
            adds={"attempts": 1},
            condition="#status = :pending AND #due <= :now AND (attribute_not_exists(#lease) OR #lease <= :now)",
            values={":pending": "pending", ":now": iso(now)},
        )
        try:
            claimed = self.table.update(update, return_new=True)
        except ConflictError:
            return None
        return due_from_item(claimed) if claimed else None

    def release(self, item: DueItem, owner: str, at: datetime, error: str, *, replan: bool = False) -> bool:
        """Give the item back for a later attempt at `at`; False if our lease was lost meanwhile."""
        sets = {"due_at": iso(at), "last_error": error[:500], **({"planned_at": iso(at)} if replan else {})}
        update = Update(home_pk(item), DUE + item.id, sets=sets, removes=["lease_until", "lease_owner"],
                        condition="#owner = :me", values={":me": owner})
        try:
            self.table.update(update)
        except ConflictError:
            return False
        return True

    def retry(self, item: DueItem, at: datetime) -> bool:
        """An operator puts a failed item back in the index, with its attempts reset."""
        update = Update(home_pk(item), DUE + item.id,
                        sets={"status": "pending", "due_at": iso(at), "attempts": 0,
                              "due_shard": due_shard(home_pk(item), DUE + item.id, self.shards)},
                        removes=["failure", "failed_at", "lease_until", "lease_owner"],
                        condition="#status = :failed", values={":failed": "failed"})
        try:
            self.table.update(update)
        except ConflictError:
            return False
        return True

    # -- the sparse index ------------------------------------------------------------------

    def due_now(self, shard: int, now: datetime, limit: int = PAGE * 4) -> list[DueItem]:
        """Pending items of one shard due by `now`, oldest first; a backlog is read over several runs."""
        items = self.table.query(
            IndexName="DueWork", KeyConditionExpression="due_shard = :s AND due_at <= :now",
            ExpressionAttributeValues={":s": {"S": f"S{shard}"}, ":now": {"S": iso(now)}},
            Limit=PAGE, max_items=limit)
        return [due_from_item(i) for i in items]

    def earliest(self) -> datetime | None:
        """When the next pending item falls due, across all shards (the local runtime skips idle minutes)."""
        found = []
        for shard in range(self.shards):
            items = self.table.query(IndexName="DueWork", Limit=1, KeyConditionExpression="due_shard = :s",
                                     ExpressionAttributeValues={":s": {"S": f"S{shard}"}}, max_items=1)
            found += [due_from_item(i).due_at for i in items]
        return min(found, default=None)

    def get(self, item: DueItem) -> DueItem | None:
        found = self.table.get(home_pk(item), DUE + item.id)
        return due_from_item(found) if found else None
