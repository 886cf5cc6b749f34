"""Inbound mail: one SES record becomes a new ticket, a threaded reply, a staff reply, or a logged drop.

The order of work keeps every promise durable: the raw mail is already in S3 (SES put it there),
each outcome commits with the message's inbound record in one transaction, and only then does
mail go out on the fast path. A crash anywhere leaves either nothing (SES/Lambda retries) or
pending due work that the sweeper finishes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.core.retry import pause
from helpdesk.intake.arrival import Arrival
from helpdesk.intake.auto_replies import NOTED_ROBOTS, AutoReplyNotes
from helpdesk.intake.bounces import bounce_writes
from helpdesk.intake.creation import TicketCreator
from helpdesk.intake.entries import inbound_record
from helpdesk.intake.outcome import Outcome
from helpdesk.intake.participants import may_join
from helpdesk.intake.reading import not_a_ticket, quarantine_reason, read_mail
from helpdesk.intake.records import InboundRecord, OutcomeName
from helpdesk.intake.replies import ReplyThreader
from helpdesk.intake.services import IntakeServices
from helpdesk.intake.ses_event import SesRecord
from helpdesk.mail.parsing import InboundMail
from helpdesk.policy.loader import policy_digest
from helpdesk.tickets.staff_replies import StaffMessage

if TYPE_CHECKING:
    from helpdesk.tickets.records import Ticket

MAX_SENDER_RACES = 8  # concurrent mail from one sender: re-read its windows and decide again


class InboundProcessor:
    def __init__(self, services: IntakeServices) -> None:
        self.s = services
        self.creator = TicketCreator(services)
        self.threader = ReplyThreader(services)
        self.notes = AutoReplyNotes(services, self._terminal)

    @property
    def settings(self):  # noqa: ANN201 - the inbound settings, for callers that inspect them
        return self.s.settings

    def handle(self, record: SesRecord) -> Outcome:
        logger.append_keys(ses_message_id=record.message_id)
        raw_key = f"{self.s.settings.raw_mail_prefix}{record.message_id}"
        verdict = quarantine_reason(record)
        if verdict:
            return self._terminal(record, raw_key, "quarantined", verdict)
        mail = read_mail(self.s.blobs, record, raw_key)
        sender, reason, robot = not_a_ticket(mail, record)
        if reason or not sender:
            if robot is not None and robot.kind in NOTED_ROBOTS and sender:
                return self.notes.record(Arrival(record=record, mail=mail, sender=sender, raw_key=raw_key), robot,
                                         reason or robot.kind)
            return self._terminal(record, raw_key, "dropped", reason or "no_sender_address", mail=mail)
        for attempt in range(MAX_SENDER_RACES):
            try:
                return self._route(Arrival(record=record, mail=mail, sender=sender, raw_key=raw_key))
            except ConflictError as exc:
                if not exc.involves("sender"):
                    raise
                pause(attempt)  # jittered, so the racing messages do not collide again in step
        raise TransientAwsError("sender windows kept changing; Lambda will retry")

    def _route(self, arrival: Arrival) -> Outcome:
        arrival.read_addresses(self.s.settings.support_address, self.s.signing_key)
        windows = self.s.incidents.watched_windows() if self.s.incidents else None
        arrival.load(self.s.store, None if self.s.policy_saved else policy_digest(self.s.policy), windows)
        if arrival.mail.identity_problems:
            logger.info("sender_identity_problems", extra={"problems": arrival.mail.identity_problems,
                                                           "single_from": arrival.mail.sender_trusted})
        if arrival.facts.has_policy(policy_digest(self.s.policy)):
            self.s.policy_saved = True
        previous = arrival.facts.inbound(arrival.message_id)
        if previous:
            return self._duplicate(arrival, previous)
        staff = self._staff(arrival)
        if staff is not None:
            return staff
        existing = self._existing_ticket(arrival)
        if existing and self._past_reopen_window(existing):
            arrival.related_ticket, existing = existing.number, None
        if existing:
            return self.threader.thread(arrival, existing)
        return self.creator.create(arrival)

    # -- staff -------------------------------------------------------------------------------

    def _staff_domain(self, sender: str) -> bool:
        return sender.rpartition("@")[2].lower() in self.s.settings.staff_domains

    def _staff(self, arrival: Arrival) -> Outcome | None:
        """A proven staff reply is handled here; anything else from a staff domain is a customer message.

        Proof is a single-address From in a staff domain, DMARC PASS (DKIM alone may be anybody's own
        signature) and a valid staff token for the ticket."""
        if not self._staff_domain(arrival.sender):
            return None
        verdicts = arrival.record.verdicts
        if not arrival.mail.sender_trusted or verdicts.dmarc != "PASS":
            _security_event("staff_domain_unauthenticated", ticket=arrival.staff_ticket, dkim=verdicts.dkim,
                            dmarc=verdicts.dmarc, single_from=arrival.mail.sender_trusted)
            return None
        if arrival.staff_ticket is None or arrival.facts.ticket(arrival.staff_ticket) is None:
            return None
        return self._staff_reply(arrival, arrival.staff_ticket)

    def _staff_reply(self, arrival: Arrival, number: int) -> Outcome:
        logger.append_keys(ticket=number)
        if arrival.referenced and number not in arrival.referenced:
            _security_event("staff_token_for_other_ticket", ticket=number, referenced=sorted(arrival.referenced))
            return self._terminal(arrival.record, arrival.raw_key, "dropped", "staff_token_ticket_mismatch")
        from helpdesk.intake.entries import store_parts

        attachments, _ = store_parts(self.s.blobs, arrival)
        now = self.s.clock.now()
        inbound = self.s.store.inbound.record(inbound_record(arrival, "threaded", now, ticket=number), now)
        message = StaffMessage(number, arrival.mail, arrival.sender, inbound, attachments,
                               self.s.settings.staff_domains)
        try:
            reason, sent = self.s.staff_replies.handle(message)
        except ConflictError as exc:
            if exc.involves("inbound"):
                return Outcome(arrival.message_id, "duplicate", ticket=number)
            raise
        metrics.add_metric(name="StaffReplies", unit="Count", value=1)
        return Outcome(arrival.message_id, "threaded", ticket=number, reason=f"staff_{reason}", emails_sent=sent)

    # -- threading -----------------------------------------------------------------------------

    def _existing_ticket(self, arrival: Arrival) -> Ticket | None:
        """Threading in order of trust (signed token, Message-ID references, subject tag), and only for
        participants: anyone else gets a new ticket linked to the one they referenced."""
        for number, via in self._candidates(arrival):
            ticket = arrival.facts.ticket(number) or (self.s.store.tickets.get(number) if via == "references" else None)
            if ticket is None:
                continue
            if may_join(ticket, arrival.mail, arrival.sender, self.s.policy, self.s.settings.staff_domains):
                return ticket
            arrival.related_ticket = ticket.number
            arrival.related_reason = f"{via} of #{ticket.number}, but the sender is not on that ticket"
            _join_refused(arrival, ticket.number, via)
            return None
        return None

    @staticmethod
    def _candidates(arrival: Arrival) -> list[tuple[int, str]]:
        found = [(arrival.token_ticket, "reply token"), (arrival.referenced[0] if arrival.referenced else None,
                                                         "references"), (arrival.tag_ticket, "subject tag")]
        return [(number, via) for number, via in found if number is not None]

    def _past_reopen_window(self, ticket: Ticket) -> bool:
        if not ticket.closed or ticket.resolved_at is None:
            return False
        return self.s.clock.now() - ticket.resolved_at > self.s.policy.lifecycle.reopen_window

    # -- terminal outcomes ---------------------------------------------------------------------

    def _terminal(self, record: SesRecord, raw_key: str, outcome: OutcomeName, reason: str,
                  mail: InboundMail | None = None) -> Outcome:
        now = self.s.clock.now()
        entry = InboundRecord(ses_message_id=record.message_id, outcome=outcome, reason=reason, raw_key=raw_key,
                              received_at=record.received_at, recorded_at=now, verdicts=record.verdicts)
        writes, notices = bounce_writes(self.s, mail, now) if mail and mail.failed_recipients else ([], [])
        try:
            if writes:
                self.s.store.commit([self.s.store.inbound.record(entry, now), *writes])
            else:
                self.s.store.inbound.save(entry, now)
        except ConflictError:
            return Outcome(record.message_id, "duplicate", reason=reason)
        self.s.due.run_many(notices)
        bounced = mail.failed_recipients if mail else []
        log = logger.warning if outcome == "quarantined" else logger.info
        log(f"message_{outcome}", extra={"reason": reason, "s3_key": raw_key, "bounced_addresses": len(bounced),
                                          "tickets_told": len(notices)})
        metric("MessagesQuarantined" if outcome == "quarantined" else "MessagesDropped", reason=reason)
        return Outcome(record.message_id, outcome, reason=reason)

    def _duplicate(self, arrival: Arrival, previous: InboundRecord) -> Outcome:
        logger.info("duplicate_delivery", extra={"first_outcome": previous.outcome})
        metrics.add_metric(name="DuplicateDeliveries", unit="Count", value=1)
        sent = 0
        if previous.ticket and previous.outcome == "created":
            sent = self._retry_ack(previous.ticket)  # the first delivery may have crashed before acknowledging
        return Outcome(arrival.message_id, "duplicate", ticket=previous.ticket, severity=previous.severity,
                       reason=previous.outcome, emails_sent=sent)

    def _retry_ack(self, number: int) -> int:
        """Finish an acknowledgment a crashed invocation left behind, if its lease has lapsed."""
        from helpdesk.messages.acknowledgment import ACK_ID
        from helpdesk.sla.due import DueItem

        now: datetime = self.s.clock.now()
        performed = self.s.due.run_now(DueItem.new(number, ACK_ID, "ack", now))
        return 1 if performed and performed.outcome == "done" else 0


def _join_refused(arrival: Arrival, number: int, via: str) -> None:
    """A stranger citing a ticket opens their own; a forged From doing so is a security event."""
    if arrival.mail.sender_trusted:
        logger.info("thread_join_refused", extra={"ticket": number, "via": via})
        metrics.add_metric(name="ThreadJoinsRefused", unit="Count", value=1)
    else:
        _security_event("thread_join_refused_untrusted_from", ticket=number, via=via)


def _security_event(event: str, **fields: object) -> None:
    logger.warning("security_event", extra={"event": event, **fields})
    metrics.add_metric(name="SecurityEvents", unit="Count", value=1)
