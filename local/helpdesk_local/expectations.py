"""What a scenario promises (`expect:`), checked against what people saw once it has run.

Times are measured from each ticket's creation to the outbound log entries of its thread (the
acknowledgment, customer updates), escalations from the SNS briefings on the timeline, and
duplicates from the outbound log: the same message kind and number sent twice to one ticket.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from helpdesk.policy.durations import Duration
from helpdesk.policy.loader import load_policy

if TYPE_CHECKING:
    from helpdesk_local.runtime import LocalRuntime


class IncidentExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int | None = None  # exactly this many incidents opened
    min_tickets: int | None = None  # the largest incident links at least this many tickets


class Expectations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acknowledged_within: Duration | None = None  # every ticket's requester
    updated_within: Duration | None = None  # a customer update (or resolution) after the report, every ticket
    no_duplicate_sends: bool = False
    max_escalations: int | None = None
    max_executive_escalations: int | None = None  # briefings to levels that expect an acknowledgment
    incidents: IncidentExpectation | None = None


def _first(entries: list[Any], kinds: tuple[str, ...]) -> Any:
    return next((e for e in entries if e.kind in kinds and e.direction == "outbound"), None)


def _timing(expect: Expectations, number: int, created: Any, entries: list[Any]) -> list[str]:
    problems = []
    for limit, kinds, what in ((expect.acknowledged_within, ("acknowledgment",), "acknowledged"),
                               (expect.updated_within, ("customer_update", "resolution_summary"), "updated")):
        if limit is None:
            continue
        sent = _first(entries, kinds)
        if sent is None or sent.at - created > limit:
            late = "never" if sent is None else f"after {int((sent.at - created).total_seconds() // 60)} min"
            problems.append(f"ticket #{number} was not {what} within {_minutes(limit)} ({late})")
    return problems


def _duplicates(number: int, entries: list[Any]) -> list[str]:
    sent = Counter((e.kind, e.seq) for e in entries if e.direction == "outbound" and e.visibility == "public")
    return [f"ticket #{number}: {kind}{f' {seq}' if seq else ''} sent {n} times" for (kind, seq), n in sent.items()
            if n > 1]


def _minutes(limit: timedelta) -> str:
    return f"{int(limit.total_seconds() // 60)} min"


def check(runtime: LocalRuntime, expect: Expectations, policy_name: str) -> list[str]:
    """Every promise the scenario's `expect:` makes that the run broke (empty: all kept)."""
    store, problems = runtime.store(), []
    created = [e.ticket for e in runtime.timeline if e.kind == "ticket_created" and e.ticket]
    for number in created:
        ticket = store.tickets.get(number)
        entries = store.tickets.entries(number)
        problems += _timing(expect, number, ticket.created_at, entries)
        if expect.no_duplicate_sends:
            problems += _duplicates(number, entries)
    briefings = [e for e in runtime.timeline if e.kind == "escalation_published"]
    if expect.max_escalations is not None and len(briefings) > expect.max_escalations:
        problems.append(f"{len(briefings)} escalations published, more than {expect.max_escalations}")
    if expect.max_executive_escalations is not None:
        levels = load_policy(policy_name).levels
        executive = [b for b in briefings if levels.get(str(b.details.get("level")), None) is not None
                     and levels[str(b.details.get("level"))].expects_ack]
        if len(executive) > expect.max_executive_escalations:
            problems.append(f"{len(executive)} executive-level escalations, more than "
                            f"{expect.max_executive_escalations}")
    if expect.incidents is not None:
        problems += _incidents(store, expect.incidents)
    return problems


def _incidents(store: Any, expect: IncidentExpectation) -> list[str]:
    found = store.incidents.recent(limit=1000)
    problems = []
    if expect.count is not None and len(found) != expect.count:
        problems.append(f"{len(found)} incidents opened, expected {expect.count}")
    biggest = max((len(i.tickets) for i in found), default=0)
    if expect.min_tickets is not None and biggest < expect.min_tickets:
        problems.append(f"the largest incident links {biggest} tickets, expected at least {expect.min_tickets}")
    return problems
