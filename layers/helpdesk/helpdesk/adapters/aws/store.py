"""The store: every repository over the one table, transactions, and batched look-ups.

Domain code receives a `Store`, asks its repositories for typed records and for writes, and
commits writes together with `commit`. It never sees an item, a key or a condition.
"""

from __future__ import annotations

from typing import Any

from helpdesk.accounts.lookup import lookup_domains, pick_account
from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.due import DueRepository
from helpdesk.adapters.aws.incidents import IncidentRepository, candidates_of
from helpdesk.adapters.aws.keys import (
    COUNTER_KEY,
    OPEN_INCIDENTS_KEY,
    Key,
    account_key,
    inbound_key,
    incident_window_key,
    message_id_key,
    policy_key,
    sender_domain_key,
    sender_key,
    ticket_key,
)
from helpdesk.adapters.aws.records import (
    Accounts,
    AckLinks,
    Counter,
    InboundRecords,
    MessageIds,
    PolicySnapshots,
    Senders,
    SmsWindows,
    account_from_item,
    sender_from_item,
)
from helpdesk.adapters.aws.table import Table, Write
from helpdesk.adapters.aws.tickets import TicketRepository, ticket_from_item
from helpdesk.incidents.model import OpenIncident, RecentTicket
from helpdesk.intake.records import InboundRecord, SenderRecord
from helpdesk.tickets.records import Ticket

TRANSACTION_LIMIT = 100


class Found:
    """The answer to a `Lookup`, read back as typed records."""

    def __init__(self, items: dict[Key, dict[str, Any]], watched: list[str] | None = None) -> None:
        self.items = items
        self.watched = watched

    def inbound(self, ses_message_id: str) -> InboundRecord | None:
        item = self.items.get(inbound_key(ses_message_id))
        return InboundRecord.model_validate({**item, "ses_message_id": ses_message_id}) if item else None

    def sender(self, address: str) -> SenderRecord:
        return sender_from_item(address, self.items.get(sender_key(address)))

    def sender_domain(self, domain: str) -> SenderRecord:
        return sender_from_item(domain, self.items.get(sender_domain_key(domain)))

    def counter(self) -> int | None:
        item = self.items.get(COUNTER_KEY)
        return int(item["value"]) if item else None

    def ticket_of_message(self, message_id: str) -> int | None:
        item = self.items.get(message_id_key(message_id))
        return int(item["ticket"]) if item else None

    def account(self, address: str) -> Account:
        found = {item["domain"]: account_from_item(item) for key, item in self.items.items()
                 if key[0] == account_key("x")[0]}
        return pick_account(address, found)

    def ticket(self, number: int) -> Ticket | None:
        item = self.items.get(ticket_key(number))
        return ticket_from_item(item) if item else None

    def has_policy(self, digest: str) -> bool:
        return policy_key(digest) in self.items

    def incident_candidates(self, starts: list[str]) -> tuple[list[OpenIncident], list[RecentTicket]] | None:
        """Open incidents and recent signatures, if this batch asked for them (`Lookup.incident_watch`)."""
        return candidates_of(self.items, starts) if self.watched == starts else None


class Lookup:
    """Collects keys of many kinds and reads them in one BatchGetItem (one call in the common case)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.keys: list[Key] = []
        self.watched: list[str] | None = None

    def inbound(self, ses_message_id: str) -> Lookup:
        self.keys.append(inbound_key(ses_message_id))
        return self

    def sender(self, address: str) -> Lookup:
        self.keys.append(sender_key(address))
        return self

    def sender_domain(self, domain: str) -> Lookup:
        self.keys.append(sender_domain_key(domain))
        return self

    def counter(self) -> Lookup:
        self.keys.append(COUNTER_KEY)
        return self

    def message_ids(self, message_ids: list[str]) -> Lookup:
        self.keys += [message_id_key(m) for m in message_ids]
        return self

    def accounts_for(self, address: str) -> Lookup:
        self.keys += [account_key(d) for d in lookup_domains(address)]
        return self

    def tickets(self, numbers: list[int]) -> Lookup:
        self.keys += [ticket_key(n) for n in numbers]
        return self

    def policy(self, digest: str) -> Lookup:
        self.keys.append(policy_key(digest))
        return self

    def incident_watch(self, starts: list[str]) -> Lookup:
        """What incident detection reads, in the same batch: the open index and the detection windows."""
        self.keys += [OPEN_INCIDENTS_KEY, *(incident_window_key(s) for s in starts)]
        self.watched = starts
        return self

    def fetch(self) -> Found:
        return Found(self.table.get_many(self.keys) if self.keys else {}, self.watched)


class Store:
    def __init__(self, table: Table, due_shards: int = 8) -> None:
        self.table = table
        self.due_shards = due_shards
        self.tickets = TicketRepository(table)
        self.due = DueRepository(table, due_shards)
        self.inbound = InboundRecords(table)
        self.message_ids = MessageIds(table)
        self.senders = Senders(table)
        self.accounts = Accounts(table)
        self.policies = PolicySnapshots(table)
        self.counter = Counter(table)
        self.sms_windows = SmsWindows(table)
        self.ack_links = AckLinks(table)
        self.incidents = IncidentRepository(table)

    def lookup(self) -> Lookup:
        return Lookup(self.table)

    def commit(self, writes: list[Write]) -> None:
        """All or nothing (one transaction); ConflictError names the writes whose conditions failed."""
        self.table.transact(writes)

    def commit_in_chunks(self, writes: list[Write]) -> None:
        """For writes that need not be atomic together (completions after sends), in transaction-sized chunks."""
        for start in range(0, len(writes), TRANSACTION_LIMIT):
            self.table.transact(writes[start : start + TRANSACTION_LIMIT])

    def account_for(self, address: str) -> Account:
        return self.lookup().accounts_for(address).fetch().account(address)
