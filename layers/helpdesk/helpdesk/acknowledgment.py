"""The acknowledgment: the customer's first proof that a person will handle their request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts import Account, candidate_domains, pick_account
from helpdesk.aws.table import Update
from helpdesk.aws.ticket_store import META, TicketStore, account_key, sender_key, ticket_pk
from helpdesk.clock import Clock, iso, parse_iso
from helpdesk.due_work import claim, complete_write, fail_write, lease_until, new_lease_owner, reschedule
from helpdesk.errors import ConflictError, PermanentSendError, TransientAwsError
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.outbox import Outbox
from helpdesk.performers import Performed
from helpdesk.mail.parsing import InboundMail
from helpdesk.observability import logger, metrics
from helpdesk.policy.durations import humanize
from helpdesk.policy.models import Policy
from helpdesk.rendering import render
from helpdesk.settings import CommonSettings
from helpdesk.sla import timezone_of

ACK_SK = "DUE#ack"
EXCERPT_LINES = 8


class AckSender:
    def __init__(self, *, settings: CommonSettings, store: TicketStore, outbox: Outbox, policy: Policy,
                 clock: Clock, signing_key: bytes) -> None:
        self.settings = settings
        self.store = store
        self.outbox = outbox
        self.policy = policy
        self.clock = clock
        self.signing_key = signing_key
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
        return self.store.due_item(number, ACK_SK, "ack", iso(now), {}, lease_owner=self.lease_owner,
                                   lease_until=lease_until(now))

    # -- sending -------------------------------------------------------------------------

    def send_now(self, number: int, ticket: dict[str, Any], account: Account) -> int:
        """The fast path: the lease was taken in the same transaction that created the ticket."""
        return self._deliver(number, ticket, account, self.lease_owner, attempts=1)

    def retry_pending(self, number: int) -> int:
        """Finish an acknowledgment a crashed invocation left behind, if its lease has lapsed."""
        now = self.clock.now()
        owner = new_lease_owner()
        item = claim(self.store, ticket_pk(number), ACK_SK, owner, now)
        if not item:
            return 0
        found = self.store.get_many([(ticket_pk(number), META)])
        ticket = found.get((ticket_pk(number), META))
        if not ticket:
            return 0
        return self._deliver(number, ticket, self._account_for(ticket), owner, int(item.get("attempts", 1)))

    def perform(self, item: dict[str, Any], owner: str) -> Performed:
        """Sweeper entry point for a claimed `ack` item."""
        number = int(item["ticket"])
        ticket = self.store.ticket(number)
        if not ticket:
            return Performed("ack", number, "skipped")
        sent = self._deliver(number, ticket, self._account_for(ticket), owner, int(item.get("attempts", 1)))
        return Performed("ack", number, "done" if sent else "deferred")

    def _account_for(self, ticket: dict[str, Any]) -> Account:
        domain = ticket.get("account_domain") or "*"
        keys = [account_key(d) for d in [*candidate_domains(ticket["requester"]), "*"]] if domain != "*" else []
        found = {i["domain"]: Account.from_item(i) for i in self.store.get_many(keys).values()}
        return pick_account(ticket["requester"], found)

    def _deliver(self, number: int, ticket: dict[str, Any], account: Account, owner: str, attempts: int) -> int:
        now = self.clock.now()
        outbound = self.build(ticket, account)
        try:
            sent = self.outbox.send(number, "acknowledgment", outbound, now)
        except TransientAwsError as exc:
            logger.warning("ack_send_deferred", extra={"ticket": number, "error": str(exc)})
            metrics.add_metric(name="SendsFailed", unit="Count", value=1)
            reschedule(self.store, ticket_pk(number), ACK_SK, owner, now, attempts, str(exc))
            return 0
        except PermanentSendError as exc:
            logger.error("ack_send_rejected", extra={"ticket": number, "error": str(exc)})
            metrics.add_metric(name="SendsFailed", unit="Count", value=1)
            self._record_failure(number, owner, now, str(exc))
            return 0
        writes = [
            complete_write(ticket_pk(number), ACK_SK, owner, now, sent_message_id=sent.ses_message_id),
            *sent.writes,
            Update(ticket_pk(number), META, sets={"ack_sent_at": iso(now),
                                                   "last_outbound_message_id": sent.ses_message_id},
                   condition="attribute_exists(PK)").write(),
        ]
        try:
            self.store.transact(writes)
        except ConflictError:
            # Our lease lapsed and another worker took over; the mail went out, so at worst it repeats.
            logger.warning("ack_completion_lost_lease", extra={"ticket": number})
        metrics.add_metric(name="AcknowledgmentsSent", unit="Count", value=1)
        created = parse_iso(ticket["created_at"])
        metrics.add_metric(name="AcknowledgmentLatency", unit="Seconds", value=(now - created).total_seconds())
        logger.info("ack_sent", extra={"ticket": number})
        return 1

    def _record_failure(self, number: int, owner: str, now: datetime, reason: str) -> None:
        entry = {"PK": ticket_pk(number), "SK": f"ENTRY#{iso(now)}#ack-failed", "type": "entry",
                 "kind": "send_failed", "at": iso(now), "actor": "system", "visibility": "internal",
                 "failure": reason, "what": "acknowledgment"}
        try:
            self.store.transact([fail_write(ticket_pk(number), ACK_SK, owner, now, reason), self.store.put_write(entry)])
        except ConflictError:
            pass

    # -- content -------------------------------------------------------------------------

    def build(self, ticket: dict[str, Any], account: Account) -> OutboundMail:
        number = int(ticket["number"])
        severity_id = ticket["severity"]
        severity = self.policy.severities[severity_id]
        tz = ZoneInfo(timezone_of(self.policy, severity_id))
        first_due = parse_iso(ticket["first_response_due"]).astimezone(tz)
        first_target = timedelta(seconds=int(ticket.get("first_response_seconds") or 0))
        every = ticket.get("update_every_seconds")
        contact = _point_of_contact(account, self.settings)
        note = ""
        if ticket.get("modifiers"):
            note = "Your account has priority handling, so these targets are shorter than our standard ones."
        elif ticket.get("after_hours"):
            note = "You wrote to us outside business hours; the first-response target reflects our after-hours cover."
        context = {
            "ticket": {"number": number, "subject": ticket.get("subject") or ""},
            "customer_name": ticket.get("requester_name") or "there",
            "team_name": self.settings.team_name,
            "severity": {"id": severity_id, "name": severity.name},
            "targets": {
                "first_response": humanize(first_target) if first_target else humanize(severity.first_response),
                "first_response_by": first_due.strftime("%a %d %b, %H:%M %Z"),
                "update_every": humanize(timedelta(seconds=int(every))) if every else None,
                "note": note,
            },
            "contact": contact,
            "excerpt": list(ticket.get("excerpt") or []),
        }
        rendered = render(self.policy.templates.acknowledgment, context, self.policy.templates.override_dir)
        references = list(ticket.get("thread_references") or [])
        return OutboundMail(
            sender=self.settings.support_address, sender_name=self.settings.team_name, to=[ticket["requester"]],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(self.settings.support_address, number, self.signing_key, "customer"),
            in_reply_to=ticket.get("root_message_id"), references=references, auto_submitted="auto-replied",
            extra_headers={"X-Helpdesk-Ticket": str(number)},
        )


def _point_of_contact(account: Account, settings: CommonSettings) -> dict[str, str]:
    if account.csm_email:
        return {"name": account.csm_name or account.csm_email, "title": "Customer Success Manager",
                "email": account.csm_email}
    return {"name": settings.team_name, "title": "", "email": settings.support_address}


def excerpt_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [line[:160] for line in lines[:EXCERPT_LINES]]
