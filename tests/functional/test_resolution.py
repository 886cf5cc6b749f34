"""What customers and staff get after "resolved": summary, sponsor note, follow-ups, reviews, health."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.adapters.aws.store import Store
from tests.conftest import ROOT, make_mail


def _mails(runtime, ticket, word):
    return [e for e in runtime.emails() if e.message["X-Helpdesk-Ticket"] == str(ticket) and word in e.subject]


def _open_and_resolve(runtime, sender="dana@globex.example", body="Our production site is down for everyone."):
    from helpdesk_local.policy_cli import import_accounts

    import_accounts(Store(runtime.table()), ROOT / "events/accounts.yaml")
    ticket = runtime.deliver(make_mail(sender=sender, subject="Site down", body=body))["ticket"]
    runtime.run_until(runtime.now() + timedelta(minutes=50))  # nobody answers: the chain escalates meanwhile
    runtime.staff_reply(ticket, "#rootcause An expired TLS certificate on the load balancer.\n"
                                "#prevention Certificate expiry alarms 30 days ahead.\n"
                                "#status resolved\nWe renewed the certificate and the site is back.")
    runtime.run_until(runtime.now() + timedelta(minutes=2))
    return ticket


def test_resolution_summary_tells_the_customer_what_happened_and_what_is_next(runtime):
    ticket = _open_and_resolve(runtime)
    [summary] = _mails(runtime, ticket, "Resolved:")
    text = summary.body()
    assert summary.destinations == ["dana@globex.example"]
    assert "(50 minutes)" in text
    assert "An expired TLS certificate on the load balancer." in text
    assert "We renewed the certificate and the site is back." in text
    assert "Certificate expiry alarms 30 days ahead." in text
    assert "What we checked" not in text, "without #verified the section is left out, never a stock list"
    assert "we will ask how we handled this" in text and "check in" in text


def test_strategic_account_gets_a_note_from_its_executive_sponsor(runtime):
    ticket = _open_and_resolve(runtime)
    [note] = _mails(runtime, ticket, "A note from")
    assert "Sam Whitaker, COO" in note.body()
    assert "Sam Whitaker" in str(note.message["From"])
    other = runtime.deliver(make_mail(sender="ana@unknown-small.example", subject="Site down",
                                      body="Our production site is down.", message_id="<small@x>"))["ticket"]
    runtime.staff_reply(other, "#status resolved\nFixed.")
    runtime.run_until(runtime.now() + timedelta(minutes=2))
    assert _mails(runtime, other, "A note from") == [], "only strategic accounts with a sponsor"


def test_follow_ups_go_out_at_24h_and_a_week_and_are_counted(runtime):
    ticket = _open_and_resolve(runtime)
    runtime.run_until(runtime.now() + timedelta(hours=23))
    assert _mails(runtime, ticket, "Checking in") == []
    runtime.run_until(runtime.now() + timedelta(hours=2))
    assert len(_mails(runtime, ticket, "Checking in")) == 1
    runtime.run_until(runtime.now() + timedelta(days=7))
    assert len(_mails(runtime, ticket, "Checking in")) == 2
    state = runtime.ticket(ticket)
    assert state["followups_scheduled"] == 2 and state["followups_done"] == 2


def test_follow_ups_are_skipped_when_the_ticket_reopened(runtime):
    ticket = _open_and_resolve(runtime)
    relay = runtime.customer_emails()[-1].message
    runtime.deliver(make_mail(sender="dana@globex.example", subject="Re: resolved", body="It is down again.",
                              message_id="<again@x>", to=relay["Reply-To"]), recipients=[str(relay["Reply-To"])])
    runtime.run_until(runtime.now() + timedelta(hours=1))
    runtime.staff_reply(ticket, "#status resolved\nFixed for good this time: the renewal job is automated.")
    runtime.run_until(runtime.now() + timedelta(days=8))
    state = runtime.ticket(ticket)
    assert state["followups_skipped"] == 2, "the first resolution's follow-ups were dropped"
    assert len(_mails(runtime, ticket, "Checking in")) == 2, "only the second resolution's follow-ups went out"
    assert state["followups_done"] == 2 and state["reopens"] == 1


def test_post_incident_review_reminders_carry_a_skeleton(runtime):
    ticket = _open_and_resolve(runtime)
    [debrief] = _mails(runtime, ticket, "Debrief due")
    text = debrief.body()
    assert debrief.destinations == ["support-team@example.com"]
    for part in ("1. Timeline", "reported by the customer", "escalated to", "status changed",
                 "2. SLA clocks", "First response", "3. Root cause so far", "An expired TLS certificate",
                 "4. Prevention so far", "5. Open questions"):
        assert part in text, part
    runtime.run_until(runtime.now() + timedelta(days=6, hours=1))
    assert [e for e in runtime.staff_emails() if "Formal post-incident review" in e.subject]


def test_health_window_flags_and_escalates_the_next_ticket(runtime):
    from helpdesk_local.policy_cli import import_accounts

    runtime.stop()
    from helpdesk_local.runtime import LocalRuntime

    with LocalRuntime(start=runtime.now(), parameters={"PolicyName": "p1-p4"}) as rt:
        import_accounts(Store(rt.table()), ROOT / "events/accounts.yaml")
        first = rt.deliver(make_mail(sender="dana@globex.example", subject="Checkout down",
                                     body="Checkout is down in all stores, a complete outage."))["ticket"]
        rt.staff_reply(first, "#status resolved\nFixed.")
        rt.run_until(rt.now() + timedelta(days=10))
        second = rt.deliver(make_mail(sender="sam@globex.example", subject="Typo on invoice page",
                                      body="A small typo on the invoice page, no rush.", message_id="<typo@x>"))
        state = rt.ticket(second["ticket"])
        assert state["health_watch"]["source_ticket"] == first
        published = [n for n in rt.notifications() if n["attributes"].get("ticket") == str(second["ticket"])]
        assert [n["attributes"]["trigger"] for n in published] == ["health_window"]
        assert published[0]["attributes"]["level"] == "L2"  # P4 would start at L1; it starts one higher
        note = [e for e in rt.staff_emails() if e.message["X-Helpdesk-Ticket"] == str(second["ticket"])][0]
        assert "Account health watch" in note.body()
        rt.run_until(rt.now() + timedelta(days=21))
        third = rt.deliver(make_mail(sender="sam@globex.example", subject="Another typo",
                                     body="Another small typo, no rush.", message_id="<typo2@x>"))
        assert rt.ticket(third["ticket"]).get("health_watch") is None, "the 30-day window has ended"
