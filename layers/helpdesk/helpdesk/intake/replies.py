"""A customer reply threaded into its ticket: logged, counted, reopening a resolved ticket, and sent
to the owner. Concurrent replies never lose each other's lines: the recent digest is appended."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError
from helpdesk.core.observability import logger, metrics
from helpdesk.intake.arrival import Arrival
from helpdesk.intake.entries import inbound_record, message_entry, recent_line, store_parts
from helpdesk.intake.flood import after_contact, event_triggers, raise_triggers
from helpdesk.intake.outcome import Outcome
from helpdesk.intake.participants import thread_addresses
from helpdesk.messages.staff_notification import StaffNotifications
from helpdesk.sla.due_work import done_count
from helpdesk.sla.plans import reopen_plan
from helpdesk.tickets.records import Entry, Ticket, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.table import Write
    from helpdesk.intake.services import IntakeServices


class ReplyThreader:
    def __init__(self, services: IntakeServices) -> None:
        self.s = services

    def thread(self, arrival: Arrival, ticket: Ticket) -> Outcome:
        s, now, number = self.s, self.s.clock.now(), ticket.number
        logger.append_keys(ticket=number)
        account = arrival.facts.account(arrival.sender)
        attachments, text_key = store_parts(s.blobs, arrival)
        classification = s.classifier.classify("", arrival.mail.new_text, account)
        entry = message_entry(arrival, number, "customer_reply", now, classification, attachments, text_key)
        notify = StaffNotifications.item_for(entry, s.due.leased)
        patch, writes = self._changes(arrival, ticket, now)
        reopened = "reopened_at" in patch.sets
        sender = arrival.facts.sender(arrival.sender)
        writes = [s.store.inbound.record(inbound_record(arrival, "threaded", now, ticket=number,
                                                        severity=ticket.severity), now),
                  s.store.tickets.add_entry(entry), s.store.due.add(notify),
                  s.store.tickets.change(number, patch), *writes,
                  s.store.senders.save(after_contact(s.policy, sender, now, acknowledged=False))]
        if arrival.mail.message_id:
            writes.append(s.store.message_ids.link(arrival.mail.message_id, number))
        try:
            s.store.commit(writes)
        except ConflictError as exc:
            if exc.involves("inbound"):
                return Outcome(arrival.message_id, "duplicate", ticket=number)
            raise
        logger.info("reply_threaded", extra={"ticket": number, "attachments": len(attachments),
                                             "reopened": reopened})
        metrics.add_metric(name="TicketsThreaded", unit="Count", value=1)
        updated = ticket.with_changes(patch.sets)
        performed = s.due.run_many([notify], {number: s.contexts.of(updated, account)})
        new = [t for t in classification.triggers if t not in ticket.triggers]
        fired = event_triggers(s.policy, new, sender, account, classification.emotion, now)
        raise_triggers(s, number, fired, account, arrival.sender, arrival.message_id[:16])
        return Outcome(arrival.message_id, "threaded", ticket=number, severity=ticket.severity,
                       reason="reopened" if reopened else None,
                       emails_sent=done_count(performed))

    def _changes(self, arrival: Arrival, ticket: Ticket, now: datetime) -> tuple[TicketPatch, list[Write]]:
        mail, s = arrival.mail, self.s
        line = recent_line(now, mail.from_name or arrival.sender, "replied", mail.new_text)
        patch = TicketPatch(sets={"updated_at": now, "last_customer_at": now,
                                  "last_customer_message_id": mail.message_id or ticket.last_customer_message_id},
                            adds={"participants": {arrival.sender, *thread_addresses(mail, s.settings.support_address)},
                                  "customer_replies": 1, "version": 1},
                            recent=[line])
        writes: list[Write] = []
        if ticket.closed:
            # A reply inside the reopen window puts a resolved ticket back in front of people.
            sets, items = reopen_plan(s.contexts.snapshots.get(ticket.policy_digest), ticket,
                                      arrival.facts.account(arrival.sender), now)
            patch = patch.merge(TicketPatch(sets=sets, adds={"reopens": 1}))
            entry = Entry(ticket=ticket.number, at=now, kind="reopened", actor=ticket.requester,
                          reason="customer replied", previous_status=ticket.status)
            writes += [s.store.tickets.add_entry(entry), *(s.store.due.add(item) for item in items)]
        return patch, writes
