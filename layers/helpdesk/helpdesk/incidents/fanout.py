"""Fan-out: the incident speaks to every linked customer, each in their own thread.

Three kinds of due work, so a crash at any point resends nothing and skips no one:

- `incident_update` (home: the incident) is the cadence at the incident's severity: it numbers an
  update and starts its fan-out, and plans the next step;
- `incident_fanout` (home: the incident) writes one `incident_notice` per linked ticket, a batch at a
  time, in ticket order; the next batch is the next step, committed with this one's completion.
  Notices are written only if new, so a step that runs twice adds nothing;
- `incident_notice` (home: the ticket) sends that customer the update, or resolves the ticket with
  the incident's summary. The sweeper reads notices from the index like any due work, within its
  time budget, so hundreds of them spread over several sweeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock
from helpdesk.core.observability import logger, metric
from helpdesk.incidents.model import Incident, incident_number
from helpdesk.incidents.service import FANOUT, NOTICE, cadence_item, fanout_item
from helpdesk.messages.wording import style_for
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, Skip
from helpdesk.sla.performers import update_context
from helpdesk.tickets import changes
from helpdesk.tickets.records import TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.mail.compose import OutboundMail
    from helpdesk.messages.outbox import MailFactory, Outbox
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps


def notice_id(incident: int, kind: str, seq: int) -> str:
    return f"incident#{incident}#{kind}#{seq:04d}"


def incident_context(incident: Incident, text: str = "") -> dict[str, Any]:
    """What customer templates may say about the incident (never another customer's words or name)."""
    return {"id": incident.id, "title": incident.title, "status_line": text or incident.status_line,
            "customers": len(incident.tickets), "severity": incident.severity}


class IncidentCadence:
    """`incident_update`: an update at the incident's cadence, unless staff just sent one."""

    plan_bound = False

    def __init__(self, store: Store, clock: Clock, policy: Policy, run_now: Callable[[DueItem], object]) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.run_now = run_now  # the fan-out's first batch starts at once, not a sweep later

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip | Defer:
        incident = self.store.incidents.get(item.incident or 0)
        if incident is None or not incident.open:
            return Skip("incident_closed")
        every = self.policy.severities[incident.severity].update_every
        now = self.clock.now()
        last = incident.last_update_at
        if every and last and now - last < every:
            return Defer(last + every, "an update went out within the cadence", replan=True)
        seq = incident.updates_sent + 1
        writes = [self.store.incidents.start_update(incident.number, seq, now),
                  self.store.due.add(fanout_item(incident.number, "update", seq, now))]
        if every:
            writes.append(self.store.due.add(cadence_item(incident.number, seq + 1, now + every)))
        metric("IncidentUpdates", source="cadence")
        return Done(writes, "started", {"seq": seq}, then=lambda: self.run_now(fanout_item(incident.number, "update",
                                                                                        seq, now)))


class IncidentFanout:
    """`incident_fanout`: one notice per linked ticket, `fanout_batch` at a time."""

    plan_bound = False

    def __init__(self, store: Store, policy: Policy) -> None:
        self.store = store
        self.policy = policy

    @property
    def batch_size(self) -> int:
        return self.policy.incidents.fanout_batch

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        incident = self.store.incidents.get(item.incident or 0)
        if incident is None:
            return Skip("no_incident")
        kind, seq, after = item.payload["kind"], int(item.payload["seq"]), int(item.payload.get("after", 0))
        batch = sorted(t for t in incident.tickets if t > after)[: self.batch_size]
        added = 0
        for ticket in batch:
            notice = DueItem.new(ticket, notice_id(incident.number, kind, seq), NOTICE, item.planned,
                                 {"incident": incident.id, "kind": kind, "seq": seq,
                                  "text": item.payload.get("text", "")})
            added += self.store.due.put_once(notice)
        writes = []
        if batch and len(batch) == self.batch_size:
            writes.append(self.store.due.add(fanout_item(incident.number, kind, seq, item.planned,
                                                         item.payload.get("text", ""), batch[-1])))
        logger.info("incident_fanout", extra={"incident": incident.id, "kind": kind, "seq": seq,
                                              "notices": added, "more": bool(writes)})
        return Done(writes, "fanned_out", {"notices": added})


class IncidentNotices:
    """`incident_notice`: one linked customer hears the update, or their ticket is resolved."""

    plan_bound = False

    def __init__(self, store: Store, factory: MailFactory, outbox: Outbox, ops: TicketOps, clock: Clock) -> None:
        self.store = store
        self.factory = factory
        self.outbox = outbox
        self.ops = ops
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        if ctx.ticket.incident != item.payload["incident"]:
            return Skip("unlinked")
        if ctx.closed:
            return Skip("ticket_closed")
        incident = self.store.incidents.get(incident_number(item.payload["incident"]) or 0)
        if incident is None:
            return Skip("no_incident")
        if item.payload["kind"] == "resolve":
            return self._resolve(ctx, incident)
        return self._update(ctx, incident, item)

    def _resolve(self, ctx: TicketContext, incident: Incident) -> Done:
        """The ticket is resolved as staff would resolve it; its summary, follow-ups and survey follow."""
        actor = f"incident:{incident.id}"
        builders = [changes.set_field(name, value, actor) for name, value in
                    (("root_cause", incident.root_cause), ("fix", incident.fix),
                     ("prevention", incident.prevention)) if value]
        self.ops.apply(ctx.number, [*builders, self.ops.status_change("resolved", actor)])
        return Done([], "resolved")

    def _update(self, ctx: TicketContext, incident: Incident, item: DueItem) -> Done:
        now = self.clock.now()
        seq = ctx.ticket.updates_sent + 1
        mail = self.build(ctx, incident, item.payload.get("text", ""), seq, now)
        sent = self.outbox.send(ctx.number, "customer_update", mail, now, seq=seq)
        writes = [*sent.writes, self.store.tickets.change(ctx.number, TicketPatch(
            sets={"last_update_at": now, "updated_at": now, "last_outbound_message_id": sent.ses_message_id},
            adds={"updates_sent": 1})), self.store.incidents.first_update(incident.number, now)]
        return Done(writes, "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ctx: TicketContext, incident: Incident, text: str, seq: int, now: datetime) -> OutboundMail:
        """The ticket's own update, at the incident's severity, carrying the incident's news."""
        policy = ctx.policy
        every = policy.severities[incident.severity].update_every
        following = now + every if every else None
        news = [f"{incident.id}: {text}"] if text else []
        context = update_context(ctx, seq, following, news, now, self.factory.sender.team_name)
        context.update({
            "style": style_for(policy, incident.severity),
            "severity": {"id": incident.severity, "name": policy.severities[incident.severity].name},
            "public_note": text or incident.status_line or ctx.ticket.public_note,
            "incident": incident_context(incident, text),
        })
        if incident.owner or text:  # someone is working the incident, whoever owns this ticket
            context.update({"acknowledged": True, "escalation": []})
        return self.factory.to_customer(ctx.ticket, policy.templates.customer_update, context, policy)


__all__ = ["FANOUT", "NOTICE", "IncidentCadence", "IncidentFanout", "IncidentNotices"]
