"""A ticket read back with what every decision about it needs: its policy snapshot and account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from helpdesk.accounts.model import Account
from helpdesk.policy.loader import policy_digest, validate_policy
from helpdesk.policy.models import Policy
from helpdesk.sla.targets import Targets, plan
from helpdesk.tickets.records import Ticket

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store


@dataclass
class TicketContext:
    ticket: Ticket
    account: Account
    policy: Policy

    @property
    def number(self) -> int:
        return self.ticket.number

    @property
    def status(self) -> str:
        return self.ticket.status

    @property
    def closed(self) -> bool:
        return self.ticket.closed

    @property
    def severity(self) -> str:
        return self.ticket.severity

    def targets(self) -> Targets:
        start = self.ticket.clock_start or self.ticket.created_at
        return plan(self.policy, self.ticket.severity, start, self.account, self.ticket.triggers,
                    timedelta(seconds=self.ticket.paused_seconds))

    def condition_met(self, condition: str | None) -> bool:
        """Whether what an escalation step waits for has happened (so the step must not fire)."""
        ticket = self.ticket
        if ticket.chain_stopped_at:
            return True
        reached = {"acknowledged": ticket.acknowledged_at, "first_response": ticket.first_response_at}
        if condition in reached:
            return bool(reached[condition]) or self.closed
        return self.closed if condition == "resolved" else False


class PolicySnapshots:
    """Open tickets keep the rules they opened under; snapshots are cached per container."""

    def __init__(self, store: Store, current: Policy) -> None:
        self.store = store
        self.current = current
        self._cache: dict[str, Policy] = {policy_digest(current): current}

    def get(self, digest: str | None) -> Policy:
        if not digest:
            return self.current
        if digest not in self._cache:
            document = self.store.policies.document(digest)
            self._cache[digest] = validate_policy(document, f"snapshot {digest}") if document else self.current
        return self._cache[digest]


class Contexts:
    """Loads ticket contexts: the ticket and its account in one BatchGetItem, plus the snapshot once."""

    def __init__(self, store: Store, snapshots: PolicySnapshots) -> None:
        self.store = store
        self.snapshots = snapshots

    @property
    def policy(self) -> Policy:
        return self.snapshots.current

    def load(self, number: int) -> TicketContext | None:
        ticket = self.store.tickets.get(number)
        if ticket is None:
            return None
        return self.of(ticket, self.store.account_for(ticket.requester))

    def of(self, ticket: Ticket, account: Account) -> TicketContext:
        return TicketContext(ticket, account, self.snapshots.get(ticket.policy_digest))
