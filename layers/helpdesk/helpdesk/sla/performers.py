"""What happens when an SLA obligation falls due: breach checks, owner warnings, customer updates.

Every performer follows the same shape: read the ticket, decide (still relevant? paused? already
done?), act, then complete the claimed item in one transaction with the log entries it caused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.notifier import Notifier
from helpdesk.adapters.aws.store import META, TicketStore, ticket_pk
from helpdesk.adapters.aws.table import Update, Write, put
from helpdesk.app.settings import CommonSettings
from helpdesk.core.clock import Clock, iso, parse_iso
from helpdesk.core.errors import ConflictError, PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import Outbox
from helpdesk.messages.rendering import render
from helpdesk.policy.durations import humanize
from helpdesk.sla.due_work import complete_write, reschedule
from helpdesk.sla.targets import next_update
from helpdesk.tickets.context import PolicySnapshots, TicketContext, load_context


@dataclass
class Performed:
    """What one obligation did, for logs, metrics and the local runtime's timeline."""

    kind: str
    ticket: int | None
    outcome: str  # done | skipped | deferred | failed
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Work:
    """Everything performers share, built once per container."""

    settings: CommonSettings
    store: TicketStore
    outbox: Outbox
    notifier: Notifier
    snapshots: PolicySnapshots
    clock: Clock
    signing_key: bytes

    def tell_ops(self, subject: str, text: str, **attributes: str) -> None:
        """Operators hear about failures the system cannot fix by retrying."""
        try:
            self.notifier.publish(self.settings.ops_topic_arn, subject=subject, bodies={"default": text},
                                  attributes={"kind": "ops", **attributes})
        except (TransientAwsError, PermanentSendError) as exc:
            logger.error("ops_notify_failed", extra={"error": str(exc)})

    def context(self, number: int) -> TicketContext | None:
        return load_context(self.store, self.snapshots, number)

    def finish(self, item: dict[str, Any], owner: str, writes: list[Write], **result: Any) -> bool:
        """Complete the claimed item together with `writes`; False if our lease was lost meanwhile."""
        done = complete_write(item["PK"], item["SK"], owner, self.clock.now(), **result)
        try:
            self.store.transact([done, *writes])
        except ConflictError:
            logger.warning("completion_lost_lease", extra={"kind": item.get("kind"), "ticket": item.get("ticket")})
            return False
        return True

    def owner_address(self, ticket: dict[str, Any], account: Account) -> str:
        """Who owns a ticket: the assignee, else the account's CSM, else the team queue."""
        return str(ticket.get("owner") or account.csm_email or self.settings.team_queue_address)

    def entry(self, number: int, kind: str, now: datetime, **fields: Any) -> Write:
        return put({"PK": ticket_pk(number), "SK": f"ENTRY#{iso(now)}#{kind}#{fields.get('tag', '')}",
                    "type": "entry", "kind": kind, "at": iso(now), "actor": "system",
                    "visibility": "internal", **{k: v for k, v in fields.items() if k != "tag"}})

    def send_failed(self, item: dict[str, Any], owner: str, exc: Exception, now: datetime) -> Performed:
        """Transient: back off and retry. Permanent: record on the ticket, tell ops, never retry."""
        number = item.get("ticket")
        return self._failed(item["PK"], item["SK"], item["kind"], int(number) if number else None, owner,
                            int(item.get("attempts") or 1), exc, now)

    def job_failed(self, job: Any, exc: Exception) -> Performed:
        return self._failed(job.pk, job.sk, job.kind, job.number, job.owner, job.attempts, exc, self.clock.now())

    def _failed(self, pk: str, sk: str, kind: str, number: int | None, owner: str, attempts: int,
                exc: Exception, now: datetime) -> Performed:
        from helpdesk.sla.due_work import fail_write

        metrics.add_metric(name="SendsFailed", unit="Count", value=1)  # the alarm watches the total
        metric("SendsFailedByKind", kind=kind, permanent=str(not isinstance(exc, TransientAwsError)).lower())
        if isinstance(exc, TransientAwsError):
            reschedule(self.store, pk, sk, owner, now, attempts, str(exc))
            logger.warning("send_deferred", extra={"kind": kind, "ticket": number, "attempts": attempts})
            return Performed(kind, number, "deferred")
        writes = [fail_write(pk, sk, owner, now, str(exc))]
        if number:
            writes.append(self.entry(number, "send_failed", now, tag=sk, what=kind, failure=str(exc)))
        try:
            self.store.transact(writes)
        except ConflictError:
            pass
        logger.error("send_rejected", extra={"kind": kind, "ticket": number, "error": str(exc)})
        self.tell_ops(f"Send failed permanently: {kind} for ticket #{number}",
                      f"A {kind} for ticket #{number} was rejected ({exc}). It will not be retried; "
                      f"see `helpdesk show {number}`.", ticket=str(number), failure=str(exc)[:100])
        return Performed(kind, number, "failed", [{"kind": "send_failed", "ticket": number, "reason": str(exc)}])


def stale(ctx: TicketContext, item: dict[str, Any]) -> str | None:
    """Why an obligation no longer applies (superseded plan, paused or closed ticket), or None."""
    payload = item.get("payload") or {}
    if int(payload.get("plan", 1)) != int(ctx.ticket.get("plan_version", 1)):
        return "superseded"
    if ctx.status == "pending":
        return "paused"
    return None


CLOCK_DONE = {"first_response": "first_response_at", "workaround": "workaround_at", "resolution": "resolved_at"}


class BreachChecker:
    """At a target's due time: if the clock is still running, the SLA is breached."""

    def __init__(self, work: Work, escalator: Any) -> None:
        self.work = work
        self.escalator = escalator

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        work, now = self.work, self.work.clock.now()
        number = int(item["ticket"])
        ctx = work.context(number)
        clock = item["payload"]["clock"]
        if ctx is None or (reason := stale(ctx, item)):
            work.finish(item, owner, [], outcome=reason or "no_ticket")
            return Performed("breach", number, "skipped")
        stopped = ctx.ticket.get(CLOCK_DONE[clock]) or (clock == "workaround" and ctx.closed)
        if stopped:
            work.finish(item, owner, [], outcome="met")
            return Performed("breach", number, "skipped")
        writes = [
            work.entry(number, "sla_breached", now, tag=clock, clock=clock, severity=ctx.ticket["severity"],
                       due_at=item.get("planned_at")),
            Update(ticket_pk(number), META, sets={f"breached_{clock}_at": iso(now), "updated_at": iso(now)},
                   condition="attribute_exists(PK)").write(),
        ]
        if not work.finish(item, owner, writes, outcome="breached"):
            return Performed("breach", number, "skipped")
        metric("SlaBreached", clock=clock, severity=ctx.ticket["severity"])
        logger.warning("sla_breached", extra={"ticket": number, "clock": clock, "severity": ctx.ticket["severity"]})
        events = [{"kind": "sla_breached", "ticket": number, "clock": clock, "severity": ctx.ticket["severity"]}]
        if clock == "first_response":
            self.escalator.raise_trigger(number, "response_breach")
        return Performed("breach", number, "done", events)


class WarningSender:
    """Before a breach, the owner hears about it (at 75% and 90% of the target by default)."""

    def __init__(self, work: Work) -> None:
        self.work = work

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        work, now = self.work, self.work.clock.now()
        number = int(item["ticket"])
        ctx = work.context(number)
        clock = item["payload"]["clock"]
        if ctx is None or stale(ctx, item) or ctx.ticket.get(CLOCK_DONE[clock]) or ctx.closed:
            work.finish(item, owner, [], outcome="not_needed")
            return Performed("warning", number, "skipped")
        due = parse_iso(ctx.ticket[f"{clock}_due"]) if ctx.ticket.get(f"{clock}_due") else None
        zone = ZoneInfo(ctx.targets().timezone)
        to = work.owner_address(ctx.ticket, ctx.account)
        context = {
            "ticket": {"number": number, "subject": ctx.ticket.get("subject", ""), "status": ctx.status},
            "severity": {"id": ctx.ticket["severity"], "name": ctx.policy.severities[ctx.ticket["severity"]].name},
            "clock": clock.replace("_", " "), "percent": int(float(item["payload"]["fraction"]) * 100),
            "due": due.astimezone(zone).strftime("%a %d %b %H:%M %Z") if due else "soon",
            "remaining": humanize(max(timedelta(0), due - now)) if due else "little time",
            "account": ctx.account.name, "team_name": work.settings.team_name,
        }
        rendered = render(ctx.policy.templates.breach_warning, context, ctx.policy.templates.override_dir)
        mail = OutboundMail(sender=work.settings.support_address, sender_name=work.settings.team_name, to=[to],
                            subject=rendered.subject, text=rendered.text, html=rendered.html,
                            reply_to=reply_address(work.settings.support_address, number, work.signing_key, "staff"),
                            auto_submitted="auto-generated", extra_headers={"X-Helpdesk-Ticket": str(number)})
        try:
            sent = work.outbox.send(number, "warning_sent", mail, now, visibility="internal",
                                    extra={"clock": clock, "percent": context["percent"]})
        except (TransientAwsError, PermanentSendError) as exc:
            return work.send_failed(item, owner, exc, now)
        work.finish(item, owner, sent.writes, outcome="sent")
        metrics.add_metric(name="BreachWarningsSent", unit="Count", value=1)
        return Performed("warning", number, "done", [{"kind": "warning_sent", "ticket": number, "clock": clock}])


class UpdateSender:
    """Customer updates on the policy's cadence until the ticket is resolved."""

    def __init__(self, work: Work) -> None:
        self.work = work

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        work, now = self.work, self.work.clock.now()
        number = int(item["ticket"])
        ctx = work.context(number)
        if ctx is None or ctx.closed or stale(ctx, item):
            work.finish(item, owner, [], outcome="stopped")
            return Performed("update", number, "skipped")
        targets = ctx.targets()
        last_public = ctx.ticket.get("last_public_reply_at")
        if last_public and targets.update_every:
            # A public reply inside this period already told the customer where things stand.
            planned = parse_iso(item.get("planned_at") or item["due_at"])
            if parse_iso(last_public) > planned - targets.update_every:
                when = next_update(ctx.policy, targets, ctx.account, parse_iso(last_public))
                reschedule(work.store, item["PK"], item["SK"], owner, now, 0, "cadence reset by public reply", when,
                           replan=True)
                return Performed("update", number, "deferred")
        seq = int(item["payload"].get("seq", 1))
        following = next_update(ctx.policy, targets, ctx.account, now)
        mail = self.build(ctx, seq, following)
        try:
            sent = work.outbox.send(number, "customer_update", mail, now, extra={"seq": seq})
        except (TransientAwsError, PermanentSendError) as exc:
            return work.send_failed(item, owner, exc, now)
        writes = list(sent.writes)
        writes.append(Update(ticket_pk(number), META, sets={"last_update_at": iso(now), "updated_at": iso(now),
                                                            "last_outbound_message_id": sent.ses_message_id},
                             adds={"updates_sent": 1}, condition="attribute_exists(PK)").write())
        if following is not None and following < targets.resolution_due + timedelta(days=365):
            plan_no = int(item["payload"].get("plan", 1))
            writes.append(put(work.store.due_item(number, f"DUE#p{plan_no}#update#{seq + 1:04d}", "update",
                                                  iso(following), {"plan": plan_no, "seq": seq + 1})))
        work.finish(item, owner, writes, outcome="sent", sent_message_id=sent.ses_message_id)
        metrics.add_metric(name="CustomerUpdatesSent", unit="Count", value=1)
        return Performed("update", number, "done")

    def build(self, ctx: TicketContext, seq: int, following: datetime | None) -> OutboundMail:
        work = self.work
        zone = ZoneInfo(ctx.targets().timezone)
        done = [line for line in (ctx.ticket.get("progress") or [])][-5:]
        context = {
            "ticket": {"number": ctx.number, "subject": ctx.ticket.get("subject", ""),
                       "status": ctx.status.replace("_", " ")},
            "customer_name": ctx.ticket.get("requester_name") or "there",
            "severity": {"id": ctx.ticket["severity"], "name": ctx.policy.severities[ctx.ticket["severity"]].name},
            "seq": seq,
            "public_note": ctx.ticket.get("public_note") or "",
            "progress": done,
            "next_update": following.astimezone(zone).strftime("%a %d %b, %H:%M %Z") if following else None,
            "opened_for": humanize(work.clock.now() - parse_iso(ctx.ticket["created_at"])),
            "team_name": work.settings.team_name,
        }
        rendered = render(ctx.policy.templates.customer_update, context, ctx.policy.templates.override_dir)
        return OutboundMail(
            sender=work.settings.support_address, sender_name=work.settings.team_name, to=[ctx.ticket["requester"]],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(work.settings.support_address, ctx.number, work.signing_key, "customer"),
            in_reply_to=ctx.ticket.get("last_outbound_message_id") or ctx.ticket.get("root_message_id"),
            references=list(ctx.ticket.get("thread_references") or []), auto_submitted="auto-generated",
            extra_headers={"X-Helpdesk-Ticket": str(ctx.number)},
        )


__all__ = ["BreachChecker", "Performed", "UpdateSender", "WarningSender", "Work"]
