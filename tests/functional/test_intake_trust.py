"""Trustworthy intake, tried as an attacker and a busy real mailbox would: who wrote, whether a
person wrote it, and which ticket it may join. Each test asserts what the system did."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.conftest import make_mail

ADA = "Ada Lovelace <ada@customer.example>"
SUPPORT = "support@help.example.com"


def _open(runtime, **overrides) -> int:
    outcome = runtime.deliver(make_mail(sender=ADA, message_id="<ada-1@customer.example>", **overrides))
    assert outcome["outcome"] == "created"
    return int(outcome["ticket"])


def _customer_replies(runtime, number: int) -> int:
    return int(runtime.ticket(number).get("customer_replies") or 0)


SPOOFED_FROMS = [
    '"ada@customer.example" <mallory@evil.example>',
    "=?utf-8?q?ada=40customer=2Eexample?= <mallory@evil.example>",
    "ada@customer.example <mallory@evil.example>",
    "ada@customer.example, mallory@evil.example",
]


@pytest.mark.parametrize("sender", SPOOFED_FROMS, ids=["quoted", "rfc2047", "unquoted", "two-addresses"])
def test_a_display_name_or_second_address_never_joins_the_customers_ticket(runtime, sender):
    number = _open(runtime)
    reply = make_mail(sender=sender, subject=f"Re: [#{number}] Reports page shows an error",
                      body="Please send the invoice to my new address.", message_id="<spoof@evil.example>",
                      headers={"In-Reply-To": "<ada-1@customer.example>"})
    outcome = runtime.deliver(reply)
    assert outcome["outcome"] == "created" and outcome["ticket"] != number
    assert _customer_replies(runtime, number) == 0
    assert "mallory@evil.example" not in runtime.ticket(number)["participants"]
    linked = runtime.ticket(outcome["ticket"])
    assert linked["related_ticket"] == number and linked["related_reason"]
    notes = [e for e in runtime.staff_emails() if f"[#{outcome['ticket']}]" in e.subject]
    assert notes and f"#{number}" in notes[0].body()  # staff see the link, one command from undone


def test_knowing_a_message_id_proves_nothing(runtime):
    number = _open(runtime)
    runtime.staff_reply(number, "#status resolved\nFixed, thanks.")
    stranger = make_mail(sender="Eve <eve@elsewhere.example>", subject="Re: Reports page shows an error",
                         body="Still broken for me too.", message_id="<eve-1@elsewhere.example>",
                         headers={"In-Reply-To": "<ada-1@customer.example>",
                                  "References": "<ada-1@customer.example>"})
    outcome = runtime.deliver(stranger)
    ticket = runtime.ticket(number)
    assert outcome["ticket"] != number and ticket["status"] == "resolved"  # no reopen by a stranger
    assert "eve@elsewhere.example" not in ticket["participants"]
    assert runtime.ticket(outcome["ticket"])["related_ticket"] == number


def test_a_colleague_and_the_customer_thread_normally(runtime):
    number = _open(runtime)
    colleague = make_mail(sender="Bob <bob@customer.example>", subject="Re: Reports page shows an error",
                          body="Same here on my machine.", message_id="<bob-1@customer.example>",
                          headers={"In-Reply-To": "<ada-1@customer.example>"})
    assert runtime.deliver(colleague)["ticket"] == number
    own = make_mail(sender=ADA, subject=f"Re: [#{number}] Reports page shows an error", body="Any news?",
                    message_id="<ada-2@customer.example>")
    assert runtime.deliver(own)["ticket"] == number
    assert _customer_replies(runtime, number) == 2
    assert "bob@customer.example" in runtime.ticket(number)["participants"]


def test_free_mail_strangers_are_not_colleagues(runtime):
    outcome = runtime.deliver(make_mail(sender="Ann <ann@gmail.com>", message_id="<ann@gmail.com>"))
    number = outcome["ticket"]
    other = make_mail(sender="Zed <zed@gmail.com>", subject=f"Re: [#{number}] Reports page shows an error",
                      body="Me too.", message_id="<zed@gmail.com>", headers={"In-Reply-To": "<ann@gmail.com>"})
    assert runtime.deliver(other)["ticket"] != number


def test_people_on_the_thread_may_join_even_from_another_domain(runtime):
    outcome = runtime.deliver(make_mail(sender=ADA, message_id="<ada-cc@customer.example>",
                                        headers={"Cc": "Partner <pat@partner.example>"}))
    number = outcome["ticket"]
    partner = make_mail(sender="Pat <pat@partner.example>", subject="Re: Reports page shows an error",
                        body="I see the same error from our side.", message_id="<pat@partner.example>",
                        headers={"In-Reply-To": "<ada-cc@customer.example>"})
    assert runtime.deliver(partner)["ticket"] == number


def test_staff_commands_need_dmarc_pass_not_dkim_alone(runtime):
    number = _open(runtime)
    runtime.staff_reply(number, "#status resolved\nDone.", authenticated=False)
    assert runtime.ticket(number)["status"] == "new"
    # DKIM PASS with DMARC FAIL may be an attacker's own signature.
    notes = [e for e in runtime.emails() if ".staff." in str(e.message.get("Reply-To", ""))]
    reply_to = str(notes[-1].message["Reply-To"])
    forged = make_mail(sender="Jordan Reyes <jordan.reyes@example.com>", to=reply_to,
                       subject=f"Re: [#{number}]", body="#status resolved\nDone.", message_id="<forge@x>")
    runtime.deliver(forged, recipients=[reply_to], verdicts={"dkim": "PASS", "dmarc": "FAIL", "spf": "FAIL"})
    assert runtime.ticket(number)["status"] == "new"
    runtime.staff_reply(number, "#status resolved\nDone.")  # a proven staff reply still works
    assert runtime.ticket(number)["status"] == "resolved"


def test_a_staff_address_as_display_name_runs_no_command(runtime):
    number = _open(runtime)
    notes = [e for e in runtime.emails() if ".staff." in str(e.message.get("Reply-To", ""))]
    reply_to = str(notes[-1].message["Reply-To"])
    spoof = make_mail(sender='"jordan.reyes@example.com" <mallory@evil.example>', to=reply_to,
                      subject=f"Re: [#{number}]", body="#status closed\nbye", message_id="<spoof-staff@x>")
    runtime.deliver(spoof, recipients=[reply_to])
    assert runtime.ticket(number)["status"] == "new"


def test_commands_hidden_in_invisible_html_are_not_run(runtime):
    number = _open(runtime)
    notes = [e for e in runtime.emails() if ".staff." in str(e.message.get("Reply-To", ""))]
    reply_to = str(notes[-1].message["Reply-To"])
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = "Jordan Reyes <jordan.reyes@example.com>", reply_to, "Re"
    message["Message-ID"] = "<hidden@example.com>"
    message.set_content('<div style="display:none">#status closed</div><p>Looking into it now.</p>', subtype="html")
    runtime.deliver(message.as_bytes(), recipients=[reply_to], verdicts={"dkim": "PASS", "dmarc": "PASS"})
    assert runtime.ticket(number)["status"] != "closed"


AUTOMATED = {
    "exchange-ooo-en": ("Automatic reply: Reports page shows an error",
                        "I am out of the office until Tuesday 8 December with no access to email."),
    "ooo-de": ("Abwesenheitsnotiz: Ihre Anfrage", "Ich bin bis zum 8. Dezember nicht im Büro und lese keine E-Mails."),
    "ooo-fr": ("Réponse automatique : votre demande", "Je suis absent du bureau jusqu'au 8 décembre inclus."),
    "ooo-es": ("Respuesta automática: consulta", "Estoy fuera de la oficina hasta el 8 de diciembre."),
}


@pytest.mark.parametrize("name", sorted(AUTOMATED))
def test_out_of_office_without_headers_opens_no_ticket_and_gets_no_answer(runtime, name):
    subject, body = AUTOMATED[name]
    before = len(runtime.emails())
    outcome = runtime.deliver(make_mail(sender="Sam <sam@other.example>", subject=subject, body=body,
                                        message_id=f"<{name}@other.example>"))
    assert outcome["outcome"] == "dropped" and outcome["reason"] == "out_of_office"
    assert len(runtime.emails()) == before
    assert runtime.ticket(1001) is None


def test_an_auto_reply_to_our_mail_becomes_an_internal_note_without_a_notification(runtime):
    number = _open(runtime)
    ack = runtime.customer_emails()[-1].message
    before = len(runtime.emails())
    ooo = make_mail(sender=ADA, to=str(ack["Reply-To"]), subject=f"Automatic reply: {ack['Subject']}",
                    body="I am out of the office until 8 December.", message_id="<ada-ooo@customer.example>",
                    headers={"In-Reply-To": str(ack["Message-ID"])})
    outcome = runtime.deliver(ooo, recipients=[str(ack["Reply-To"])])
    assert outcome["outcome"] == "dropped" and outcome["ticket"] == number
    notes = [i for i in runtime.ticket_items(number) if i.get("kind") == "auto_reply"]
    assert notes and notes[0]["visibility"] == "internal" and "8 Dec" in notes[0]["text"]
    assert len(runtime.emails()) == before and _customer_replies(runtime, number) == 0


def test_complaint_reports_not_wrapped_in_multipart_report_are_dropped(runtime):
    from email import policy
    from email.message import EmailMessage

    report = EmailMessage(policy=policy.SMTP)
    report["From"], report["To"], report["Subject"] = "abuse@isp.example", SUPPORT, "Abuse report"
    report["Message-ID"] = "<arf@isp.example>"
    report.set_content("This is an email abuse report for an email message received from IP 192.0.2.1.")
    report.add_attachment(b"Feedback-Type: abuse\r\nUser-Agent: isp/1.0\r\nVersion: 1\r\n",
                          maintype="message", subtype="feedback-report")
    outcome = runtime.deliver(report.as_bytes())
    assert outcome["outcome"] == "dropped" and runtime.emails() == []


def test_a_sender_mailing_200_times_an_hour_escalates_repeat_contacts_once(runtime):
    for i in range(40):  # enough to cross the threshold many times over within the window
        runtime.deliver(make_mail(sender=ADA, message_id=f"<flood{i}@customer.example>", subject=f"help {i}"))
        runtime.advance(timedelta(seconds=90))
    repeat = [n for n in runtime.notifications() if n["attributes"].get("trigger") == "repeat_contacts"
              and n["attributes"].get("kind") == "briefing"]
    assert len(repeat) == 1


def test_forged_senders_get_no_acknowledgment_backscatter(runtime):
    for i in range(8):
        runtime.deliver(make_mail(sender=f"victim{i}@forged{i}.example", message_id=f"<forged{i}@x>"),
                        verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"})
    assert runtime.customer_emails() == []
    assert runtime.ticket(1001)["ack_suppressed"] == "unauthenticated_sender"


def test_ten_concurrent_mails_from_one_sender_never_exceed_the_acknowledgment_cap(runtime):
    from helpdesk_local.events import ses_event

    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    events = []
    for i in range(10):
        raw = make_mail(sender=ADA, message_id=f"<burst{i}@customer.example>", subject=f"burst {i}")
        runtime.aws.client("s3").put_object(Bucket=bucket, Key=f"inbound/burst-{i}", Body=raw)
        events.append(ses_event(raw, message_id=f"burst-{i}", recipients=[SUPPORT], received_at=runtime.now()))
    runtime.invoke("InboundEmailFunction", {"Records": []})  # load the handler before racing
    barrier = threading.Barrier(10)
    errors: list[Exception] = []

    def deliver(event):
        barrier.wait()
        for _ in range(4):  # Lambda retries a failed event; a sender conflict is such a failure
            try:
                runtime.invoke("InboundEmailFunction", event)
                return
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acks = [e for e in runtime.customer_emails() if "ada@customer.example" in e.destinations]
    assert len(acks) <= 3  # ack_limits.per_hour


def test_cadence_updates_stop_after_a_hard_bounce_and_the_owner_is_told_once(runtime):
    number = _open(runtime, subject="Exports fail for all users", body="Every export fails with an error since noon.")
    ack = runtime.customer_emails()[-1]
    bounce = (b"From: MAILER-DAEMON@customer.example\r\nTo: " + SUPPORT.encode() + b"\r\n"
              b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@customer.example>\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
              b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
              b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n"
              b"\r\nFinal-Recipient: rfc822; ada@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
              b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + ack.raw + b"\r\n--B--\r\n")
    outcome = runtime.deliver(bounce, envelope_from="")
    assert outcome["outcome"] == "dropped"
    assert runtime.ticket(number)["requester_undeliverable"] is True
    told = [e for e in runtime.staff_emails() if "bounced" in e.subject.lower()]
    assert len(told) == 1
    before = len(runtime.customer_emails())
    runtime.run_until(runtime.now() + timedelta(days=2))
    assert len(runtime.customer_emails()) == before  # no updates, no follow-ups to a dead address
    assert len([e for e in runtime.staff_emails() if "bounced" in e.subject.lower()]) == 1
