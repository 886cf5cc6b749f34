"""AWS faults injected where botocore answers, so the real adapters classify real error responses:
sending pauses, throttling, rejections, and poison work that can never succeed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import make_mail


def _aws_error(code: str, status: int = 400, message: str = "") -> tuple[Any, dict[str, Any]]:
    """What a before-call hook returns to make botocore raise this error instead of calling AWS."""
    return SimpleNamespace(status_code=status), {"Error": {"Code": code, "Message": message},
                                                 "ResponseMetadata": {"HTTPStatusCode": status}}


@pytest.fixture
def fault(runtime):
    """`fault(service, operation, until, code)`: every such call on the handlers' cached clients fails
    with `code` until `until` (virtual time). Hooks are removed after the test."""
    from helpdesk.adapters.aws import clients

    registered = []

    def inject(service: str, operation: str, until, code: str, status: int = 400, message: str = "") -> None:
        def hook(**_: Any) -> Any:
            return _aws_error(code, status, message) if runtime.now() < until else None

        events = clients.client(service).meta.events
        events.register(f"before-call.*.{operation}", hook)
        registered.append((events, f"before-call.*.{operation}", hook))

    yield inject
    for events, name, hook in registered:
        events.unregister(name, hook)


def _open(runtime, i: int) -> int:
    outcome = runtime.deliver(make_mail(sender=f"user{i}@paused{i}.example", message_id=f"<p{i}@x>",
                                        subject=f"Dashboard {i} is slow"))
    assert outcome["outcome"] == "created"
    return int(outcome["ticket"])


@pytest.mark.parametrize("code", ["AccountSendingPausedException", "ConfigurationSetSendingPausedException"])
def test_a_ten_minute_sending_pause_delays_mail_but_loses_none(runtime, fault, code):
    runtime.invoke("InboundEmailFunction", {"Records": []})  # the handler's clients exist before faults
    runtime.invoke("SlaSweeperFunction", {"time": runtime.now().isoformat(), "detail": {}, "id": "1",
                                          "source": "aws.events", "detail-type": "Scheduled Event",
                                          "account": "123456789012", "region": "us-east-1", "resources": [],
                                          "version": "0"})
    pause_ends = runtime.now() + timedelta(minutes=10)
    fault("ses", "SendRawEmail", pause_ends, code, message="Sending paused for ada@customer.example")
    tickets = [_open(runtime, i) for i in range(3)]
    assert runtime.emails() == []
    runtime.run_until(runtime.now() + timedelta(minutes=40), every_minute=True)

    acks = Counter(tuple(e.destinations) for e in runtime.customer_emails())
    for i in range(3):
        assert acks[(f"user{i}@paused{i}.example",)] >= 1, acks  # the acknowledgment (and maybe an update)
    for number in tickets:
        ticket = runtime.ticket(number)
        assert ticket["ack_sent_at"], "the acknowledgment went out once the pause ended"
        notified = [e for e in runtime.staff_emails() if e.message.get("X-Helpdesk-Ticket") == str(number)]
        assert len(notified) == 1, "one staff notification, sent after the pause"
        parked = [i for i in runtime.ticket_items(number) if i.get("status") == "failed"]
        assert parked == [], "a pause is transient: nothing is parked"
    logs = runtime.logs()
    assert any("SendsPaused" in r for r in logs), "pauses are counted for the alarm while they last"
    assert "ada@customer.example" not in runtime.log_stream.getvalue()


def test_a_rejected_message_is_recorded_on_the_ticket_and_sent_to_ops(runtime, fault):
    runtime.invoke("InboundEmailFunction", {"Records": []})
    fault("ses", "SendRawEmail", runtime.now() + timedelta(days=1), "MessageRejected",
           message="Email address is not verified: reject.me@customer.example")
    outcome = runtime.deliver(make_mail(sender="reject.me@customer.example", message_id="<rej@x>"))
    items = runtime.ticket_items(outcome["ticket"])
    ack = next(i for i in items if i["SK"] == "DUE#ack")
    assert ack["status"] == "failed" and ack["attempts"] == 1, "permanent: parked at the first attempt"
    assert any(i.get("kind") == "send_failed" and i.get("what") == "ack" for i in items)
    assert any(f"#{outcome['ticket']}" in n["subject"] for n in runtime.notifications("OpsTopic"))
    assert "reject.me@customer.example" not in runtime.log_stream.getvalue()


def test_unknown_errors_are_retried_a_few_times_then_parked_and_the_rest_goes_on(runtime, fault):
    runtime.invoke("InboundEmailFunction", {"Records": []})
    first = runtime.deliver(make_mail(sender="kim@fine.example", message_id="<fine@x>"))
    fault("ses", "SendRawEmail", runtime.now() + timedelta(days=1), "SomethingNobodyHasSeen")
    broken = runtime.deliver(make_mail(sender="lee@odd.example", message_id="<odd@x>"))
    runtime.run_until(runtime.now() + timedelta(hours=2), every_minute=True)
    ack = runtime.table().get(f"TICKET#{broken['ticket']}", "DUE#ack")
    assert ack["status"] == "failed" and 2 <= int(ack["attempts"]) <= 6, ack
    assert any(i.get("kind") == "work_parked" for i in runtime.ticket_items(broken["ticket"]))
    assert runtime.ticket(first["ticket"])["ack_sent_at"], "other work was not held up"


def _attachment_reply(runtime, number: int) -> bytes:
    from email import policy
    from email.message import EmailMessage

    note = next(e for e in reversed(runtime.emails()) if e.message.get("X-Helpdesk-Ticket") == str(number)
                and ".staff." in str(e.message.get("Reply-To", "")))
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = "Jordan Reyes <jordan.reyes@example.com>"
    reply["To"] = str(note.message["Reply-To"])
    reply["Subject"] = f"Re: {note.subject}"
    reply["Message-ID"] = "<relay-1@example.com>"
    reply["In-Reply-To"] = str(note.message["Message-ID"])
    reply.set_content("Here is the patched build.")
    reply.add_attachment(b"binary build", maintype="application", subtype="octet-stream", filename="build.bin")
    return reply.as_bytes()


def test_a_relay_whose_attachment_vanished_is_parked_at_once_with_an_alarm(runtime, fault):
    outcome = runtime.deliver(make_mail(sender="ada@customer.example", message_id="<root@x>"))
    number = outcome["ticket"]
    runtime.advance(timedelta(minutes=1))
    # The first relay attempt is throttled, so the retry must read the attachment back from S3.
    fault("ses", "SendRawEmail", runtime.now() + timedelta(seconds=30), "Throttling")
    reply = _attachment_reply(runtime, number)
    note = next(e for e in reversed(runtime.emails()) if e.message.get("X-Helpdesk-Ticket") == str(number))
    runtime.deliver(reply, recipients=[str(note.message["Reply-To"])],
                    verdicts={"dkim": "PASS", "dmarc": "PASS", "spf": "PASS"})
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    s3 = runtime.aws.client("s3")
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="attachments/").get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    runtime.run_until(runtime.now() + timedelta(hours=2), every_minute=True)

    relays = [i for i in runtime.ticket_items(number) if i["SK"].startswith("DUE#") and "relay" in i["SK"]]
    assert relays and all(i["status"] == "failed" for i in relays), relays
    assert all(int(i["attempts"]) <= 2 for i in relays), "a missing object is permanent: no hours of retries"
    assert any(i.get("kind") == "work_parked" for i in runtime.ticket_items(number))
    assert any("parked" in n["subject"].lower() and f"#{number}" in n["subject"]
               for n in runtime.notifications("OpsTopic"))
    assert any("DueItemsParked" in r for r in runtime.logs())
