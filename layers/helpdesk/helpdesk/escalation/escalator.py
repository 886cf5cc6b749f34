"""Escalations to managers and executives: chain steps, triggers and manual escalations.

One SNS topic carries every escalation. Email briefings are published once per escalation with
the attributes `level`, `role`, `severity`, `trigger` and `ticket`; subscriptions filter on them.
SMS goes per recipient (attribute `sms_to`) so each phone can be rate-limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso
from helpdesk.core.errors import PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.escalation.briefing import briefing_text
from helpdesk.escalation.routing import executive_roles, quiet_until
from helpdesk.escalation.sms import SMS_MAX, SmsLimiter, fit, gsm7, septets
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, DueWork, Performed, Skip
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.notifier import Notifier
    from helpdesk.adapters.aws.store import Store
    from helpdesk.tickets.context import TicketContext

WAITING_FOR = {"acknowledged": "nobody has acknowledged it yet", "first_response": "no first response yet",
               "resolved": "still not resolved"}


@dataclass(frozen=True)
class Reason:
    """Why an item escalates: the level, the trigger name and the words people read."""

    level: str
    trigger: str
    text: str


class Escalator:
    """Performs `escalation` (a chain step) and `trigger` (an event) items."""

    plan_bound = False  # chain steps check their plan themselves; triggers outlive re-plans

    def __init__(self, store: Store, due: DueWork, notifier: Notifier, topic_arn: str,
                 routes: dict[str, list[str]], clock: Clock) -> None:
        self.store = store
        self.due = due
        self.notifier = notifier
        self.topic_arn = topic_arn
        self.routes = routes
        self.clock = clock
        self.limiter = SmsLimiter(store)

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip | Defer:
        assert ctx is not None
        reason = self._reason(item, ctx)
        if isinstance(reason, Skip):
            return reason
        now = self.clock.now()
        wait = quiet_until(ctx.policy, ctx.severity, now)
        if wait is not None:
            return Defer(wait, "quiet hours")
        return self._escalate(item, ctx, reason, now)

    def _reason(self, item: DueItem, ctx: TicketContext) -> Reason | Skip:
        if item.kind == "escalation":
            return self._chain_reason(item, ctx)
        payload = item.payload
        if payload.get("level"):  # a set level: a person escalated by hand, or the account's health window
            text = str(payload.get("reason"))
            return Reason(payload["level"], payload.get("trigger", "manual"),
                          f"{text} ({payload['actor']})" if payload.get("actor") else text)
        trigger = payload["trigger"]
        action = ctx.policy.triggers.get(trigger)
        if action is None or not action.escalate_to or (action.after and ctx.closed):
            return Skip("no_action" if not ctx.closed else "resolved_in_time")
        return Reason(action.escalate_to, trigger, action.description or trigger.replace("_", " "))

    @staticmethod
    def _chain_reason(item: DueItem, ctx: TicketContext) -> Reason | Skip:
        unless = item.payload.get("unless")
        stale = item.plan != ctx.ticket.plan_version or ctx.status == "pending"
        if stale or ctx.condition_met(unless):
            return Skip("condition_met")
        return Reason(item.payload["level"], "chain", WAITING_FOR.get(str(unless), "overdue"))

    def manual(self, number: int, level: str, reason: str, actor: str) -> Performed | None:
        """`#escalate L2 <reason>` from staff."""
        occurrence = iso(self.clock.now())
        return self.raise_trigger(number, "manual", occurrence, level=level, reason=reason[:200], actor=actor)

    def raise_trigger(self, number: int, trigger: str, occurrence: str = "1", **extra: str) -> Performed | None:
        """Record a trigger as due work and perform it now (the sweeper retries if this fails)."""
        now = self.clock.now()
        action = self.due.contexts.policy.triggers.get(trigger)
        delay = action.after if action and action.after and "level" not in extra else None
        item = DueItem.new(number, f"trigger#{trigger}#{occurrence}", "trigger", now + delay if delay else now,
                           {"trigger": trigger, **extra})
        if not self.store.due.put_once(item):
            return None  # this trigger already fired for this occurrence
        if delay:
            return None  # the sweeper escalates then, if the ticket is still open
        return self.due.run_now(item)

    # -- publishing ----------------------------------------------------------------------------

    def _escalate(self, item: DueItem, ctx: TicketContext, reason: Reason, now: datetime) -> Done:
        policy, number, severity = ctx.policy, ctx.number, ctx.severity
        roles = list(dict.fromkeys([*policy.levels[reason.level].roles,
                                    *executive_roles(policy, ctx, reason.trigger)]))
        attributes: dict[str, Any] = {"kind": "briefing", "level": reason.level, "role": roles,
                                      "severity": severity, "trigger": reason.trigger, "ticket": str(number)}
        subject = gsm7(f"[ESCALATION {reason.level}] #{number} {severity} {ctx.account.name} - {reason.text}")[:99]
        briefing = briefing_text(ctx, reason.level, roles, reason.trigger, reason.text, now)
        message_id = self.notifier.publish(self.topic_arn, subject=subject,
                                           bodies={"default": briefing, "email": briefing}, attributes=attributes)
        events = [{"kind": "escalation_published", "ticket": number, "level": reason.level, "role": roles,
                   "severity": severity, "trigger": reason.trigger, "subject": subject, "body": briefing}]
        if policy.severities[severity].sms:
            events += self._sms(ctx, reason, attributes, now)
        entry = Entry(ticket=number, at=now, kind="escalation", key=item.id, level=reason.level, roles=roles,
                      trigger=reason.trigger, reason=reason.text, sns_message_id=message_id,
                      body=briefing, subject=subject)
        patch = TicketPatch(sets={"last_escalated_at": now, "escalation_level": reason.level, "updated_at": now},
                            adds={"escalations": 1})
        writes = [self.store.tickets.add_entry(entry), self.store.tickets.change(number, patch, once=item.id)]
        writes += [self.store.tickets.add_entry(Entry(ticket=number, at=now, kind="sms_sent", key=f"{item.id}#{i}",
                                                      body=e["body"], level=reason.level, phone=e["to"]))
                   for i, e in enumerate(ev for ev in events if ev["kind"] == "sms_published")]
        metric("Escalations", level=reason.level, trigger=reason.trigger)
        logger.info("escalated", extra={"ticket": number, "level": reason.level, "trigger": reason.trigger,
                                        "roles": roles})
        return Done(writes, "published", {"sns_message_id": message_id}, events)

    # -- SMS -------------------------------------------------------------------------------

    def sms_text(self, ctx: TicketContext, level: str, reason: str) -> str:
        number = ctx.number
        head = gsm7(f"{level} #{number} {ctx.severity} {ctx.account.name[:24]} ARR {ctx.account.arr_band()}: ")
        tail = f" Ack: helpdesk ack {number}"
        room = SMS_MAX - septets(head) - septets(tail)
        return head + fit(gsm7(reason), max(0, room)) + tail

    def _sms(self, ctx: TicketContext, reason: Reason, attributes: dict[str, Any], now: datetime
             ) -> list[dict[str, Any]]:
        text = self.sms_text(ctx, reason.level, reason.text)
        events = []
        for phone in self.routes.get(reason.level, []):
            if self.limiter.allow(phone, f"#{ctx.number} {ctx.severity} {reason.level}", now):
                events += self.send_sms(phone, text, {k: v for k, v in attributes.items() if k != "kind"})
        return events

    def send_sms(self, phone: str, text: str, attributes: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            self.notifier.publish(self.topic_arn, subject="escalation", bodies={"default": text, "sms": text},
                                  attributes={"kind": "sms", "sms_to": phone, **attributes})
        except (TransientAwsError, PermanentSendError) as exc:
            logger.warning("sms_failed", extra={"error_type": type(exc).__name__, "ticket": attributes.get("ticket")})
            metrics.add_metric(name="SendsFailed", unit="Count", value=1)
            return []
        metrics.add_metric(name="SmsSent", unit="Count", value=1)
        return [{"kind": "sms_published", "ticket": attributes.get("ticket"), "body": text, "to": phone,
                 "level": attributes.get("level")}]
