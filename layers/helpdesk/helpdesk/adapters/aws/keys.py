"""The single-table layout: every key prefix the system uses, and nothing else.

| item            | PK                  | SK                         |
|-----------------|---------------------|----------------------------|
| ticket          | TICKET#<n>          | META                       |
| thread entry    | TICKET#<n>          | ENTRY#<iso>#<kind>#<key>   |
| due work        | TICKET#<n>          | DUE#<id>                   |
| inbound message | INBOUND#<ses id>    | INBOUND                    |
| message id      | MSGID#<Message-ID>  | MSGID                      |
| sender          | SENDER#<address>    | SENDER                     |
| sender domain   | SENDERDOMAIN#<dom>  | SENDER                     |
| account         | ACCOUNTS            | ACCOUNT#<domain>           |
| account limit   | ACCOUNTLIMIT#<dom>  | <trigger>                  |
| policy snapshot | POLICY#<digest>     | POLICY                     |
| counter         | COUNTER             | TICKET                     |
| SMS window      | SMSLIMIT#<hash>     | LIMIT (and its DUE# items) |
| incident        | INCIDENTS           | INCIDENT#<n, 8 digits>     |
| incident log    | INCIDENT#<n>        | ENTRY#..., DUE#...         |
| incident window | INCSIG#<window>     | RECENT                     |
| open incidents  | INCOPEN             | OPEN                       |
| digest          | DIGEST#<what>       | DUE#...                    |
| ack link        | ACKLINK#<id>        | ACKLINK                    |

Due work carries `due_shard` and `due_at` only while pending, which makes the DueWork index sparse.
Tickets carry `state_key` (`open` or `resolved#YYYY-MM`) and `state_at` for the ByState index.
"""

from __future__ import annotations

import hashlib

Key = tuple[str, str]
META = "META"
ENTRY = "ENTRY#"
DUE = "DUE#"
COUNTER_KEY: Key = ("COUNTER", "TICKET")
INCIDENT_COUNTER_KEY: Key = ("COUNTER", "INCIDENT")
INCIDENTS_PK = "INCIDENTS"
ACCOUNTS_PK = "ACCOUNTS"
OPEN_STATE = "open"


def ticket_pk(number: int) -> str:
    return f"TICKET#{number}"


def ticket_key(number: int) -> Key:
    return (ticket_pk(number), META)


def entry_key(number: int, entry_id: str) -> Key:
    return (ticket_pk(number), ENTRY + entry_id)


def inbound_key(ses_message_id: str) -> Key:
    return (f"INBOUND#{ses_message_id}", "INBOUND")


def message_id_key(message_id: str) -> Key:
    return (f"MSGID#{message_id.strip().lower()}", "MSGID")


def sender_key(address: str) -> Key:
    return (f"SENDER#{address.lower()}", "SENDER")


def sender_domain_key(domain: str) -> Key:
    return (f"SENDERDOMAIN#{domain.lower()}", "SENDER")


def account_key(domain: str) -> Key:
    # One partition for all accounts, so `accounts list` is a Query rather than a Scan.
    return (ACCOUNTS_PK, f"ACCOUNT#{domain.lower()}")


def account_limit_key(domain: str, name: str) -> Key:
    return (f"ACCOUNTLIMIT#{domain.lower()}", name)


def policy_key(digest: str) -> Key:
    return (f"POLICY#{digest}", "POLICY")


def sms_window_pk(window: str) -> str:
    return f"SMSLIMIT#{window}"


def sms_window_key(window: str) -> Key:
    return (sms_window_pk(window), "LIMIT")


def digest_pk(what: str) -> str:
    return f"DIGEST#{what}"


def ack_link_key(link_id: str) -> Key:
    return (f"ACKLINK#{link_id}", "ACKLINK")


def incident_pk(number: int) -> str:
    return f"INCIDENT#{number}"


def incident_key(number: int) -> Key:
    # One partition for all incident records, so `helpdesk incidents` is a Query rather than a Scan.
    return (INCIDENTS_PK, f"INCIDENT#{number:08d}")


OPEN_INCIDENTS_KEY: Key = ("INCOPEN", "OPEN")  # what detection compares new tickets with, read in intake's batch


def incident_window_key(window_start_iso: str) -> Key:
    return (f"INCSIG#{window_start_iso}", "RECENT")


def resolved_state(resolved_at_iso: str) -> str:
    """ByState partition for tickets resolved in a month (reports read one month at a time)."""
    return f"resolved#{resolved_at_iso[:7]}"


def due_shard(pk: str, sk: str, shards: int) -> str:
    """Spread due work over shards so no index partition runs hot."""
    digest = hashlib.blake2b(f"{pk}|{sk}".encode(), digest_size=2).digest()
    return f"S{int.from_bytes(digest, 'big') % shards}"
