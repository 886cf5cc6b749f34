"""Staff work the ticket by email: notifications, relayed replies, commands, and forgeries."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest

from helpdesk.core.clock import parse_iso
from tests.conftest import make_mail


@pytest.fixture
def ticket(runtime):
    outcome = runtime.deliver(make_mail(subject="Export fails", body="The CSV export fails with error 42.",
                                        message_id="<orig@customer.example>"))
    return outcome["ticket"]


def _last_to(runtime, address):
    return [e for e in runtime.emails() if address in e.destinations][-1]


def test_new_ticket_notifies_the_owner_with_everything_needed(runtime, ticket):
    note = _last_to(runtime, "support-team@example.com")
    text = note.body()
    assert note.message["Auto-Submitted"] == "auto-generated"
    assert ".staff." in note.message["Reply-To"]
    assert "The CSV export fails with error 42." in text
    assert "Why this classification" in text and "rule" in text
    assert "Deadlines" in text and "First response" in text
    assert "#status investigating|pending|workaround|resolved|closed" in text
    assert "Account:" in text


def test_customer_reply_notifies_staff_with_only_the_new_text(runtime, ticket):
    ack = runtime.customer_emails()[0].message
    reply = make_mail(subject=f"Re: {ack['Subject']}", message_id="<r@customer.example>",
                      body="It also fails for PDF.\n\nOn Mon, Support wrote:\n> The CSV export fails with error 42.",
                      to=ack["Reply-To"])
    runtime.deliver(reply, recipients=[ack["Reply-To"]])
    note = _last_to(runtime, "support-team@example.com")
    assert "Customer reply" in note.subject
    assert "It also fails for PDF." in note.body() and "> The CSV export" not in note.body()


def test_staff_reply_is_relayed_threaded_without_staff_address_or_history(runtime, ticket):
    runtime.advance(timedelta(minutes=40))
    runtime.staff_reply(ticket, "Hi Ada, we found the bug and a fix ships today.\n\nJordan")
    relay = runtime.customer_emails()[-1]
    assert relay.destinations == ["ada@customer.example"]
    assert relay.message["From"].addresses[0].addr_spec == "support@help.example.com"
    assert "Jordan Reyes" in str(relay.message["From"])
    assert "jordan.reyes@example.com" not in relay.raw.decode("utf-8", "replace")
    assert relay.message["In-Reply-To"] == "<orig@customer.example>"
    assert "we found the bug" in relay.body() and "wrote:" not in relay.body()
    assert ".staff." not in relay.message["Reply-To"]
    confirmation = _last_to(runtime, "jordan.reyes@example.com")
    assert "reply sent" in confirmation.subject


def test_first_public_reply_stops_the_first_response_clock(runtime, ticket):
    runtime.advance(timedelta(minutes=40))
    runtime.staff_reply(ticket, "We are on it.")
    state = runtime.ticket(ticket)
    assert state["first_response_at"] == "2026-11-23T17:40:00Z"
    assert state["sla_first_response"]["outcome"] == "met"
    assert state["sla_first_response"]["minutes"] == 40
    runtime.advance(timedelta(minutes=5))
    runtime.staff_reply(ticket, "Still on it.")
    assert runtime.ticket(ticket)["first_response_at"] == "2026-11-23T17:40:00Z"


def test_attachments_in_a_staff_reply_reach_the_customer(runtime, ticket):
    note = [e for e in runtime.staff_emails() if e.message["X-Helpdesk-Ticket"] == str(ticket)][-1].message
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = "Jordan Reyes <jordan.reyes@example.com>"
    reply["To"] = note["Reply-To"]
    reply["Subject"] = f"Re: {note['Subject']}"
    reply["In-Reply-To"] = note["Message-ID"]
    reply["Message-ID"] = "<att-staff@example.com>"
    reply.set_content("Please find the workaround script attached.")
    reply.add_attachment(b"#!/bin/sh\necho fix\n", maintype="application", subtype="x-sh", filename="fix.sh")
    runtime.deliver(reply.as_bytes(), recipients=[str(note["Reply-To"])],
                    verdicts={"dkim": "PASS", "dmarc": "PASS"})
    relay = runtime.customer_emails()[-1].message
    [attachment] = list(relay.iter_attachments())
    assert attachment.get_filename() == "fix.sh" and attachment.get_content() == b"#!/bin/sh\necho fix\n"


@pytest.mark.parametrize(("command", "check"), [
    ("#status investigating", lambda t: t["status"] == "investigating"),
    ("#status workaround", lambda t: t["status"] == "workaround" and t["workaround_at"] == "2026-11-23T17:00:00Z"),
    ("#status resolved", lambda t: t["status"] == "resolved" and t["state_key"] == "resolved#2026-11"),
    ("#status closed", lambda t: t["status"] == "closed" and t["closed_at"]),
    ("#priority P1", lambda t: t["severity"] == "P1" and t["first_response_due"] == "2026-11-23T19:00:00Z"),
    ("#priority high", lambda t: t["severity"] == "P1"),
    ("#assign sam.lee@example.com", lambda t: t["owner"] == "sam.lee@example.com"),
    ("#ack", lambda t: t["acknowledged_at"] and t["chain_stopped_at"] and t["status"] == "acknowledged"),
    ("#update Exporter patched, verifying now.", lambda t: t["public_note"] == "Exporter patched, verifying now."),
    ("#rootcause Timeout in the CSV writer", lambda t: t["root_cause"] == "Timeout in the CSV writer"),
    ("#prevention Add a load test for exports", lambda t: t["prevention"] == "Add a load test for exports"),
    ("#tag exports", lambda t: "exports" in t["tags"]),
    ("#type feature", lambda t: t["issue_type"] == "feature_request"),
])
def test_each_command_changes_the_ticket(runtime, ticket, command, check):
    before = len(runtime.customer_emails())
    runtime.staff_reply(ticket, f"{command}\n#note\nInternal: handled.")
    state = runtime.ticket(ticket)
    assert check(state), state
    assert len(runtime.customer_emails()) == before, "#note keeps the whole reply internal"
    entries = [i for i in runtime.ticket_items(ticket) if i.get("actor") == "jordan.reyes@example.com"]
    assert entries, "every command is a thread entry naming who ran it"


def test_pending_pauses_and_escalate_publishes(runtime, ticket):
    runtime.staff_reply(ticket, "#status pending\n#escalate L2 customer asked for the VP\n#note\nwaiting")
    state = runtime.ticket(ticket)
    assert state["status"] == "pending" and state["paused_at"]
    manual = [n for n in runtime.notifications() if n["attributes"].get("trigger") == "manual"]
    assert manual and manual[0]["attributes"]["level"] == "L2"
    assert "customer asked for the VP" in manual[0]["bodies"]["email"]


def test_invalid_command_applies_nothing_and_explains(runtime, ticket):
    before = runtime.ticket(ticket)
    customer_before = len(runtime.customer_emails())
    runtime.staff_reply(ticket, "#status investigating\n#priority P9\n#frobnicate\nHello customer")
    after = runtime.ticket(ticket)
    assert after["status"] == before["status"] and after["version"] == before["version"]
    assert len(runtime.customer_emails()) == customer_before
    reply = _last_to(runtime, "jordan.reyes@example.com")
    assert "Not applied" in reply.subject
    assert "#priority P9" in reply.body() and "#frobnicate" in reply.body() and "#assign" in reply.body()


def test_forged_staff_mail_changes_nothing_and_is_logged(runtime, ticket):
    before = runtime.ticket(ticket)
    runtime.staff_reply(ticket, "#status closed\nClosing this.", authenticated=False)
    after = runtime.ticket(ticket)
    assert after["status"] == before["status"] == "new"
    events = [r for r in runtime.logs() if r.get("message") == "security_event"]
    assert events and events[0]["event"] == "staff_domain_unauthenticated"
    assert not any("Closing this." in e.body() for e in runtime.customer_emails())


def test_staff_token_of_another_ticket_is_rejected(runtime, ticket):
    other = runtime.deliver(make_mail(sender="bob@other.example", message_id="<other@x>"))["ticket"]
    note_for_first = [e for e in runtime.staff_emails() if e.message["X-Helpdesk-Ticket"] == str(ticket)][0].message
    note_for_other = [e for e in runtime.staff_emails() if e.message["X-Helpdesk-Ticket"] == str(other)][0].message
    reply = make_mail(sender="Jordan Reyes <jordan.reyes@example.com>", to=note_for_other["Reply-To"],
                      subject="Re: x", body="#status closed", message_id="<mix@example.com>",
                      headers={"In-Reply-To": note_for_first["Message-ID"]})
    outcome = runtime.deliver(reply, recipients=[str(note_for_other["Reply-To"])],
                              verdicts={"dkim": "PASS", "dmarc": "PASS"})
    assert outcome["reason"] == "staff_token_ticket_mismatch"
    assert runtime.ticket(other)["status"] == "new" and runtime.ticket(ticket)["status"] == "new"
    assert any(r.get("event") == "staff_token_for_other_ticket" for r in runtime.logs())


def test_customer_cannot_use_a_staff_token(runtime, ticket):
    note = [e for e in runtime.staff_emails() if e.message["X-Helpdesk-Ticket"] == str(ticket)][0].message
    forged = make_mail(to=note["Reply-To"], subject="Re: x", body="#status closed", message_id="<cust-staff@x>")
    runtime.deliver(forged, recipients=[str(note["Reply-To"])], verdicts={"dkim": "PASS", "dmarc": "PASS"})
    assert runtime.ticket(ticket)["status"] == "new"


def test_staff_reply_text_is_never_rendered_as_a_template(runtime, ticket):
    runtime.staff_reply(ticket, "Try {{ config }} and {% raw %} <script>alert(1)</script> in the field.")
    relay = runtime.customer_emails()[-1]
    assert "{{ config }}" in relay.body() and "{% raw %}" in relay.body()
    html = relay.body("html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_reply_to_resolved_ticket_reopens_it_inside_the_window(runtime, ticket):
    runtime.staff_reply(ticket, "#status resolved\nFixed in release 4.2.")
    runtime.advance(timedelta(days=2))
    relay = runtime.customer_emails()[-1].message
    runtime.deliver(make_mail(subject="Re: fixed?", body="It broke again this morning.", message_id="<again@x>",
                              to=relay["Reply-To"]), recipients=[str(relay["Reply-To"])])
    state = runtime.ticket(ticket)
    assert state["status"] == "investigating" and state["reopens"] == 1 and state["state_key"] == "open"
    assert any(i.get("kind") == "reopened" for i in runtime.ticket_items(ticket))


def test_reply_after_the_window_opens_a_linked_ticket(runtime, ticket):
    runtime.staff_reply(ticket, "#status resolved\nFixed in release 4.2.")
    runtime.advance(timedelta(days=2))
    runtime.sweep()  # auto-close after 3 days has not happened yet
    assert runtime.ticket(ticket)["status"] == "resolved"
    runtime.run_until(runtime.now() + timedelta(days=1, hours=1))
    assert runtime.ticket(ticket)["status"] == "closed", "closed automatically three days after resolution"
    runtime.advance(timedelta(days=6))
    relay = runtime.customer_emails()[-1].message
    outcome = runtime.deliver(make_mail(subject="Re: fixed?", body="Same problem again.", message_id="<late@x>",
                                        to=relay["Reply-To"]), recipients=[str(relay["Reply-To"])])
    assert outcome["outcome"] == "created" and outcome["ticket"] != ticket
    assert runtime.ticket(outcome["ticket"])["related_ticket"] == ticket
    assert parse_iso(runtime.ticket(ticket)["closed_at"]) < runtime.now()
