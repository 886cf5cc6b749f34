"""Bursts of new mail and concurrent writers against the moto server: nothing lost, nothing doubled.

Deliveries run on threads against one shared handler, the way many Lambda invocations hit one
table at once. A failed invocation is retried the way Lambda retries an asynchronous event
(twice, spaced); what still fails would land in the dead-letter queue.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest

from tests.conftest import make_mail

SUPPORT = "support@help.example.com"
LAMBDA_RETRIES = 2


def _staged(runtime, raws: list[tuple[str, bytes]], recipients: list[str] | None = None) -> list[dict[str, Any]]:
    """Raw mail in S3 (the receipt rule's S3 action) and the SES events that will announce it."""
    from helpdesk_local.events import ses_event

    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    events = []
    for message_id, raw in raws:
        runtime.aws.client("s3").put_object(Bucket=bucket, Key=f"inbound/{message_id}", Body=raw)
        events.append(ses_event(raw, message_id=message_id, recipients=recipients or [SUPPORT],
                                received_at=runtime.now()))
    return events


def deliver_at_once(runtime, events: list[dict[str, Any]], spacing: float = 0.3) -> dict[str, Any]:
    """Every event invoked at the same moment; failures retried like Lambda's async retries."""
    runtime.invoke("InboundEmailFunction", {"Records": []})  # a warm container, as after the first burst
    barrier = threading.Barrier(len(events))
    lock = threading.Lock()
    report: dict[str, Any] = {"first_attempt_failures": 0, "dead_letters": [], "outcomes": []}

    def deliver(event: dict[str, Any]) -> None:
        barrier.wait()
        for attempt in range(1 + LAMBDA_RETRIES):
            try:
                result = runtime.invoke("InboundEmailFunction", event)
            except Exception as exc:  # noqa: BLE001 - the handler raising is what Lambda retries
                with lock:
                    report["first_attempt_failures"] += attempt == 0
                if attempt == LAMBDA_RETRIES:
                    with lock:
                        report["dead_letters"].append(type(exc).__name__)
                    return
                time.sleep(spacing * (attempt + 1))
                continue
            with lock:
                report["outcomes"].extend(result["outcomes"])
            return

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report


@pytest.mark.parametrize("burst", [100])
def test_a_burst_of_new_mail_all_becomes_tickets_with_one_acknowledgment_each(runtime, burst):
    senders = [f"customer{i}@company{i}.example" for i in range(burst)]
    events = _staged(runtime, [(f"burst-{i}", make_mail(sender=s, message_id=f"<burst{i}@company{i}.example>",
                                                         subject=f"Export {i} fails"))
                               for i, s in enumerate(senders)])
    report = deliver_at_once(runtime, events)

    assert report["dead_letters"] == []
    created = [o for o in report["outcomes"] if o["outcome"] == "created"]
    numbers = [o["ticket"] for o in created]
    assert len(created) == burst and len(set(numbers)) == burst, "one ticket per message, no number twice"
    acks = Counter(d for e in runtime.customer_emails() for d in e.destinations)
    assert acks == Counter(senders), "every sender acknowledged exactly once"
    assert report["first_attempt_failures"] <= burst // 10, report


def test_ten_concurrent_replies_to_one_ticket_keep_every_line_of_the_recent_digest(runtime):
    first = runtime.deliver(make_mail(sender="Ada <ada@customer.example>", message_id="<root@customer.example>"))
    number = first["ticket"]
    ack = runtime.customer_emails()[-1].message
    colleagues = [f"colleague{i}@customer.example" for i in range(10)]
    raws = []
    for i, colleague in enumerate(colleagues):
        raws.append((f"reply-{i}", make_mail(sender=colleague, to=str(ack["Reply-To"]),
                                             subject=f"Re: [#{number}] Reports page shows an error",
                                             body=f"Also broken for me, note {i}.",
                                             message_id=f"<reply{i}@customer.example>",
                                             headers={"In-Reply-To": str(ack["Message-ID"]),
                                                      "Cc": "ada@customer.example"})))
    report = deliver_at_once(runtime, _staged(runtime, raws, recipients=[str(ack["Reply-To"])]))

    assert report["dead_letters"] == []
    assert sorted(o["outcome"] for o in report["outcomes"]) == ["threaded"] * 10
    ticket = runtime.ticket(number)
    assert int(ticket["customer_replies"]) == 10
    recent = "\n".join(ticket["recent"])
    assert all(f"note {i}" in recent for i in range(10)), ticket["recent"]


def _together(count: int, work) -> list[Any]:
    """`work(i)` on `count` threads released at the same instant; results in thread order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - returned for the assertion to show
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_ticket_numbers_from_ten_containers_at_once_are_all_different(runtime):
    """Each store stands for one container with its own block of numbers."""
    stores = [runtime.store() for _ in range(10)]
    taken = _together(10, lambda i: [stores[i].counter.take() for _ in range(5)])
    numbers = [n for batch in taken for n in batch]
    assert len(numbers) == 50 and len(set(numbers)) == 50, taken
    assert min(numbers) >= 1001


def test_ten_concurrent_mails_from_one_sender_count_every_contact(runtime):
    raws = [(f"same-{i}", make_mail(sender="Ada <ada@customer.example>", message_id=f"<same{i}@customer.example>",
                                    subject=f"Problem {i}")) for i in range(10)]
    report = deliver_at_once(runtime, _staged(runtime, raws))
    assert report["dead_letters"] == []
    assert [o["outcome"] for o in report["outcomes"]] == ["created"] * 10
    sender = runtime.table().get("SENDER#ada@customer.example", "SENDER")
    assert len(sender["contact_times"]) == 10, "no contact lost to a concurrent overwrite"
    assert len(sender["ticket_times"]) == 10
    acks = [e for e in runtime.customer_emails() if e.destinations == ["ada@customer.example"]]
    assert len(acks) == len(sender["ack_times"]) == 3  # the hourly cap holds under concurrency


def test_ten_concurrent_escalations_to_one_phone_send_five_and_hold_five(runtime):
    from helpdesk.escalation.sms import SMS_LIMIT, SmsLimiter, window_of

    now = runtime.now()
    results = _together(10, lambda i: SmsLimiter(runtime.store()).allow("+14155550100", f"#{1000 + i} P1 L1", now))
    assert results.count(True) == SMS_LIMIT and results.count(False) == 10 - SMS_LIMIT, results
    window = runtime.store().sms_windows.get(window_of("+14155550100"))
    assert len(window["sent"]) == SMS_LIMIT and len(window["held"]) == 10 - SMS_LIMIT
    pk = {":pk": {"S": f"SMSLIMIT#{window_of('+14155550100')}"}}
    items = runtime.table().query(KeyConditionExpression="PK = :pk", ExpressionAttributeValues=pk)
    digests = [i for i in items if i["SK"].startswith("DUE#")]
    assert len(digests) == 1, "one digest for the held messages"


def test_ten_concurrent_claims_of_an_account_latch_let_exactly_one_through(runtime):
    from datetime import timedelta

    now = runtime.now()
    results = _together(10, lambda i: runtime.store().accounts.claim_once("customer.example", "repeat_contacts",
                                                                         now + timedelta(hours=1), now))
    assert results.count(True) == 1, results
