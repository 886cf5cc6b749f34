"""What people do to a ticket: acknowledge, change status or priority, add notes, answer.

Each operation is one conditional write on the ticket's version (plus its log entry and any new
obligations), so two staff members acting at once cannot interleave half-applied changes.
Clocks stop here: when a clock closes, its SLA outcome (met or breached, minutes taken) is
recorded on the ticket so reports never recompute history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from helpdesk.adapters.aws.store import META, ticket_pk
from helpdesk.adapters.aws.table import Update, Write, put
from helpdesk.core.clock import iso, parse_iso
from helpdesk.core.errors import ConflictError, HelpdeskError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.messages.resolution import resolution_writes
from helpdesk.policy.calendar import business_hours_for
from helpdesk.sla.performers import Work
from helpdesk.sla.plans import business_elapsed, plan_items, reopen
from helpdesk.sla.targets import due_fields
from helpdesk.tickets.context import CLOSED, STATUSES, TicketContext, resolved_state

MAX_PROGRESS = 30
Builder = Callable[[TicketContext, datetime], "Change"]


class TicketOpError(HelpdeskError):
    """An operation that cannot apply (unknown ticket, bad status, unknown severity)."""


@dataclass
class Change:
    """The fields one operation sets, the entry it logs, and any extra writes."""

    sets: dict[str, Any]
    entry: dict[str, Any]
    writes: list[Write]
    progress: str | None = None
    adds: dict[str, Any] | None = None


class TicketOps:
    def __init__(self, work: Work) -> None:
        self.work = work

    # -- public operations -------------------------------------------------------------------

    def acknowledge(self, number: int, actor: str) -> dict[str, Any]:
        return self.apply(number, [self.ack_change(actor)])

    def set_status(self, number: int, status: str, actor: str) -> dict[str, Any]:
        result = self.apply(number, [self.status_change(status, actor)])
        metrics.add_metric(name="StatusChanges", unit="Count", value=1)
        return result

    def add_note(self, number: int, text: str, actor: str, *, public: bool = False) -> dict[str, Any]:
        return self.apply(number, [self.note_change(text, actor, public=public)])

    def change_severity(self, number: int, severity: str, actor: str) -> dict[str, Any]:
        return self.apply(number, [self.severity_change(severity, actor)])

    # -- changes (composable: a staff email may carry several) ---------------------------------

    def ack_change(self, actor: str) -> Builder:
        """Someone owns it now: the escalation chain stops and a new ticket moves to acknowledged."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            sets: dict[str, Any] = {"chain_stopped_at": iso(now)}
            if not ctx.ticket.get("acknowledged_at"):
                sets["acknowledged_at"] = iso(now)
                sets["acknowledged_by"] = actor
            if ctx.status == "new":
                sets["status"] = "acknowledged"
            return Change(sets, {"kind": "acknowledged", "actor": actor}, [], f"Acknowledged by {_who(actor)}")

        return change

    def status_change(self, status: str, actor: str) -> Builder:
        status = status.strip().lower()
        if status not in STATUSES or status == "new":
            raise TicketOpError(f"unknown status {status!r}; use one of {', '.join(STATUSES[1:])}")

        def change(ctx: TicketContext, now: datetime) -> Change:
            previous = ctx.status
            sets: dict[str, Any] = {"status": status}
            writes: list[Write] = []
            adds: dict[str, Any] = {}
            if status != "pending" and not ctx.ticket.get("acknowledged_at"):
                sets.update(acknowledged_at=iso(now), acknowledged_by=actor)
            if status == "pending" and previous != "pending":
                sets.update(paused_at=iso(now), plan_version=int(ctx.ticket.get("plan_version", 1)) + 1)
            if previous == "pending" and status != "pending":
                writes += self._resume(ctx, now, sets)
            if status == "workaround" and not ctx.ticket.get("workaround_at"):
                sets.update(workaround_at=iso(now), **self._outcome(ctx, "workaround", now))
            if status in CLOSED and previous not in CLOSED:
                resolved_at = ctx.ticket.get("resolved_at") or iso(now)
                sets.update(resolved_at=resolved_at, state_key=resolved_state(resolved_at), state_at=resolved_at,
                            **self._outcome(ctx, "resolution", now))
                resolution, adds = resolution_writes(self.work, ctx, now)
                writes += resolution
                if status == "resolved":
                    close_at = now + ctx.policy.lifecycle.auto_close_after
                    writes.append(put(self.work.store.due_item(
                        ctx.number, f"DUE#autoclose#{resolved_at}", "autoclose", iso(close_at), {})))
            if status == "closed" and previous != "closed":
                sets["closed_at"] = iso(now)
            entry = {"kind": "status_changed", "actor": actor, "from": previous, "to": status}
            return Change(sets, entry, writes, f"Status changed from {previous} to {status}", adds=adds)

        return change

    def note_change(self, text: str, actor: str, *, public: bool = False) -> Builder:
        """Internal notes stay internal; a public note is the status line customers see in updates."""
        text = text.strip()
        if not text:
            raise TicketOpError("a note needs some text")

        def change(ctx: TicketContext, now: datetime) -> Change:
            sets: dict[str, Any] = {"public_note": text[:2000], "public_note_at": iso(now)} if public else {}
            entry = {"kind": "public_note" if public else "note", "actor": actor, "text": text[:16000],
                     "visibility": "public" if public else "internal"}
            return Change(sets, entry, [], f"Update from the team: {text[:200]}" if public else None)

        return change

    def severity_change(self, severity: str, actor: str) -> Builder:
        """Re-plan every clock from the original open time under the new severity (never a restart)."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            try:
                new = ctx.policy.resolve_severity(severity)
            except KeyError as exc:
                raise TicketOpError(str(exc)) from exc
            previous = ctx.ticket["severity"]
            if new == previous:
                return Change({}, {"kind": "severity_unchanged", "actor": actor, "severity": new}, [])
            plan_no = int(ctx.ticket.get("plan_version", 1)) + 1
            ctx.ticket["severity"] = new
            targets = ctx.targets()
            sets = {"severity": new, "plan_version": plan_no, **due_fields(targets)}
            writes = [] if ctx.status == "pending" else self._plan_writes(ctx, targets, plan_no, now)
            entry = {"kind": "severity_changed", "actor": actor, "from": previous, "to": new}
            return Change(sets, entry, writes, f"Priority changed from {previous} to {new}")

        return change

    def field_change(self, field: str, value: Any, actor: str, progress: str | None = None) -> Builder:
        """Plain facts: owner, root cause, prevention, issue type."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            entry = {"kind": f"{field}_set", "actor": actor, "value": value}
            return Change({field: value}, entry, [], progress)

        return change

    def tag_change(self, tag: str, actor: str) -> Builder:
        def change(ctx: TicketContext, now: datetime) -> Change:
            return Change({}, {"kind": "tagged", "actor": actor, "tag": tag}, [], adds={"tags": {tag}})

        return change

    def reopen_change(self, actor: str, reason: str) -> Builder:
        """Reopen a resolved or closed ticket (a bad rating, a customer reply inside the window)."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            if not ctx.closed:
                return Change({}, {"kind": "reopen_skipped", "actor": actor, "reason": reason}, [])
            sets, adds, writes = reopen(self.work.store, ctx.policy, ctx.ticket, now, actor, reason)
            entry = next(w for w in writes if w.params["Item"]["SK"]["S"].startswith("ENTRY#"))
            writes.remove(entry)
            metrics.add_metric(name="TicketsReopened", unit="Count", value=1)
            return Change(sets, {"kind": "reopened", "actor": actor, "reason": reason}, writes,
                          f"Reopened: {reason}", adds=adds)

        return change

    def public_reply_change(self, actor: str, entry: dict[str, Any], writes: list[Write]) -> Builder:
        """A staff answer relayed to the customer: stops the first-response clock, resets the cadence."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            sets = self.first_response_fields(ctx, now, actor)
            if ctx.status in ("new", "acknowledged"):
                sets["status"] = "investigating"
            return Change(sets, entry, writes, f"Replied to the customer ({_who(actor)})", adds={"public_replies": 1})

        return change

    def first_response_fields(self, ctx: TicketContext, now: datetime, actor: str) -> dict[str, Any]:
        sets: dict[str, Any] = {"last_public_reply_at": iso(now)}
        if not ctx.ticket.get("first_response_at"):
            sets.update(first_response_at=iso(now), first_response_by=actor,
                        **self._outcome(ctx, "first_response", now))
            if not ctx.ticket.get("acknowledged_at"):
                sets.update(acknowledged_at=iso(now), acknowledged_by=actor)
        return sets

    # -- mechanics -----------------------------------------------------------------------------

    def apply(self, number: int, builders: list[Builder], attempts: int = 3) -> dict[str, Any]:
        """Apply changes in order, all in one transaction fenced on the ticket's version."""
        for _ in range(attempts):
            ctx = self.work.context(number)
            if ctx is None:
                raise TicketOpError(f"no ticket #{number}")
            now = self.work.clock.now()
            version = int(ctx.ticket.get("version", 1))
            original = dict(ctx.ticket)
            sets: dict[str, Any] = {}
            adds: dict[str, Any] = {}
            lines: list[str] = []
            writes: list[Write] = []
            for index, build in enumerate(builders):
                change: Change = build(ctx, now)
                sets.update(change.sets)
                ctx.ticket.update(change.sets)  # later changes see earlier ones (e.g. #ack then #status)
                for name, value in (change.adds or {}).items():
                    adds[name] = adds.get(name, set()) | value if isinstance(value, set) else value
                if change.progress:
                    lines.append(f"{_stamp(ctx, now)} {change.progress}")
                sk = change.entry.get("SK") or f"ENTRY#{iso(now)}#{change.entry['kind']}#{version}.{index}"
                writes.append(put({"PK": ticket_pk(number), "type": "entry", "at": iso(now),
                                   "visibility": "internal", **change.entry, "SK": sk}))
                writes += change.writes
            sets.update(updated_at=iso(now), version=version + 1)
            raw_sets: list[str] = []
            values: dict[str, Any] = {":v": version}
            if lines:
                raw_sets.append("progress = list_append(if_not_exists(progress, :empty), :lines)")
                values.update({":empty": [], ":lines": lines})
            update = Update(ticket_pk(number), META, sets=sets, raw_sets=raw_sets, adds=adds,
                            condition="#version = :v", values=values, label="ticket")
            try:
                self.work.store.transact([update.write(), *writes])
            except ConflictError as exc:
                if "ticket" in str(exc):
                    continue  # someone changed the ticket meanwhile; read it again and re-decide
                raise
            logger.info("ticket_changed", extra={"ticket": number, "changes": len(builders)})
            return {**original, **sets}
        raise TicketOpError(f"ticket #{number} kept changing; try again")

    def _outcome(self, ctx: TicketContext, clock: str, now: datetime) -> dict[str, Any]:
        """SLA result of a clock that just stopped: met or breached, minutes on the clock and on the wall."""
        due = ctx.ticket.get(f"{clock}_due")
        if not due:
            return {}
        targets = ctx.targets()
        opened = parse_iso(ctx.ticket["created_at"])
        clock_minutes = (business_elapsed(ctx.policy, targets, ctx.account, opened, now)
                         - int(ctx.ticket.get("paused_seconds") or 0)) / 60
        met = now <= parse_iso(due)
        metric("SlaMet" if met else "SlaBreached", clock=clock, severity=ctx.ticket["severity"])
        if clock == "first_response":
            metric("FirstResponseTime", round(max(0.0, clock_minutes) * 60), "Seconds", severity=ctx.ticket["severity"])
        return {f"sla_{clock}": {"outcome": "met" if met else "breached", "due": due, "at": iso(now),
                                 "minutes": round(max(0.0, clock_minutes), 1),
                                 "wall_minutes": round((now - opened).total_seconds() / 60, 1)}}

    def _resume(self, ctx: TicketContext, now: datetime, sets: dict[str, Any]) -> list[Write]:
        """Leaving `pending`: the paused time is added to every target and the plan is rebuilt."""
        paused_at = parse_iso(ctx.ticket.get("paused_at") or iso(now))
        targets = ctx.targets()
        clock = business_hours_for(ctx.policy, targets.clock, severity=targets.severity,
                                   account_flags=ctx.account.flags)
        paused = clock.elapsed(paused_at, now) + timedelta(seconds=int(ctx.ticket.get("paused_seconds") or 0))
        plan_no = int(ctx.ticket.get("plan_version", 1)) + 1
        ctx.ticket["paused_seconds"] = int(paused.total_seconds())
        targets = ctx.targets()
        sets.update(paused_seconds=int(paused.total_seconds()), plan_version=plan_no, **due_fields(targets))
        sets["waiting_seconds"] = int(ctx.ticket.get("waiting_seconds") or 0) + int((now - paused_at).total_seconds())
        return self._plan_writes(ctx, targets, plan_no, now)

    def _plan_writes(self, ctx: TicketContext, targets: Any, plan_no: int, now: datetime) -> list[Write]:
        items = plan_items(self.work.store, ctx.policy, ctx.number, targets, ctx.account, plan_no,
                           first_response_open=not ctx.ticket.get("first_response_at"),
                           workaround_open=not ctx.ticket.get("workaround_at"), skip_before=now)
        return [put(item) for item in items]


def _who(actor: str) -> str:
    return actor.split("@")[0] if "@" in actor else actor


def _stamp(ctx: TicketContext, now: datetime) -> str:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(ctx.targets().timezone)).strftime("%a %H:%M")


class AutoCloser:
    """Resolved tickets close by themselves after the policy's quiet period, unless reopened."""

    def __init__(self, ops: TicketOps) -> None:
        self.ops = ops

    def __call__(self, item: dict[str, Any], owner: str) -> Any:
        from helpdesk.sla.performers import Performed

        number = int(item["ticket"])
        ctx = self.ops.work.context(number)
        if ctx is None or ctx.status != "resolved" or f"DUE#autoclose#{ctx.ticket.get('resolved_at')}" != item["SK"]:
            self.ops.work.finish(item, owner, [], outcome="not_needed")
            return Performed("autoclose", number, "skipped")
        self.ops.set_status(number, "closed", "system:auto-close")
        self.ops.work.finish(item, owner, [], outcome="closed")
        return Performed("autoclose", number, "done", [{"kind": "status_changed", "ticket": number,
                                                        "status": "closed"}])
