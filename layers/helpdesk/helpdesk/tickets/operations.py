"""What people do to a ticket, applied as one transaction fenced on the ticket's version.

Two staff members acting at once cannot interleave half-applied changes: the loser reads the
ticket again and re-decides.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso, local_text
from helpdesk.core.errors import ConflictError
from helpdesk.core.observability import logger, metrics
from helpdesk.core.retry import pause
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.tickets import changes
from helpdesk.tickets.changes import Builder, Change, ResolutionPlanner, TicketOpError
from helpdesk.tickets.records import Entry, Ticket, TicketPatch

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from helpdesk.adapters.aws.store import Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.tickets.context import Contexts, TicketContext

__all__ = ["AutoCloser", "TicketOpError", "TicketOps"]


def _zone(ctx: TicketContext) -> ZoneInfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ctx.targets().timezone)


class TicketOps:
    def __init__(self, store: Store, contexts: Contexts, clock: Clock, planner: ResolutionPlanner) -> None:
        self.store = store
        self.contexts = contexts
        self.clock = clock
        self.planner = planner

    # -- public operations -------------------------------------------------------------------

    def acknowledge(self, number: int, actor: str) -> Ticket:
        return self.apply(number, [changes.acknowledge(actor)])

    def set_status(self, number: int, status: str, actor: str) -> Ticket:
        result = self.apply(number, [self.status_change(status, actor)])
        metrics.add_metric(name="StatusChanges", unit="Count", value=1)
        return result

    def add_note(self, number: int, text: str, actor: str, *, public: bool = False) -> Ticket:
        return self.apply(number, [changes.note(text, actor, public=public)])

    def change_severity(self, number: int, severity: str, actor: str) -> Ticket:
        return self.apply(number, [changes.change_severity(severity, actor)])

    def status_change(self, status: str, actor: str) -> Builder:
        return changes.set_status(status, actor, self.planner)

    # -- mechanics -----------------------------------------------------------------------------

    def apply(self, number: int, builders: list[Builder], attempts: int = 6) -> Ticket:
        """Apply changes in order, all in one transaction fenced on the ticket's version."""
        for attempt in range(attempts):
            ctx = self.contexts.load(number)
            if ctx is None:
                raise TicketOpError(f"no ticket #{number}")
            original = ctx.ticket.model_copy(deep=True)
            patch, writes = self._compose(ctx, builders, self.clock.now())
            try:
                self.store.commit([self.store.tickets.change(number, patch, version=original.version,
                                                             now=self.clock.now()), *writes])
            except ConflictError as exc:
                if exc.involves("ticket"):
                    pause(attempt)  # someone changed the ticket meanwhile; read it again and re-decide
                    continue
                raise
            logger.info("ticket_changed", extra={"ticket": number, "changes": len(builders)})
            return original.with_changes(patch.sets)
        raise TicketOpError(f"ticket #{number} kept changing; try again")

    def _compose(self, ctx: TicketContext, builders: list[Builder], now: datetime) -> tuple[TicketPatch, list[Write]]:
        patch = TicketPatch()
        writes: list[Write] = []
        version = ctx.ticket.version
        for index, build in enumerate(builders):
            change: Change = build(ctx, now)
            for name, value in change.sets.items():
                setattr(ctx.ticket, name, value)  # later changes see earlier ones (e.g. #ack then #status)
            patch = patch.merge(change.patch())
            if change.progress:
                patch.progress.append(f"{local_text(now, _zone(ctx), 'weekday_time')} {change.progress}")
            if change.entry is not None:
                entry = Entry.model_validate({"key": f"{version}.{index}", **change.entry, "ticket": ctx.number,
                                              "at": now})
                writes.append(self.store.tickets.add_entry(entry))
            writes += [self.store.due.add(item) for item in change.items] + change.writes
        patch.sets.update(updated_at=now, version=version + 1, **self.store.tickets.trimmed_recent(ctx.ticket))
        return patch, writes


class AutoCloser:
    """Resolved tickets close by themselves after the policy's quiet period, unless reopened."""

    plan_bound = False

    def __init__(self, ops: TicketOps) -> None:
        self.ops = ops

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        resolved = ctx.ticket.resolved_at
        if ctx.status != "resolved" or resolved is None or item.payload.get("resolved_at") != iso(resolved):
            return Skip("not_needed")
        self.ops.set_status(ctx.number, "closed", "system:auto-close")
        return Done(outcome="closed", events=[{"kind": "status_changed", "ticket": ctx.number, "status": "closed"}])


def entry_fields(**fields: Any) -> dict[str, Any]:
    """Entry fields for a `Change`, checked early so a typo fails where it is written."""
    unknown = set(fields) - set(Entry.model_fields)
    if unknown:
        raise ValueError(f"not entry fields: {sorted(unknown)}")
    return fields
