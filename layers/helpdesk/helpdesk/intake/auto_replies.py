"""Auto-replies to our own mail: never a ticket, never answered, but staff see them on the ticket.

An out-of-office answer to an acknowledgment says something staff want to know ("out of office
until 8 Dec"); it becomes an internal note on the ticket it answers, with no notification. It is
matched to that ticket the way any reply is (token, Message-ID references, subject tag from a
participant); an auto-reply that answers nothing of ours is only recorded as dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from helpdesk.core.errors import ConflictError
from helpdesk.core.observability import logger, metric
from helpdesk.intake.arrival import Arrival
from helpdesk.intake.entries import inbound_record, short_hash
from helpdesk.intake.outcome import Outcome
from helpdesk.mail.robots import RobotVerdict
from helpdesk.tickets.records import Entry, Ticket

if TYPE_CHECKING:
    from helpdesk.intake.services import IntakeServices

NOTED_ROBOTS = frozenset({"out_of_office", "auto_reply", "helpdesk_autoresponse"})


class AutoReplyNotes:
    def __init__(self, services: IntakeServices, drop: Callable[..., Outcome]) -> None:
        self.s = services
        self.drop = drop

    def record(self, arrival: Arrival, robot: RobotVerdict, reason: str) -> Outcome:
        arrival.read_addresses(self.s.settings.support_address, self.s.signing_key)
        arrival.load(self.s.store, None)
        if arrival.facts.inbound(arrival.message_id):
            return Outcome(arrival.message_id, "duplicate", reason=reason)
        ticket = self._answered(arrival)
        if ticket is None:
            return self.drop(arrival.record, arrival.raw_key, "dropped", reason, mail=arrival.mail)
        now = self.s.clock.now()
        note = Entry(ticket=ticket.number, at=now, kind="auto_reply", key=short_hash(arrival.message_id),
                     actor=arrival.sender, visibility="internal", direction="inbound", subject=arrival.mail.subject,
                     text=robot.note or robot.kind.replace("_", " "), reason=robot.reason,
                     ses_message_id=arrival.message_id, raw_key=arrival.raw_key)
        record = inbound_record(arrival, "dropped", now, ticket=ticket.number, reason=reason)
        try:
            self.s.store.commit([self.s.store.inbound.record(record, now), self.s.store.tickets.add_entry(note)])
        except ConflictError:
            return Outcome(arrival.message_id, "duplicate", ticket=ticket.number, reason=reason)
        logger.info("auto_reply_noted", extra={"ticket": ticket.number, "kind": robot.kind})
        metric("MessagesDropped", reason=reason)
        return Outcome(arrival.message_id, "dropped", ticket=ticket.number, reason=reason)

    def _answered(self, arrival: Arrival) -> Ticket | None:
        facts = arrival.facts
        if arrival.token_ticket is not None and (ticket := facts.ticket(arrival.token_ticket)):
            return ticket
        if arrival.referenced:
            return self.s.store.tickets.get(arrival.referenced[0])
        if arrival.tag_ticket is not None and (ticket := facts.ticket(arrival.tag_ticket)):
            return ticket if arrival.sender in ticket.participants else None
        return None
