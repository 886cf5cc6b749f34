"""Incidents as items: the record, its log, the detection windows and links from tickets.

Linking is idempotent: ticket numbers are a number set (ADD), accounts a map set by key, and the
ticket side is conditional on the ticket not belonging to another incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.adapters.aws.codec import from_item, stored, to_attributes
from helpdesk.adapters.aws.keys import (
    ENTRY,
    INCIDENT_COUNTER_KEY,
    INCIDENTS_PK,
    META,
    OPEN_INCIDENTS_KEY,
    incident_key,
    incident_pk,
    incident_window_key,
    ticket_pk,
)
from helpdesk.adapters.aws.table import Table, Update, Write, put
from helpdesk.core.clock import iso
from helpdesk.incidents.model import SIGNATURES_KEPT, Incident, IncidentEntry, OpenIncident, RecentTicket

OPEN_PREFIX = "inc"


def _open_attribute(number: int) -> str:
    return f"{OPEN_PREFIX}{number}"


WINDOW_TTL_SECONDS = 2 * 24 * 3600  # detection windows are only read for minutes; DynamoDB expires them


def incident_from_item(item: dict[str, Any]) -> Incident:
    return from_item(Incident, item)


def candidates_of(items: dict[Any, dict[str, Any]], starts: list[str]
                  ) -> tuple[list[OpenIncident], list[RecentTicket]]:
    index = items.get(OPEN_INCIDENTS_KEY) or {}
    open_ones = [OpenIncident.model_validate(v) for k, v in index.items() if k.startswith(OPEN_PREFIX)]
    recent = [RecentTicket.model_validate(r) for s in starts
              for r in (items.get(incident_window_key(s)) or {}).get("recent", [])]
    return open_ones, recent


class IncidentRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads ---------------------------------------------------------------------------------

    def get(self, number: int) -> Incident | None:
        item = self.table.get(*incident_key(number))
        return incident_from_item(item) if item else None

    def recent(self, limit: int = 50) -> list[Incident]:
        """The newest incidents first (one Query over the incidents partition, bounded by `limit`)."""
        items = self.table.query(KeyConditionExpression="PK = :pk",
                                 ExpressionAttributeValues={":pk": {"S": INCIDENTS_PK}},
                                 ScanIndexForward=False, max_items=limit, ConsistentRead=True)
        return [incident_from_item(i) for i in items]

    def log(self, number: int) -> list[IncidentEntry]:
        items = self.table.query(KeyConditionExpression="PK = :pk AND begins_with(SK, :entry)",
                                 ExpressionAttributeValues={":pk": {"S": incident_pk(number)},
                                                            ":entry": {"S": ENTRY}}, ConsistentRead=True)
        return [from_item(IncidentEntry, i) for i in items]

    def candidates(self, starts: list[str]) -> tuple[list[OpenIncident], list[RecentTicket]]:
        """Open incidents and the tickets of the detection windows starting at `starts` (one BatchGetItem);
        intake usually has them already from its own batch (`Found.incident_candidates`)."""
        return candidates_of(self.table.get_many([OPEN_INCIDENTS_KEY, *(incident_window_key(s) for s in starts)]),
                             starts)

    # -- writes --------------------------------------------------------------------------------

    def next_number(self) -> int:
        update = Update(*INCIDENT_COUNTER_KEY, sets={"type": "counter"},
                        raw_sets=["#value = if_not_exists(#value, :zero) + :one"],
                        values={":zero": 0, ":one": 1}, label="counter")
        return int((self.table.update(update, return_new=True) or {})["value"])

    def create(self, incident: Incident) -> Write:
        pk, sk = incident_key(incident.number)
        return put({"PK": pk, "SK": sk, "type": "incident", **to_attributes(incident)}, only_if_new=True,
                   label="incident")

    def save(self, incident: Incident, version_at: datetime | None) -> Write:
        """The whole record, unless someone changed it since `version_at` (its `updated_at`)."""
        pk, sk = incident_key(incident.number)
        write = put({"PK": pk, "SK": sk, "type": "incident", **to_attributes(incident)}, label="incident")
        if version_at is None:
            write.params["ConditionExpression"] = "attribute_exists(PK) AND attribute_not_exists(updated_at)"
        else:
            write.params["ConditionExpression"] = "updated_at = :seen"
            write.params["ExpressionAttributeValues"] = {":seen": {"S": iso(version_at)}}
        return write

    # -- the open index: what detection compares with ---------------------------------------------
    # One item; each open incident is a top-level map attribute `inc<n>`, so opening one is a plain SET
    # (the item need not exist first) and closing one a REMOVE.

    def index_open(self, summary: OpenIncident) -> Write:
        return Update(*OPEN_INCIDENTS_KEY, raw_sets=["#inc = :s"], names={"#inc": _open_attribute(summary.number)},
                      values={":s": stored(summary.model_dump())}, label="incident_index").write()

    def index_link(self, summary: OpenIncident, hashes: list[int], severity: str | None = None,
                   lead: int | None = None) -> Write:
        raw = ["#inc.tickets_count = #inc.tickets_count + :one"]
        values: dict[str, Any] = {":one": 1}
        if hashes and len(summary.signatures) < SIGNATURES_KEPT:
            raw.append("#inc.signatures = list_append(#inc.signatures, :sig)")
            values[":sig"] = [hashes]
        names = {"#inc": _open_attribute(summary.number)}
        if severity and lead is not None:
            raw += ["#inc.severity = :sev", "#inc.#lead = :lead"]  # LEAD is a DynamoDB reserved word
            values.update({":sev": severity, ":lead": lead})
            names["#lead"] = "lead"
        return Update(*OPEN_INCIDENTS_KEY, raw_sets=raw, names=names,
                      values=values, condition="attribute_exists(#inc)", label="incident_index").write()

    def index_close(self, number: int) -> Write:
        return Update(*OPEN_INCIDENTS_KEY, removes=[_open_attribute(number)], label="incident_index").write()

    def link(self, incident: OpenIncident, ticket: int, account: str, arr: float, name: str, strategic: bool,
             hashes: list[int], now: datetime, promote_to: tuple[str, int] | None = None) -> Write:
        """Add a ticket (and its account) to an open incident; writing it twice changes nothing more.
        `promote_to` (severity, lead): a more severe ticket joined, so the incident takes its severity
        and its chain in the same write (a transaction may touch the item once)."""
        names = {"#acc": "accounts", "#names": "account_names", "#dom": account, "#status": "status"}
        raw = ["#acc.#dom = :arr", "#names.#dom = :name", "updated_at = :now"]
        values: dict[str, Any] = {":arr": arr, ":name": name, ":now": iso(now), ":open": "open"}
        if promote_to is not None:
            raw += ["severity = :sev", "#lead = :lead"]
            names["#lead"] = "lead"  # a DynamoDB reserved word
            values.update({":sev": promote_to[0], ":lead": promote_to[1]})
        if hashes and len(incident.signatures) < SIGNATURES_KEPT:
            raw.append("signatures = list_append(if_not_exists(signatures, :none), :sig)")
            values.update({":none": [], ":sig": [hashes]})
        adds: dict[str, Any] = {"tickets": {ticket}}
        if strategic:
            adds["strategic"] = {account}
        pk, sk = incident_key(incident.number)
        return Update(pk, sk, adds=adds, raw_sets=raw, names=names, values=values,
                      condition="#status = :open", label="incident").write()

    def claim_ticket(self, ticket: int, incident: str, reason: str, title: str) -> Write:
        """The ticket's side of a link: only if it belongs to no incident, or already to this one."""
        return Update(ticket_pk(ticket), META, sets={"incident": incident, "incident_reason": reason[:300],
                                                     "incident_title": title[:200]},
                      condition="attribute_exists(PK) AND (attribute_not_exists(#inc) OR #inc = :inc)",
                      names={"#inc": "incident"}, values={":inc": incident}, label="incident_link").write()

    def release_ticket(self, ticket: int, incident: str) -> Write:
        return Update(ticket_pk(ticket), META, sets={"incident": None, "incident_reason": None,
                                                     "incident_title": None},
                      condition="#inc = :inc", names={"#inc": "incident"}, values={":inc": incident},
                      label="incident_link").write()

    def remember(self, window_start_iso: str, recent: RecentTicket, expires: datetime) -> Write:
        """Append a new ticket's signature to its detection window (not conditional: windows only grow)."""
        pk, sk = incident_window_key(window_start_iso)
        return Update(pk, sk, sets={"type": "incident_window"},
                      raw_sets=["recent = list_append(if_not_exists(recent, :none), :r)", "expires_at = :exp"],
                      values={":none": [], ":r": [stored(recent.model_dump())],
                              ":exp": int(expires.timestamp()) + WINDOW_TTL_SECONDS}).write()

    def add_entry(self, entry: IncidentEntry) -> Write:
        return put({"PK": incident_pk(entry.incident), "SK": ENTRY + entry.id, "type": "incident_entry",
                    **to_attributes(entry)})

    def start_update(self, number: int, seq: int, now: datetime, text: str | None = None) -> Write:
        """Number one fan-out; two runs of the same cadence step cannot both start it."""
        sets: dict[str, Any] = {"updates_sent": seq, "last_update_at": iso(now), "updated_at": iso(now)}
        if text:
            sets["status_line"] = text[:2000]
        pk, sk = incident_key(number)
        return Update(pk, sk, sets=sets, condition="#sent = :prev AND #status = :open",
                      names={"#sent": "updates_sent", "#status": "status"},
                      values={":prev": seq - 1, ":open": "open"}, label="incident").write()

    def resolve(self, number: int, now: datetime, summary: dict[str, str], actor: str) -> Write:
        pk, sk = incident_key(number)
        return Update(pk, sk, sets={"status": "resolved", "resolved_at": iso(now), "updated_at": iso(now),
                                    "resolved_by": actor, **summary},
                      condition="#status = :open", names={"#status": "status"}, values={":open": "open"},
                      label="incident").write()

    def first_update(self, number: int, now: datetime) -> Write:
        pk, sk = incident_key(number)
        return Update(pk, sk, raw_sets=["first_update_at = if_not_exists(first_update_at, :now)"],
                      values={":now": iso(now)}, condition="attribute_exists(PK)", label="incident").write()

