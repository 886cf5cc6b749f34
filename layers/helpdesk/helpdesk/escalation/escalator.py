"""Escalations to managers and executives: once per level, in order, with everything that is due.

Chain steps, triggers and hand escalations are due items. When one falls due it becomes a
briefing for its level (never below the level the ticket already reached), gathering every other
reason for that level due within the merge look-ahead, so one briefing lists them all. A level
briefed within the merge window waits for the window to pass; a reason a level was already told
is not told again. One SNS topic carries the briefing (attributes `level`, `role`, `severity`,
`trigger`, `triggers`, `ticket`); SMS pages are due items of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso
from helpdesk.core.observability import logger, metric
from helpdesk.escalation.ack_links import AckLink, new_link_id
from helpdesk.escalation.briefing import Briefing, briefing_text, reason_clause, stakes
from helpdesk.escalation.chat import chat_message
from helpdesk.escalation.impact import short_impact
from helpdesk.escalation.reasons import REASON_KINDS, Reason, already_told, effective_level, higher, rank, reason_of
from helpdesk.escalation.routing import at_risk, executive_roles, quiet_until, triggers_of, with_coverage
from helpdesk.escalation.sms import SMS_MAX, fit, gsm7, septets, window_of
from helpdesk.escalation.timing import commitment_due, lower_level_due, next_milestone
from helpdesk.incidents.model import incident_number
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Defer, Done, DueWork, Performed, Skip
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.notifier import Notifier
    from helpdesk.adapters.aws.store import Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.incidents.model import Incident
    from helpdesk.tickets.context import TicketContext

MERGE_MARGIN = timedelta(minutes=1)
INCIDENT_EVENT_TRIGGERS = frozenset({"response_breach", "no_progress", "executive_unanswered", "repeat_contacts",
                                     "revenue_risk", "health_window"})


def covered_by_incident(item: DueItem, ctx: TicketContext, incident: Incident | None) -> str | None:
    """Why a linked ticket does not escalate this itself: the incident's one chain speaks for it.

    The lead ticket runs the chain; a trigger the incident does not cover (a churn threat, a legal
    mention: `incidents.own_triggers`) still escalates the ticket it came from."""
    if incident is None or not incident.open or incident.lead == ctx.number:
        return None
    trigger = str(item.payload.get("trigger", "")) if item.kind == "trigger" else ""
    if trigger and trigger in ctx.policy.incidents.own_triggers and trigger not in INCIDENT_EVENT_TRIGGERS:
        return None
    return f"covered by {incident.id}"

LOWER_FIRST = timedelta(seconds=1)  # a higher level waits for the next sweep, after the lower one


class Escalator:
    """Performs `escalation` (a chain step) and `trigger` (an event) items."""

    plan_bound = False  # chain steps check their plan themselves; triggers outlive re-plans

    def __init__(self, store: Store, due: DueWork, notifier: Notifier, topic_arn: str,
                 routes: dict[str, list[str]], clock: Clock, *, public_url: str = "", chat_topic_arn: str = "") -> None:
        self.store = store
        self.due = due
        self.notifier = notifier
        self.topic_arn = topic_arn
        self.routes = routes
        self.clock = clock
        self.public_url = public_url
        self.chat_topic_arn = chat_topic_arn

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip | Defer:
        assert ctx is not None
        reason = reason_of(item, ctx)
        if isinstance(reason, str):
            return Skip(reason)
        incident = self._incident(ctx)
        covered = covered_by_incident(item, ctx, incident)
        if covered:
            return Skip(covered)
        now = self.clock.now()
        level = effective_level(ctx, reason.level)
        if already_told(ctx, reason, level):
            return Skip("already_told")
        wait = quiet_until(ctx.policy, ctx.severity, now)
        if wait is not None:
            return Defer(wait, "quiet hours")
        last = ctx.ticket.briefed_at.get(level)
        window = ctx.policy.briefings.merge_window
        if last is not None and now - last <= window:
            # Strictly more than the window apart, so no 5 minutes ever hold two briefings of one level.
            return Defer(last + window + MERGE_MARGIN, f"{level} was briefed {int((now - last).total_seconds() // 60)}"
                                                       f" min ago")
        pending = self._pending(ctx, item)
        if lower_level_due(ctx, pending, level, now):
            return Defer(now + LOWER_FIRST, "a lower level is briefed first")
        siblings = self._siblings(ctx, pending, level, now)
        speaks_for = incident if incident is not None and incident.lead == ctx.number else None
        return self._brief(item, ctx, level, [reason, *(r for _, r in siblings)], siblings, pending, now,
                           speaks_for)

    def _incident(self, ctx: TicketContext) -> Incident | None:
        number = incident_number(ctx.ticket.incident or "")
        return self.store.incidents.get(number) if number else None

    # -- raising -------------------------------------------------------------------------------

    def manual(self, number: int, level: str, reason: str, actor: str) -> Performed | None:
        """`#escalate L2 <reason>` from staff."""
        occurrence = iso(self.clock.now())
        return self.raise_trigger(number, "manual", occurrence, level=level, reason=reason[:200], actor=actor)

    def raise_trigger(self, number: int, trigger: str, occurrence: str = "1", **extra: str) -> Performed | None:
        """Record a trigger as due work and perform it now (the sweeper retries if this fails)."""
        item = self._record(number, trigger, occurrence, extra)
        return self.due.run_now(item) if item else None

    def raise_triggers(self, number: int, fired: list[tuple[str, str]], **extra: str) -> None:
        """Several triggers from one message: all recorded first, so one briefing per level carries them."""
        policy = self.due.contexts.policy
        items = [item for trigger, occurrence in fired if (item := self._record(number, trigger, occurrence, extra))]
        wanted = {name: action.escalate_to or "" for name, action in policy.triggers.items()}
        for item in sorted(items, key=lambda i: rank(policy, wanted.get(i.payload["trigger"], ""))):
            self.due.run_now(item)  # lower levels first; one merged into an earlier briefing is not claimable

    def _record(self, number: int, trigger: str, occurrence: str, extra: dict[str, str]) -> DueItem | None:
        """The trigger's due item, if it is new and due now; a delayed one is left to the sweeper."""
        now = self.clock.now()
        action = self.due.contexts.policy.triggers.get(trigger)
        delay = action.after if action and action.after and "level" not in extra else None
        item = DueItem.new(number, f"trigger#{trigger}#{occurrence}", "trigger", now + delay if delay else now,
                           {"trigger": trigger, **extra})
        if not self.store.due.put_once(item):
            return None  # this trigger already fired for this occurrence
        return None if delay else item

    # -- gathering -----------------------------------------------------------------------------

    def _pending(self, ctx: TicketContext, item: DueItem) -> list[DueItem]:
        _, _, due = self.store.tickets.log(ctx.number)
        return [d for d in due if d.status == "pending" and d.id != item.id]

    def _siblings(self, ctx: TicketContext, pending: list[DueItem], level: str, now: datetime
                  ) -> list[tuple[DueItem, Reason]]:
        """Other reasons for this level due within the look-ahead, claimed so nobody else briefs them."""
        horizon = now + ctx.policy.briefings.merge_ahead
        found = self._imminent_breach(ctx, pending, level, horizon)
        for other in pending:
            if other.kind not in REASON_KINDS or other.planned > horizon:
                continue
            reason = reason_of(other, ctx)
            if isinstance(reason, str) or effective_level(ctx, reason.level) != level or \
                    already_told(ctx, reason, level):
                continue
            claimed = self.due.claim(other, as_of=horizon)
            if claimed is not None:
                found.append((claimed, reason))
        return found

    def _imminent_breach(self, ctx: TicketContext, pending: list[DueItem], level: str, horizon: datetime
                         ) -> list[tuple[DueItem, Reason]]:
        """A first response about to be missed joins the briefing; its trigger then finds itself told.

        The breach check is not claimed: it still runs and records the breach at its time."""
        action = ctx.policy.triggers.get("response_breach")
        check = next((d for d in pending if d.kind == "breach" and d.payload.get("clock") == "first_response"
                      and d.planned <= horizon and d.plan == ctx.ticket.plan_version), None)
        if check is None or action is None or not action.escalate_to or ctx.ticket.first_response_at:
            return []
        reason = Reason(action.escalate_to, "response_breach", action.description or "no first response yet",
                        "response_breach")
        if effective_level(ctx, reason.level) != level or already_told(ctx, reason, level):
            return []
        return [(check, reason)]

    # -- briefing ------------------------------------------------------------------------------

    def _roles(self, ctx: TicketContext, level: str, reasons: list[Reason], now: datetime
               ) -> tuple[list[str], Any, list]:
        """The level's roles, plus the executives whose rules apply, at an executive level (one that
        expects an acknowledgment) or, at any level, when revenue is threatened (churn, legal, ...)."""
        threatened = at_risk(triggers_of(ctx) | {r.trigger for r in reasons})
        executives = executive_roles(ctx.policy, ctx, reasons[0].trigger, now) \
            if ctx.policy.levels[level].expects_ack or threatened else []
        wanted = list(dict.fromkeys([*ctx.policy.levels[level].roles, *(role for role, _ in executives)]))
        return wanted, with_coverage(ctx.policy, wanted, now), executives

    def _brief(self, item: DueItem, ctx: TicketContext, level: str, reasons: list[Reason],
               siblings: list[tuple[DueItem, Reason]], pending: list[DueItem], now: datetime,
               speaks_for: Incident | None = None) -> Done:
        number, severity, primary = ctx.number, ctx.severity, reasons[0]
        _, covered, executives = self._roles(ctx, level, reasons, now)
        link = self._link(ctx, level, ",".join(covered.roles), now)
        briefing = Briefing(level, covered.roles, reasons, now, next_milestone(pending, ctx, level, now),
                            link.url(self.public_url) if self.public_url else "", covered.notes, executives)
        if speaks_for is not None:
            briefing.incident, briefing.incident_log = speaks_for, self.store.incidents.log(speaks_for.number)
        text = briefing_text(ctx, briefing)
        triggers = list(dict.fromkeys(r.trigger for r in reasons))
        subject = gsm7(f"[ESCALATION {level}] #{number} {severity} {ctx.account.name} - {primary.text}")[:99]
        attributes = {"kind": "briefing", "level": level, "role": covered.roles, "severity": severity,
                      "trigger": primary.trigger, "triggers": triggers, "ticket": str(number)}
        message_id = self.notifier.publish(self.topic_arn, subject=subject, bodies={"default": text, "email": text},
                                           attributes=attributes)
        self._chat(ctx, briefing, subject)
        sms = self._sms_items(ctx, level, covered.roles, primary, now)
        writes = self._writes(item, ctx, level, reasons, siblings, now, text, subject, message_id, covered.roles,
                              stakes(ctx, briefing))
        writes += [self.store.ack_links.save(link), *(self.store.due.add(s) for s in sms)]
        writes += [self.store.ack_links.save(s.attached) for s in sms]
        writes += self._commitment(ctx, level, pending, now)
        metric("Escalations", level=level, trigger=primary.trigger)
        logger.info("escalated", extra={"ticket": number, "level": level, "triggers": triggers,
                                        "merged": len(siblings), "roles": covered.roles})
        events = [{"kind": "escalation_published", "ticket": number, "level": level, "role": covered.roles,
                   "severity": severity, "trigger": primary.trigger, "subject": subject, "body": text}]
        return Done(writes, "published", {"sns_message_id": message_id}, events,
                    then=(lambda: self.due.run_many(sms)) if sms else None)

    def _writes(self, item: DueItem, ctx: TicketContext, level: str, reasons: list[Reason],
                siblings: list[tuple[DueItem, Reason]], now: datetime, text: str, subject: str, message_id: str,
                roles: list[str], at_stake: float) -> list[Write]:
        number = ctx.number
        entry = Entry(ticket=number, at=now, kind="escalation", key=item.id, level=level, roles=roles,
                      severity=ctx.severity, trigger=reasons[0].trigger, triggers=[r.trigger for r in reasons],
                      reason="; ".join(r.text for r in reasons), sns_message_id=message_id, body=text, subject=subject,
                      revenue_at_risk=at_stake)
        told = {r.told_key(level) for r in reasons}
        patch = TicketPatch(sets={"last_escalated_at": now, "updated_at": now,
                                  "escalation_level": higher(ctx.policy, level, ctx.ticket.escalation_level),
                                  "briefed_at": {**ctx.ticket.briefed_at, level: now}},
                            adds={"escalations": 1, "escalations_done": told})
        writes = [self.store.tickets.add_entry(entry), self.store.tickets.change(number, patch, once=item.id)]
        owner = self.due.lease_owner
        writes += [self.store.due.complete(sibling, owner, now, outcome=f"merged into {item.id}")
                   for sibling, _ in siblings if sibling.kind in REASON_KINDS]
        return writes

    def _link(self, ctx: TicketContext, level: str, recipient: str, now: datetime) -> AckLink:
        expires = now + ctx.policy.briefings.ack_link_expires_after
        return AckLink(id=new_link_id(), ticket=ctx.number, level=level, recipient=recipient, created_at=now,
                       valid_until=expires)

    def _commitment(self, ctx: TicketContext, level: str, pending: list[DueItem], now: datetime) -> list[Write]:
        """An executive briefing expects an acknowledgment within the commitment; a check is due then.

        One check per level at a time: a level that already acknowledged, or whose check is still
        running, is not asked again (two briefings must not make two reminders)."""
        if not ctx.policy.levels[level].expects_ack or level in ctx.ticket.executive_acks:
            return []
        if any(d.kind == "executive_ack_check" and d.payload.get("level") == level for d in pending):
            return []
        at = commitment_due(ctx, now)
        item = DueItem.new(ctx.number, f"ackcheck#{level}#{iso(now)}", "executive_ack_check", at,
                           {"level": level, "briefed_at": iso(now)})
        return [self.store.due.add(item)]

    def _chat(self, ctx: TicketContext, briefing: Briefing, subject: str) -> None:
        if not self.chat_topic_arn or not ctx.policy.levels[briefing.level].chat:
            return
        body = chat_message(ctx, briefing, subject)
        self.notifier.publish(self.chat_topic_arn, subject=subject, bodies={"default": body, "https": body},
                              attributes={"kind": "chat", "level": briefing.level, "ticket": str(ctx.number)})

    # -- SMS -------------------------------------------------------------------------------------

    def sms_text(self, ctx: TicketContext, level: str, reason: str, link: str = "") -> str:
        impact = short_impact(ctx.ticket.impact)
        head = gsm7(f"{level} #{ctx.number} {ctx.severity} {ctx.account.name[:20]} ARR {ctx.account.arr_band()}"
                    f"{' ' + impact if impact else ''}: ")
        tail = f" {link}" if link else f" Ack: reply #ack to #{ctx.number}"
        room = SMS_MAX - septets(head) - septets(tail)
        return head + fit(gsm7(reason_clause(reason)), max(0, room)) + tail

    def _sms_items(self, ctx: TicketContext, level: str, roles: list[str], reason: Reason, now: datetime
                   ) -> list[DueItem]:
        if not ctx.policy.severities[ctx.severity].sms:
            return []
        items = []
        for phone in self.routes.get(level, []):
            link = self._link(ctx, level, window_of(phone), now)
            text = self.sms_text(ctx, level, reason.text, link.url(self.public_url) if self.public_url else "")
            item = self.due.leased(ctx.number, f"sms#{level}#{iso(now)}#{window_of(phone)}", "sms",
                                   {"phone": phone, "text": text, "level": level, "roles": roles,
                                    "severity": ctx.severity, "trigger": reason.trigger, "link": link.id})
            item.attached = link
            items.append(item)
        return items
