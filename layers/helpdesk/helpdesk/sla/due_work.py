"""The due-work engine: one path from claim to completion, and one failure policy.

A performer only decides and acts: it returns `Done` (with the writes its action caused),
`Skip` (nothing to do any more) or `Defer` (try again at a time), or raises a send error.
The engine loads the ticket's context, drops stale items, commits the completion together with
the performer's writes, and applies the failure policy:

- transient failures (throttling, pauses, 5xx) back off with jitter and retry;
- permanent failures (a rejected message, an invalid address) park the item as `failed`,
  record it on the ticket and tell ops;
- unknown errors count as transient a bounded number of times, then the item is parked too.

Parked items leave the index but stay visible (`helpdesk show`), and `helpdesk retry` revives them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from helpdesk.core.errors import ConflictError, PermanentSendError, RecipientUndeliverableError, failure_class
from helpdesk.core.observability import logger, metric, metrics, scrub, where
from helpdesk.sla.due import DueItem
from helpdesk.tickets.records import Entry

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.core.clock import Clock
    from helpdesk.tickets.context import Contexts, TicketContext

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)
MAX_ATTEMPTS = 12  # about six hours of backoff before an item that keeps failing transiently is parked
MAX_UNKNOWN_ATTEMPTS = 4  # an error nobody classified gets a few tries (about four minutes), then is parked


@dataclass
class Performed:
    """What one item did, for logs, metrics, the sweep report and the local runtime."""

    kind: str
    ticket: int | None
    outcome: str  # done | skipped | deferred | failed
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Done:
    writes: list[Write] = field(default_factory=list)
    outcome: str = "done"
    result: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    then: Callable[[], Any] | None = None  # what follows once the completion is committed


@dataclass
class Skip:
    outcome: str
    writes: list[Write] = field(default_factory=list)


@dataclass
class Defer:
    at: datetime
    reason: str
    replan: bool = False  # move the planned time too (a cadence reset), not just the next attempt


Decision = Done | Skip | Defer


class Performer(Protocol):
    """Does one kind of due work. `ctx` is the ticket's context (None for items without a ticket)."""

    plan_bound: bool  # items of an older plan generation, or of a paused ticket, are stale

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Decision: ...


def done_count(performed: list[Performed]) -> int:
    """How many items were done (for callers reporting the emails their fast path sent)."""
    return sum(1 for p in performed if p.outcome == "done")


def new_lease_owner() -> str:
    return uuid.uuid4().hex[:16]


def backoff(attempts: int) -> timedelta:
    """Exponential with full jitter: retries of many items spread out instead of arriving together."""
    ceiling = min(MAX_BACKOFF, timedelta(seconds=30 * (2 ** max(0, attempts - 1))))
    return timedelta(seconds=ceiling.total_seconds() * (0.5 + random.random() / 2))  # noqa: S311 - not crypto


def stale_reason(ctx: TicketContext, item: DueItem) -> str | None:
    """Why a planned item no longer applies: a newer plan replaced it, or the ticket is paused."""
    if item.plan != ctx.ticket.plan_version:
        return "superseded"
    if ctx.status == "pending":
        return "paused"
    return None


def _follow_up(committed: list[Done | Skip]) -> None:
    """What performers asked to happen once their completion is committed."""
    for decision in committed:
        then = decision.then if isinstance(decision, Done) else None
        if then is not None:
            then()


def _count_failure(item: DueItem, exc: Exception, what: str) -> None:
    """Metrics the alarms watch: every failure, pauses and throttling while they last, unknown errors."""
    metrics.add_metric(name="SendsFailed", unit="Count", value=1)
    metric("SendsFailedByKind", kind=item.kind, permanent=str(what == "permanent").lower())
    kind = getattr(exc, "kind", "")
    if kind == "paused":
        metrics.add_metric(name="SendsPaused", unit="Count", value=1)
    if what == "transient":
        metrics.add_metric(name="TransientFailures", unit="Count", value=1)
    if what == "unknown":
        logger.error("due_item_error", extra={"kind": item.kind, "ticket": item.ticket,
                                              "error_type": type(exc).__name__, "where": where(exc)})
        metrics.add_metric(name="DueItemsFailed", unit="Count", value=1)


class OpsAlerts(Protocol):
    def tell(self, subject: str, text: str, **attributes: str) -> None: ...


class DueWork:
    def __init__(self, store: Store, clock: Clock, contexts: Contexts, alerts: OpsAlerts) -> None:
        self.store = store
        self.clock = clock
        self.contexts = contexts
        self.alerts = alerts
        self.performers: dict[str, Performer] = {}
        self.lease_owner = new_lease_owner()

    def register(self, kinds: tuple[str, ...], performer: Performer) -> None:
        for kind in kinds:
            self.performers[kind] = performer

    # -- creating items ----------------------------------------------------------------------

    def leased(self, ticket: int | None, item_id: str, kind: str, payload: dict[str, Any] | None = None
               ) -> DueItem:
        """Due now and already claimed by this invocation, for the fast path right after its commit."""
        now = self.clock.now()
        return DueItem.new(ticket, item_id, kind, now, payload, lease_owner=self.lease_owner,
                           lease_until=now + LEASE)

    def claim(self, item: DueItem, owner: str | None = None, *, as_of: datetime | None = None) -> DueItem | None:
        """Take the lease; `as_of` claims an item due a little later (merging it into work done now)."""
        now = self.clock.now()
        return self.store.due.claim(item, owner or self.lease_owner, as_of or now, now + LEASE)

    # -- running claimed items -------------------------------------------------------------------

    def run(self, item: DueItem, known: TicketContext | None = None) -> Performed:
        """Perform one claimed item and commit its outcome."""
        return self.run_many([item], {known.number: known} if known else {})[0]

    def run_many(self, items: list[DueItem], known: dict[int, TicketContext] | None = None) -> list[Performed]:
        """Perform claimed items; the completions of those that succeed commit in one transaction."""
        commits: list[tuple[DueItem, Done | Skip, list[Write]]] = []
        performed = []
        for item in items:
            decision, report = self._decide(item, (known or {}).get(item.ticket or -1))
            if isinstance(decision, Done | Skip):
                owner = item.lease_owner or self.lease_owner
                result = decision.result if isinstance(decision, Done) else {}
                done = self.store.due.complete(item, owner, self.clock.now(), outcome=decision.outcome, **result)
                commits.append((item, decision, [done, *decision.writes]))
            performed.append(report)
        try:
            self._commit(commits)
        except Exception as exc:  # noqa: BLE001 - leases lapse and the sweeper redoes the work; never lost
            logger.error("completion_failed", extra={"items": len(commits), "error_type": type(exc).__name__,
                                                     "error": scrub(str(exc))})
        return performed

    def _decide(self, item: DueItem, known: TicketContext | None) -> tuple[Decision | None, Performed]:
        performer = self.performers.get(item.kind)
        if performer is None:
            return None, self.park(item, f"no performer for kind {item.kind!r}")
        ctx, skip = self._context(item, performer, known)
        if skip is not None:
            return skip, Performed(item.kind, item.ticket, "skipped")
        try:
            decision = performer.perform(item, ctx)
        except RecipientUndeliverableError:
            return Skip("recipient_undeliverable"), Performed(item.kind, item.ticket, "skipped")
        except Exception as exc:  # noqa: BLE001 - classified by the failure policy; one bad item never blocks others
            return None, self.failed(item, exc)
        if isinstance(decision, Defer):
            self.store.due.release(item, item.lease_owner or self.lease_owner, decision.at, decision.reason,
                                   replan=decision.replan)
            return decision, Performed(item.kind, item.ticket, "deferred")
        outcome = "done" if isinstance(decision, Done) else "skipped"
        return decision, Performed(item.kind, item.ticket, outcome, getattr(decision, "events", []))

    def _context(self, item: DueItem, performer: Performer, known: TicketContext | None
                 ) -> tuple[TicketContext | None, Skip | None]:
        """The ticket's context, or why the item has nothing left to do (no ticket, or stale)."""
        if item.ticket is None:
            return None, None
        ctx = known or self.contexts.load(item.ticket)
        if ctx is None:
            return None, Skip("no_ticket")
        reason = stale_reason(ctx, item) if performer.plan_bound else None
        return ctx, Skip(reason) if reason else None

    def _commit(self, commits: list[tuple[DueItem, Done | Skip, list[Write]]]) -> None:
        if not commits:
            return
        try:
            self.store.commit_in_chunks([w for _, _, ws in commits for w in ws])
            committed = [decision for _, decision, _ in commits]
        except ConflictError:
            committed = [decision for item, decision, item_writes in commits if self._commit_one(item, item_writes)]
        _follow_up(committed)

    def _commit_one(self, item: DueItem, writes: list[Write]) -> bool:
        """After a batch conflict (one lease lapsed), keep the others' records."""
        try:
            self.store.commit(writes)
        except ConflictError:
            logger.warning("completion_lost_lease", extra={"kind": item.kind, "ticket": item.ticket})
            return False
        return True

    # -- the failure policy ------------------------------------------------------------------------

    def failed(self, item: DueItem, exc: Exception) -> Performed:
        """Transient: back off and retry; unknown: the same, fewer times; permanent: park at once."""
        what = failure_class(exc)
        reason = scrub(str(exc)) or type(exc).__name__
        _count_failure(item, exc, what)
        limit = MAX_ATTEMPTS if what == "transient" else MAX_UNKNOWN_ATTEMPTS
        if what != "permanent" and item.attempts < limit:
            at = self.clock.now() + backoff(item.attempts)
            self.store.due.release(item, item.lease_owner or self.lease_owner, at, reason)
            logger.warning("send_deferred", extra={"kind": item.kind, "ticket": item.ticket,
                                                   "attempts": item.attempts, "failure": what,
                                                   "error_type": type(exc).__name__})
            return Performed(item.kind, item.ticket, "deferred")
        if what != "permanent":
            reason = f"gave up after {item.attempts} attempts: {reason}"
        return self.park(item, reason, rejected=isinstance(exc, PermanentSendError))

    def park(self, item: DueItem, reason: str, *, rejected: bool = False) -> Performed:
        """Out of the index, recorded on the ticket, reported to ops; an operator can retry it."""
        now = self.clock.now()
        writes = [self.store.due.fail(item, item.lease_owner, now, reason)]
        if item.ticket is not None:
            entry = Entry(ticket=item.ticket, at=now, kind="send_failed" if rejected else "work_parked",
                          key=item.id.replace("#", "-")[:60], what=item.kind, failure=reason[:300])
            writes.append(self.store.tickets.add_entry(entry))
        try:
            self.store.commit(writes)
        except ConflictError:
            return Performed(item.kind, item.ticket, "skipped")  # someone else holds it now
        metrics.add_metric(name="DueItemsParked", unit="Count", value=1)  # the alarm watches the total
        metric("DueItemsParkedByKind", kind=item.kind, rejected=str(rejected).lower())
        logger.error("due_item_parked", extra={"kind": item.kind, "ticket": item.ticket, "rejected": rejected})
        what = "was rejected" if rejected else "kept failing"
        self.alerts.tell(f"Due work parked: {item.kind} for ticket #{item.ticket}",
                         f"A {item.kind} for ticket #{item.ticket} {what} ({reason[:200]}). It is parked as "
                         f"failed and will not run again until `helpdesk retry {item.ticket} {item.id}`.",
                         ticket=str(item.ticket), failure=reason[:100])
        return Performed(item.kind, item.ticket, "failed", [{"kind": "send_failed", "ticket": item.ticket,
                                                            "reason": reason}])

    # -- helpers for callers that create work and do it at once ------------------------------------

    def run_now(self, item: DueItem, known: TicketContext | None = None) -> Performed | None:
        """Claim an item that is due now and perform it (the sweeper retries if this fails)."""
        claimed = self.claim(item)
        return self.run(claimed, known) if claimed else None


Runner = Callable[[DueItem], Performed]
