"""Hard and soft bounces, structured or plain text; only hard failures mark an address undeliverable."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.mail.parsing import parse_mail
from tests.conftest import make_mail

ROBOTS = Path(__file__).parents[1] / "fixtures" / "robots"


def _mail(name: str):
    return parse_mail((ROBOTS / name).read_bytes())


@pytest.mark.parametrize(("name", "recipients"), [
    ("delivery_report--postfix-plain.eml", ["d.okafor@lagos-freight.example"]),
    ("delivery_report--exim.eml", ["info@bakery-wolf.example"]),
    ("delivery_report--qmail.eml", ["office@carpentry-olsen.example"]),
    ("delivery_report--exchange-ndr.eml", ["l.moreau@contoso-partners.example"]),
    ("delivery_report--gmail-dsn.eml", ["sam.ortiz.old@gmail.example"]),
])
def test_hard_bounces_name_the_failed_recipients(name, recipients):
    mail = _mail(name)
    assert (mail.bounce_kind, mail.bounce_reason) == ("hard", "failed")
    assert mail.failed_recipients == recipients


@pytest.mark.parametrize(("name", "reason"), [
    ("delivery_delay--postfix-dsn.eml", "delayed"),
    ("delivery_delay--exchange-plain.eml", "delayed"),
    ("mailbox_full--yahoo-plain.eml", "mailbox_full"),
    ("mailbox_full--exchange-de.eml", "mailbox_full"),
])
def test_soft_bounces_never_mark_an_address_undeliverable(name, reason):
    mail = _mail(name)
    assert (mail.bounce_kind, mail.bounce_reason) == ("soft", reason)
    assert mail.failed_recipients == []


def test_the_returned_original_does_not_leak_recipients():
    """The copy of our message under a bounce names us and others; only the report part counts."""
    mail = _mail("delivery_report--postfix-plain.eml")
    assert "support@help.example.com" not in mail.failed_recipients


def test_a_mailbox_full_status_in_a_delivery_report_is_soft():
    raw = (b"From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report; report-type=delivery-status; "
           b"boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\nsorry\r\n--Z\r\n"
           b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
           b"Final-Recipient: rfc822; full@box.example\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n--Z--\r\n")
    mail = parse_mail(raw)
    assert (mail.bounce_kind, mail.bounce_reason, mail.failed_recipients) == ("soft", "mailbox_full", [])


@pytest.mark.parametrize("name", ["forwarded-bounce-inline.eml", "undeliverable-subject-human.eml",
                                  "mailbox-full-complaint.eml", "delivery-delayed-logistics.eml"])
def test_people_talking_about_bounces_are_not_bounces(name):
    mail = _mail(f"human/{name}")
    assert mail.bounce_kind is None and mail.failed_recipients == []


def test_a_bounce_subject_from_a_person_without_a_report_is_not_a_bounce():
    mail = parse_mail(make_mail(subject="Undeliverable: invoices", body="Our invoices come back undeliverable."))
    assert mail.bounce_kind is None
