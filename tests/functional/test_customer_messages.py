"""What customers and owners read as a ticket runs: updates with and without news, the owner's nudge,
overnight folding, the summary from #fix and #verified, and aftercare spaced off weekends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from helpdesk.adapters.aws.store import Store
from tests.conftest import ROOT, make_mail

PACIFIC = ZoneInfo("America/Los_Angeles")
OUTAGE = {"subject": "Production is down", "body": "Our platform is down, nobody can log in."}


def _open(runtime, sender="ops@acme-corp.example", **kwargs):
    outcome = runtime.deliver(make_mail(sender=sender, message_id=f"<{sender}-{len(runtime.emails())}@x>",
                                        **(kwargs or OUTAGE)))
    assert outcome["outcome"] == "created"
    return outcome["ticket"]


def _mails(runtime, ticket, word):
    found = [e for e in runtime.emails() if e.message["X-Helpdesk-Ticket"] == str(ticket) and word in e.subject]
    return [e for e in found if "Update due at" not in e.subject] if word == "] Update " else found


def _text(mail):
    return " ".join(mail.body("plain").split())


def _local(mail):
    return parsedate_to_datetime(mail.message["Date"]).astimezone(PACIFIC)


def test_an_update_before_anyone_acknowledged_says_how_we_are_getting_someone_on_it(runtime):
    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=31))
    [update] = _mails(runtime, ticket, "] Update 1")
    text = _text(update)
    assert "No engineer has taken ownership yet" in text and "keeps escalating automatically" in text
    assert "Escalated to our" in text, "the escalation that really happened is named"
    assert "being worked on" not in text and "took ownership" not in text


def test_with_nothing_new_the_owner_is_nudged_and_the_update_says_so_honestly(runtime):
    ticket = _open(runtime)
    runtime.advance(timedelta(minutes=1))
    runtime.staff_reply(ticket, "#ack")
    runtime.run_until(runtime.now() + timedelta(minutes=30))
    [first] = _mails(runtime, ticket, "] Update 1")
    assert "took ownership of your ticket" in _text(first) and "no news" not in first.subject
    assert "No engineer has taken ownership" not in _text(first)
    assert _mails(runtime, ticket, "Update due at") == [], "there was news: nobody is nudged"
    runtime.run_until(runtime.now() + timedelta(minutes=14))  # 15 minutes before update 2
    [nudge] = _mails(runtime, ticket, "Update due at")
    assert nudge.destinations == ["jordan.reyes@example.com"]
    assert nudge.subject == "[#1001] Update due at Mon 10:00, nothing new since Mon 09:30"
    assert "#1001 update due at Mon 10:00, nothing new since Mon 09:30: reply with #update." in _text(nudge)
    runtime.run_until(runtime.now() + timedelta(minutes=16))
    [second] = _mails(runtime, ticket, "] Update 2")
    text = _text(second)
    assert "(no news yet)" in second.subject and "There is no news since our last message at Mon 23 Nov 09:30" in text
    assert "Next update: by Mon 23 Nov 10:30 PST" in text
    # The owner answers the nudge: the next update carries the note, the estimate and the next steps.
    runtime.staff_reply(ticket, "#update The database failover finished; logins are coming back region by region.\n"
                                "#eta 2h\n#next Bring the last two regions back, then watch error rates.")
    runtime.run_until(runtime.now() + timedelta(minutes=31))
    assert len(_mails(runtime, ticket, "Update due at")) == 1, "news arrived before the third nudge"
    [third] = _mails(runtime, ticket, "] Update 3")
    text = _text(third)
    assert "(no news" not in third.subject and "What changed since" in text
    assert "The database failover finished" in text and "Bring the last two regions back" in text
    assert "Estimated time to resolution: by Mon 23 Nov 12:0" in text


def test_overnight_updates_with_no_news_fold_into_one_until_there_is_news(runtime):
    ticket = _open(runtime)
    runtime.advance(timedelta(minutes=1))
    runtime.staff_reply(ticket, "#ack\n#priority P1")  # High: every 2 hours, folded at night by the preset
    runtime.run_until(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tue 02:00 in Los Angeles
    updates = _mails(runtime, ticket, "] Update ")
    assert [_local(m).hour for m in updates] == [11, 13, 15, 17, 19, 21], "nothing new: the night is folded"
    assert "Next update: by Tue 24 Nov 07:00 PST" in _text(updates[-1]), "the last evening update says when"
    assert all(7 <= _local(m).hour < 22 for m in _mails(runtime, ticket, "Update due at")), \
        "nobody is woken for an update that will not be sent"
    runtime.staff_reply(ticket, "#update We traced it to a failed storage controller and are replacing it.")
    runtime.run_until(datetime(2026, 11, 24, 15, 30, tzinfo=UTC))  # Tue 07:30
    night = [m for m in _mails(runtime, ticket, "] Update ") if not 7 <= _local(m).hour < 22]
    assert [_local(m).hour for m in night] == [3, 5], "news goes out at once, then one 'no news yet', no more"
    assert "failed storage controller" in _text(night[0]) and "(no news yet)" in night[1].subject
    assert [m for m in _mails(runtime, ticket, "] Update ") if _local(m).hour == 7], "the morning update is sent"


def _resolve(runtime, reply):
    from helpdesk_local.policy_cli import import_accounts

    import_accounts(Store(runtime.table()), ROOT / "events/accounts.yaml")
    ticket = _open(runtime, sender="dana@globex.example", subject="Logins fail", body="Nobody can log in to the site.")
    runtime.run_until(runtime.now() + timedelta(minutes=10))
    runtime.staff_reply(ticket, reply)
    runtime.run_until(runtime.now() + timedelta(minutes=2))
    [summary] = _mails(runtime, ticket, "Resolved:")
    return ticket, summary


REPLY = "Dana, logins work again after we renewed the certificate.\n\nThank you for your patience,\nJordan"


def test_the_summary_uses_fix_and_verified_when_staff_give_them(runtime):
    _, summary = _resolve(runtime, "#fix We renewed the expired TLS certificate and automated its renewal.\n"
                                   "#verified Logged in from three regions; the error rate is back to zero.\n"
                                   "#status resolved\n" + REPLY)
    text = _text(summary)
    assert "How we fixed it: We renewed the expired TLS certificate and automated its renewal." in text
    assert "What we checked: Logged in from three regions; the error rate is back to zero." in text
    assert "Dana, logins" not in text and "Thank you for your patience" not in text
    assert "<pre" not in summary.body("html") and "<h2" in summary.body("html")


def test_without_fix_the_resolving_reply_is_used_without_greeting_or_sign_off(runtime):
    _, summary = _resolve(runtime, "#status resolved\n" + REPLY)
    text = _text(summary)
    assert "How we fixed it: Logins work again after we renewed the certificate." in text
    assert "Dana," not in text and "Thank you for your patience" not in text and "Jordan\n" not in text
    assert "What we checked" not in text, "without #verified the section is left out"


def test_aftercare_is_spaced_and_never_on_a_weekend_for_business_time_severities():
    from helpdesk_local.runtime import LocalRuntime

    friday = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # Fri 13:00 in Los Angeles
    with LocalRuntime(start=friday) as rt:
        ticket = _open(rt, subject="Reports are slow", body="The usage report takes a minute to load.")
        rt.staff_reply(rt.ticket(ticket)["number"], "#priority P2\n#status resolved\nThe report index was rebuilt.")
        rt.run_until(friday + timedelta(days=10))
        after = [m for m in rt.customer_emails() if m.message["X-Helpdesk-Ticket"] == str(ticket)
                 and ("Checking in" in m.subject or "How did we do" in m.subject)]
        assert len(after) == 3, [m.subject for m in after]
        assert all(_local(m).weekday() < 5 for m in after), [(m.subject, _local(m)) for m in after]
        times = sorted(parsedate_to_datetime(m.message["Date"]) for m in after)
        assert all(b - a >= timedelta(hours=4) for a, b in zip(times, times[1:], strict=False))
        first_check, survey = after[0], after[1]
        assert "Checking in" in first_check.subject and "How did we do" in survey.subject


def test_the_formal_review_reminder_falls_on_a_weekday(runtime):
    ticket = _open(runtime)  # P0 on the 24x7 clock, resolved on a Monday: the review is due next Monday
    runtime.staff_reply(ticket, "#status resolved\nThe load balancer is healthy again.")
    runtime.run_until(runtime.now() + timedelta(days=8))
    [formal] = [m for m in runtime.staff_emails() if "Formal post-incident review" in m.subject]
    assert _local(formal).weekday() == 4, "reminded on the Friday before the Monday deadline"
    assert "due Mon 30 Nov 2026" in formal.subject
    html = formal.body("html")
    assert "<pre" not in html and "<table" in html and "PST" in html and "Workaround" in html or "workaround" in html


def test_replies_carry_one_tag_one_re_and_the_whole_chain_in_references(runtime):
    ticket = _open(runtime, subject="Re: [#998] Re:  Production is down")
    ack = runtime.customer_emails()[-1]
    assert ack.subject == "[#1001] Re: Production is down"
    relay = ack.message
    runtime.deliver(make_mail(sender="ops@acme-corp.example", subject=f"Re: {ack.subject}", body="Still down.",
                              message_id="<second@x>", to=relay["Reply-To"]), recipients=[str(relay["Reply-To"])])
    runtime.staff_reply(ticket, "We are failing over now.")
    answer = runtime.customer_emails()[-1]
    assert answer.subject.count("[#") == 1 and answer.subject.lower().count("re:") == 1
    references = str(answer.message["References"]).split()
    assert references[0] == runtime.ticket(ticket)["root_message_id"] and "<second@x>" in references
    assert references[-1] == str(answer.message["In-Reply-To"])
