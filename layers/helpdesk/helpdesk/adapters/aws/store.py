"""The single-table layout: tickets, thread entries, due work, senders, message ids, counters.

| item            | PK                  | SK                    |
|-----------------|---------------------|-----------------------|
| ticket          | TICKET#<n>          | META                  |
| thread entry    | TICKET#<n>          | ENTRY#<iso>#<id>      |
| due work        | TICKET#<n>          | DUE#<kind>[#<seq>]    |
| inbound message | INBOUND#<ses id>    | INBOUND               |
| message id      | MSGID#<Message-ID>  | MSGID                 |
| sender          | SENDER#<address>    | SENDER                |
| account         | ACCOUNTS            | ACCOUNT#<domain>      |
| policy snapshot | POLICY#<digest>     | POLICY                |
| counter         | COUNTER             | TICKET                |

Due work carries `due_shard` and `due_at` only while pending, which makes the DueWork index sparse.
"""

from __future__ import annotations

import hashlib
from typing import Any

from helpdesk.adapters.aws.table import Key, Table, Update, Write, put

FIRST_TICKET_NUMBER = 1001
COUNTER_KEY = ("COUNTER", "TICKET")
META = "META"


def ticket_pk(number: int) -> str:
    return f"TICKET#{number}"


def inbound_key(ses_message_id: str) -> Key:
    return (f"INBOUND#{ses_message_id}", "INBOUND")


def message_id_key(message_id: str) -> Key:
    return (f"MSGID#{message_id.strip().lower()}", "MSGID")


def sender_key(address: str) -> Key:
    return (f"SENDER#{address.lower()}", "SENDER")


def account_key(domain: str) -> Key:
    # One partition for all accounts, so `accounts list` is a Query rather than a Scan.
    return ("ACCOUNTS", f"ACCOUNT#{domain.lower()}")


def policy_key(digest: str) -> Key:
    return (f"POLICY#{digest}", "POLICY")


def due_shard(pk: str, sk: str, shards: int) -> str:
    """Spread due work over shards so no index partition runs hot."""
    digest = hashlib.blake2b(f"{pk}|{sk}".encode(), digest_size=2).digest()
    return f"S{int.from_bytes(digest, 'big') % shards}"


class TicketStore:
    def __init__(self, table: Table, due_shards: int = 8) -> None:
        self.table = table
        self.due_shards = due_shards

    # -- reads ---------------------------------------------------------------------------

    def get_many(self, keys: list[Key]) -> dict[Key, dict[str, Any]]:
        return self.table.get_many(keys) if keys else {}

    def ticket(self, number: int) -> dict[str, Any] | None:
        return self.table.get(ticket_pk(number), META)

    def ticket_items(self, number: int) -> list[dict[str, Any]]:
        """The ticket, its entries and its due work, in key order."""
        return self.table.query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": ticket_pk(number)}},
            ConsistentRead=True,
        )

    def tickets_in_state(self, state_key: str, newest_first: bool = True, limit: int | None = None
                         ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"IndexName": "ByState", "KeyConditionExpression": "state_key = :k",
                                  "ExpressionAttributeValues": {":k": {"S": state_key}},
                                  "ScanIndexForward": not newest_first}
        return self.table.query(max_items=limit, **params)

    def accounts(self) -> list[dict[str, Any]]:
        return self.table.query(KeyConditionExpression="PK = :pk",
                                ExpressionAttributeValues={":pk": {"S": "ACCOUNTS"}})

    # -- writes --------------------------------------------------------------------------

    @staticmethod
    def next_number(counter: dict[str, Any] | None) -> int:
        return int(counter["value"]) + 1 if counter else FIRST_TICKET_NUMBER

    @staticmethod
    def claim_number_write(counter: dict[str, Any] | None, number: int) -> Write:
        """Advance the counter inside the ticket's own transaction; a concurrent claim makes it fail."""
        if counter is None:
            return Update(*COUNTER_KEY, sets={"value": number}, condition="attribute_not_exists(PK)",
                          label="counter").write()
        return Update(*COUNTER_KEY, sets={"value": number}, condition="#value = :prev",
                      values={":prev": int(counter["value"])}, label="counter").write()

    def counter(self) -> dict[str, Any] | None:
        return self.table.get(*COUNTER_KEY)

    def transact(self, writes: list[Write]) -> None:
        self.table.transact(writes)

    def put(self, item: dict[str, Any], *, only_if_new: bool = False) -> None:
        self.table.put(item, only_if_new=only_if_new)

    def update(self, update: Update, *, return_new: bool = False) -> dict[str, Any] | None:
        return self.table.update(update, return_new=return_new)

    def replace_accounts(self, items: list[dict[str, Any]]) -> None:
        """Write accounts in transactions of up to 100. Fields set by the system (the health window)
        survive a re-import, because rows update the item rather than replace it."""
        for start in range(0, len(items), 100):
            writes = [Update(item["PK"], item["SK"], sets={k: v for k, v in item.items() if k not in ("PK", "SK")})
                      .write() for item in items[start : start + 100]]
            self.table.transact(writes)

    # -- item builders used inside transactions ----------------------------------------

    def due_item(self, ticket: int | None, sk: str, kind: str, due_at: str, payload: dict[str, Any],
                 lease_owner: str | None = None, lease_until: str | None = None, pk: str | None = None
                 ) -> dict[str, Any]:
        """A pending obligation; it lives in its ticket's partition unless `pk` says otherwise."""
        pk = pk or ticket_pk(int(ticket))  # type: ignore[arg-type]
        item: dict[str, Any] = {
            "PK": pk, "SK": sk, "type": "due", "ticket": ticket, "kind": kind, "status": "pending",
            "due_at": lease_until or due_at, "planned_at": due_at, "attempts": 0, "payload": payload,
            "due_shard": due_shard(pk, sk, self.due_shards),
        }
        if lease_owner:
            item.update(lease_owner=lease_owner, lease_until=lease_until, attempts=1)
        return item

    @staticmethod
    def put_write(item: dict[str, Any], *, only_if_new: bool = False, label: str = "") -> Write:
        return put(item, only_if_new=only_if_new, label=label)
