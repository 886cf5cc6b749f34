"""The acknowledgment: the customer's first proof that a person will handle their request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.store import META, sender_key, ticket_pk
from helpdesk.adapters.aws.table import Update
from helpdesk.core.clock import iso, parse_iso
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.mail.parsing import InboundMail
from helpdesk.messages.outbox import Job, Sent, deliver
from helpdesk.messages.rendering import render
from helpdesk.policy.durations import humanize
from helpdesk.sla.due_work import claim, lease_until, new_lease_owner
from helpdesk.sla.performers import Performed, Work
from helpdesk.sla.targets import timezone_of

ACK_SK = "DUE#ack"
EXCERPT_LINES = 8


class AckSender:
    def __init__(self, work: Work) -> None:
        self.work = work
        self.policy = work.snapshots.current
        self.lease_owner = new_lease_owner()

    # -- decisions made before the ticket is written -------------------------------------

    def suppression_reason(self, mail: InboundMail, sender_item: dict[str, Any], now: datetime) -> str | None:
        if sender_item.get("undeliverable"):
            return "recipient_undeliverable"
        times = [t for t in sender_item.get("ack_times") or [] if t > now.timestamp() - 86400]
        limits = self.policy.ack_limits
        if sum(1 for t in times if t > now.timestamp() - 3600) >= limits.per_hour:
            return "ack_rate_limited_hour"
        if len(times) >= limits.per_day:
            return "ack_rate_limited_day"
        return None

    def record_ack_update(self, sender: str, sender_item: dict[str, Any], now: datetime) -> Update:
        """Sliding-window bookkeeping: keep the last day's acknowledgment times for this sender."""
        recent = [t for t in sender_item.get("ack_times") or [] if t > now.timestamp() - 86400]
        pk, sk = sender_key(sender)
        return Update(pk, sk, sets={"ack_times": [*recent, int(now.timestamp())], "type": "sender"})

    def obligation(self, number: int, now: datetime) -> dict[str, Any]:
        """The acknowledgment as due work, already leased to this invocation's fast path."""
        return self.work.store.due_item(number, ACK_SK, "ack", iso(now), {}, lease_owner=self.lease_owner,
                                        lease_until=lease_until(now))

    # -- sending -------------------------------------------------------------------------

    def job(self, ticket: dict[str, Any], account: Account, owner: str, attempts: int = 1) -> Job:
        number = int(ticket["number"])

        def after(sent: Sent) -> list[Any]:
            metrics.add_metric(name="AcknowledgmentsSent", unit="Count", value=1)
            latency = (self.work.clock.now() - parse_iso(ticket["created_at"])).total_seconds()
            metric("AcknowledgmentLatency", latency, "Seconds", severity=ticket["severity"])
            logger.info("ack_sent", extra={"ticket": number})
            return [Update(ticket_pk(number), META, sets={"ack_sent_at": iso(self.work.clock.now()),
                                                          "last_outbound_message_id": sent.ses_message_id},
                           condition="attribute_exists(PK)").write()]

        return Job(ticket_pk(number), ACK_SK, owner, number, "acknowledgment", self.build(ticket, account),
                   attempts, after=after)

    def retry_pending(self, number: int) -> int:
        """Finish an acknowledgment a crashed invocation left behind, if its lease has lapsed."""
        now = self.work.clock.now()
        owner = new_lease_owner()
        item = claim(self.work.store, ticket_pk(number), ACK_SK, owner, now)
        if not item:
            return 0
        return 1 if self.perform(item, owner).outcome == "done" else 0

    def perform(self, item: dict[str, Any], owner: str) -> Performed:
        """Sweeper entry point for a claimed `ack` item."""
        number = int(item["ticket"])
        ctx = self.work.context(number)
        if ctx is None:
            self.work.finish(item, owner, [], outcome="no_ticket")
            return Performed("ack", number, "skipped")
        job = self.job(ctx.ticket, ctx.account, owner, int(item.get("attempts") or 1))
        sent = deliver(self.work.store, self.work.outbox, [job], self.work.clock.now(), self.work.job_failed)
        return Performed("ack", number, "done" if sent else "deferred")

    # -- content -------------------------------------------------------------------------

    def build(self, ticket: dict[str, Any], account: Account) -> OutboundMail:
        settings, number = self.work.settings, int(ticket["number"])
        severity_id = ticket["severity"]
        severity = self.policy.severities[severity_id]
        tz = ZoneInfo(timezone_of(self.policy, severity_id))
        first_due = parse_iso(ticket["first_response_due"]).astimezone(tz)
        first_target = timedelta(seconds=int(ticket.get("first_response_seconds") or 0))
        every = ticket.get("update_every_seconds")
        note = ""
        if ticket.get("modifiers"):
            note = "Your account has priority handling, so these targets are shorter than our standard ones."
        elif ticket.get("after_hours"):
            note = "You wrote to us outside business hours; the first-response target reflects our after-hours cover."
        context = {
            "ticket": {"number": number, "subject": ticket.get("subject") or ""},
            "customer_name": ticket.get("requester_name") or "there",
            "team_name": settings.team_name,
            "severity": {"id": severity_id, "name": severity.name},
            "targets": {
                "first_response": humanize(first_target) if first_target else humanize(severity.first_response),
                "first_response_by": first_due.strftime("%a %d %b, %H:%M %Z"),
                "update_every": humanize(timedelta(seconds=int(every))) if every else None,
                "note": note,
            },
            "contact": point_of_contact(account, settings.team_name, settings.support_address),
            "excerpt": list(ticket.get("excerpt") or []),
        }
        rendered = render(self.policy.templates.acknowledgment, context, self.policy.templates.override_dir)
        return OutboundMail(
            sender=settings.support_address, sender_name=settings.team_name, to=[ticket["requester"]],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(settings.support_address, number, self.work.signing_key, "customer"),
            in_reply_to=ticket.get("root_message_id"), references=list(ticket.get("thread_references") or []),
            auto_submitted="auto-replied", extra_headers={"X-Helpdesk-Ticket": str(number)},
        )


def point_of_contact(account: Account, team_name: str, support_address: str) -> dict[str, str]:
    if account.csm_email:
        return {"name": account.csm_name or account.csm_email, "title": "Customer Success Manager",
                "email": account.csm_email}
    return {"name": team_name, "title": "", "email": support_address}


def excerpt_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [line[:160] for line in lines[:EXCERPT_LINES]]
