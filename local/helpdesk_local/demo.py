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

from helpdesk_local.cfn import ROOT
from helpdesk_local.policy_cli import import_accounts
from helpdesk_local.runtime import LocalRuntime, TimelineEvent
from helpdesk_local.survey_server import SurveyServer, rate, survey_links
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


def run_demo(out_dir: Path, emit: Callable[[TimelineEvent], None], serve: bool = False) -> LocalRuntime:
    """Monday morning at the desk, then the day after: every step goes through the real handlers."""
    runtime = LocalRuntime(start=DEMO_START)
    with runtime:
        import_accounts(runtime.store(), EVENTS / "accounts.yaml")
        for name, verdicts, wait in DEMO_MAIL:
            runtime.run_until(runtime.now() + timedelta(minutes=wait))
            runtime.deliver((EVENTS / "mail" / name).read_bytes(), verdicts=verdicts)
        runtime.run_until(runtime.now() + timedelta(minutes=3))
        reply = customer_reply(runtime, 0, "Adding a screenshot description: the error page shows code 500-LGN.")
        runtime.deliver(reply, recipients=[_reply_to(runtime, 0)])
        runtime.run_until(runtime.now() + timedelta(minutes=1))
        # SES delivers at least once: the same event twice must not make a second ticket or email.
        runtime.deliver((EVENTS / "mail" / "07-billing.eml").read_bytes(), message_id="demo-duplicate", repeat=2)
        # Nobody answers Globex for a while: warnings, the breach and the escalation chain follow.
        runtime.run_until(DEMO_START + timedelta(minutes=40))
        runtime.staff_reply(1001, "#ack\n#status investigating\n#update Failing over to the standby database.\n\n"
                                  "Hello Dana, we have found the fault in the login service and are failing over now.\n"
                                  "Jordan", sender="jordan.reyes@example.com", name="Jordan Reyes")
        runtime.staff_reply(1003, "#ack\n#status workaround\n\nDr Osei, the missing records are restored from last "
                                  "night's backup; the sync stays paused while we find the cause.",
                            sender="priya.natarajan@example.com", name="Priya Natarajan")
        runtime.run_until(DEMO_START + timedelta(hours=2))
        runtime.staff_reply(1001, "#rootcause A database failover left the login service pointing at a read-only "
                                  "replica.\n#prevention Failover runbook now checks write access before cutover.\n"
                                  "#status resolved\n\nDana, logins work again for everyone. Thank you for your "
                                  "patience this morning.", sender="jordan.reyes@example.com", name="Jordan Reyes")
        runtime.staff_reply(1003, "#rootcause The EHR sync skipped records whose clinic code changed last week.\n"
                                  "#prevention The sync now rejects a batch that would remove records.\n"
                                  "#status resolved\n\nDr Osei, the sync is fixed and re-enabled; all 120 records "
                                  "are present.", sender="priya.natarajan@example.com", name="Priya Natarajan")
        runtime.run_until(DEMO_START + timedelta(days=1, hours=6, minutes=30))  # the survey follows the check-in
        rate(runtime, 1001, 4, "Good recovery; we would like the post-incident report.")
        for event in runtime.timeline:
            emit(event)
        runtime.write_outbox(out_dir)
        save_state(runtime)  # so `helpdesk tickets` and `helpdesk show` can look at what happened
        if serve:
            _serve_survey(runtime)
    return runtime


def _serve_survey(runtime: LocalRuntime) -> None:
    """Keep the survey function on 127.0.0.1 so the links in out/*.eml can be clicked."""
    import time

    links = survey_links(runtime, 1001)
    with SurveyServer(runtime):
        print(f"\nSurvey function served at {runtime.aws.function_urls['SurveyFunction']} ; try a rating link:")
        for (kind, score), link in sorted(links.items())[:5]:
            print(f"  {kind} {score}: {link}")
        print("Press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


def _reply_to(runtime: LocalRuntime, index: int) -> str:
    return str(runtime.emails()[index].message["Reply-To"])


def describe(event: TimelineEvent) -> str:
    """One readable line per timeline event."""
    d: dict[str, Any] = event.details
    ticket = f"#{event.ticket}" if event.ticket else ""
    texts = {
        "ticket_created": lambda: f"ticket {ticket} created, {d.get('severity')}, from {d.get('from')}",
        "reply_threaded": lambda: f"reply threaded into {ticket} from {d.get('from')}",
        "email_sent": lambda: f"email to {event.to}: {event.subject}",
        "escalation_published": lambda: f"escalation {ticket} to {d.get('level')} "
                                        f"({', '.join(d.get('role') or [])}) because {d.get('trigger')}",
        "escalation_email": lambda: f"  briefing delivered to {event.to}",
        "sms_sent": lambda: f"  SMS to {event.to}: {d.get('body')}",
        "sla_breached": lambda: f"SLA breached on {ticket}: {d.get('clock', '').replace('_', ' ')}",
        "warning_sent": lambda: f"owner warned on {ticket}: {d.get('clock', '').replace('_', ' ')}",
        "status_changed": lambda: f"status of {ticket} -> {d.get('status')}",
        "severity_changed": lambda: f"severity of {ticket} -> {d.get('severity')}",
        "ops_alert": lambda: f"ops alert: {event.subject}",
        "survey_rated": lambda: f"{ticket} rated {d.get('score')} ({d.get('question')})",
        "survey_commented": lambda: f"{ticket} survey comment received",
        "rating_recorded": lambda: f"{ticket} answer recorded: {d.get('question')} {d.get('score')}"
                                   f"{' (low)' if d.get('low') else ''}",
        "duplicate_ignored": lambda: f"duplicate delivery ignored ({d.get('reason')})",
        "chat_channel_configured": lambda: f"Slack channel {d.get('channel')} in workspace {d.get('workspace')} "
                                           f"receives chat briefings ({event.subject})",
        "chat_message": lambda: f"  Slack post for {ticket} ({d.get('level')}): {event.subject}",
    }
    if event.kind in texts:
        return texts[event.kind]()
    return f"{event.kind.replace('_', ' ')} {ticket} ({d.get('reason')}) from {d.get('from')}"


def print_event(event: TimelineEvent, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.as_dict(), default=str))
        return
    when = event.at.astimezone(DEMO_START.tzinfo).strftime("%a %H:%M")
    print(f"{when}  {describe(event)}")


def parse_eml(raw: bytes) -> Any:
    return BytesParser(policy=policy.default).parsebytes(raw)
