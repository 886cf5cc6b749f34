"""Verdicts, loop defence, rate limits, idempotency and failure handling."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.conftest import make_mail


def _inbound_item(runtime, message_id):
    return runtime.table().get(f"INBOUND#{message_id}", "INBOUND")


@pytest.mark.parametrize("verdict", [{"spam": "FAIL"}, {"virus": "FAIL"}])
def test_spam_or_virus_is_quarantined_and_raw_mail_kept(runtime, mail, verdict):
    outcome = runtime.deliver(mail(), verdicts=verdict, message_id="q-1")
    assert outcome["outcome"] == "quarantined"
    assert runtime.customer_emails() == []
    assert runtime.ticket(1001) is None
    record = _inbound_item(runtime, "q-1")
    assert record["outcome"] == "quarantined" and record["reason"].endswith("_verdict_fail")
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    assert runtime.aws.client("s3").get_object(Bucket=bucket, Key="inbound/q-1")["Body"].read() == mail()
    assert any(r.get("message") == "message_quarantined" and r.get("reason") == record["reason"]
               for r in runtime.logs())


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "auto_submitted"),
        ({"Auto-Submitted": "auto-generated"}, None, "auto_submitted"),
        ({"Precedence": "bulk"}, None, "precedence_bulk"),
        ({"Precedence": "junk"}, None, "precedence_bulk"),
        ({"Precedence": "list"}, None, "precedence_bulk"),
        ({"X-Autoreply": "yes"}, None, "x_autoreply"),
        ({"X-Autorespond": "yes"}, None, "x_autoreply"),
        ({"Return-Path": "<>"}, None, "empty_return_path"),
        ({}, "MAILER-DAEMON@mx.example.net", "robot_sender"),
        ({}, "postmaster@mx.example.net", "robot_sender"),
    ],
)
def test_machine_mail_is_dropped_without_ticket_or_reply(runtime, headers, sender, reason):
    raw = make_mail(headers=headers, **({"sender": sender} if sender else {}))
    outcome = runtime.deliver(raw)
    assert (outcome["outcome"], outcome["reason"]) == ("dropped", reason)
    assert runtime.customer_emails() == []


def test_auto_submitted_no_is_a_person(runtime):
    outcome = runtime.deliver(make_mail(headers={"Auto-Submitted": "no"}))
    assert outcome["outcome"] == "created" and len(runtime.customer_emails()) == 1


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ({"X-Auto-Response-Suppress": "All"}, None, "auto_response_suppress"),
    ({}, "noreply@alerts.customer.example", "noreply_sender"),
])
def test_no_acknowledgment_when_the_sender_asks_for_none(runtime, headers, sender, reason):
    outcome = runtime.deliver(make_mail(headers=headers, **({"sender": sender} if sender else {})))
    assert outcome["outcome"] == "created" and outcome["reason"] == reason
    assert runtime.customer_emails() == []
    assert runtime.ticket(outcome["ticket"])["ack_suppressed"] == reason


def test_bounce_marks_address_undeliverable_and_later_mail_gets_no_ack(runtime):
    bounce = (b"From: MAILER-DAEMON@mx.example.net\r\nTo: support@help.example.com\r\nSubject: failure\r\n"
              b"Message-ID: <b1@mx>\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n"
              b"--XX\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
              b"--XX\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
              b"Final-Recipient: rfc822; gone@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--XX--\r\n")
    assert runtime.deliver(bounce)["reason"] == "delivery_report"
    sender = runtime.table().get("SENDER#gone@customer.example", "SENDER")
    assert sender["undeliverable"] is True
    outcome = runtime.deliver(make_mail(sender="gone@customer.example"))
    assert outcome["outcome"] == "created" and outcome["reason"] == "recipient_undeliverable"
    assert runtime.customer_emails() == []


def test_acknowledgments_are_capped_per_sender_per_hour_and_day(runtime):
    acks_per_message = []
    for i in range(5):
        before = len(runtime.customer_emails())
        runtime.deliver(make_mail(message_id=f"<cap{i}@x>", subject=f"issue {i}"))
        acks_per_message.append(len(runtime.customer_emails()) - before)
        runtime.advance(timedelta(minutes=5))
    assert acks_per_message == [1, 1, 1, 0, 0]
    assert runtime.ticket(1004)["ack_suppressed"] == "ack_rate_limited_hour"
    for hour in range(12):  # an hour later the hourly window has room again, until the daily cap
        runtime.advance(timedelta(hours=1))
        runtime.deliver(make_mail(message_id=f"<day{hour}@x>", subject=f"later {hour}"))
    assert len(runtime.customer_emails()) == 10
    runtime.advance(timedelta(hours=1))
    runtime.sweep()  # digests of bundled notifications fall due at the end of their window
    staff = runtime.staff_emails()
    told = {n for e in staff for n in range(1001, 1018) if f"#{n}" in e.subject + e.body()}
    assert told == set(range(1001, 1018)), "staff hear about every ticket, capped or not"
    digests = [e for e in staff if "more new tickets" in e.subject]
    assert digests and len(staff) < 17  # past the first three in an hour, notifications come bundled


def test_two_autoresponders_cannot_ping_pong(runtime):
    """A robot that answers everything, without loop headers, is stopped by the sender cap."""
    robot = "helpdesk-bot@other-vendor.example"
    for round_ in range(20):
        our_replies = runtime.customer_emails()
        in_reply_to = our_replies[-1].message["Message-ID"] if our_replies else None
        headers = {"In-Reply-To": in_reply_to} if in_reply_to else {}
        runtime.deliver(make_mail(sender=robot, subject=f"Ticket received {round_}",
                                  message_id=f"<bot{round_}@other>", headers=headers))
        runtime.advance(timedelta(seconds=30))
    assert len([e for e in runtime.customer_emails() if e.destinations == [robot]]) <= 3


def test_same_event_twice_in_sequence_makes_one_ticket_and_one_ack(runtime, mail):
    first = runtime.deliver(mail(), message_id="dup-1")
    second = runtime.deliver(mail(), message_id="dup-1")
    third = runtime.deliver(mail(), message_id="dup-1")
    assert first["outcome"] == "created"
    assert second["outcome"] == third["outcome"] == "duplicate"
    assert len(runtime.customer_emails()) == 1
    assert runtime.ticket(first["ticket"] + 1) is None


def test_same_event_three_times_at_once_makes_one_ticket_and_one_ack(runtime, mail):
    from helpdesk_local.events import ses_event

    raw = mail()
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    runtime.aws.client("s3").put_object(Bucket=bucket, Key="inbound/race-1", Body=raw)
    event = ses_event(raw, message_id="race-1", recipients=["support@help.example.com"], received_at=runtime.now())
    runtime.invoke("InboundEmailFunction", {"Records": []})  # load the handler before racing
    barrier = threading.Barrier(3)
    results, errors = [], []

    def deliver():
        barrier.wait()
        try:
            results.append(runtime.invoke("InboundEmailFunction", event)["outcomes"][0]["outcome"])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["created", "duplicate", "duplicate"]
    assert len(runtime.customer_emails()) == 1
    tickets = runtime.table().query(KeyConditionExpression="PK = :pk",
                                    ExpressionAttributeValues={":pk": {"S": "INBOUND#race-1"}})
    assert len(tickets) == 1


def test_crash_after_ticket_before_ack_is_finished_by_the_retry(runtime, mail, monkeypatch):
    from helpdesk.sla.due_work import DueWork

    def crash(*args, **kwargs):
        raise RuntimeError("crash between the transaction and the sends")

    monkeypatch.setattr(DueWork, "run_many", crash)
    with pytest.raises(Exception, match="records failed"):
        runtime.deliver(mail(), message_id="crash-1")
    assert runtime.emails() == []
    monkeypatch.undo()
    runtime.advance(timedelta(minutes=3))  # the lease taken by the crashed run has lapsed
    retry = runtime.deliver(mail(), message_id="crash-1")
    assert retry["outcome"] == "duplicate" and len(runtime.customer_emails()) == 1
    assert runtime.ticket(retry["ticket"])["ack_sent_at"]
    runtime.sweep()  # the staff notification was left due too; the sweeper sends it
    assert [e.destinations for e in runtime.staff_emails()] == [["support-team@example.com"]]
    runtime.sweep()
    assert len(runtime.emails()) == 2, "nothing is sent twice"


def test_missing_raw_mail_still_opens_a_ticket_from_event_headers(runtime, mail):
    outcome = runtime.deliver(mail(subject="No body stored"), store_raw=False, message_id="gone-1")
    assert outcome["outcome"] == "created"
    ticket = runtime.ticket(outcome["ticket"])
    assert ticket["subject"] == "No body stored" and ticket["requester"] == "ada@customer.example"
    assert any(r.get("message") == "raw_mail_missing" for r in runtime.logs())


def test_invalid_record_is_reported_with_field_names_and_others_continue(runtime, mail):
    from helpdesk_local.events import ses_event

    good = ses_event(mail(), message_id="ok-1", recipients=["support@help.example.com"], received_at=runtime.now())
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    runtime.aws.client("s3").put_object(Bucket=bucket, Key="inbound/ok-1", Body=mail())
    broken = ses_event(mail(), message_id="bad-1", recipients=["x"], received_at=runtime.now())["Records"][0]
    del broken["ses"]["receipt"]["spamVerdict"]
    result = runtime.invoke("InboundEmailFunction", {"Records": [broken, *good["Records"]]})
    bad, ok = result["outcomes"]
    assert bad["outcome"] == "quarantined" and "ses.receipt.spamVerdict" in bad["reason"]
    assert ok["outcome"] == "created"


def test_throttled_dynamodb_makes_lambda_retry_and_nothing_is_lost(runtime, mail, monkeypatch):
    from botocore.exceptions import ClientError

    from helpdesk.adapters.aws.table import Table

    real = Table.transact
    calls = {"n": 0}

    def flaky(self, writes):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "TransactWriteItems")
        return real(self, writes)

    monkeypatch.setattr(Table, "transact", flaky)
    with pytest.raises(Exception, match="records failed"):
        runtime.deliver(mail(), message_id="thr-1")
    outcome = runtime.deliver(mail(), message_id="thr-1")  # Lambda's async retry
    assert outcome["outcome"] == "created" and len(runtime.customer_emails()) == 1


def test_ses_rejection_is_recorded_and_not_retried(runtime, mail, monkeypatch):
    from helpdesk.adapters.aws.mailer import Mailer
    from helpdesk.core.errors import PermanentSendError

    def reject(self, *args, **kwargs):
        raise PermanentSendError("MessageRejected")

    monkeypatch.setattr(Mailer, "send_raw", reject)
    outcome = runtime.deliver(mail())
    items = runtime.ticket_items(outcome["ticket"])
    due = next(i for i in items if i["SK"] == "DUE#ack")
    assert due["status"] == "failed" and "due_shard" not in due
    assert any(i.get("kind") == "send_failed" for i in items)


def test_logs_carry_no_customer_content(runtime, mail):
    runtime.deliver(mail(sender="Secret Person <secret.person@private.example>",
                         subject="My phone is +1 415 555 0199", body="Patient John Doe, MRN 12345, is affected."))
    text = runtime.log_stream.getvalue()
    for needle in ("secret.person@private.example", "555 0199", "John Doe", "MRN 12345", "Secret Person"):
        assert needle not in text
