"""Everything in the table that is not a ticket: inbound records, message ids, senders, accounts,
policy snapshots, the ticket counter and SMS rate windows."""

from __future__ import annotations

import heapq
import threading
from datetime import datetime, timedelta
from typing import Any

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.codec import stored, to_attributes
from helpdesk.adapters.aws.keys import (
    ACCOUNTS_PK,
    COUNTER_KEY,
    account_key,
    account_limit_key,
    ack_link_key,
    inbound_key,
    message_id_key,
    policy_key,
    sender_domain_key,
    sender_key,
    sms_window_key,
)
from helpdesk.adapters.aws.table import Table, Update, Write, put
from helpdesk.core.clock import iso
from helpdesk.core.errors import ConflictError
from helpdesk.escalation.ack_links import AckLink
from helpdesk.intake.records import InboundRecord, SenderRecord

INBOUND_RETENTION = timedelta(days=400)
FIRST_TICKET_NUMBER = 1001


def account_from_item(item: dict[str, Any]) -> Account:
    fields = {k: v for k, v in item.items() if k in Account.model_fields}
    return Account.model_validate(fields)


def sender_from_item(address: str, item: dict[str, Any] | None) -> SenderRecord:
    return SenderRecord.model_validate({**(item or {}), "address": address})


class InboundRecords:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, record: InboundRecord, now: datetime) -> Write:
        """Written once per SES message, inside the transaction that acts on it: the idempotency key."""
        pk, sk = inbound_key(record.ses_message_id)
        item = {"PK": pk, "SK": sk, "type": "inbound", **to_attributes(record),
                "expires_at": int((now + INBOUND_RETENTION).timestamp())}
        return put(item, only_if_new=True, label="inbound")

    def save(self, record: InboundRecord, now: datetime) -> None:
        """Record a message that needs no other write (dropped, quarantined); ConflictError if seen before."""
        pk, sk = inbound_key(record.ses_message_id)
        item = {"PK": pk, "SK": sk, "type": "inbound", **to_attributes(record),
                "expires_at": int((now + INBOUND_RETENTION).timestamp())}
        self.table.put(item, only_if_new=True, label="inbound")


class MessageIds:
    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def link(message_id: str, number: int) -> Write:
        pk, sk = message_id_key(message_id)
        return put({"PK": pk, "SK": sk, "type": "message_id", "ticket": number})


class Senders:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, address: str) -> SenderRecord:
        return sender_from_item(address, self.table.get_many([sender_key(address)]).get(sender_key(address)))

    @staticmethod
    def save(record: SenderRecord, *, expected_version: int | None = None, domain: bool = False) -> Write:
        """The sender's (or the sender domain's) windows, fenced on the version read, so concurrent mail
        cannot lose an update: the loser re-reads and decides again."""
        pk, sk = sender_domain_key(record.address) if domain else sender_key(record.address)
        sets = {"type": "sender", "ack_times": record.ack_times, "contact_times": record.contact_times,
                "ticket_times": record.ticket_times, "version": record.version + 1}
        version = record.version if expected_version is None else expected_version
        condition = "attribute_not_exists(#version) OR #version = :v" if version == 0 else "#version = :v"
        return Update(pk, sk, sets=sets, condition=condition, values={":v": version}, label="sender").write()

    @staticmethod
    def mark_undeliverable(address: str, now: datetime, kind: str, address_hash: str) -> Write:
        pk, sk = sender_key(address)
        return Update(pk, sk, sets={"undeliverable": True, "undeliverable_since": iso(now),
                                    "undeliverable_kind": kind, "address_hash": address_hash,
                                    "type": "sender"}).write()

    def undeliverable(self, addresses: list[str]) -> set[str]:
        found = self.table.get_many([sender_key(a) for a in addresses]) if addresses else {}
        return {a for a in addresses if (found.get(sender_key(a)) or {}).get("undeliverable")}


class Accounts:
    def __init__(self, table: Table) -> None:
        self.table = table

    def all(self) -> list[Account]:
        items = self.table.query(KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": ACCOUNTS_PK}})
        return sorted((account_from_item(i) for i in items), key=lambda a: a.domain)

    def get_many(self, domains: list[str]) -> dict[str, Account]:
        found = self.table.get_many([account_key(d) for d in domains]) if domains else {}
        return {item["domain"]: account_from_item(item) for item in found.values()}

    def replace(self, accounts: list[Account]) -> None:
        """Upsert in transactions of up to 100; system fields (the health window) survive a re-import."""
        for start in range(0, len(accounts), 100):
            writes = [Update(*account_key(a.domain), sets={"type": "account", **stored(a.imported_fields())}).write()
                      for a in accounts[start : start + 100]]
            self.table.transact(writes)

    @staticmethod
    def health_window(domain: str, until: datetime, ticket: int, severity: str) -> Write:
        """Open or extend the monitoring window; never shorten a longer one already running."""
        return Update(*account_key(domain), sets={"health_until": iso(until), "health_ticket": ticket,
                                                  "health_severity": severity},
                      condition="attribute_exists(PK) AND (attribute_not_exists(health_until) "
                                "OR health_until < :until)", values={":until": iso(until)}).write()

    def record_renewal(self, domain: str, outcome: str, now: datetime) -> None:
        self.table.update(Update(*account_key(domain), sets={"renewal_outcome": outcome,
                                                             "renewal_recorded_at": iso(now)},
                                 condition="attribute_exists(PK)", label="account"))

    def claim_once(self, domain: str, name: str, until: datetime, now: datetime) -> bool:
        """A per-account latch (e.g. one repeat-contacts escalation per window); False while it holds."""
        pk, sk = account_limit_key(domain, name)
        update = Update(pk, sk, sets={"until": iso(until), "type": "account_limit"},
                        condition="attribute_not_exists(PK) OR #until <= :now", values={":now": iso(now)},
                        label="account_limit")
        try:
            self.table.update(update)
        except ConflictError:
            return False
        return True


class PolicySnapshots:
    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def save(digest: str, document: dict[str, Any]) -> Write:
        pk, sk = policy_key(digest)
        return put({"PK": pk, "SK": sk, "type": "policy", "document": document})

    def document(self, digest: str) -> dict[str, Any] | None:
        found = self.table.get_many([policy_key(digest)]).get(policy_key(digest))
        return found["document"] if found else None


class Counter:
    """Ticket numbers, reserved in blocks with one atomic update each.

    Creations never touch the counter inside their transactions, so a burst of new mail does not
    make every creation conflict with every other. A container reserves a small block first and
    doubles it up to `MAX_BLOCK` as it stays busy. Numbers are unique and increase within a
    container; numbers a container never used are skipped (gaps, never duplicates).
    """

    FIRST_BLOCK = 2
    MAX_BLOCK = 16

    def __init__(self, table: Table) -> None:
        self.table = table
        self._free: list[int] = []  # a heap: the lowest number reserved and not yet used goes first
        self._block = self.FIRST_BLOCK
        self._lock = threading.Lock()

    def current(self) -> int | None:
        found = self.table.get(*COUNTER_KEY)
        return int(found["value"]) if found else None

    def take(self) -> int:
        """The next number this container may use; reserves a block when none is left (one UpdateItem)."""
        with self._lock:
            if not self._free:
                for number in self._reserve(self._block):
                    heapq.heappush(self._free, number)
                self._block = min(self._block * 2, self.MAX_BLOCK)
            return heapq.heappop(self._free)

    def give_back(self, number: int) -> None:
        """A number whose creation did not commit, for the next creation in this container."""
        with self._lock:
            heapq.heappush(self._free, number)

    def _reserve(self, size: int) -> range:
        update = Update(*COUNTER_KEY, sets={"type": "counter"},
                        raw_sets=["#value = if_not_exists(#value, :base) + :size"],
                        values={":base": FIRST_TICKET_NUMBER - 1, ":size": size}, label="counter")
        last = int((self.table.update(update, return_new=True) or {})["value"])
        return range(last - size + 1, last + 1)


class SmsWindows:
    """Per-recipient sliding windows of SMS sent, and the summaries held back for a digest."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, window: str) -> dict[str, Any]:
        return self.table.get_many([sms_window_key(window)]).get(sms_window_key(window)) or {}

    def save(self, window: str, *, sent: list[int], held: list[str], version: int) -> None:
        """Fenced on the version read; raises ConflictError if another send moved the window."""
        update = Update(*sms_window_key(window), sets={"sent": sent, "held": held, "version": version + 1},
                        condition="attribute_not_exists(PK) OR #version = :v", values={":v": version},
                        label="sms_window")
        self.table.update(update)

    @staticmethod
    def clear_held(window: str, sent: list[int], version: int) -> Write:
        return Update(*sms_window_key(window), sets={"held": [], "version": version + 1, "sent": sent},
                      condition="#version = :v", values={":v": version}, label="sms_window").write()


class AckLinks:
    """One-tap acknowledgment links; they expire on their own (TTL) some days after their expiry."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def save(link: AckLink) -> Write:
        pk, sk = ack_link_key(link.id)
        item = {"PK": pk, "SK": sk, "type": "ack_link", **to_attributes(link),
                "expires_at": int((link.valid_until + timedelta(days=30)).timestamp())}  # the table's TTL
        return put(item)

    def get(self, link_id: str) -> AckLink | None:
        item = self.table.get_many([ack_link_key(link_id)]).get(ack_link_key(link_id))
        return AckLink.model_validate(item) if item else None

    def used(self, link: AckLink, now: datetime) -> Write:
        return Update(*ack_link_key(link.id), sets={"used_at": iso(now)}, condition="attribute_exists(PK)").write()
