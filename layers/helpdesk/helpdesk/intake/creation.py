"""A new ticket: classified, planned and written in one transaction, then acknowledged at once.

The ticket, its first entry, every timed obligation and the inbound record (the idempotency key)
all commit together, so a crash leaves either nothing (SES retries) or a complete ticket whose
pending obligations the sweeper finishes. The number comes from the container's reserved block
(`Counter.take`), outside the transaction, so concurrent creations do not conflict over it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError, TransientAwsError
from helpdesk.core.observability import logger, metric
from helpdesk.core.retry import pause
from helpdesk.escalation.impact import impact_of
from helpdesk.escalation.watchers import progress_item
from helpdesk.intake.arrival import Arrival
from helpdesk.intake.entries import inbound_record, message_entry, recent_line, references, store_parts
from helpdesk.intake.flood import (
    ack_suppression_reason,
    after_contact,
    bundled,
    digest_item,
    event_triggers,
    raise_triggers,
    repeat_scope,
)
from helpdesk.intake.outcome import Outcome
from helpdesk.intake.participants import thread_addresses
from helpdesk.intake.records import SenderRecord
from helpdesk.messages.acknowledgment import ACK_ID, excerpt_lines
from helpdesk.messages.resolution import health_watch
from helpdesk.messages.staff_notification import StaffNotifications, owner_address
from helpdesk.policy.loader import policy_digest, policy_document
from helpdesk.sla.due_work import done_count
from helpdesk.sla.plans import plan_items
from helpdesk.sla.targets import due_fields, plan
from helpdesk.tickets.records import HealthWatch, Ticket

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.adapters.aws.table import Write
    from helpdesk.classify import Classification
    from helpdesk.incidents.service import Arrival as IncidentArrival
    from helpdesk.intake.services import IntakeServices
    from helpdesk.sla.due import DueItem
    from helpdesk.tickets.records import Entry

MAX_NUMBER_RACES = 5  # retries of a creation whose number was taken or whose items were busy


C_LEVEL_TITLES = ("ceo", "cfo", "coo", "cto", "cio", "ciso", "cno", "cmo", "chief ", "president", "founder")


def incident_digest(policy: object, joined: IncidentArrival | None) -> str | None:
    """Past an incident's first few tickets, staff hear about its new ones in one digest."""
    if joined is None or not joined.incident:
        return None
    return f"incident:{joined.incident}" if joined.position > policy.incidents.notify_first else None  # type: ignore[attr-defined]


def c_level_involved(classification: Classification, account: Account, sender: str) -> bool:
    """A C-level person at the customer writes or is involved: the classifier saw it, or the sender is one of
    the account's contacts with a C-level title."""
    if "executive_involvement" in classification.triggers:
        return True
    contact = next((c for c in account.contacts if c.email and c.email == sender), None)
    return bool(contact and contact.title.lower().startswith(C_LEVEL_TITLES))


def level_above_first_step(policy: object, severity: str) -> str:
    """One level above where this severity's chain would start (health-window tickets skip a rung)."""
    levels = list(policy.levels)  # type: ignore[attr-defined]
    chain = policy.escalation.get(severity) or []  # type: ignore[attr-defined]
    first = chain[0].level if chain else levels[0]
    return levels[min(levels.index(first) + 1, len(levels) - 1)]


class TicketCreator:
    def __init__(self, services: IntakeServices) -> None:
        self.s = services

    def create(self, arrival: Arrival) -> Outcome:
        s, now = self.s, self.s.clock.now()
        account = arrival.facts.account(arrival.sender)
        classification = s.classifier.classify(arrival.mail.subject, arrival.mail.new_text, account)
        sender = arrival.facts.sender(arrival.sender)
        suppressed = ack_suppression_reason(s.policy, arrival.mail, sender, arrival.domain_record(),
                                            arrival.record.verdicts, now)
        attachments, text_key = store_parts(s.blobs, arrival)
        digest = bundled(s.policy, sender, now)
        number = s.store.counter.take()
        joined = None
        committed = False
        try:
            for attempt in range(MAX_NUMBER_RACES):
                ticket = self._ticket(arrival, number, classification, account, suppressed, now)
                joined = self._incident(arrival, ticket, account, fresh=attempt > 0)
                entry = message_entry(arrival, number, "customer_message", now, classification, attachments,
                                      text_key)
                digest_of = incident_digest(s.policy, joined) or (f"sender:{arrival.sender}" if digest else None)
                jobs = self._jobs(entry, suppressed, bool(digest_of))
                writes = self._writes(arrival, ticket, entry, jobs, account, suppressed, now)
                writes += joined.writes if joined else []
                if digest_of:
                    writes.append(s.store.due.gather(digest_item(s.policy, digest_of, now,
                                                                 owner=self._owner(ticket, account)), number))
                retry = self._commit(writes, attempt)
                if retry == "duplicate":
                    return Outcome(arrival.message_id, "duplicate")
                if retry is None:
                    committed = True
                    break
                if retry == "incident_raced":
                    continue  # another ticket opened or changed the incident: decide again
                if retry == "number_taken":  # a ticket already has it (a restored table): take the next
                    number = s.store.counter.take()
            else:
                raise TransientAwsError("ticket creation kept conflicting; Lambda will retry")
        finally:
            if not committed:
                s.store.counter.give_back(number)
        s.policy_saved = True
        logger.append_keys(ticket=number)
        logger.info("ticket_created", extra={"severity": ticket.severity, "issue_type": ticket.issue_type,
                                             "triggers": ticket.triggers, "account": account.domain,
                                             "ack_suppressed": suppressed, "notification_bundled": digest,
                                             "related_ticket": ticket.related_ticket,
                                             "incident": ticket.incident})
        metric("TicketsCreated", severity=ticket.severity)
        performed = s.due.run_many(jobs, {number: s.contexts.of(ticket, account)})
        self._escalate(ticket, classification, sender, account, now)
        sent = done_count(performed)
        return Outcome(arrival.message_id, "created", ticket=number, severity=ticket.severity, reason=suppressed,
                       emails_sent=sent)

    def _commit(self, writes: list[Write], attempt: int) -> str | None:
        """None when committed; otherwise why it must be tried again (or "duplicate": nothing to do)."""
        try:
            self.s.store.commit(writes)
        except ConflictError as exc:
            if exc.involves("inbound"):  # a concurrent delivery of the same message won the race
                logger.info("duplicate_delivery_race")
                return "duplicate"
            if (exc.involves("incident") or exc.involves("incident_link")) and attempt + 1 < MAX_NUMBER_RACES:
                return "incident_raced"
            if not exc.involves("ticket"):
                raise  # the sender's windows moved: the processor re-reads them and decides again
            return "number_taken"
        except TransientAwsError as exc:
            if exc.kind != "conflict" or attempt + 1 >= MAX_NUMBER_RACES:
                raise
            pause(attempt)  # another transaction held one of our items (e.g. the policy snapshot)
            return "contended"
        return None

    def _incident(self, arrival: Arrival, ticket: Ticket, account: Account, *, fresh: bool = False
                  ) -> IncidentArrival | None:
        """Detection: the ticket joins (or with recent ones opens) an incident; the ticket records which and why."""
        if self.s.incidents is None:
            return None
        joined = self.s.incidents.on_arrival(ticket, account, repeat_scope(account, arrival.sender),
                                             arrival.mail.subject, arrival.mail.new_text,
                                             None if fresh else arrival.facts)
        if joined.incident:
            ticket.incident, ticket.incident_title, ticket.incident_reason = joined.incident, joined.title, \
                joined.reason
        return joined

    def _jobs(self, entry: Entry, suppressed: str | None, digest: bool) -> list[DueItem]:
        jobs = [] if suppressed else [self.s.due.leased(entry.ticket, ACK_ID, "ack")]
        return jobs if digest else [*jobs, StaffNotifications.item_for(entry, self.s.due.leased)]

    def _owner(self, ticket: Ticket, account: Account) -> str:
        return owner_address(ticket, account, self.s.settings.team_queue_address)

    def _ticket(self, arrival: Arrival, number: int, classification: Classification, account: Account,
                suppressed: str | None, now: datetime) -> Ticket:
        policy, mail = self.s.policy, arrival.mail
        targets = plan(policy, classification.severity, now, account, classification.triggers)
        watch = health_watch(account, now)
        return Ticket(
            number=number, status="new", severity=classification.severity, issue_type=classification.issue_type,
            triggers=classification.triggers, emotion=classification.emotion, subject=mail.subject or "(no subject)",
            requester=arrival.sender, requester_name=mail.from_name,
            participants={arrival.sender, *thread_addresses(mail, self.s.settings.support_address)},
            account_domain=account.domain, account_name=account.name, created_at=now, updated_at=now,
            policy_name=policy.name, policy_digest=policy_digest(policy), **due_fields(targets),
            excerpt=excerpt_lines(mail.new_text), modifiers=targets.modifiers, after_hours=targets.after_hours,
            verdicts=arrival.record.verdicts, ack_suppressed=suppressed,
            recent=[recent_line(now, mail.from_name or arrival.sender, "wrote", mail.new_text)],
            root_message_id=mail.message_id, thread_references=references(arrival),
            last_customer_message_id=mail.message_id, related_ticket=arrival.related_ticket,
            related_reason=arrival.related_reason,
            health_watch=HealthWatch.model_validate(watch) if watch else None,
            impact=impact_of(mail.subject, mail.new_text), c_level_involved=c_level_involved(classification, account,
                                                                                                arrival.sender))

    def _writes(self, arrival: Arrival, ticket: Ticket, entry: Entry, jobs: list[DueItem], account: Account,
                suppressed: str | None, now: datetime) -> list[Write]:
        s, number = self.s, ticket.number
        targets = plan(s.policy, ticket.severity, now, account, ticket.triggers)
        record = inbound_record(arrival, "created", now, ticket=number, severity=ticket.severity)
        writes = [s.store.inbound.record(record, now), s.store.tickets.create(ticket),
                  s.store.tickets.add_entry(entry), *(s.store.due.add(job) for job in jobs),
                  *(s.store.due.add(item) for item in plan_items(s.policy, number, targets, account, 1))]
        watch = progress_item(number, now, s.policy)
        if watch is not None:
            writes.append(s.store.due.add(watch))
        if arrival.mail.message_id:
            writes.append(s.store.message_ids.link(arrival.mail.message_id, number))
        if not s.policy_saved:
            writes.append(s.store.policies.save(policy_digest(s.policy), policy_document(s.policy)))
        sender = arrival.facts.sender(arrival.sender)
        writes.append(s.store.senders.save(after_contact(s.policy, sender, now, acknowledged=not suppressed,
                                                         new_ticket=True)))
        domain = arrival.domain_record()
        if domain is not None and not suppressed:
            writes.append(s.store.senders.save(after_contact(s.policy, domain, now, acknowledged=True), domain=True))
        return writes

    def _escalate(self, ticket: Ticket, classification: Classification, sender: SenderRecord, account: Account,
                  now: datetime) -> None:
        s = self.s
        fired = event_triggers(s.policy, classification.triggers, sender, account, classification.emotion, now)
        if ticket.c_level_involved and "executive_involvement" in s.policy.triggers:
            fired = list(dict.fromkeys([*fired, "executive_involvement"]))  # a C-level contact on the account
        raise_triggers(s, ticket.number, fired, account, ticket.requester, "1")
        if ticket.health_watch:
            level = level_above_first_step(s.policy, ticket.severity)
            s.escalator.raise_trigger(ticket.number, "health_window", "1", level=level,
                                      reason=f"account in its health window after ticket "
                                             f"#{ticket.health_watch.source_ticket}")
