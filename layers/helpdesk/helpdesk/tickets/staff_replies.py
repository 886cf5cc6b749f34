"""Staff answer by replying to a notification: commands on the first lines, the answer below.

A reply counts as staff only when intake has proven it (a staff domain, DMARC PASS and a valid
staff token for this ticket). All commands are validated before any is applied; then the ticket
changes, the relay to the customer and the confirmation to staff commit in one transaction and
go out on the fast path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, DueWork, Skip, done_count
from helpdesk.tickets import changes, commands
from helpdesk.tickets.commands import ParsedReply, command_help
from helpdesk.tickets.operations import TicketOps
from helpdesk.tickets.records import Attachment, Entry, Ticket, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.adapters.aws.table import Write
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.incidents.service import IncidentDesk
    from helpdesk.mail.parsing import InboundMail
    from helpdesk.tickets.context import TicketContext

RELAY, CONFIRM = "relay", "staff_confirm"


def item_id(entry_id: str, kind: str) -> str:
    short = "confirm" if kind == CONFIRM else kind
    return f"{short}#" + hashlib.blake2b(entry_id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class StaffMessage:
    """A proven staff reply, as intake hands it over."""

    number: int
    mail: InboundMail
    sender: str
    inbound_write: Write
    attachments: list[Attachment]
    staff_domains: tuple[str, ...]


class StaffReplies:
    def __init__(self, ops: TicketOps, due: DueWork, escalator: Escalator, factory: MailFactory,
                 outbox: Outbox, blobs: BlobStore | None, clock: Clock, incidents: IncidentDesk | None = None) -> None:
        self.ops = ops
        self.incidents = incidents
        self.due = due
        self.escalator = escalator
        self.factory = factory
        self.outbox = outbox
        self.blobs = blobs
        self.clock = clock

    def handle(self, message: StaffMessage) -> tuple[str, int]:
        """Apply a staff reply. Returns (outcome reason, emails sent)."""
        ctx = self.ops.contexts.load(message.number)
        if ctx is None:
            raise changes.TicketOpError(f"no ticket #{message.number}")
        parsed = commands.parse_reply(message.mail.new_text)
        commands.validate(parsed, ctx.policy, message.staff_domains)
        if parsed.errors:
            return "commands_rejected", self._reject(ctx, message, parsed)
        public = bool(parsed.body) and not parsed.internal
        return ("relayed" if public else "internal_note"), self._apply(ctx, message, parsed, public)

    def _apply(self, ctx: TicketContext, message: StaffMessage, parsed: ParsedReply, public: bool) -> int:
        """Commands, the logged reply, the relay and the confirmation: one transaction, then sent."""
        entry = self._entry(ctx.number, "staff_reply" if public else "staff_note", message, parsed, public)
        items = [self._item(entry, CONFIRM)] + ([self._item(entry, RELAY, message.mail)] if public else [])
        builders = commands.builders(parsed, self.ops, message.sender)
        fields = entry.model_dump(exclude={"ticket", "at"}, exclude_none=True)
        builders.append(changes.public_reply(message.sender, fields) if public else changes.log_only(fields))
        builders.append(changes.log_only(None, items=items, writes=[message.inbound_write]))
        ticket = self.ops.apply(ctx.number, builders)
        for level, reason in parsed.escalations():
            self.escalator.manual(ctx.number, level, reason, message.sender)
        if parsed.incident_actions():
            self._incident(ctx, ticket, parsed, message.sender)
        known = {ctx.number: self.ops.contexts.of(ticket, ctx.account)}
        return done_count(self.due.run_many(list(reversed(items)), known))

    def _incident(self, ctx: TicketContext, ticket: Ticket, parsed: ParsedReply, actor: str) -> None:
        """`#incident ...` after the reply's other commands, so `resolve` sees this reply's #fix and friends."""
        if self.incidents is None:
            return
        from helpdesk.incidents.model import incident_number

        for action, argument in parsed.incident_actions():
            current = self.ops.store.tickets.get(ctx.number) or ticket
            try:
                if action == "new":
                    self.incidents.open_by_hand(current, ctx.account, argument, actor)
                elif action == "link":
                    self.incidents.link_by_hand(incident_number(argument) or 0, current, ctx.account, actor)
                elif action == "unlink":
                    self.incidents.unlink(current, actor)
                elif current.incident:
                    number = incident_number(current.incident) or 0
                    if action == "update":
                        self.incidents.post_update(number, argument, actor)
                    else:
                        self.incidents.resolve(number, actor, current.root_cause, current.fix, current.prevention)
                else:
                    raise changes.TicketOpError(f"ticket #{ctx.number} is not linked to an incident")
            except changes.TicketOpError as exc:
                self.ops.store.commit([self.ops.store.tickets.add_entry(Entry(
                    ticket=ctx.number, at=self.clock.now(), kind="staff_commands_rejected", key=f"incident-{action}",
                    actor=actor, errors=[str(exc)], commands=[f"#incident {action} {argument}".strip()]))])

    def _reject(self, ctx: TicketContext, message: StaffMessage, parsed: ParsedReply) -> int:
        entry = Entry(ticket=ctx.number, at=self.clock.now(), kind="staff_commands_rejected",
                      key=_digest(message.sender, ""), actor=message.sender, errors=parsed.errors,
                      commands=[c.line for c in parsed.commands])
        confirm = self._item(entry, CONFIRM)
        self.ops.store.commit([message.inbound_write, self.ops.store.tickets.add_entry(entry),
                               self.ops.store.due.add(confirm)])
        return done_count(self.due.run_many([confirm], {ctx.number: ctx}))

    def _entry(self, number: int, kind: str, message: StaffMessage, parsed: ParsedReply, public: bool) -> Entry:
        mail = message.mail
        text = parsed.body if not parsed.internal else mail.new_text
        return Entry(ticket=number, at=self.clock.now(), kind=kind, key=_digest(message.sender, text),
                     actor=message.sender, text=text[:16000], attachments=message.attachments,
                     visibility="public" if public else "internal", name=mail.from_name or message.sender.split("@")[0],
                     commands=[c.line for c in parsed.commands])

    def _item(self, entry: Entry, kind: str, mail: InboundMail | None = None) -> DueItem:
        item = self.due.leased(entry.ticket, item_id(entry.id, kind), kind, {"entry_id": entry.id})
        item.attached = (entry, mail_attachments(mail) if mail else None)
        return item

    # -- performing relays and confirmations ---------------------------------------------------

    plan_bound = False

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        entry, files = item.attached or (self.ops.store.tickets.entry(ctx.number, item.payload["entry_id"]), None)
        if entry is None:
            return Skip("nothing_to_send")
        if item.kind == RELAY:
            files = files if files is not None else self._stored_files(entry)
            mail, kind = self.relay_mail(ctx, entry, files), "relayed_reply"
        else:
            mail, kind = self.confirmation_mail(ctx, entry), "staff_confirmation"
        sent = self.outbox.send(ctx.number, kind, mail, self.clock.now(),
                                visibility="public" if item.kind == RELAY else "internal")
        writes = list(sent.writes)
        if item.kind == RELAY:
            writes.append(self.ops.store.tickets.change(ctx.number, TicketPatch(
                sets={"last_outbound_message_id": sent.ses_message_id})))
        return Done(writes, "sent", {"sent_message_id": sent.ses_message_id})

    def _stored_files(self, entry: Entry) -> list[tuple[str, str, bytes]]:
        """Attachments of a relay being retried, read back from S3 (RawMailMissingError if gone)."""
        assert self.blobs is not None
        return [(a.name, a.content_type, self.blobs.read(a.key)) for a in entry.attachments]

    def relay_mail(self, ctx: TicketContext, entry: Entry, files: list[tuple[str, str, bytes]]) -> OutboundMail:
        team = self.factory.sender.team_name
        name = entry.name or "Support"
        context = {"ticket": {"number": ctx.number, "subject": ctx.ticket.subject}, "text": entry.text or "",
                   "staff_name": name, "team_name": team,
                   "staff_address": entry.actor if ctx.policy.staff_relay.show_address else None}
        ticket: Ticket = ctx.ticket
        return self.factory.to_customer(ticket, "staff_relay", context, ctx.policy, sender_name=f"{name} ({team})",
                                        in_reply_to=ticket.last_customer_message_id or ticket.root_message_id,
                                        auto_submitted="no", attachments=files)

    def confirmation_mail(self, ctx: TicketContext, entry: Entry) -> OutboundMail:
        context: dict[str, Any] = {
            "ticket": {"number": ctx.number, "subject": ctx.ticket.subject, "status": ctx.status,
                       "severity": ctx.severity},
            "rejected": entry.kind == "staff_commands_rejected", "errors": list(entry.errors),
            "commands": list(entry.commands), "relayed": entry.kind == "staff_reply",
            "internal": entry.kind == "staff_note", "allowed": command_help(),
            "team_name": self.factory.sender.team_name}
        return self.factory.to_staff(ctx.number, entry.actor, "staff_confirmation", context, ctx.policy,
                                     auto_submitted="auto-replied")


def mail_attachments(mail: InboundMail) -> list[tuple[str, str, bytes]]:
    return [(a.filename, a.content_type, a.payload) for a in mail.attachments[:20]]


def _digest(actor: str, text: str) -> str:
    return hashlib.blake2b(f"{actor}{text}".encode(), digest_size=4).hexdigest()
