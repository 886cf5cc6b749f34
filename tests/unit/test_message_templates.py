"""Each message template per preset and severity, rendered from a planned ticket: the wording the
policy chose (critical, standard, low), targets in one unit with their deadline, who signs, real
HTML and text that wraps between words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.accounts.model import Account
from helpdesk.messages.acknowledgment import acknowledgment_context
from helpdesk.messages.rendering import render
from helpdesk.messages.wording import plain_duration, strip_greeting_and_signoff, target_text
from helpdesk.policy.loader import load_policy, preset_names
from helpdesk.sla.performers import update_context
from helpdesk.sla.targets import due_fields, plan
from helpdesk.tickets.context import TicketContext
from helpdesk.tickets.records import Ticket

OPENED = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # Fri 27 Nov, 10:00 in Los Angeles
SUM_OF_UNITS = re.compile(r"\b\d+ (?:weeks?|days?|hours?|minutes?) \d+ (?:days?|hours?|minutes?)\b")
ACCOUNT = Account(domain="globex.example", name="Globex Corporation", csm_name="Jordan Reyes",
                  csm_email="jordan.reyes@example.com", csm_phone="+1 415 555 0101", flags=frozenset({"reference"}))
PRESETS = [(name, severity) for name in preset_names() for severity in load_policy(name).severities]


def _ticket(policy, severity, **fields):
    targets = plan(policy, severity, OPENED, ACCOUNT)
    return Ticket(number=1001, severity=severity, requester="dana@globex.example", requester_name="Dana",
                  subject="Re: [#1001] Re:  Login broken", created_at=OPENED, account_domain=ACCOUNT.domain,
                  account_name=ACCOUNT.name, excerpt=["Nobody can log in."], **{**due_fields(targets), **fields})


def _ack(policy, ticket):
    return render(policy.templates.acknowledgment,
                  acknowledgment_context(ticket, ACCOUNT, policy, "Customer Support", "support@example.com"))


def _assert_well_formed(mail):
    assert "<pre" not in mail.html and "<p" in mail.html
    assert not SUM_OF_UNITS.search(mail.text), SUM_OF_UNITS.search(mail.text)
    long_lines = [line for line in mail.text.splitlines() if len(line) > 76 and " " in line.strip()]
    assert not long_lines, long_lines
    assert mail.subject == mail.subject.strip() and "  " not in mail.subject
    assert mail.subject.count("[#") == 1 and mail.subject.lower().count("re:") <= 1


@pytest.mark.parametrize(("preset", "severity"), PRESETS)
def test_acknowledgment_per_preset_and_severity(preset, severity):
    policy = load_policy(preset)
    style = policy.templates.styles.get(severity, "standard")
    mail = _ack(policy, _ticket(policy, severity))
    _assert_well_formed(mail)
    assert mail.subject == "[#1001] Re: Login broken"
    text = " ".join(mail.text.split())
    assert "ticket #1001" in text and "by " in text and "within " in text
    if style == "critical":
        for part in ("What we have done so far", "Logged your report as ticket #1001", "+1 415 555 0101",
                     "Next update:", "Resolution target: within", "escalates automatically"):
            assert part in text, part
    if style == "low":
        assert "Resolution target" not in text and "What we have done" not in text and len(mail.text) < 800
    if style == "standard":
        assert "Resolution target: within" in text and "First response: within" in text
    assert mail.text.rstrip().endswith("Jordan Reyes\nCustomer Support · jordan.reyes@example.com · +1 415 555 0101")


def test_every_preset_gives_each_style_to_some_severity():
    for name in preset_names():
        styles = set(load_policy(name).templates.styles.values())
        assert styles == {"critical", "standard", "low"}, name


def test_signature_is_the_named_owner_else_the_team():
    policy = load_policy("p0-p3")
    owned = _ack(policy, _ticket(policy, "P2", owner="sam.ortiz@example.com"))
    assert owned.text.rstrip().endswith("Sam Ortiz\nCustomer Support · sam.ortiz@example.com")
    bare = Account(domain="small.example", name="Small Co")
    ticket = _ticket(policy, "P2")
    mail = render("acknowledgment", acknowledgment_context(ticket, bare, policy, "Customer Support",
                                                           "support@example.com"))
    assert mail.text.rstrip().endswith("Kind regards,\nCustomer Support")


def test_a_low_priority_target_reads_as_business_days_with_its_deadline():
    policy = load_policy("p0-p3")  # P3: 48h of a 12-hour business day, opened on a Friday morning
    mail = _ack(policy, _ticket(policy, "P3"))
    assert "we will reply within 4 business days, by Thu 03 Dec" in " ".join(mail.text.split())


def test_target_wording_uses_one_unit():
    day = timedelta(hours=12)
    assert plain_duration(timedelta(hours=36), day) == "3 business days"
    assert plain_duration(timedelta(hours=6), day) == "6 business hours"
    assert plain_duration(timedelta(minutes=15)) == "15 minutes"
    assert plain_duration(timedelta(hours=2)) == "2 hours"
    assert plain_duration(timedelta(weeks=1, days=3, hours=12)) == "11 days"
    assert plain_duration(timedelta(weeks=2)) == "2 weeks"
    due = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    from zoneinfo import ZoneInfo
    assert target_text(timedelta(hours=12), due, ZoneInfo("America/Los_Angeles"), day) == \
        "within 1 business day, by Mon 30 Nov 10:00 PST"


WITH_CADENCE = [(name, sev) for name, sev in PRESETS if load_policy(name).severities[sev].update_every]


@pytest.mark.parametrize(("preset", "severity"), WITH_CADENCE)
def test_update_with_news_and_without(preset, severity):
    policy = load_policy(preset)
    now = OPENED + timedelta(hours=2)
    quiet = TicketContext(_ticket(policy, severity), ACCOUNT, policy)
    mail = render(policy.templates.customer_update,
                  update_context(quiet, 1, now + timedelta(hours=1), [], now, "Customer Support"))
    _assert_well_formed(mail)
    text = " ".join(mail.text.split())
    assert "no news yet" in mail.subject and "There is no news since" in text
    assert "No engineer has taken ownership yet" in text and "keeps escalating automatically" in text
    assert "being worked on" not in text
    owned = _ticket(policy, severity, status="investigating", acknowledged_at=OPENED + timedelta(minutes=5),
                    acknowledged_by="sam.ortiz@example.com", owner="sam.ortiz@example.com",
                    public_note="We found the faulty cache node and are replacing it.",
                    public_note_at=OPENED + timedelta(hours=1), eta="4h", eta_at=OPENED + timedelta(hours=5),
                    next_steps="Replace the node, then watch the error rate for an hour.")
    news = ["Sam Ortiz took ownership of your ticket at Fri 27 Nov 10:05 PST."]
    mail = render(policy.templates.customer_update,
                  update_context(TicketContext(owned, ACCOUNT, policy), 2, now + timedelta(hours=1), news, now,
                                 "Customer Support"))
    _assert_well_formed(mail)
    text = " ".join(mail.text.split())
    assert "no news" not in mail.subject and "What changed since" in text and news[0] in text
    assert "We found the faulty cache node" in text and "Replace the node" in text
    assert "Estimated time to resolution: by Fri 27 Nov 15:00 PST" in text
    assert "No engineer has taken ownership" not in text
    assert mail.text.rstrip().endswith("Sam Ortiz\nCustomer Support · sam.ortiz@example.com")


def test_the_resolving_reply_loses_its_greeting_and_sign_off():
    reply = ("Dana, logins work again: we replaced the expired certificate on the load balancer.\n\n"
             "Thank you for your patience,\nSam")
    assert strip_greeting_and_signoff(reply) == \
        "Logins work again: we replaced the expired certificate on the load balancer."
    assert strip_greeting_and_signoff("Hi Dana,\n\nThe export job runs again.\n\nBest regards,\nSam Ortiz") == \
        "The export job runs again."
