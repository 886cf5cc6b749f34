"""Escalations to managers and executives: chain steps, triggers, executive routing, SMS limits.

One SNS topic carries every escalation. Email briefings are published once per escalation with
the attributes `level`, `role`, `severity`, `trigger` and `ticket`; subscriptions filter on them.
SMS goes per recipient (attribute `sms_to`) so each phone can be rate-limited: at most five in
fifteen minutes, with the rest bundled into one digest when the window ends.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.adapters.aws.notifier import Notifier
from helpdesk.adapters.aws.store import META, ticket_pk
from helpdesk.adapters.aws.table import Update
from helpdesk.core.clock import iso, local_text
from helpdesk.core.errors import ConflictError, PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.messages.rendering import render
from helpdesk.policy.models import Policy
from helpdesk.sla.due_work import claim, new_lease_owner, reschedule
from helpdesk.sla.performers import Performed, Work, stale
from helpdesk.tickets.context import TicketContext

WAITING_FOR = {"acknowledged": "nobody has acknowledged it yet", "first_response": "no first response yet",
               "resolved": "still not resolved"}
SMS_LIMIT = 5
SMS_WINDOW = timedelta(minutes=15)
SMS_MAX = 160
AT_RISK_TRIGGERS = {"churn_threat", "revenue_risk", "escalation_request", "legal", "public_relations",
                    "csat_low", "nps_detractor"}
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")


def gsm7(text: str) -> str:
    """Text an SMS can carry in one GSM-7 segment: accents folded, anything else dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c in _GSM7)


def sms_routes(spec: str) -> dict[str, list[str]]:
    """`L3,Executive=+14155550100;L1=+14155550111` -> {level: [phones]}."""
    routes: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        levels, _, phones = part.partition("=")
        for level in filter(None, (lv.strip() for lv in levels.split(","))):
            routes.setdefault(level, []).extend(p.strip() for p in phones.split(",") if p.strip())
    return routes


def executive_roles(policy: Policy, ctx: TicketContext, trigger: str | None) -> list[str]:
    triggers = set(ctx.ticket.get("triggers") or []) | ({trigger} if trigger else set())
    at_risk = bool(triggers & AT_RISK_TRIGGERS)
    roles = []
    for rule in policy.executive_rules:
        share = ctx.account.arr / policy.company_annual_revenue if policy.company_annual_revenue else 0
        money = (rule.min_arr is not None and ctx.account.arr >= rule.min_arr) or (
            rule.min_revenue_share is not None and share >= rule.min_revenue_share)
        if (money and at_risk) or triggers & set(rule.triggers) or ctx.ticket.get("issue_type") in rule.issue_types:
            roles.append(rule.role)
    return list(dict.fromkeys(roles))


def quiet_until(policy: Policy, severity: str, now: datetime) -> datetime | None:
    """End of the quiet hours or maintenance window `now` falls in, unless the severity never waits."""
    notes = policy.notifications
    if severity in notes.never_deferred:
        return None
    for window in notes.maintenance_windows:
        if window.start <= now < window.end:
            return window.end
    quiet = notes.quiet_hours
    if quiet is None:
        return None
    local = now.astimezone(ZoneInfo(quiet.timezone))
    start, end, clock = quiet.start, quiet.end, local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if start > end and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=local.tzinfo)


class Escalator:
    def __init__(self, work: Work, notifier: Notifier, topic_arn: str, routes: dict[str, list[str]]) -> None:
        self.work = work
        self.notifier = notifier
        self.topic_arn = topic_arn
        self.routes = routes

    # -- entry points ----------------------------------------------------------------------

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        """Performs `escalation` (a chain step) and `trigger` (an event) obligations."""
        work, now = self.work, self.work.clock.now()
        number = int(item["ticket"])
        ctx = work.context(number)
        payload = item.get("payload") or {}
        if ctx is None:
            work.finish(item, owner, [], outcome="no_ticket")
            return Performed(item["kind"], number, "skipped")
        if item["kind"] == "escalation":
            if stale(ctx, item) or ctx.condition_met(payload.get("unless")):
                work.finish(item, owner, [], outcome="condition_met")
                return Performed("escalation", number, "skipped")
            level, trigger, reason = payload["level"], "chain", WAITING_FOR.get(str(payload.get("unless")), "overdue")
        elif payload.get("level"):  # a set level: a person escalated by hand, or the account's health window
            level, trigger = payload["level"], payload.get("trigger", "manual")
            reason = str(payload.get("reason"))
            if payload.get("actor"):
                reason = f"{reason} ({payload['actor']})"
        else:
            trigger = payload["trigger"]
            action = ctx.policy.triggers.get(trigger)
            if action is None or not action.escalate_to or (action.after and ctx.closed):
                work.finish(item, owner, [], outcome="no_action" if not ctx.closed else "resolved_in_time")
                return Performed("trigger", number, "skipped")
            level, reason = action.escalate_to, action.description or trigger.replace("_", " ")
        wait = quiet_until(ctx.policy, ctx.ticket["severity"], now)
        if wait is not None:
            reschedule(work.store, item["PK"], item["SK"], owner, now, 0, "quiet hours", wait)
            return Performed(item["kind"], number, "deferred")
        return self._escalate(item, owner, ctx, level, trigger, reason, now)

    def manual(self, number: int, level: str, reason: str, actor: str) -> Performed | None:
        """`#escalate L2 <reason>` from staff."""
        occurrence = iso(self.work.clock.now())
        return self.raise_trigger(number, "manual", occurrence, level=level, reason=reason[:200], actor=actor)

    def raise_trigger(self, number: int, trigger: str, occurrence: str = "1", **extra: str) -> Performed | None:
        """Record a trigger as due work and perform it now (the sweeper retries if this fails)."""
        now = self.work.clock.now()
        sk = f"DUE#trigger#{trigger}#{occurrence}"
        action = self.work.snapshots.current.triggers.get(trigger)
        delay = action.after if action and action.after and "level" not in extra else None
        due = now + delay if delay else now
        item = self.work.store.due_item(number, sk, "trigger", iso(due), {"trigger": trigger, **extra})
        try:
            self.work.store.put(item, only_if_new=True)
        except ConflictError:
            return None  # this trigger already fired for this occurrence
        if delay:
            return None  # the sweeper escalates then, if the ticket is still open
        owner = new_lease_owner()
        claimed = claim(self.work.store, ticket_pk(number), sk, owner, now)
        return self(claimed, owner) if claimed else None

    # -- publishing ----------------------------------------------------------------------------

    def _escalate(self, item: dict[str, Any], owner: str, ctx: TicketContext, level: str, trigger: str,
                  reason: str, now: datetime) -> Performed:
        work, number, policy = self.work, ctx.number, ctx.policy
        severity = ctx.ticket["severity"]
        roles = list(dict.fromkeys([*policy.levels[level].roles, *executive_roles(policy, ctx, trigger)]))
        attributes: dict[str, Any] = {"kind": "briefing", "level": level, "role": roles, "severity": severity,
                                      "trigger": trigger, "ticket": str(number)}
        subject = gsm7(f"[ESCALATION {level}] #{number} {severity} {ctx.account.name} - {reason}")[:99]
        briefing = self.briefing(ctx, level, roles, trigger, reason, now)
        try:
            message_id = self.notifier.publish(self.topic_arn, subject=subject,
                                               bodies={"default": briefing, "email": briefing},
                                               attributes=attributes)
        except (TransientAwsError, PermanentSendError) as exc:
            return work.send_failed(item, owner, exc, now)
        events = [{"kind": "escalation_published", "ticket": number, "level": level, "role": roles,
                   "severity": severity, "trigger": trigger, "subject": subject}]
        if policy.severities[severity].sms:
            events += self._sms(ctx, level, roles, trigger, reason, now)
        step_id = item["SK"]
        writes = [
            work.entry(number, "escalation", now, tag=step_id, level=level, roles=roles, trigger=trigger,
                       reason=reason, sns_message_id=message_id),
            Update(ticket_pk(number), META, sets={"last_escalated_at": iso(now), "escalation_level": level,
                                                  "updated_at": iso(now)},
                   adds={"escalations": 1, "escalations_done": {step_id}},
                   condition="attribute_exists(PK) AND NOT contains(escalations_done, :step)",
                   values={":step": step_id}).write(),
        ]
        work.finish(item, owner, writes, outcome="published", sns_message_id=message_id)
        metric("Escalations", level=level, trigger=trigger)
        logger.info("escalated", extra={"ticket": number, "level": level, "trigger": trigger, "roles": roles})
        return Performed(item["kind"], number, "done", events)

    def briefing(self, ctx: TicketContext, level: str, roles: list[str], trigger: str, reason: str,
                 now: datetime) -> str:
        t, account, policy = ctx.ticket, ctx.account, ctx.policy
        triggers = set(t.get("triggers") or []) | {trigger}
        compliance = sorted(triggers & {"hipaa", "patient_safety", "pci", "regulatory_reporting", "legal"})
        churn = "high" if triggers & {"churn_threat", "legal", "csat_low", "nps_detractor"} else (
            "medium" if t.get("emotion") in ("angry", "frustrated") or triggers & AT_RISK_TRIGGERS else "low")
        zone = ZoneInfo(ctx.targets().timezone)


        context = {
            "ticket": {"number": ctx.number, "subject": t.get("subject", ""), "status": ctx.status,
                       "issue_type": t.get("issue_type", ""), "emotion": t.get("emotion", "")},
            "severity": {"id": t["severity"], "name": policy.severities[t["severity"]].name},
            "level": {"id": level, "name": policy.levels[level].name}, "roles": roles, "trigger": trigger,
            "reason": reason, "triggers": sorted(triggers - {"chain"}),
            "account": {"name": account.name, "industry": account.industry or "not recorded",
                        "arr": f"${account.arr:,.0f}" if account.arr else "not recorded",
                        "renewal": account.renewal_date.isoformat() if account.renewal_date else "not recorded",
                        "csm": account.csm_name or "unassigned", "sponsor": account.executive_sponsor or "none"},
            "requester": {"name": t.get("requester_name") or "", "email": t.get("requester", "")},
            "timeline": [(label, local_text(t.get(key), zone)) for label, key in (
                ("Reported", "created_at"), ("Acknowledged to customer", "ack_sent_at"),
                ("Picked up by staff", "acknowledged_at"), ("First response", "first_response_at"),
                ("First-response target missed", "breached_first_response_at"),
                ("Workaround", "workaround_at"), ("Resolved", "resolved_at")) if t.get(key)],
            "due": {"first_response": local_text(t.get("first_response_due"), zone),
                    "resolution": local_text(t.get("resolution_due"), zone)},
            "progress": list(t.get("progress") or [])[-5:],
            "risk": {"churn": churn, "revenue": f"${account.arr:,.0f} ARR" if churn != "low" and account.arr else
                     "none identified", "compliance": ", ".join(compliance) or "none identified"},
            "now": now.astimezone(zone).strftime("%a %d %b %H:%M %Z"),
        }
        return render(policy.templates.escalation_briefing, context, policy.templates.override_dir).text

    # -- SMS -------------------------------------------------------------------------------

    def sms_text(self, ctx: TicketContext, level: str, reason: str) -> str:
        number, sev = ctx.number, ctx.ticket["severity"]
        head = f"{level} #{number} {sev} {ctx.account.name[:24]} ARR {ctx.account.arr_band()}: "
        tail = f" Ack: helpdesk ack {number}"
        room = SMS_MAX - len(gsm7(head)) - len(tail)
        return gsm7(head) + gsm7(reason)[: max(0, room)] + tail

    def _sms(self, ctx: TicketContext, level: str, roles: list[str], trigger: str, reason: str,
             now: datetime) -> list[dict[str, Any]]:
        text = self.sms_text(ctx, level, reason)
        events = []
        for phone in self.routes.get(level, []):
            if self._within_limit(phone, f"#{ctx.number} {ctx.ticket['severity']} {level}", now):
                events += self._send_sms(phone, text, {"level": level, "role": roles,
                                                       "severity": ctx.ticket["severity"], "trigger": trigger,
                                                       "ticket": str(ctx.number)})
        return events

    def _send_sms(self, phone: str, text: str, attributes: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            self.notifier.publish(self.topic_arn, subject="escalation", bodies={"default": text, "sms": text},
                                  attributes={"kind": "sms", "sms_to": phone, **attributes})
        except (TransientAwsError, PermanentSendError) as exc:
            logger.warning("sms_failed", extra={"error": str(exc), "ticket": attributes.get("ticket")})
            metrics.add_metric(name="SendsFailed", unit="Count", value=1)
            return []
        metrics.add_metric(name="SmsSent", unit="Count", value=1)
        return [{"kind": "sms_published", "ticket": attributes.get("ticket"), "body": text,
                 "level": attributes.get("level")}]

    @staticmethod
    def _limit_pk(phone: str) -> str:
        return "SMSLIMIT#" + hashlib.blake2b(phone.encode(), digest_size=8).hexdigest()

    def _within_limit(self, phone: str, summary: str, now: datetime) -> bool:
        """Sliding window per phone; over the limit, the message joins the digest for that window."""
        store, pk = self.work.store, self._limit_pk(phone)
        current = store.get_many([(pk, "LIMIT")]).get((pk, "LIMIT")) or {}
        recent = [t for t in current.get("sent") or [] if t > (now - SMS_WINDOW).timestamp()]
        version = int(current.get("version") or 0)
        condition = "attribute_not_exists(PK) OR #version = :v"
        if len(recent) < SMS_LIMIT:
            update = Update(pk, "LIMIT", sets={"sent": [*recent, int(now.timestamp())], "version": version + 1},
                            condition=condition, values={":v": version})
            allowed = True
        else:
            held = [*(current.get("held") or []), summary][-50:]
            update = Update(pk, "LIMIT", sets={"held": held, "version": version + 1}, condition=condition,
                            values={":v": version})
            allowed = False
        try:
            store.update(update)
        except ConflictError:
            return self._within_limit(phone, summary, now)  # another sender moved the window; read it again
        if not allowed:
            window_end = datetime.fromtimestamp(min(recent), tz=now.tzinfo) + SMS_WINDOW
            digest = store.due_item(None, f"DUE#digest#{iso(window_end)}", "sms_digest", iso(window_end),
                                    {"phone": phone}, pk=pk)
            try:
                store.put(digest, only_if_new=True)
            except ConflictError:
                pass  # the digest for this window is already scheduled
            metrics.add_metric(name="SmsBundled", unit="Count", value=1)
        return allowed

    def digest(self, item: dict[str, Any], owner: str) -> Performed:
        """At the end of a limited window: one SMS that lists everything held back."""
        store, now, pk = self.work.store, self.work.clock.now(), item["PK"]
        phone = item["payload"]["phone"]
        current = store.get_many([(pk, "LIMIT")]).get((pk, "LIMIT")) or {}
        held = list(current.get("held") or [])
        if not held:
            self.work.finish(item, owner, [], outcome="nothing_held")
            return Performed("sms_digest", None, "skipped")
        text = gsm7(f"{len(held)} more escalations held back: " + ", ".join(held))
        text = text if len(text) <= SMS_MAX else text[: SMS_MAX - 26].rsplit(",", 1)[0] + " ... see helpdesk tickets"
        events = self._send_sms(phone, text, {"level": "digest", "trigger": "sms_digest"})
        if not events:
            reschedule(store, pk, item["SK"], owner, now, int(item.get("attempts") or 1), "digest send failed")
            return Performed("sms_digest", None, "deferred")
        version = int(current.get("version") or 0)
        clear = Update(pk, "LIMIT", sets={"held": [], "version": version + 1,
                                          "sent": [*(current.get("sent") or []), int(now.timestamp())]},
                       condition="#version = :v", values={":v": version})
        self.work.finish(item, owner, [clear.write()], outcome="sent")
        return Performed("sms_digest", None, "done", events)
