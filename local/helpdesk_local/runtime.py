"""The local runtime: embedded AWS, a virtual clock, and the real handlers invoked in-process.

Handlers are loaded from the paths template.yaml gives (CodeUri + Handler) and run with the
environment the template gives them, exactly as Lambda would run them.

Size: one facade over embedded AWS (time, invocations, mail, SNS, state) that every test and
command drives; its helpers live in invocation.py and timeline.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TextIO

from helpdesk.app import factory as wiring
from helpdesk.core.clock import FixedClock, install_clock
from helpdesk_local.cfn import ROOT
from helpdesk_local.embedded import ACCOUNT_ID, REGION, EmbeddedAws
from helpdesk_local.events import scheduled_event, ses_event
from helpdesk_local.invocation import FakeContext, SentEmail, load_module
from helpdesk_local.timeline import LogFollower, TimelineEvent, events_from_log, notification_events
from helpdesk_local.timeline import attribute_value as _attribute_value

_clients_endpoint: str | None = None  # the endpoint the domain's cached boto3 clients point at

# Escalation recipients for local runs, so briefings and SMS have somewhere to go.
LOCAL_PARAMETERS = {
    "ManagerEmail": "cs-managers@example.com",
    "DirectorEmail": "cs-directors@example.com",
    "ExecutiveEmail": "executives@example.com",
    "OnCallPhone": "+14155550100",
    "ExecutivePhone": "+14155550142",  # moto reports numbers ending in 99 as opted out
    "OpsEmail": "ops@example.com",
    "TeamQueueAddress": "support-team@example.com",
    "DueShards": "2",  # still sharded, with fewer index queries per simulated minute
    # A Slack channel, so the chat topic exists and chat briefings show on the timeline.
    "SlackWorkspaceId": "T0LOCALDESK",
    "SlackChannelId": "C0ESCALATIONS",
}


class LocalRuntime:
    def __init__(self, start: datetime | None = None, parameters: dict[str, Any] | None = None,
                 log_stream: TextIO | None = None) -> None:
        self.clock = FixedClock(start or datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
        self.aws = EmbeddedAws({**LOCAL_PARAMETERS, **(parameters or {})})
        self._seen_notifications: dict[str, int] = {}
        self.log_stream = log_stream if log_stream is not None else io.StringIO()
        self.timeline: list[TimelineEvent] = []
        self.log = LogFollower()
        self._seen_emails = 0
        self._previous_clock: Any = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalRuntime:
        self.aws.start()
        self._previous_clock = install_clock(self.clock)
        global _clients_endpoint
        wiring.reset(forget_clients=_clients_endpoint != self.aws.endpoint)
        _clients_endpoint = self.aws.endpoint
        self._seen_emails = len(self.aws.sent_emails())
        self._seen_notifications = {}
        for logical_id, channel in self.aws.chat_channels.items():
            self.timeline.append(TimelineEvent(self.now(), "chat_channel_configured", None, to="slack",
                                               subject=str(channel.get("ConfigurationName", logical_id)), details={
                                                   "workspace": channel.get("SlackWorkspaceId"),
                                                   "channel": channel.get("SlackChannelId"),
                                                   "topics": channel.get("SnsTopicArns", [])}))
        return self

    def stop(self) -> None:
        if self._previous_clock is not None:
            install_clock(self._previous_clock)
        wiring.reset()
        self.aws.stop()

    # -- time --------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, delta: timedelta) -> None:
        self.clock.set(self.clock.now() + delta)

    # -- invoking handlers ---------------------------------------------------------------------

    def handler(self, logical_id: str) -> Any:
        function = self.aws.functions[logical_id]
        module_name, _, attribute = function.handler.rpartition(".")
        path = ROOT / function.code_uri / f"{module_name.replace('.', '/')}.py"
        return getattr(load_module(logical_id, path), attribute)

    def invoke(self, logical_id: str, event: Any) -> Any:
        handler = self.handler(logical_id)
        with self.function_environment(logical_id), contextlib.redirect_stdout(self.log_stream), \
                warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No application metrics to publish")
            return handler(event, FakeContext(function_name=logical_id))

    @contextlib.contextmanager
    def function_environment(self, logical_id: str) -> Iterator[None]:
        """Run code in-process with the environment the template gives a function, then restore."""
        environment = self.aws.functions[logical_id].environment
        saved = {k: os.environ.get(k) for k in environment}
        os.environ.update(environment)
        self.route_logs()
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def route_logs(self) -> None:
        for handler in logging.getLogger("helpdesk").handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.stream = self.log_stream  # not setStream(): it flushes the old, maybe closed, stream

    def sweep(self) -> dict[str, Any]:
        """One scheduled run of the SLA sweeper, as EventBridge would invoke it."""
        report = self.invoke("SlaSweeperFunction", scheduled_event(self.now()))
        self.collect({p["ticket"] for p in report.get("performed", []) if p.get("ticket")})
        return report

    def collect(self, tickets: set[int] | None = None) -> None:
        """After an invocation: the touched tickets' new log entries, then the mail and SNS that left."""
        if tickets:
            self.follow(tickets)
        self.collect_emails()
        self.collect_notifications()

    def follow(self, tickets: set[int]) -> None:
        """Put the new entries of these tickets' logs on the timeline."""
        store = self.store()
        published = [n["message_id"] for n in self.notifications()]
        for number in sorted(tickets):
            self.timeline.extend(events_from_log(self.log.new_entries(store, number), published))

    def next_due(self) -> datetime | None:
        """The earliest pending due item in the DueWork index, across all shards."""
        return self.store().due.earliest()

    def run_until(self, until: datetime, *, every_minute: bool = False) -> None:
        """Move the virtual clock a minute at a time, sweeping each minute as EventBridge would.

        Minutes in which nothing is due are skipped (a sweep there would find nothing) unless
        `every_minute` is set; a two-day lifecycle then takes seconds instead of minutes.
        """
        minute = timedelta(minutes=1)
        while self.now() + minute <= until:
            target = self.now() + minute
            if not every_minute:
                due = self.next_due()
                if due is None or due > until:
                    break
                if due > target:
                    target = _ceil_minute(due)
            self.clock.set(target)
            self.sweep()
        self.clock.set(max(self.now(), until))

    # -- SNS ---------------------------------------------------------------------------------

    def notifications(self, topic_logical_id: str = "EscalationTopic") -> list[dict[str, Any]]:
        """Every message published to a topic, with the protocol bodies and attributes decoded."""
        from moto.sns.models import sns_backends

        arn = self.aws.resolver.physical[topic_logical_id]
        backend = sns_backends[ACCOUNT_ID][REGION]
        out = []
        for message_id, message, subject, attributes, _ in backend.topics[arn].sent_notifications:
            try:
                bodies = json.loads(message)
            except ValueError:
                bodies = {"default": message}
            attrs = {k: _attribute_value(v) for k, v in (attributes or {}).items()}
            recipients = [sub.endpoint for sub in backend.subscriptions.values() if sub.topic.arn == arn
                          and (sub._filter_policy_matcher is None  # noqa: SLF001 - moto's own filter logic
                               or sub._filter_policy_matcher.matches(attributes, message))]
            out.append({"message_id": message_id, "subject": subject, "bodies": bodies, "attributes": attrs,
                        "recipients": recipients})
        return out

    def collect_notifications(self) -> int:
        count = 0
        topics = ["EscalationTopic", "OpsTopic", *(["ChatTopic"] if "ChatTopic" in self.aws.provisioned else [])]
        for topic in topics:
            published = self.notifications(topic)
            fresh = published[self._seen_notifications.get(topic, 0):]
            self._seen_notifications[topic] = len(published)
            for note in fresh:
                count += 1
                self.timeline.extend(notification_events(self.now(), topic, note))
        return count

    # -- mail ----------------------------------------------------------------------------------

    def deliver(self, raw: bytes, *, recipients: list[str] | None = None, verdicts: dict[str, str] | None = None,
                message_id: str | None = None, store_raw: bool = True, repeat: int = 1,
                envelope_from: str | None = None) -> dict[str, Any]:
        """What SES does on receipt: the S3 action stores the raw MIME, then the Lambda action runs."""
        message_id = message_id or uuid.uuid4().hex
        support = self.aws.functions["InboundEmailFunction"].environment["SUPPORT_ADDRESS"]
        if store_raw:
            self._store_raw(message_id, raw)
        event = ses_event(raw, message_id=message_id, recipients=recipients or [support],
                          received_at=self.now(), verdicts=verdicts, envelope_from=envelope_from)
        outcomes = [self._deliver_once(event, raw) for _ in range(repeat)]
        first = outcomes[0]
        first["emails_sent_total"] = sum(o.pop("_sent") for o in outcomes)
        return first

    def _store_raw(self, message_id: str, raw: bytes) -> None:
        """The receipt rule's S3 action: the raw MIME under the rule's prefix."""
        rule = self.aws.receipt_rule()
        s3_action = next(a["S3Action"] for a in rule["Actions"] if "S3Action" in a)
        self.aws.client("s3").put_object(Bucket=s3_action["BucketName"],
                                         Key=f"{s3_action['ObjectKeyPrefix']}{message_id}", Body=raw)

    def _deliver_once(self, event: dict[str, Any], raw: bytes) -> dict[str, Any]:
        result = self.invoke("InboundEmailFunction", event)
        outcomes = result.get("outcomes", []) if isinstance(result, dict) else []
        outcome = dict(outcomes[0]) if outcomes else {"outcome": "error"}
        self._note_outcome(outcome, raw)
        if outcome.get("ticket"):
            self.follow({int(outcome["ticket"])})
        outcome["_sent"] = self.collect_emails()
        self.collect_notifications()
        return outcome

    def staff_reply(self, ticket: int, body: str, sender: str = "jordan.reyes@example.com",
                    name: str = "Jordan Reyes", authenticated: bool = True, **headers: str) -> dict[str, Any]:
        """A staff member answers the latest notification about `ticket` from their mail client."""
        notes = [e for e in self.emails() if e.message.get("X-Helpdesk-Ticket") == str(ticket)
                 and ".staff." in str(e.message.get("Reply-To", ""))]
        if not notes:
            raise LookupError(f"no staff notification for ticket #{ticket} to reply to")
        note = notes[-1].message
        reply = EmailMessage(policy=policy.SMTP)
        reply["From"] = f"{name} <{sender}>"
        reply["To"] = str(note["Reply-To"])
        reply["Subject"] = f"Re: {note['Subject']}"
        reply["Message-ID"] = f"<staff-{uuid.uuid4().hex[:12]}@{sender.rpartition('@')[2]}>"
        reply["In-Reply-To"] = str(note["Message-ID"])
        for name_, value in headers.items():
            reply[name_.replace("_", "-")] = value
        reply.set_content(f"{body}\n\nOn {note['Date']}, {note['From']} wrote:\n> (notification)\n")
        verdict = "PASS" if authenticated else "FAIL"
        return self.deliver(reply.as_bytes(), recipients=[str(note["Reply-To"])],
                            verdicts={"dkim": verdict, "dmarc": verdict, "spf": verdict})

    def _note_outcome(self, outcome: dict[str, Any], raw: bytes) -> None:
        kind = {"created": "ticket_created", "threaded": "reply_threaded", "dropped": "message_dropped",
                "quarantined": "message_quarantined", "duplicate": "duplicate_ignored"}.get(outcome.get("outcome", ""))
        if not kind:
            return
        sender = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True).get("from", "")
        self.timeline.append(TimelineEvent(self.now(), kind, outcome.get("ticket"), details={
            "severity": outcome.get("severity"), "reason": outcome.get("reason"), "from": str(sender)[:200]}))

    def collect_emails(self) -> int:
        """Move newly sent SES mail onto the timeline (and the logs of the tickets it was about)."""
        sent = self.aws.sent_emails()
        fresh = [self._sent_email(self._seen_emails + offset, message)
                 for offset, message in enumerate(sent[self._seen_emails:])]
        self._seen_emails = len(sent)
        tickets = {int(t) for e in fresh if (t := e.message.get("X-Helpdesk-Ticket")) and str(t).isdigit()}
        if tickets:
            self.follow(tickets)
        for email in fresh:
            ticket = email.message.get("X-Helpdesk-Ticket")
            self.timeline.append(TimelineEvent(self.now(), "email_sent", int(ticket) if ticket else None,
                                               to=", ".join(dict.fromkeys(email.destinations)), subject=email.subject,
                                               details={"email_index": email.index}))
        return len(fresh)

    def _sent_email(self, index: int, message: Any) -> SentEmail:
        raw = message.raw_data.encode("utf-8", "surrogateescape") if isinstance(message.raw_data, str) \
            else message.raw_data
        return SentEmail(index, message.source, list(message.destinations), raw, self.now())

    def emails(self) -> list[SentEmail]:
        out = []
        for index, message in enumerate(self.aws.sent_emails()):
            email = self._sent_email(index, message)
            email.destinations = list(dict.fromkeys(email.destinations))
            out.append(email)
        return out

    def customer_emails(self) -> list[SentEmail]:
        """Mail that went to customers (their Reply-To routes back as a customer), not to staff."""
        return [e for e in self.emails() if _is_customer_mail(e)]

    def staff_emails(self) -> list[SentEmail]:
        return [e for e in self.emails() if not _is_customer_mail(e)]

    def write_outbox(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for email in self.emails():
            ticket = email.message.get("X-Helpdesk-Ticket", "none")
            path = directory / f"{email.index + 1:03d}-ticket-{ticket}.eml"
            path.write_bytes(email.raw)
            paths.append(path)
        return paths + self.write_escalations(directory)

    def write_escalations(self, directory: Path) -> list[Path]:
        """Each briefing, SMS and chat post as its reader gets it, numbered in the order they went out."""
        paths = []
        kinds = {"escalation_published": ("briefing", "txt"), "sms_sent": ("sms", "txt"),
                 "chat_message": ("chat", "txt")}
        events = [e for e in self.timeline if e.kind in kinds and e.details.get("body")]
        for n, event in enumerate(events, 1):
            label, suffix = kinds[event.kind]
            level = str(event.details.get("level") or "none")
            path = directory / f"escalation-{n:03d}-ticket-{event.ticket}-{label}-{level}.{suffix}"
            head = f"To: {event.to}\nAt: {event.at.isoformat()}\n" if event.to else f"At: {event.at.isoformat()}\n"
            if event.subject:
                head += f"Subject: {event.subject}\n"
            steps = "".join(f"\n- {step}" for step in event.details.get("next_steps", []))
            path.write_text(f"{head}\n{event.details['body']}{steps}\n", encoding="utf-8")
            paths.append(path)
        return paths

    # -- state ---------------------------------------------------------------------------------

    def table(self) -> Any:
        from helpdesk.adapters.aws.table import Table

        return Table(self.aws.functions["InboundEmailFunction"].environment["TABLE_NAME"], self.aws.client("dynamodb"))

    def store(self) -> Any:
        from helpdesk.adapters.aws.store import Store

        shards = int(self.aws.functions["SlaSweeperFunction"].environment["DUE_SHARDS"])
        return Store(self.table(), shards)

    def ticket(self, number: int) -> dict[str, Any] | None:
        """The ticket's stored item, as tests inspect it."""
        from helpdesk.adapters.aws.keys import ticket_key

        return self.table().get(*ticket_key(number))

    def ticket_items(self, number: int) -> list[dict[str, Any]]:
        """The ticket, its entries and its due work as stored, in key order."""
        from helpdesk.adapters.aws.keys import ticket_pk

        return self.table().query(KeyConditionExpression="PK = :pk", ConsistentRead=True,
                                  ExpressionAttributeValues={":pk": {"S": ticket_pk(number)}})

    def logs(self) -> list[dict[str, Any]]:
        lines = self.log_stream.getvalue().splitlines() if isinstance(self.log_stream, io.StringIO) else []
        records = []
        for line in lines:
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records


def _is_customer_mail(email: SentEmail) -> bool:
    reply_to = str(email.message.get("Reply-To", ""))
    return bool(reply_to) and ".staff." not in reply_to


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + timedelta(minutes=1)


