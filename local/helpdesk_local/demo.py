"""`helpdesk demo`: a short morning at the support desk, replayed on embedded AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from helpdesk.aws.ticket_store import TicketStore
from helpdesk_local.cfn import ROOT
from helpdesk_local.policy_cli import import_accounts
from helpdesk_local.runtime import LocalRuntime, TimelineEvent
from helpdesk_local.target import save_state

EVENTS = ROOT / "events"
DEMO_START = datetime.fromisoformat("2026-11-23T08:59:00-08:00")
# (file, SES verdict overrides, minutes to wait before it arrives)
DEMO_MAIL: list[tuple[str, dict[str, str] | None, int]] = [
    ("01-outage-fortune500.eml", None, 0),
    ("02-question.eml", None, 4),
    ("03-out-of-office.eml", None, 2),
    ("04-data-loss-healthcare.eml", None, 3),
    ("05-bounce.eml", None, 2),
    ("06-spam.eml", {"spam": "FAIL"}, 1),
]


def customer_reply(runtime: LocalRuntime, ack_index: int, text: str) -> bytes:
    """A reply to one of our acknowledgments, as a mail client would write it."""
    ack = runtime.emails()[ack_index].message
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = ack["To"]
    reply["To"] = ack["Reply-To"]
    reply["Subject"] = f"Re: {ack['Subject']}"
    reply["Message-ID"] = f"<reply-{ack_index}@customer.example>"
    reply["In-Reply-To"] = ack["Message-ID"]
    reply["References"] = ack["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in ack.get_body(("plain",)).get_content().splitlines()[:6])
    reply.set_content(f"{text}\n\nOn Mon, 23 Nov 2026, Support wrote:\n{quoted}\n")
    return reply.as_bytes()


def run_demo(out_dir: Path, emit: Callable[[TimelineEvent], None]) -> LocalRuntime:
    runtime = LocalRuntime(start=DEMO_START)
    with runtime:
        env = runtime.aws.functions["InboundEmailFunction"].environment
        import_accounts(TicketStore(runtime.table(), int(env["DUE_SHARDS"])), EVENTS / "accounts.yaml")
        for name, verdicts, wait in DEMO_MAIL:
            runtime.advance(timedelta(minutes=wait))
            runtime.deliver((EVENTS / "mail" / name).read_bytes(), verdicts=verdicts)
        runtime.advance(timedelta(minutes=3))
        reply = customer_reply(runtime, 0, "Adding a screenshot description: the error page shows code 500-LGN.")
        runtime.deliver(reply, recipients=[_reply_to(runtime, 0)])
        runtime.advance(timedelta(minutes=1))
        # SES delivers at least once: the same event twice must not make a second ticket or email.
        runtime.deliver((EVENTS / "mail" / "07-billing.eml").read_bytes(), message_id="demo-duplicate", repeat=2)
        for event in runtime.timeline:
            emit(event)
        runtime.write_outbox(out_dir)
        save_state(runtime)  # so `helpdesk tickets` and `helpdesk show` can look at what happened
    return runtime


def _reply_to(runtime: LocalRuntime, index: int) -> str:
    return str(runtime.emails()[index].message["Reply-To"])


def print_event(event: TimelineEvent, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.as_dict(), default=str))
        return
    when = event.at.astimezone(DEMO_START.tzinfo).strftime("%H:%M")
    detail: dict[str, Any] = event.details
    if event.kind == "ticket_created":
        line = f"ticket #{event.ticket} created   {detail.get('severity')}  from {detail.get('from')}"
    elif event.kind == "reply_threaded":
        line = f"reply threaded into #{event.ticket}  from {detail.get('from')}"
    elif event.kind == "email_sent":
        line = f"email sent to {event.to}: {event.subject}"
    else:
        line = f"{event.kind.replace('_', ' ')} ({detail.get('reason')})  from {detail.get('from')}"
    print(f"{when}  {line}")


def parse_eml(raw: bytes) -> Any:
    return BytesParser(policy=policy.default).parsebytes(raw)
