"""Staff answer by replying to their notification: commands on top, the public reply below.

A reply counts as staff only with a staff domain, a DKIM or DMARC PASS and a valid staff token
for this ticket. All commands are validated before any is applied, and then everything (ticket
changes, the relay to the customer and the confirmation to staff) commits in one transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.store import META, ticket_pk
from helpdesk.adapters.aws.table import Write, put
from helpdesk.core.clock import iso
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.mail.parsing import InboundMail
from helpdesk.messages.outbox import Job, deliver
from helpdesk.messages.rendering import render
from helpdesk.messages.staff_notification import COMMANDS
from helpdesk.policy.models import Policy
from helpdesk.sla.due_work import lease_until
from helpdesk.sla.performers import Performed, Work
from helpdesk.tickets.context import STATUSES
from helpdesk.tickets.operations import Builder, TicketOpError, TicketOps

_COMMAND = re.compile(r"^#([a-z_]+)\b\s*(.*)$", re.IGNORECASE)
TYPES = {"bug": "bug", "feature": "feature_request", "training": "training_or_question",
         "question": "training_or_question", "configuration": "configuration", "integration": "integration",
         "billing": "billing"}
KNOWN = {"status", "priority", "assign", "note", "ack", "escalate", "update", "rootcause", "prevention", "tag",
         "type"}


@dataclass
class Command:
    name: str
    argument: str
    line: str


@dataclass
class ParsedReply:
    commands: list[Command] = field(default_factory=list)
    body: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def internal(self) -> bool:
        return any(c.name == "note" for c in self.commands)


def parse_reply(text: str) -> ParsedReply:
    """Commands are the leading lines that start with `#`; the first other line starts the body."""
    parsed = ParsedReply()
    lines = (text or "").replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines):
        line = lines[index].strip()
        match = _COMMAND.match(line)
        if not match:
            break
        parsed.commands.append(Command(match.group(1).lower(), match.group(2).strip(), line))
        index += 1
    parsed.body = "\n".join(lines[index:]).strip()
    return parsed


def validate(parsed: ParsedReply, policy: Policy, staff_domains: tuple[str, ...]) -> None:
    for command in parsed.commands:
        problem = _problem(command, policy, staff_domains)
        if problem:
            parsed.errors.append(f"`{command.line}`: {problem}")


def _problem(command: Command, policy: Policy, staff_domains: tuple[str, ...]) -> str | None:
    name, arg = command.name, command.argument
    if name not in KNOWN:
        return f"unknown command #{name}"
    if name == "status" and arg.lower() not in STATUSES[1:]:
        return f"unknown status {arg!r}; use one of {', '.join(STATUSES[1:])}"
    if name == "priority":
        try:
            policy.resolve_severity(arg)
        except KeyError:
            return f"unknown priority {arg!r}; use one of {', '.join(policy.severities)} or their names"
    if name == "assign":
        domain = arg.rpartition("@")[2].lower()
        if "@" not in arg or domain not in staff_domains:
            return f"#assign needs an address at a staff domain ({', '.join(staff_domains)})"
    if name == "escalate":
        level = arg.split(" ", 1)[0] if arg else ""
        if level not in policy.levels:
            return f"#escalate needs a level ({', '.join(policy.levels)}) and a reason"
    if name in ("update", "rootcause", "prevention", "tag") and not arg:
        return f"#{name} needs text after it"
    if name == "type" and arg.lower() not in TYPES:
        return f"unknown type {arg!r}; use one of bug, feature, training, configuration, integration, billing"
    if name in ("note", "ack") and arg:
        return f"#{name} takes no argument (write the note below the commands)"
    return None


def relay_sk(entry_sk: str, kind: str) -> str:
    return f"DUE#{kind}#" + hashlib.blake2b(entry_sk.encode(), digest_size=8).hexdigest()


class StaffReplies:
    def __init__(self, work: Work, ops: TicketOps, escalator: Any, blobs: Any) -> None:
        self.work = work
        self.ops = ops
        self.escalator = escalator
        self.blobs = blobs

    # -- inbound ---------------------------------------------------------------------------

    def handle(self, number: int, mail: InboundMail, sender: str, owner: str, inbound_write: Write,
               attachments: list[dict[str, Any]], staff_domains: tuple[str, ...]) -> tuple[str, int]:
        """Apply a staff reply. Returns (outcome reason, emails sent)."""
        ctx = self.work.context(number)
        if ctx is None:
            raise TicketOpError(f"no ticket #{number}")
        parsed = parse_reply(mail.new_text)
        validate(parsed, ctx.policy, staff_domains)
        now = self.work.clock.now()
        name = mail.from_name or sender.split("@")[0]
        if parsed.errors:
            entry = self._entry(number, now, "staff_commands_rejected", sender, "", [],
                                errors=parsed.errors)
            confirm = self.work.store.due_item(number, relay_sk(entry["SK"], "confirm"), "staff_confirm", iso(now),
                                               {"entry_sk": entry["SK"]}, lease_owner=owner,
                                               lease_until=lease_until(now))
            self.work.store.transact([inbound_write, put(entry), put(confirm)])
            sent = self._send_now([self._confirmation_job(ctx.ticket, entry, owner, parsed, rejected=True)])
            return "commands_rejected", sent
        builders, escalations = self._builders(parsed, sender)
        public = bool(parsed.body) and not parsed.internal
        kind = "staff_reply" if public else "staff_note"
        entry = self._entry(number, now, kind, sender, parsed.body if not parsed.internal else mail.new_text,
                            attachments, name=name, commands=[c.line for c in parsed.commands])
        jobs_due = [self.work.store.due_item(number, relay_sk(entry["SK"], "confirm"), "staff_confirm", iso(now),
                                             {"entry_sk": entry["SK"]}, lease_owner=owner,
                                             lease_until=lease_until(now))]
        if public:
            jobs_due.append(self.work.store.due_item(number, relay_sk(entry["SK"], "relay"), "relay", iso(now),
                                                     {"entry_sk": entry["SK"]}, lease_owner=owner,
                                                     lease_until=lease_until(now)))
            builders.append(self.ops.public_reply_change(sender, entry, []))
        else:
            builders.append(lambda c, n: _plain_change(entry))
        extra = [inbound_write, *(put(item) for item in jobs_due)]
        builders.append(lambda c, n: _writes_only(extra))
        ticket = self.ops.apply(number, builders)
        for level, reason in escalations:
            self.escalator.manual(number, level, reason, sender)
        jobs = [self._confirmation_job(ticket, entry, owner, parsed)]
        if public:
            jobs.insert(0, self._relay_job(ticket, entry, owner, mail_attachments(mail)))
        return ("relayed" if public else "internal_note"), self._send_now(jobs)

    def _builders(self, parsed: ParsedReply, actor: str) -> tuple[list[Builder], list[tuple[str, str]]]:
        builders: list[Builder] = []
        escalations = []
        for command in parsed.commands:
            name, arg = command.name, command.argument
            if name == "ack":
                builders.append(self.ops.ack_change(actor))
            elif name == "status":
                builders.append(self.ops.status_change(arg, actor))
            elif name == "priority":
                builders.append(self.ops.severity_change(arg, actor))
            elif name == "assign":
                builders.append(self.ops.field_change("owner", arg.lower(), actor, f"Assigned to {arg.lower()}"))
            elif name == "update":
                builders.append(self.ops.note_change(arg, actor, public=True))
            elif name in ("rootcause", "prevention"):
                field_name = "root_cause" if name == "rootcause" else "prevention"
                builders.append(self.ops.field_change(field_name, arg, actor))
            elif name == "tag":
                builders.append(self.ops.tag_change(arg.lower(), actor))
            elif name == "type":
                builders.append(self.ops.field_change("issue_type", TYPES[arg.lower()], actor))
            elif name == "escalate":
                level, _, reason = arg.partition(" ")
                escalations.append((level, reason.strip() or "escalated by hand"))
        return builders, escalations

    def _entry(self, number: int, now: datetime, kind: str, actor: str, text: str,
               attachments: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        tag = hashlib.blake2b(f"{actor}{text}{iso(now)}".encode(), digest_size=4).hexdigest()
        return {"PK": ticket_pk(number), "SK": f"ENTRY#{iso(now)}#{kind}#{tag}", "type": "entry", "kind": kind,
                "at": iso(now), "actor": actor, "text": text[:16000], "attachments": attachments,
                "visibility": "public" if kind == "staff_reply" else "internal", **fields}

    def _send_now(self, jobs: list[Job]) -> int:
        return len(deliver(self.work.store, self.work.outbox, jobs, self.work.clock.now(), self.work.job_failed))

    # -- outbound ----------------------------------------------------------------------------

    def _relay_job(self, ticket: dict[str, Any], entry: dict[str, Any], owner: str,
                   files: list[tuple[str, str, bytes]], attempts: int = 1) -> Job:
        settings, number = self.work.settings, int(ticket["number"])
        policy = self.work.snapshots.get(ticket.get("policy_digest"))
        name = entry.get("name") or "Support"
        context = {"ticket": {"number": number, "subject": ticket.get("subject", "")}, "text": entry["text"],
                   "staff_name": name, "team_name": settings.team_name,
                   "staff_address": entry["actor"] if policy.staff_relay.show_address else None}
        rendered = render("staff_relay", context, policy.templates.override_dir)
        mail = OutboundMail(
            sender=settings.support_address, sender_name=f"{name} ({settings.team_name})", to=[ticket["requester"]],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(settings.support_address, number, self.work.signing_key, "customer"),
            in_reply_to=ticket.get("last_customer_message_id") or ticket.get("root_message_id"),
            references=list(ticket.get("thread_references") or []), auto_submitted="no",
            extra_headers={"X-Helpdesk-Ticket": str(number)}, attachments=files)

        def after(sent: Any) -> list[Write]:
            from helpdesk.adapters.aws.table import Update

            return [Update(ticket_pk(number), META, sets={"last_outbound_message_id": sent.ses_message_id},
                           condition="attribute_exists(PK)").write()]

        return Job(ticket_pk(number), relay_sk(entry["SK"], "relay"), owner, number, "relayed_reply", mail, attempts,
                   after=after)

    def _confirmation_job(self, ticket: dict[str, Any], entry: dict[str, Any], owner: str,
                          parsed: ParsedReply | None, rejected: bool = False, attempts: int = 1) -> Job:
        settings, number = self.work.settings, int(ticket["number"])
        policy = self.work.snapshots.get(ticket.get("policy_digest"))
        commands = [c.line for c in parsed.commands] if parsed else list(entry.get("commands") or [])
        context = {"ticket": {"number": number, "subject": ticket.get("subject", ""), "status": ticket.get("status"),
                              "severity": ticket.get("severity")},
                   "rejected": rejected, "errors": parsed.errors if parsed else list(entry.get("errors") or []),
                   "commands": commands, "relayed": entry["kind"] == "staff_reply",
                   "internal": entry["kind"] == "staff_note", "allowed": COMMANDS, "team_name": settings.team_name}
        rendered = render("staff_confirmation", context, policy.templates.override_dir)
        mail = OutboundMail(
            sender=settings.support_address, sender_name=settings.team_name, to=[entry["actor"]],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(settings.support_address, number, self.work.signing_key, "staff"),
            auto_submitted="auto-replied", extra_headers={"X-Helpdesk-Ticket": str(number)})
        sk = relay_sk(entry["SK"], "confirm")
        return Job(ticket_pk(number), sk, owner, number, "staff_confirmation", mail, attempts, visibility="internal")

    # -- sweeper path ----------------------------------------------------------------------

    def perform(self, item: dict[str, Any], owner: str) -> Performed:
        """Relay or confirmation left behind by a crashed fast path."""
        number = int(item["ticket"])
        ctx = self.work.context(number)
        key = (ticket_pk(number), item["payload"]["entry_sk"])
        entry = self.work.store.get_many([key]).get(key)
        if ctx is None or entry is None:
            self.work.finish(item, owner, [], outcome="nothing_to_send")
            return Performed(item["kind"], number, "skipped")
        attempts = int(item.get("attempts") or 1)
        if item["kind"] == "relay":
            files = [(a["name"], a["content_type"], self.blobs.read(a["key"])) for a in entry.get("attachments") or []]
            job = self._relay_job(ctx.ticket, entry, owner, files, attempts)
        else:
            job = self._confirmation_job(ctx.ticket, entry, owner, None, entry["kind"].endswith("rejected"), attempts)
        sent = self._send_now([job])
        return Performed(item["kind"], number, "done" if sent else "deferred")


def mail_attachments(mail: InboundMail) -> list[tuple[str, str, bytes]]:
    return [(a.filename, a.content_type, a.payload) for a in mail.attachments[:20]]


def _plain_change(entry: dict[str, Any]) -> Any:
    from helpdesk.tickets.operations import Change

    return Change({}, entry, [])


def _writes_only(writes: list[Write]) -> Any:
    from helpdesk.tickets.operations import Change

    return Change({}, {"kind": "staff_email_received", "SK": None}, writes)


__all__ = ["Account", "StaffReplies", "parse_reply", "validate"]
