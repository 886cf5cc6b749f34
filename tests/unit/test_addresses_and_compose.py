from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

from helpdesk.mail.addresses import read_token, reply_address
from helpdesk.mail.compose import OutboundMail, compose

KEY = b"k" * 32
SUPPORT = "support@help.example.com"


def test_token_round_trip_and_tampering():
    address = reply_address(SUPPORT, 1042, KEY)
    token = read_token(address, SUPPORT, KEY)
    assert token is not None and token.ticket == 1042 and token.audience == "customer"
    assert read_token(address.replace("+1042", "+1043"), SUPPORT, KEY) is None
    assert read_token(address, SUPPORT, b"other key") is None
    assert read_token(address.replace("support+", "sales+"), SUPPORT, KEY) is None


def test_staff_and_customer_tokens_are_not_interchangeable():
    staff = reply_address(SUPPORT, 7, KEY, "staff")
    assert read_token(staff, SUPPORT, KEY).audience == "staff"
    forged = staff.replace(".staff.", ".")
    assert read_token(forged, SUPPORT, KEY) is None


def test_header_values_cannot_inject_headers():
    mail = OutboundMail(sender=SUPPORT, sender_name="Support\r\nBcc: victim@example.com", to=["a@b.example"],
                        subject="Hi\r\nBcc: victim@example.com", text="t", html="<p>t</p>",
                        reply_to="x@y.example\nBcc: v@x.example", in_reply_to="<a@b>\r\nX-Evil: 1")
    raw, _ = compose(mail, sent_at=datetime(2026, 1, 1, tzinfo=UTC))
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Auto-Submitted"] == "auto-replied"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
