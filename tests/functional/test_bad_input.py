"""Every bad input the foundation issue lists, through the real handler: a clear outcome, nothing lost."""

from __future__ import annotations

import os
from email import policy
from email.message import EmailMessage

import pytest

from tests.conftest import make_mail


def _nested(depth: int) -> bytes:
    head = b"From: deep@customer.example\r\nSubject: nested\r\nMessage-ID: <deep@x>\r\n"
    parts = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + parts + b"Content-Type: text/plain\r\n\r\ninnermost text\r\n" + closing


def _thirty_megabytes() -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "big@customer.example"
    message["Subject"] = "Logs attached"
    message["Message-ID"] = "<big@x>"
    message.set_content("The export fails; logs attached.")
    chunk = os.urandom(1 << 20)
    for i in range(22):
        message.add_attachment(chunk, maintype="application", subtype="octet-stream", filename=f"log{i}.bin")
    return message.as_bytes()


BAD_INPUTS = {
    "zero_bytes": (b"", "dropped"),
    "binary_garbage": (os.urandom(8192), "dropped"),
    "missing_from": (b"To: support@help.example.com\r\nSubject: hi\r\nMessage-ID: <nf@x>\r\n\r\nbody\r\n", "created"),
    "from_without_address": (b"From: Just A Name\r\nSubject: hi\r\nMessage-ID: <na@x>\r\n\r\nbody\r\n", "created"),
    "subject_2000_chars": (make_mail(subject="x" * 2000, message_id="<long@x>"), "created"),
    "crlf_in_subject": (b"From: a@customer.example\r\nSubject: hello\r\n Bcc: victim@example.com\r\n"
                        b"Message-ID: <crlf@x>\r\n\r\nbody\r\n", "created"),
    "template_syntax": (make_mail(subject="{{ 7*7 }} {% raw %}", body="{{ config }} {% raw %}",
                                  message_id="<tpl@x>"), "created"),
    "nested_1000": (_nested(1000), "created"),
    "unknown_charset": (b"From: a@customer.example\r\nSubject: =?x-unknown?B?SGVsbG8=?=\r\nMessage-ID: <cs@x>\r\n"
                        b"Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xe9\r\n", "created"),
    "thirty_megabytes": (_thirty_megabytes(), "created"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_a_clear_outcome_and_the_raw_mail_stays(runtime, name):
    raw, expected = BAD_INPUTS[name]
    # SES always reports the SMTP envelope sender; a mail without a usable From is answered there.
    outcome = runtime.deliver(raw, message_id=f"bad-{name}",
                              envelope_from=None if expected == "dropped" else "bounce@customer.example")
    assert outcome["outcome"] == expected
    if expected == "dropped":
        assert outcome["reason"], "a dropped message says why"
        record = runtime.table().get(f"INBOUND#bad-{name}", "INBOUND")
        assert record["outcome"] == "dropped" and record["reason"] == outcome["reason"]
        assert any(r.get("message") == "message_dropped" and r.get("reason") == outcome["reason"]
                   for r in runtime.logs())
    else:
        ticket = runtime.ticket(outcome["ticket"])
        assert "\n" not in ticket["subject"] and "\r" not in ticket["subject"]
        assert len(ticket["subject"]) <= 998
    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    kept = runtime.aws.client("s3").get_object(Bucket=bucket, Key=f"inbound/bad-{name}")["Body"].read()
    assert kept == raw


def test_message_without_any_sender_is_dropped_with_a_reason(runtime):
    raw = b"To: support@help.example.com\r\nSubject: who am I\r\n\r\nbody\r\n"
    from helpdesk_local.events import ses_event

    bucket = runtime.aws.functions["InboundEmailFunction"].environment["INBOUND_BUCKET"]
    runtime.aws.client("s3").put_object(Bucket=bucket, Key="inbound/nobody", Body=raw)
    event = ses_event(raw, message_id="nobody", recipients=["support@help.example.com"], received_at=runtime.now())
    event["Records"][0]["ses"]["mail"]["source"] = ""
    result = runtime.invoke("InboundEmailFunction", event)
    assert result["outcomes"][0]["outcome"] == "dropped"
    assert result["outcomes"][0]["reason"] in ("no_sender_address", "empty_return_path")
