"""Reading a ticket back with everything its obligations need: its policy snapshot and account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from helpdesk.accounts.model import DEFAULT_DOMAIN, Account, candidate_domains, pick_account
from helpdesk.adapters.aws.store import META, TicketStore, account_key, policy_key, ticket_pk
from helpdesk.core.clock import parse_iso
from helpdesk.policy.loader import policy_digest, validate_policy
from helpdesk.policy.models import Policy
from helpdesk.sla.targets import Targets, plan

CLOSED = frozenset({"resolved", "closed"})
OPEN_STATE = "open"


def resolved_state(resolved_at: str) -> str:
    """ByState partition for tickets resolved in a month (reports read one month at a time)."""
    return f"resolved#{resolved_at[:7]}"
STATUSES = ("new", "acknowledged", "investigating", "pending", "workaround", "resolved", "closed")


@dataclass
class TicketContext:
    ticket: dict[str, Any]
    account: Account
    policy: Policy

    @property
    def number(self) -> int:
        return int(self.ticket["number"])

    @property
    def status(self) -> str:
        return str(self.ticket.get("status", "new"))

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def targets(self) -> Targets:
        return plan(self.policy, self.ticket["severity"], parse_iso(self.ticket["created_at"]), self.account,
                    self.ticket.get("triggers") or (), timedelta(seconds=int(self.ticket.get("paused_seconds") or 0)))

    def condition_met(self, condition: str | None) -> bool:
        """Whether the thing an escalation step waits for has happened (so the step must not fire)."""
        if self.ticket.get("chain_stopped_at"):
            return True
        if condition == "acknowledged":
            return bool(self.ticket.get("acknowledged_at")) or self.closed
        if condition == "first_response":
            return bool(self.ticket.get("first_response_at")) or self.closed
        if condition == "resolved":
            return self.closed
        return False


class PolicySnapshots:
    """Open tickets keep the rules they opened under; snapshots are cached per container."""

    def __init__(self, store: TicketStore, current: Policy) -> None:
        self.store = store
        self.current = current
        self._cache: dict[str, Policy] = {policy_digest(current): current}

    def get(self, digest: str | None) -> Policy:
        if not digest:
            return self.current
        if digest not in self._cache:
            pk, sk = policy_key(digest)
            found = self.store.get_many([(pk, sk)]).get((pk, sk))
            self._cache[digest] = validate_policy(found["document"], f"snapshot {digest}") if found else self.current
        return self._cache[digest]


def load_context(store: TicketStore, snapshots: PolicySnapshots, number: int) -> TicketContext | None:
    """Ticket and account in one BatchGetItem (plus the policy snapshot the first time it is seen)."""
    ticket_key = (ticket_pk(number), META)
    keys = [ticket_key]
    requester = None
    found = store.get_many(keys)
    ticket = found.get(ticket_key)
    if ticket is None:
        return None
    requester = ticket.get("requester", "")
    account_keys = [account_key(d) for d in [*candidate_domains(requester), DEFAULT_DOMAIN]]
    accounts = {i["domain"]: Account.from_item(i) for i in store.get_many(account_keys).values()}
    return TicketContext(ticket, pick_account(requester, accounts), snapshots.get(ticket.get("policy_digest")))
