"""Inbound mail: one SES record becomes a new ticket, a threaded reply, or a logged drop.

The order of work keeps every promise durable: the raw mail is already in S3 (SES put it there),
the ticket, its first thread entry and the acknowledgment obligation are written in one
transaction, and only then is the acknowledgment sent on the fast path. A crash anywhere leaves
either nothing (SES/Lambda retries) or a pending obligation that the sweeper finishes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from helpdesk.accounts.model import DEFAULT_DOMAIN, Account, candidate_domains, pick_account
from helpdesk.adapters.aws.blobs import BlobStore
from helpdesk.adapters.aws.store import (
    COUNTER_KEY,
    META,
    account_key,
    inbound_key,
    message_id_key,
    policy_key,
    sender_key,
    ticket_pk,
)
from helpdesk.adapters.aws.table import Update
from helpdesk.app.settings import InboundSettings
from helpdesk.classifier import Classification, Classifier
from helpdesk.core.clock import iso, parse_iso
from helpdesk.core.errors import ConflictError, RawMailMissingError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.intake.ses_event import SesRecord
from helpdesk.mail.addresses import read_token
from helpdesk.mail.loops import ack_suppression, drop_reason
from helpdesk.mail.parsing import InboundMail, clean_header_text, parse_mail
from helpdesk.messages.acknowledgment import excerpt_lines
from helpdesk.messages.outbox import deliver
from helpdesk.messages.resolution import health_watch
from helpdesk.policy.loader import policy_digest, policy_document
from helpdesk.sla.plans import plan_items, reopen
from helpdesk.sla.targets import due_fields, plan
from helpdesk.tickets.context import CLOSED, OPEN_STATE

if TYPE_CHECKING:
    from helpdesk.app.factory import Services

OutcomeName = Literal["created", "threaded", "dropped", "quarantined", "duplicate"]
MAX_INLINE_TEXT = 16_000
MAX_NUMBER_RACES = 5  # longer bodies go to S3; DynamoDB items are capped at 400 KB
_TAG = re.compile(r"\[#(\d{1,12})\]")


@dataclass
class Outcome:
    message_id: str
    outcome: OutcomeName
    ticket: int | None = None
    severity: str | None = None
    reason: str | None = None
    emails_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "outcome": self.outcome, "ticket": self.ticket,
                "severity": self.severity, "reason": self.reason, "emails_sent": self.emails_sent}


@dataclass
class _Context:
    """Everything one BatchGetItem tells us about a message before we decide what it is."""

    record: SesRecord
    mail: InboundMail
    sender: str
    raw_key: str
    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    token_ticket: int | None = None
    staff_ticket: int | None = None
    tag_ticket: int | None = None
    related_ticket: int | None = None

    def item(self, key: tuple[str, str]) -> dict[str, Any] | None:
        return self.items.get(key)


class InboundProcessor:
    def __init__(self, *, settings: InboundSettings, services: Services, blobs: BlobStore) -> None:
        self.settings = settings
        self.services = services
        self.store = services.work.store
        self.blobs = blobs
        self.ack = services.ack
        self.staff = services.staff
        self.staff_replies = services.staff_replies
        self.escalator = services.escalator
        self.policy = services.work.snapshots.current
        self.clock = services.work.clock
        self.signing_key = services.work.signing_key
        self.classifier = Classifier(self.policy)
        self._policy_saved = False

    # -- entry point -------------------------------------------------------------------------

    def handle(self, record: SesRecord) -> Outcome:
        logger.append_keys(ses_message_id=record.message_id)
        verdict = self._quarantine_reason(record)
        raw_key = f"{self.settings.raw_mail_prefix}{record.message_id}"
        if verdict:
            return self._record_terminal(record, raw_key, "quarantined", verdict)
        mail = self._read_mail(record, raw_key)
        sender = mail.from_address or _envelope_sender(record.source)
        reason = drop_reason(mail, _return_path(record, mail))
        if reason is None and not sender:
            reason = "no_sender_address"
        if reason:
            return self._record_terminal(record, raw_key, "dropped", reason, mail=mail)
        assert sender is not None
        ctx = _Context(record=record, mail=mail, sender=sender, raw_key=raw_key)
        self._load_context(ctx)
        previous = ctx.item(inbound_key(record.message_id))
        if previous:
            return self._duplicate(record, previous)
        if self._staff_domain(ctx.sender):
            if self._authenticated(record):
                if ctx.staff_ticket is not None and ctx.item((ticket_pk(ctx.staff_ticket), META)):
                    return self._staff_reply(ctx)
            else:
                # Looks like staff, is not proven to be: an ordinary customer message, never a command.
                logger.warning("security_event", extra={"event": "staff_domain_unauthenticated",
                                                        "ticket": ctx.staff_ticket, "dkim": record.verdicts.dkim,
                                                        "dmarc": record.verdicts.dmarc})
                metrics.add_metric(name="SecurityEvents", unit="Count", value=1)
        existing = self._existing_ticket(ctx)
        if existing and self._past_reopen_window(existing):
            ctx.related_ticket, existing = int(existing["number"]), None
        if existing:
            return self._thread_reply(ctx, existing)
        return self._create_ticket(ctx)

    def _staff_domain(self, sender: str) -> bool:
        return sender.rpartition("@")[2].lower() in self.settings.staff_domains

    @staticmethod
    def _authenticated(record: SesRecord) -> bool:
        return record.verdicts.dkim == "PASS" or record.verdicts.dmarc == "PASS"

    def _past_reopen_window(self, ticket: dict[str, Any]) -> bool:
        resolved = ticket.get("resolved_at")
        if ticket.get("status") not in CLOSED or not resolved:
            return False
        return self.clock.now() - parse_iso(resolved) > self.policy.lifecycle.reopen_window

    def _staff_reply(self, ctx: _Context) -> Outcome:
        number = int(ctx.staff_ticket)  # type: ignore[arg-type]
        logger.append_keys(ticket=number)
        referenced = {int(item["ticket"]) for mid in ctx.mail.thread_ids[:20]
                      if (item := ctx.item(message_id_key(mid)))}
        if referenced and number not in referenced:
            logger.warning("security_event", extra={"event": "staff_token_for_other_ticket", "ticket": number,
                                                    "referenced": sorted(referenced)})
            metrics.add_metric(name="SecurityEvents", unit="Count", value=1)
            return self._record_terminal(ctx.record, ctx.raw_key, "dropped", "staff_token_ticket_mismatch")
        attachments, _ = self._store_parts(ctx)
        inbound = self.store.put_write(self._inbound_item(ctx, "threaded", number, None), only_if_new=True,
                                       label="inbound")
        try:
            reason, sent = self.staff_replies.handle(number, ctx.mail, ctx.sender, self.ack.lease_owner, inbound,
                                                     attachments, self.settings.staff_domains)
        except ConflictError as exc:
            if "inbound" in str(exc):
                return Outcome(ctx.record.message_id, "duplicate", ticket=number)
            raise
        metrics.add_metric(name="StaffReplies", unit="Count", value=1)
        return Outcome(ctx.record.message_id, "threaded", ticket=number, reason=f"staff_{reason}", emails_sent=sent)

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    def _quarantine_reason(record: SesRecord) -> str | None:
        if record.verdicts.virus == "FAIL":
            return "virus_verdict_fail"
        if record.verdicts.spam == "FAIL":
            return "spam_verdict_fail"
        return None

    def _read_mail(self, record: SesRecord, raw_key: str) -> InboundMail:
        try:
            return parse_mail(self.blobs.read(raw_key))
        except RawMailMissingError:
            # SES writes the object before invoking us, so this is an operator problem; the event
            # still carries the headers, so the customer is not left without a ticket.
            logger.error("raw_mail_missing", extra={"s3_key": raw_key})
            metrics.add_metric(name="RawMailMissing", unit="Count", value=1)
            return _mail_from_event(record)

    def _load_context(self, ctx: _Context) -> None:
        keys = [inbound_key(ctx.record.message_id), sender_key(ctx.sender), COUNTER_KEY]
        keys += [message_id_key(mid) for mid in ctx.mail.thread_ids[:20]]
        keys += [account_key(d) for d in [*candidate_domains(ctx.sender), DEFAULT_DOMAIN]]
        for recipient in ctx.record.recipients:
            token = read_token(recipient, self.settings.support_address, self.signing_key)
            if token and token.audience == "customer":
                ctx.token_ticket = token.ticket
            elif token:
                ctx.staff_ticket = token.ticket
        tag = _TAG.search(ctx.mail.subject)
        if tag:
            ctx.tag_ticket = int(tag.group(1))
        for number in {ctx.token_ticket, ctx.tag_ticket, ctx.staff_ticket} - {None}:
            keys.append((ticket_pk(number), META))  # type: ignore[arg-type]
        if not self._policy_saved:
            keys.append(policy_key(policy_digest(self.policy)))
        ctx.items = self.store.get_many(keys)
        if policy_key(policy_digest(self.policy)) in ctx.items:
            self._policy_saved = True

    def _existing_ticket(self, ctx: _Context) -> dict[str, Any] | None:
        """Threading in order of trust: signed token, then Message-ID references, then subject tag."""
        if ctx.token_ticket is not None:
            ticket = ctx.item((ticket_pk(ctx.token_ticket), META))
            if ticket:
                return ticket
        for mid in ctx.mail.thread_ids[:20]:
            known = ctx.item(message_id_key(mid))
            if known:
                return self.store.ticket(int(known["ticket"]))
        if ctx.tag_ticket is not None:
            ticket = ctx.item((ticket_pk(ctx.tag_ticket), META))
            if ticket and ctx.sender in set(ticket.get("participants") or ()):
                return ticket
            if ticket:
                logger.warning("subject_tag_from_non_participant", extra={"ticket": ctx.tag_ticket})
        return None

    def _account(self, ctx: _Context) -> Account:
        found = {item["domain"]: Account.from_item(item) for key, item in ctx.items.items()
                 if key[0] == "ACCOUNTS"}
        return pick_account(ctx.sender, found)

    # -- outcomes ------------------------------------------------------------------------------

    def _record_terminal(self, record: SesRecord, raw_key: str, outcome: OutcomeName, reason: str,
                         mail: InboundMail | None = None) -> Outcome:
        now = self.clock.now()
        pk, sk = inbound_key(record.message_id)
        item = {"PK": pk, "SK": sk, "type": "inbound", "outcome": outcome, "reason": reason, "raw_key": raw_key,
                "received_at": iso(record.received_at), "recorded_at": iso(now),
                "verdicts": record.verdicts.as_dict(), "expires_at": int((now + timedelta(days=400)).timestamp())}
        writes = [self.store.put_write(item, only_if_new=True, label="inbound")]
        for address in (mail.failed_recipients if mail else [])[:50]:
            spk, ssk = sender_key(address)
            writes.append(Update(spk, ssk, sets={"undeliverable": True, "undeliverable_since": iso(now),
                                                 "address_hash": _hash(address)}).write())
        try:
            self.store.transact(writes) if len(writes) > 1 else self.store.put(item, only_if_new=True)
        except ConflictError:
            return Outcome(record.message_id, "duplicate", reason=reason)
        log = logger.warning if outcome == "quarantined" else logger.info
        log(f"message_{outcome}", extra={"reason": reason, "s3_key": raw_key,
                                          "bounced_addresses": len(mail.failed_recipients) if mail else 0})
        metric("MessagesQuarantined" if outcome == "quarantined" else "MessagesDropped", reason=reason)
        return Outcome(record.message_id, outcome, reason=reason)

    def _duplicate(self, record: SesRecord, previous: dict[str, Any]) -> Outcome:
        logger.info("duplicate_delivery", extra={"first_outcome": previous.get("outcome")})
        metrics.add_metric(name="DuplicateDeliveries", unit="Count", value=1)
        ticket = previous.get("ticket")
        sent = 0
        if ticket and previous.get("outcome") == "created":
            # The first delivery may have crashed before acknowledging: finish the job if so.
            sent = self.ack.retry_pending(int(ticket))
        return Outcome(record.message_id, "duplicate", ticket=ticket, severity=previous.get("severity"),
                       reason=previous.get("outcome"), emails_sent=sent)

    def _entry(self, ctx: _Context, number: int, kind: str, classification: Classification | None,
               attachments: list[dict[str, Any]], text_key: str | None) -> dict[str, Any]:
        mail, now = ctx.mail, self.clock.now()
        text = mail.new_text or ""
        entry: dict[str, Any] = {
            "PK": ticket_pk(number), "SK": f"ENTRY#{iso(now)}#{_hash(ctx.record.message_id)}",
            "type": "entry", "kind": kind, "at": iso(now), "actor": ctx.sender, "direction": "inbound",
            "visibility": "public", "subject": mail.subject, "message_id": mail.message_id,
            "ses_message_id": ctx.record.message_id, "raw_key": ctx.raw_key,
            "text": text[:MAX_INLINE_TEXT], "text_truncated": len(text) > MAX_INLINE_TEXT, "text_key": text_key,
            "html_only": mail.html_only, "attachments": attachments, "verdicts": ctx.record.verdicts.as_dict(),
            "defects": mail.defects[:10],
        }
        if classification:
            entry["classification"] = classification.as_dict()
        return entry

    def _store_parts(self, ctx: _Context) -> tuple[list[dict[str, Any]], str | None]:
        """Attachments and oversized bodies live in S3; the item keeps only their keys."""
        base = f"attachments/{ctx.record.message_id}"
        stored = []
        for i, attachment in enumerate(ctx.mail.attachments[:50]):
            key = self.blobs.write(f"{base}/{i + 1}-{attachment.filename}", attachment.payload,
                                   attachment.content_type)
            stored.append({"name": attachment.filename, "content_type": attachment.content_type,
                           "size": attachment.size, "key": key})
        text_key = None
        if len(ctx.mail.text) > MAX_INLINE_TEXT:
            text_key = self.blobs.write(f"bodies/{ctx.record.message_id}.txt", ctx.mail.text.encode(),
                                        "text/plain; charset=utf-8")
        return stored, text_key

    def _thread_reply(self, ctx: _Context, ticket: dict[str, Any]) -> Outcome:
        number = int(ticket["number"])
        logger.append_keys(ticket=number)
        now = self.clock.now()
        account = self._account(ctx)
        attachments, text_key = self._store_parts(ctx)
        classification = self.classifier.classify("", ctx.mail.new_text, account)
        entry = self._entry(ctx, number, "customer_reply", classification, attachments, text_key)
        inbound = self._inbound_item(ctx, "threaded", number, ticket.get("severity"))
        recent = [*(ticket.get("recent") or []), recent_line(now, ctx.mail.from_name or ctx.sender, "replied",
                                                             ctx.mail.new_text)][-8:]
        sets: dict[str, Any] = {"updated_at": iso(now), "last_customer_at": iso(now), "recent": recent,
                                "last_customer_message_id":
                                    ctx.mail.message_id or ticket.get("last_customer_message_id")}
        writes = [self.store.put_write(inbound, only_if_new=True, label="inbound"), self.store.put_write(entry),
                  self.store.put_write(self.staff.obligation(number, entry["SK"], now, self.ack.lease_owner))]
        adds: dict[str, Any] = {"participants": {ctx.sender}, "customer_replies": 1, "version": 1}
        if ticket.get("status") in CLOSED:
            writes += self._reopen(ticket, account, sets, adds, now)
        update = Update(ticket_pk(number), META, sets=sets, adds=adds, condition="attribute_exists(PK)",
                        label="ticket")
        sender_item = ctx.item(sender_key(ctx.sender)) or {}
        writes += [update.write(), self._contact_update(ctx.sender, sender_item, now).write()]
        if ctx.mail.message_id:
            writes.append(self.store.put_write(self._message_id_item(ctx.mail.message_id, number)))
        try:
            self.store.transact(writes)
        except ConflictError as exc:
            if "inbound" in str(exc):
                return Outcome(ctx.record.message_id, "duplicate", ticket=number)
            raise
        logger.info("reply_threaded", extra={"ticket": number, "attachments": len(attachments),
                                             "reopened": "reopened_at" in sets})
        metrics.add_metric(name="TicketsThreaded", unit="Count", value=1)
        ticket = {**ticket, **sets}
        sent = deliver(self.store, self.services.work.outbox,
                       [self.staff.job(ticket, account, entry, self.policy, self.ack.lease_owner)],
                       self.clock.now(), self.services.work.job_failed)
        new_triggers = [t for t in classification.triggers if t not in (ticket.get("triggers") or [])]
        self._raise_triggers(number, ticket, new_triggers, sender_item, now, account, classification.emotion,
                             occurrence=ctx.record.message_id[:16])
        return Outcome(ctx.record.message_id, "threaded", ticket=number, severity=ticket.get("severity"),
                       reason="reopened" if "reopened_at" in sets else None, emails_sent=len(sent))

    def _reopen(self, ticket: dict[str, Any], account: Account, sets: dict[str, Any], adds: dict[str, Any],
                now: datetime) -> list[Any]:
        """A reply inside the reopen window puts a resolved ticket back in front of people."""
        change_sets, change_adds, writes = reopen(self.store, self.policy, ticket, now, ticket.get("requester", ""),
                                                  "customer replied")
        sets.update(change_sets)
        adds.update(change_adds)
        return writes

    def _contact_update(self, sender: str, sender_item: dict[str, Any], now: datetime) -> Update:
        """Contacts in the last day, for the repeat-contacts trigger."""
        window = self.policy.thresholds.repeat_contacts.within.total_seconds()
        recent = [t for t in sender_item.get("contact_times") or [] if t > now.timestamp() - window]
        pk, sk = sender_key(sender)
        return Update(pk, sk, sets={"contact_times": [*recent, int(now.timestamp())], "type": "sender"})

    def _raise_triggers(self, number: int, ticket: dict[str, Any], triggers: list[str],
                        sender_item: dict[str, Any], now: datetime, account: Account, emotion: str,
                        occurrence: str = "1") -> None:
        """Classifier triggers plus the event triggers: repeat contacts and revenue at risk."""
        thresholds = self.policy.thresholds
        window = thresholds.repeat_contacts.within.total_seconds()
        contacts = 1 + sum(1 for t in sender_item.get("contact_times") or [] if t > now.timestamp() - window)
        fired = list(triggers)
        if contacts >= thresholds.repeat_contacts.count:
            fired.append("repeat_contacts")
        unhappy = emotion in ("frustrated", "angry") or {"churn_threat", "escalation_request"} & set(triggers)
        if account.arr > thresholds.revenue_risk_min_arr and unhappy:
            fired.append("revenue_risk")
        for trigger in dict.fromkeys(fired):
            if trigger in self.policy.triggers:
                day = now.strftime("%Y%m%d") if trigger == "repeat_contacts" else occurrence
                self.escalator.raise_trigger(number, trigger, day)

    def _create_ticket(self, ctx: _Context) -> Outcome:
        now = self.clock.now()
        account = self._account(ctx)
        classification = self.classifier.classify(ctx.mail.subject, ctx.mail.new_text, account)
        targets = plan(self.policy, classification.severity, now, account, classification.triggers)
        sender_item = ctx.item(sender_key(ctx.sender)) or {}
        suppressed = self.ack.suppression_reason(ctx.mail, sender_item, now) or ack_suppression(ctx.mail)
        attachments, text_key = self._store_parts(ctx)
        counter = ctx.item(COUNTER_KEY)
        for _ in range(MAX_NUMBER_RACES):
            number = self.store.next_number(counter)
            ticket = self._ticket_item(ctx, number, classification, targets, account, suppressed, now)
            entry = self._entry(ctx, number, "customer_message", classification, attachments, text_key)
            writes = self._creation_writes(ctx, ticket, entry, targets, account, sender_item, suppressed, now)
            writes.append(self.store.claim_number_write(counter, number))
            try:
                self.store.transact(writes)
                break
            except ConflictError as exc:
                if "inbound" in str(exc):  # a concurrent delivery of the same message won the race
                    logger.info("duplicate_delivery_race")
                    return Outcome(ctx.record.message_id, "duplicate")
                if "counter" not in str(exc):
                    raise
                counter = self.store.counter()  # another ticket took this number; take the next one
        else:
            raise TransientAwsError("ticket number contention; Lambda will retry")
        logger.append_keys(ticket=number)
        self._policy_saved = True
        logger.info("ticket_created", extra={"severity": classification.severity, "issue_type":
                    classification.issue_type, "triggers": classification.triggers,
                    "account": account.domain, "ack_suppressed": suppressed})
        metric("TicketsCreated", severity=classification.severity)
        jobs = [] if suppressed else [self.ack.job(ticket, account, self.ack.lease_owner)]
        jobs.append(self.staff.job(ticket, account, entry, self.policy, self.ack.lease_owner))
        sent = deliver(self.store, self.services.work.outbox, jobs, self.clock.now(), self.services.work.job_failed)
        self._raise_triggers(number, ticket, classification.triggers, sender_item, now, account,
                             classification.emotion)
        if ticket.get("health_watch"):
            level = level_above_first_step(self.policy, classification.severity)
            self.escalator.raise_trigger(number, "health_window", "1", level=level,
                                         reason=f"account in its health window after ticket "
                                                f"#{ticket['health_watch']['source_ticket']}")
        return Outcome(ctx.record.message_id, "created", ticket=number, severity=classification.severity,
                       reason=suppressed, emails_sent=len(sent))

    def _ticket_item(self, ctx: _Context, number: int, classification: Classification, targets: Any,
                     account: Account, suppressed: str | None, now: datetime) -> dict[str, Any]:
        return {
            "PK": ticket_pk(number), "SK": META, "type": "ticket", "number": number, "status": "new",
            "severity": classification.severity, "issue_type": classification.issue_type,
            "triggers": classification.triggers, "emotion": classification.emotion,
            "subject": ctx.mail.subject or "(no subject)", "requester": ctx.sender,
            "requester_name": ctx.mail.from_name, "participants": {ctx.sender},
            "account_domain": account.domain, "account_name": account.name,
            "created_at": iso(now), "updated_at": iso(now), "version": 1, "plan_version": 1, "customer_replies": 0,
            "state_key": OPEN_STATE, "state_at": iso(now),
            "policy_name": self.policy.name, "policy_digest": policy_digest(self.policy),
            **due_fields(targets), "excerpt": excerpt_lines(ctx.mail.new_text),
            "modifiers": targets.modifiers, "after_hours": targets.after_hours, "paused_seconds": 0,
            "verdicts": ctx.record.verdicts.as_dict(), "ack_suppressed": suppressed, "progress": [],
            "recent": [recent_line(now, ctx.mail.from_name or ctx.sender, "wrote", ctx.mail.new_text)],
            "root_message_id": ctx.mail.message_id, "thread_references": _references(ctx.mail),
            "last_customer_message_id": ctx.mail.message_id, "related_ticket": ctx.related_ticket,
            "health_watch": health_watch(account, self.policy, now),
        }

    def _creation_writes(self, ctx: _Context, ticket: dict[str, Any], entry: dict[str, Any], targets: Any,
                         account: Account, sender_item: dict[str, Any], suppressed: str | None,
                         now: datetime) -> list[Any]:
        number = int(ticket["number"])
        writes = [
            self.store.put_write(self._inbound_item(ctx, "created", number, ticket["severity"]),
                                 only_if_new=True, label="inbound"),
            self.store.put_write(ticket, only_if_new=True, label="ticket"),
            self.store.put_write(entry),
            self.store.put_write(self.staff.obligation(number, entry["SK"], now, self.ack.lease_owner)),
            *(self.store.put_write(item) for item in plan_items(self.store, self.policy, number, targets, account, 1)),
        ]
        if ctx.mail.message_id:
            writes.append(self.store.put_write(self._message_id_item(ctx.mail.message_id, number)))
        if not self._policy_saved:
            pk, sk = policy_key(policy_digest(self.policy))
            writes.append(self.store.put_write({"PK": pk, "SK": sk, "type": "policy",
                                                "document": policy_document(self.policy)}))
        contact = self._contact_update(ctx.sender, sender_item, now)
        if not suppressed:
            writes.append(self.store.put_write(self.ack.obligation(number, now)))
            contact.sets.update(self.ack.record_ack_update(ctx.sender, sender_item, now).sets)
        writes.append(contact.write())
        return writes

    def _inbound_item(self, ctx: _Context, outcome: str, number: int, severity: str | None) -> dict[str, Any]:
        pk, sk = inbound_key(ctx.record.message_id)
        now = self.clock.now()
        return {"PK": pk, "SK": sk, "type": "inbound", "outcome": outcome, "ticket": number, "severity": severity,
                "raw_key": ctx.raw_key, "received_at": iso(ctx.record.received_at), "recorded_at": iso(now),
                "expires_at": int((now + timedelta(days=400)).timestamp())}

    @staticmethod
    def _message_id_item(message_id: str, number: int) -> dict[str, Any]:
        pk, sk = message_id_key(message_id)
        return {"PK": pk, "SK": sk, "type": "message_id", "ticket": number}


def level_above_first_step(policy: Any, severity: str) -> str:
    """One level above where this severity's chain would start (health-window tickets skip a rung)."""
    levels = list(policy.levels)
    chain = policy.escalation.get(severity) or []
    first = chain[0].level if chain else levels[0]
    return levels[min(levels.index(first) + 1, len(levels) - 1)]


def recent_line(at: datetime, who: str, verb: str, text: str) -> str:
    """One line of the recent-thread digest kept on the ticket for notifications."""
    words = " ".join((text or "").split())
    return f"{iso(at)[:16].replace('T', ' ')}Z {who[:40]} {verb}: {words[:140]}"


def _hash(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=6).hexdigest()


def _references(mail: InboundMail) -> list[str]:
    chain = [*mail.references, mail.message_id] if mail.message_id else list(mail.references)
    return [m for m in chain if m][-10:]


def _envelope_sender(source: str) -> str | None:
    source = (source or "").strip().strip("<>").lower()
    return source if "@" in source else None


def _return_path(record: SesRecord, mail: InboundMail) -> str | None:
    header = mail.header("return-path")
    if header is not None:
        return header
    return record.source if record.source is not None else None


def _mail_from_event(record: SesRecord) -> InboundMail:
    """A best-effort message from the headers SES put in the event, for when S3 has no body."""
    raw = "\r\n".join(f"{n}: {v}" for n, v in record.headers).encode("utf-8", "replace") + b"\r\n\r\n"
    parsed = parse_mail(raw)
    parsed.defects.append("raw_mail_missing")
    if not parsed.subject and record.subject:
        parsed.subject = clean_header_text(record.subject)
    return parsed
