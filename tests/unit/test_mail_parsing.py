"""Every kind of malformed mail parses to something usable; nothing raises."""

from __future__ import annotations

import os
from email import policy
from email.message import EmailMessage

import pytest

from helpdesk.mail.parsing import parse_mail
from tests.conftest import make_mail


def test_zero_bytes():
    mail = parse_mail(b"")
    assert mail.from_address is None and mail.text == "" and mail.subject == ""


def test_binary_garbage():
    mail = parse_mail(os.urandom(4096) + b"\x00\xff" * 100)
    assert mail.from_address is None
    assert isinstance(mail.text, str)


def test_missing_from_and_from_without_address():
    no_from = b"To: support@help.example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    assert parse_mail(no_from).from_address is None
    name_only = b"From: Just A Name\r\nSubject: hi\r\n\r\nbody\r\n"
    mail = parse_mail(name_only)
    assert mail.from_address is None and mail.subject == "hi"


def test_from_with_bare_address_after_a_name_is_salvaged():
    assert parse_mail(b"From: Big Bug bb@bug.com\r\n\r\nx").from_address == "bb@bug.com"


def test_long_subject_is_cut_and_crlf_in_subject_is_flattened():
    long = parse_mail(make_mail(subject="x" * 2000))
    assert len(long.subject) <= 998
    injected = b"From: a@b.example\r\nSubject: hello\r\n Bcc: victim@example.com\r\n\r\nbody"
    assert "\n" not in parse_mail(injected).subject and "\r" not in parse_mail(injected).subject


def test_encoded_word_subject_in_unknown_charset_degrades():
    raw = b"From: a@b.example\r\nSubject: =?x-unknown-charset?B?SGVsbG8=?= world\r\n\r\nbody"
    mail = parse_mail(raw)
    assert "world" in mail.subject


def test_body_in_unknown_or_wrong_charset_degrades():
    raw = (b"From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
           b"caf\xe9 ol\xe9\r\n")
    assert "caf" in parse_mail(raw).text
    wrong = b"From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nna\xefve\r\n"
    assert "na" in parse_mail(wrong).text


def test_html_only_mail_becomes_text_and_quotes_are_stripped():
    html = ("<html><body><p>The export fails with <b>error 42</b>.</p>"
            "<div class='gmail_quote'>On Mon, Bob wrote:<blockquote><p>old text</p></blockquote></div></body></html>")
    raw = (b"From: a@b.example\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode())
    mail = parse_mail(raw)
    assert mail.html_only
    assert "error 42" in mail.new_text and "old text" not in mail.new_text


def test_thousand_nested_multiparts_do_not_crash():
    depth = 1000
    head = b"From: a@b.example\r\nSubject: nested\r\n"
    parts = [b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth)]
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    tail = b"Content-Type: text/plain\r\n\r\ninnermost\r\n" + closing
    mail = parse_mail(head + b"".join(parts) + tail)
    assert mail.subject == "nested"
    assert mail.defects  # the depth was noticed, not silently accepted


def test_broken_boundary_keeps_the_text():
    raw = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=missing\r\n\r\n"
           b"--other\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n")
    mail = parse_mail(raw)
    assert "still readable" in mail.text or "still readable" in "".join(
        a.payload.decode("latin-1") for a in mail.attachments)


def test_undisclosed_recipients():
    raw = b"From: a@b.example\r\nTo: undisclosed-recipients:;\r\nSubject: s\r\n\r\nbody"
    mail = parse_mail(raw)
    assert mail.to == [] and mail.from_address == "a@b.example"


def test_template_syntax_is_plain_text():
    mail = parse_mail(make_mail(subject="{{ 7*7 }} {% raw %}", body="{{ config }} {% for x in y %}"))
    assert mail.subject == "{{ 7*7 }} {% raw %}"
    assert "{{ config }}" in mail.text


def test_delivery_report_lists_failed_recipients():
    raw = (b"From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=Z\r\n\r\n"
           b"--Z\r\nContent-Type: text/plain\r\n\r\nsorry\r\n--Z\r\nContent-Type: message/delivery-status\r\n\r\n"
           b"Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@gone.example\r\nAction: failed\r\n\r\n"
           b"Final-Recipient: rfc822; b@slow.example\r\nAction: delayed\r\n\r\n--Z--\r\n")
    mail = parse_mail(raw)
    assert mail.is_delivery_report and mail.failed_recipients == ["a@gone.example"]


def test_attachments_keep_names_and_sizes():
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "a@b.example"
    message.set_content("see attached")
    message.add_attachment(b"%PDF-1.4" + b"0" * 1000, maintype="application", subtype="pdf",
                           filename="../../etc/report.pdf")
    mail = parse_mail(message.as_bytes())
    [attachment] = mail.attachments
    assert attachment.filename == "_.._etc_report.pdf"  # no path traversal into S3 keys
    assert attachment.size == 1008 and mail.text.strip() == "see attached"


@pytest.mark.parametrize("size_mb", [30])
def test_thirty_megabyte_message_with_attachments(size_mb):
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "a@b.example"
    message["Subject"] = "big"
    message.set_content("logs attached")
    chunk = os.urandom(1024 * 1024)
    for i in range(int(size_mb * 0.74)):  # base64 grows payloads by a third
        message.add_attachment(chunk, maintype="application", subtype="octet-stream", filename=f"log{i}.bin")
    raw = message.as_bytes()
    assert len(raw) > 29 * 1024 * 1024
    mail = parse_mail(raw)
    assert len(mail.attachments) == int(size_mb * 0.74) and mail.text.strip() == "logs attached"


def _with_attached_message(inner: bytes) -> bytes:
    return (b"From: ada@customer.example\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n")


ODD_INNER = (b"From: \"foo\"@ <bar>\r\nMessage-ID:\r\n <(comment)@" + b"a" * 90 + b".example>\r\n"
             b"References: <a@b>\r\n <(x)@" + b"b" * 90 + b">\r\nSubject: inner\r\n\r\ninner body\r\n")


def test_odd_headers_in_an_attached_message_crash_the_stdlib():
    """The case the parser must survive: policy.default raises IndexError on these headers."""
    from email import message_from_bytes

    inner = message_from_bytes(ODD_INNER, policy=policy.default)
    with pytest.raises(IndexError):
        inner.as_bytes()
    with pytest.raises(IndexError):
        str(inner["message-id"])


def test_an_attached_message_with_odd_headers_degrades_to_its_bytes():
    mail = parse_mail(_with_attached_message(ODD_INNER))
    assert mail.text.strip() == "see attached"
    [attached] = mail.attachments
    assert attached.content_type == "message/rfc822"
    assert b"inner body" in attached.payload and b"(comment)@" in attached.payload


def test_odd_message_ids_and_addresses_in_our_own_headers_degrade():
    raw = (b'From: "foo"@ <bar>\r\nTo: "foo"@ <bar>, ok@x.example\r\nMessage-ID: <(x)@bar>\r\n'
           b"In-Reply-To: <@example.com>\r\nReferences: <a@b>\r\n <[x]@c>\r\nSubject: s\r\n\r\nbody")
    mail = parse_mail(raw)
    assert mail.from_address is None and mail.to == ["ok@x.example"]
    assert mail.text.strip() == "body" and mail.subject == "s"


def test_a_part_with_unreadable_headers_costs_only_that_part():
    raw = (b"From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
           b"--B\r\nContent-Type: application/pdf; name*=x''%ZZ%\r\nContent-Disposition: attachment; "
           b"filename*0*=utf-8''%E2%28%A1; filename*1=\"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nthird part\r\n--B--\r\n")
    mail = parse_mail(raw)
    assert "first part" in mail.text and "third part" in mail.text
    assert len(mail.attachments) == 1


BIDI_AND_ZERO_WIDTH = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                       "\u200b\u200c\u200d\u2060\ufeff")


def test_bidi_controls_and_zero_width_characters_are_removed_from_headers():
    subject = "Invoice\u202e fdp.exe\u200b"
    raw = make_mail(subject=subject, sender="\u2067Ada\u2069 Lovelace\u200d <ada@customer.example>",
                    headers={"X-Note": "a\u2066b\ufeffc"})
    mail = parse_mail(raw)
    assert mail.subject == "Invoice fdp.exe"
    assert mail.from_name == "Ada Lovelace"
    assert mail.header("x-note") == "abc"
    assert not any(c in "".join(v for values in mail.headers.values() for v in values) for c in BIDI_AND_ZERO_WIDTH)


def test_clean_header_text_strips_every_invisible_character():
    from helpdesk.mail.parsing import clean_header_text

    assert clean_header_text(f"a{BIDI_AND_ZERO_WIDTH}b\r\nc") == "ab c"


def test_outbound_headers_are_cleaned_too():
    from datetime import UTC, datetime

    from helpdesk.mail.compose import OutboundMail, compose

    mail = OutboundMail(sender="support@help.example.com", sender_name="Help\u202e Desk", to=["ada@customer.example"],
                        subject="[#1] Re: \u2066Invoice\u2069\u200b", text="t", html="<p>t</p>")
    raw, _ = compose(mail, sent_at=datetime(2026, 11, 23, tzinfo=UTC))
    parsed = parse_mail(raw)
    assert parsed.subject == "[#1] Re: Invoice" and parsed.from_name == "Help Desk"
    assert not any(c.encode() in raw for c in BIDI_AND_ZERO_WIDTH)
