"""A customer's email becomes a ticket and an acknowledgment; replies thread; strangers cannot."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import make_mail


def _reply(ack, body="More detail: it happens on Chrome and Firefox.", sender=None, to=None,
           message_id="<r1@customer.example>", in_reply_to=True):
    headers = {}
    if in_reply_to:
        headers = {"In-Reply-To": ack.message["Message-ID"], "References": ack.message["Message-ID"]}
    return make_mail(sender=sender or ack.message["To"], to=to or ack.message["Reply-To"],
                     subject=f"Re: {ack.subject}", body=body, message_id=message_id, headers=headers)


def test_new_email_creates_ticket_and_threaded_acknowledgment(runtime, mail):
    outcome = runtime.deliver(mail(message_id="<first@customer.example>"))

    assert outcome["outcome"] == "created"
    number = outcome["ticket"]
    ticket = runtime.ticket(number)
    assert ticket["status"] == "new"
    assert ticket["requester"] == "ada@customer.example"
    assert ticket["subject"] == "Reports page shows an error"
    entries = [i for i in runtime.ticket_items(number) if i["SK"].startswith("ENTRY#")]
    first = next(e for e in entries if e["kind"] == "customer_message")
    assert first["actor"] == "ada@customer.example"
    assert "filter by month" in first["text"]
    assert first["raw_key"].startswith("inbound/")
    assert first["classification"]["severity"] == ticket["severity"]

    [ack] = runtime.customer_emails()
    assert ack.destinations == ["ada@customer.example"]
    assert ack.subject.startswith(f"[#{number}] ")
    assert ack.message["In-Reply-To"] == "<first@customer.example>"
    assert "<first@customer.example>" in ack.message["References"]
    assert ack.message["Auto-Submitted"] == "auto-replied"
    assert re.fullmatch(rf"support\+{number}\.[a-z2-7]{{12}}@help\.example\.com", ack.message["Reply-To"])
    assert ack.message.get_body(("html",)) is not None


def test_acknowledgment_states_targets_from_policy(runtime, mail):
    from helpdesk.policy.durations import humanize
    from helpdesk.policy.loader import load_policy

    outcome = runtime.deliver(mail(subject="Production is down", body="The platform is down for everyone."))
    policy = load_policy("p0-p3")
    severity = policy.severities[outcome["severity"]]
    text = " ".join(runtime.customer_emails()[0].body().split())

    assert outcome["severity"] == "P0"
    assert f"{severity.name.lower()} (P0)" in text
    assert f"within {humanize(severity.first_response)}" in text
    assert f"every {humanize(severity.update_every)}" in text
    assert "Who is on it:" in text and "support@help.example.com" in text
    # 09:00 Pacific + 15 minutes, shown in the policy's business timezone.
    assert "09:15 PST" in text
    ticket = runtime.ticket(outcome["ticket"])
    assert ticket["first_response_due"] == "2026-11-23T17:15:00Z"


def test_after_hours_p0_gets_the_after_hours_target(runtime, mail):
    runtime.advance(timedelta(hours=12))  # 21:00 Pacific
    outcome = runtime.deliver(mail(subject="Outage", body="Our site is down, nobody can log in."))
    ticket = runtime.ticket(outcome["ticket"])
    assert ticket["after_hours"] is True
    assert ticket["first_response_due"] == "2026-11-24T05:30:00Z"
    assert "within 30 minutes" in runtime.customer_emails()[0].body()


def test_reply_via_token_threads_into_same_ticket_without_new_ack(runtime, mail):
    number = runtime.deliver(mail())["ticket"]
    ack = runtime.customer_emails()[0]

    outcome = runtime.deliver(_reply(ack), recipients=[ack.message["Reply-To"]])

    assert outcome == {**outcome, "outcome": "threaded", "ticket": number}
    assert len(runtime.customer_emails()) == 1, "a reply is not acknowledged again"
    entries = [i for i in runtime.ticket_items(number) if i.get("kind") == "customer_reply"]
    assert len(entries) == 1 and "Chrome and Firefox" in entries[0]["text"]
    assert "filter by month" not in entries[0]["text"], "quoted history is stripped"
    assert runtime.ticket(number)["customer_replies"] == 1


def test_reply_via_in_reply_to_threads_when_token_is_missing(runtime, mail):
    number = runtime.deliver(mail())["ticket"]
    ack = runtime.customer_emails()[0]
    ses_id = runtime.ticket(number)["last_outbound_message_id"]
    reply = make_mail(subject="Re: anything", body="Another detail.", message_id="<r2@customer.example>",
                      headers={"In-Reply-To": ses_id})
    assert ses_id.endswith("@email.amazonses.com>")
    outcome = runtime.deliver(reply, recipients=["support@help.example.com"])
    assert outcome["outcome"] == "threaded" and outcome["ticket"] == number
    assert ack  # the reply referenced the id SES assigned, not the one we composed


def test_subject_tag_threads_only_for_participants(runtime, mail):
    number = runtime.deliver(mail())["ticket"]
    own = make_mail(subject=f"Re: [#{number}] Reports", body="Same problem today.", message_id="<x1@customer.example>")
    assert runtime.deliver(own)["outcome"] == "threaded"

    stranger = make_mail(sender="mallory@evil.example", subject=f"[#{number}] let me in", body="hi",
                         message_id="<x2@evil.example>")
    outcome = runtime.deliver(stranger)
    assert outcome["outcome"] == "created" and outcome["ticket"] != number
    participants = runtime.ticket(number)["participants"]
    assert "mallory@evil.example" not in participants


def test_forged_token_opens_a_new_ticket(runtime, mail):
    number = runtime.deliver(mail())["ticket"]
    forged = f"support+{number}.aaaaaaaaaaaa@help.example.com"
    outcome = runtime.deliver(make_mail(sender="mallory@evil.example", to=forged, subject="hello",
                                        message_id="<f1@evil.example>"), recipients=[forged])
    assert outcome["outcome"] == "created" and outcome["ticket"] != number


def test_ticket_numbers_are_sequential(runtime, mail):
    numbers = [runtime.deliver(mail(sender=f"c{i}@customer{i}.example", message_id=f"<n{i}@x>"))["ticket"]
               for i in range(3)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_multiple_records_in_one_event_are_all_handled(runtime, mail):
    from helpdesk_local.events import ses_event

    bucket = runtime.aws.receipt_rule()["Actions"][0]["S3Action"]["BucketName"]
    records = []
    for i in range(3):
        raw = mail(sender=f"multi{i}@customer.example", message_id=f"<multi{i}@x>")
        runtime.aws.client("s3").put_object(Bucket=bucket, Key=f"inbound/multi-{i}", Body=raw)
        records += ses_event(raw, message_id=f"multi-{i}", recipients=["support@help.example.com"],
                             received_at=runtime.now())["Records"]
    result = runtime.invoke("InboundEmailFunction", {"Records": records})
    assert [o["outcome"] for o in result["outcomes"]] == ["created"] * 3
    expected = [f"multi{i}@customer.example" for i in range(3)]
    assert sorted(e.destinations[0] for e in runtime.customer_emails()) == expected


def test_attachments_and_long_bodies_go_to_s3(runtime):
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "ada@customer.example"
    message["To"] = "support@help.example.com"
    message["Subject"] = "Logs attached"
    message["Message-ID"] = "<att@customer.example>"
    message.set_content("line of log output that keeps going\n" * 2000)
    message.add_attachment(b"\x89PNG fake image" * 100, maintype="image", subtype="png", filename="screen.png")
    outcome = runtime.deliver(message.as_bytes())
    entry = next(i for i in runtime.ticket_items(outcome["ticket"]) if i.get("kind") == "customer_message")
    [attachment] = entry["attachments"]
    assert attachment["name"] == "screen.png" and attachment["size"] == 1500
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    s3 = runtime.aws.client("s3")
    assert s3.get_object(Bucket=bucket, Key=attachment["key"])["Body"].read().startswith(b"\x89PNG")
    assert entry["text_truncated"] is True and len(entry["text"]) <= 16_000
    full = s3.get_object(Bucket=bucket, Key=entry["text_key"])["Body"].read().decode()
    assert full.count("line of log output") == 2000
