"""Tickets and their log entries as items: the only place that knows their keys and conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.adapters.aws.codec import from_item, stored, to_attributes
from helpdesk.adapters.aws.keys import (
    DUE,
    ENTRY,
    META,
    OPEN_STATE,
    entry_key,
    resolved_state,
    ticket_key,
    ticket_pk,
)
from helpdesk.adapters.aws.table import Table, Update, Write, put
from helpdesk.core.clock import iso
from helpdesk.sla.due import DueItem
from helpdesk.tickets.records import Entry, Ticket, TicketPatch

RECENT_KEPT = 20  # lines of the recent-thread digest kept when a fenced change rewrites it


def ticket_from_item(item: dict[str, Any]) -> Ticket:
    return from_item(Ticket, item)


def entry_from_item(item: dict[str, Any]) -> Entry:
    return from_item(Entry, item)


def due_from_item(item: dict[str, Any]) -> DueItem:
    return from_item(DueItem, {**item, "id": item["SK"][len(DUE):]})


def _index_fields(sets: dict[str, Any], now: datetime | None) -> dict[str, Any]:
    """ByState index attributes follow the resolution: open until resolved, then its month."""
    if "resolved_at" not in sets:
        return {}
    resolved = sets["resolved_at"]
    if resolved is None:
        at = sets.get("reopened_at") or now
        return {"state_key": OPEN_STATE, "state_at": iso(at) if at else None}
    text = stored(resolved)
    return {"state_key": resolved_state(text), "state_at": text}


class TicketRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads ---------------------------------------------------------------------------

    def get(self, number: int) -> Ticket | None:
        item = self.table.get(*ticket_key(number))
        return ticket_from_item(item) if item else None

    def get_many(self, numbers: list[int]) -> dict[int, Ticket]:
        found = self.table.get_many([ticket_key(n) for n in dict.fromkeys(numbers)]) if numbers else {}
        return {int(item["number"]): ticket_from_item(item) for item in found.values()}

    def entry(self, number: int, entry_id: str) -> Entry | None:
        item = self.table.get_many([entry_key(number, entry_id)]).get(entry_key(number, entry_id))
        return entry_from_item(item) if item else None

    def log(self, number: int) -> tuple[Ticket | None, list[Entry], list[DueItem]]:
        """The ticket, its entries in time order and its due work, in one query."""
        items = self.table.query(KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": ticket_pk(number)}}, ConsistentRead=True)
        ticket = next((ticket_from_item(i) for i in items if i["SK"] == META), None)
        entries = [entry_from_item(i) for i in items if i["SK"].startswith(ENTRY)]
        due = [due_from_item(i) for i in items if i["SK"].startswith(DUE)]
        return ticket, entries, due

    def entries(self, number: int) -> list[Entry]:
        items = self.table.query(KeyConditionExpression="PK = :pk AND begins_with(SK, :entry)",
                                 ExpressionAttributeValues={":pk": {"S": ticket_pk(number)}, ":entry": {"S": ENTRY}},
                                 ConsistentRead=True)
        return [entry_from_item(i) for i in items]

    def entries_since(self, number: int, after_id: str | None) -> list[Entry]:
        """Entries newer than `after_id` (all of them when None): how the local timeline follows a log."""
        start = ENTRY + after_id if after_id else ENTRY
        items = self.table.query(KeyConditionExpression="PK = :pk AND SK BETWEEN :start AND :end",
                                 ExpressionAttributeValues={":pk": {"S": ticket_pk(number)}, ":start": {"S": start},
                                                            ":end": {"S": ENTRY + "\uffff"}}, ConsistentRead=True)
        return [entry_from_item(i) for i in items if i["SK"] != start]

    def in_state(self, state: str, *, newest_first: bool = True, limit: int | None = None) -> list[Ticket]:
        params: dict[str, Any] = {"IndexName": "ByState", "KeyConditionExpression": "state_key = :k",
                                  "ExpressionAttributeValues": {":k": {"S": state}},
                                  "ScanIndexForward": not newest_first}
        return [ticket_from_item(i) for i in self.table.query(max_items=limit, **params)]

    def open(self, *, limit: int | None = None) -> list[Ticket]:
        return self.in_state(OPEN_STATE, limit=limit)

    def resolved_in(self, month: str) -> list[Ticket]:
        """Tickets resolved in a calendar month (`YYYY-MM`, UTC)."""
        return self.in_state(resolved_state(month))

    # -- writes --------------------------------------------------------------------------

    def create(self, ticket: Ticket) -> Write:
        item = {"PK": ticket_pk(ticket.number), "SK": META, "type": "ticket", **to_attributes(ticket),
                "state_key": OPEN_STATE, "state_at": iso(ticket.created_at)}
        return put(item, only_if_new=True, label="ticket")

    def change(self, number: int, patch: TicketPatch, *, version: int | None = None, once: str | None = None,
               now: datetime | None = None, label: str = "ticket") -> Write:
        """One conditional update: the ticket must exist; with `version`, nobody changed it meanwhile;
        with `once`, this step id was never applied before (it is added to `escalations_done`)."""
        sets = {name: stored(value) for name, value in patch.sets.items()}
        sets.update(_index_fields(patch.sets, now))
        values: dict[str, Any] = {}
        raw_sets: list[str] = []
        conditions = ["attribute_exists(PK)"]
        if version is not None:
            conditions.append("#version = :v")
            values[":v"] = version
        if once is not None:
            conditions.append("NOT contains(escalations_done, :once)")
            values[":once"] = once
        for name, lines in (("progress", patch.progress), ("recent", patch.recent)):
            if lines:
                raw_sets.append(f"{name} = list_append(if_not_exists({name}, :empty), :{name})")
                values.update({":empty": [], f":{name}": list(lines)})
        adds = {name: stored(value) for name, value in patch.adds.items()}
        if once is not None:
            adds["escalations_done"] = adds.get("escalations_done", set()) | {once}
        return Update(ticket_pk(number), META, sets=sets, adds=adds, raw_sets=raw_sets,
                      condition=" AND ".join(conditions), values=values, label=label).write()

    def trimmed_recent(self, ticket: Ticket) -> dict[str, Any]:
        """Sets that bound the recent digest; only safe inside a version-fenced change."""
        return {"recent": ticket.recent[-RECENT_KEPT:]} if len(ticket.recent) > 2 * RECENT_KEPT else {}

    def add_entry(self, entry: Entry) -> Write:
        item = {"PK": ticket_pk(entry.ticket), "SK": ENTRY + entry.id, "type": "entry", **to_attributes(entry)}
        return put(item)

    def add_entry_once(self, entry: Entry, label: str) -> Write:
        item = {"PK": ticket_pk(entry.ticket), "SK": ENTRY + entry.id, "type": "entry", **to_attributes(entry)}
        return put(item, only_if_new=True, label=label)
