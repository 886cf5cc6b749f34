"""The SLA engine under stress: overlapping sweeps, crashes, throttling, pauses and re-plans."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

from helpdesk.core.clock import parse_iso
from tests.conftest import make_mail

OUTAGE = {"subject": "Production is down", "body": "Our platform is down, nobody can log in."}
QUESTION = {"subject": "Question about report filters", "body": "How do I filter the usage report by team?"}


def _open(runtime, sender="ops@acme-corp.example", **kwargs):
    outcome = runtime.deliver(make_mail(sender=sender, message_id=f"<{sender}-{len(runtime.emails())}@x>",
                                        **(kwargs or OUTAGE)))
    assert outcome["outcome"] == "created"
    return outcome["ticket"]


def _updates(runtime, ticket):
    return [e for e in runtime.customer_emails()
            if e.message["X-Helpdesk-Ticket"] == str(ticket) and "] Update " in e.subject]


def _published(runtime, **match):
    return [n for n in runtime.notifications() if all(n["attributes"].get(k) == v for k, v in match.items())]


def test_two_sweeps_at_the_same_moment_send_everything_exactly_once(runtime):
    from helpdesk_local.events import scheduled_event

    tickets = [_open(runtime, sender=f"ops{i}@acme{i}.example") for i in range(4)]
    before_mail, before_sns = len(runtime.emails()), len(runtime.notifications())
    runtime.advance(timedelta(minutes=45))  # warnings, breach, escalations and updates are all due now
    runtime.invoke("SlaSweeperFunction", scheduled_event(runtime.now()))  # warm the handler before racing
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        barrier.wait()
        try:
            runtime.invoke("SlaSweeperFunction", scheduled_event(runtime.now()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    mail = Counter((tuple(e.destinations), e.subject) for e in runtime.emails()[before_mail:])
    assert mail and max(mail.values()) == 1
    sns = Counter((n["attributes"].get("ticket"), n["attributes"].get("kind"), n["attributes"].get("sms_to"),
                   n["attributes"].get("level"), n["attributes"].get("trigger"), n["subject"])
                  for n in runtime.notifications()[before_sns:])
    assert sns and max(sns.values()) == 1
    for ticket in tickets:
        assert len(_updates(runtime, ticket)) == 1


def test_crash_after_send_before_completion_resends_exactly_once_after_the_lease(runtime, monkeypatch):
    from helpdesk.sla.due_work import DueWork

    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=29))
    assert _updates(runtime, ticket) == []
    real_commit = DueWork._commit
    crashed = []

    def crash_once(self, commits):
        if any(item.kind == "update" for item, _, _ in commits) and not crashed:
            crashed.append(next("DUE#" + item.id for item, _, _ in commits if item.kind == "update"))
            raise RuntimeError("Lambda died after sending")
        return real_commit(self, commits)

    monkeypatch.setattr(DueWork, "_commit", crash_once)
    runtime.advance(timedelta(minutes=1))
    runtime.sweep()  # update #1 is sent, then the worker dies before completing it
    assert len(_updates(runtime, ticket)) == 1 and crashed
    runtime.advance(timedelta(minutes=1))
    runtime.sweep()  # still leased: nothing is resent yet
    assert len(_updates(runtime, ticket)) == 1
    runtime.advance(timedelta(minutes=2))
    runtime.sweep()  # the lease has lapsed: exactly one resend
    assert len(_updates(runtime, ticket)) == 2
    runtime.advance(timedelta(minutes=1))
    runtime.sweep()
    assert len(_updates(runtime, ticket)) == 2
    item = runtime.table().get(f"TICKET#{ticket}", crashed[0])
    assert item["status"] == "done" and "due_shard" not in item


def test_crash_before_send_sends_on_the_next_sweep(runtime, monkeypatch):
    from helpdesk.adapters.aws.mailer import Mailer

    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=29))
    real_send = Mailer.send_raw
    calls = []

    def die_before_sending(self, source, destinations, raw):
        if b"] Update 1" in raw and not calls:
            calls.append(1)
            raise RuntimeError("Lambda died before sending")
        return real_send(self, source, destinations, raw)

    monkeypatch.setattr(Mailer, "send_raw", die_before_sending)
    runtime.advance(timedelta(minutes=1))
    runtime.sweep()
    assert _updates(runtime, ticket) == [] and calls
    runtime.run_until(runtime.now() + timedelta(minutes=4))
    assert len(_updates(runtime, ticket)) == 1


def test_nothing_due_is_lost_when_ses_and_sns_throttle_for_ten_minutes(runtime, monkeypatch):
    from helpdesk.adapters.aws.mailer import Mailer
    from helpdesk.adapters.aws.notifier import Notifier
    from helpdesk.core.errors import TransientAwsError

    # Three different outages (three alike from three accounts would be one incident, whose cadence
    # this test is not about): each ticket keeps its own 30-minute updates.
    outages = [{"subject": "Production down: nobody can log in", "body": "Production is down. Every user gets a "
                "500 error on sign in."},
               {"subject": "Production down: checkout fails", "body": "Production is down. Every payment at "
                "checkout fails with a 500 error."},
               {"subject": "Production down: exports fail", "body": "Production is down. Every CSV export "
                "fails with a 500 error."}]
    tickets = [_open(runtime, sender=f"ops{i}@acme{i}.example", **outages[i]) for i in range(3)]
    storm_ends = runtime.now() + timedelta(minutes=10)
    chaos = random.Random(7)
    real_send, real_publish = Mailer.send_raw, Notifier.publish

    def flaky(real):
        def call(self, *args, **kwargs):
            if runtime.now() < storm_ends and chaos.random() < 0.3:
                raise TransientAwsError("Throttling")
            return real(self, *args, **kwargs)
        return call

    monkeypatch.setattr(Mailer, "send_raw", flaky(real_send))
    monkeypatch.setattr(Notifier, "publish", flaky(real_publish))
    runtime.run_until(runtime.now() + timedelta(hours=1), every_minute=True)
    pending = [i for t in tickets for i in runtime.ticket_items(t)
               if i["SK"].startswith("DUE#") and i.get("status") == "pending"
               and parse_iso(i["due_at"]) <= runtime.now()]
    assert pending == []
    mail = Counter((tuple(e.destinations), e.subject) for e in runtime.emails())
    assert max(mail.values()) <= 2
    for ticket in tickets:
        assert runtime.ticket(ticket)["ack_sent_at"]
        assert len(_updates(runtime, ticket)) == 2  # P0: every 30 minutes
        assert runtime.ticket(ticket)["breached_first_response_at"]


def test_public_reply_resets_the_update_cadence(runtime):
    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=20))
    runtime.staff_reply(ticket, "We are failing over the database now.")
    runtime.run_until(runtime.now() + timedelta(minutes=25))  # 45 min after opening
    assert _updates(runtime, ticket) == [], "the reply at 20 min already informed the customer"
    runtime.run_until(runtime.now() + timedelta(minutes=6))  # 20 + 30 = 50 min
    assert len(_updates(runtime, ticket)) == 1


def test_updates_stop_when_resolved(runtime):
    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=31))
    runtime.staff_reply(ticket, "#status resolved\nFixed: the load balancer is healthy again.")
    runtime.run_until(runtime.now() + timedelta(hours=3))
    assert len(_updates(runtime, ticket)) == 1


def test_pending_pauses_the_clock_and_records_waiting_time(runtime):
    ticket = _open(runtime, **QUESTION)  # P3 on the business clock: Mon 09:00 PT, 48 business hours
    due_before = parse_iso(runtime.ticket(ticket)["resolution_due"])
    runtime.advance(timedelta(hours=1))
    runtime.staff_reply(ticket, "#status pending\nCould you send a screenshot of the filter panel?")
    runtime.run_until(runtime.now() + timedelta(hours=3))
    runtime.deliver(make_mail(subject="Re: filters", body="Here is the screenshot.", message_id="<shot@x>",
                              to=runtime.customer_emails()[-1].message["Reply-To"]),
                    recipients=[str(runtime.customer_emails()[-1].message["Reply-To"])])
    runtime.staff_reply(ticket, "#status investigating\nThanks, looking at it.")
    state = runtime.ticket(ticket)
    assert state["paused_seconds"] == 3 * 3600 and state["waiting_seconds"] == 3 * 3600
    assert parse_iso(state["resolution_due"]) == due_before + timedelta(hours=3)


def test_severity_change_replans_from_the_original_open_time(runtime):
    ticket = _open(runtime, **QUESTION)
    opened = parse_iso(runtime.ticket(ticket)["created_at"])
    runtime.advance(timedelta(minutes=10))
    runtime.staff_reply(ticket, "#priority P1\n#note\nCustomer says 40 people are blocked.")
    state = runtime.ticket(ticket)
    assert state["severity"] == "P1"
    assert parse_iso(state["first_response_due"]) == opened + timedelta(hours=2)  # not 2h from the change
    runtime.run_until(opened + timedelta(hours=2, minutes=1))
    assert runtime.ticket(ticket)["breached_first_response_at"]


def _chain_briefings(runtime, ticket):
    """Briefings that include a chain step (merged briefings list every reason in `triggers`)."""
    return [n for n in _published(runtime, ticket=str(ticket), kind="briefing")
            if "chain" in (n["attributes"].get("triggers") or [n["attributes"].get("trigger")])]


def test_acknowledging_stops_later_steps_of_the_chain(runtime):
    ticket = _open(runtime)
    runtime.run_until(runtime.now() + timedelta(minutes=16))
    first_wave = len(_chain_briefings(runtime, ticket))
    assert first_wave >= 1
    runtime.staff_reply(ticket, "#ack")
    runtime.run_until(runtime.now() + timedelta(hours=6))
    assert len(_chain_briefings(runtime, ticket)) == first_wave
    items = runtime.ticket_items(ticket)
    acked_at = next(i["at"] for i in items if i.get("kind") == "acknowledged")
    chain = [i for i in items if i.get("kind") == "escalation" and "chain" in (i.get("triggers") or [])]
    assert chain and all(i["at"] < acked_at for i in chain)


def test_escalation_messages_carry_filterable_attributes_and_executive_roles(runtime):
    from helpdesk.adapters.aws.store import Store
    from helpdesk_local.policy_cli import import_accounts
    from tests.conftest import ROOT

    import_accounts(Store(runtime.table()), ROOT / "events/accounts.yaml")
    ticket = _open(runtime, sender="dana@globex.example", subject="We will not renew",
                   body="After this outage we will not renew our contract. "
                        "We also found unauthorized access to records.")
    briefings = _published(runtime, ticket=str(ticket), kind="briefing")
    triggers = {b["attributes"]["trigger"] for b in briefings}
    assert {"churn_threat", "security_incident"} <= triggers
    for briefing in briefings:
        assert set(briefing["attributes"]) >= {"level", "role", "severity", "trigger", "ticket"}
    churn = next(b for b in briefings if b["attributes"]["trigger"] == "churn_threat")
    assert "ceo" in churn["attributes"]["role"], "$2.4M ARR at risk involves the CEO"
    assert "cto" in churn["attributes"]["role"], "a security incident involves the CTO"
    text = churn["bodies"]["email"]
    for section in ("SUMMARY", "CUSTOMER", "ISSUE AND TIMELINE", "ACTIONS TAKEN", "RISK ASSESSMENT",
                    "RECOMMENDATION"):
        assert section in text
    assert "$2,400,000" in text and "2027-02-28" in text and "Churn risk:       high" in text


def test_sms_fits_one_gsm7_segment(runtime):
    from helpdesk.escalation.sms import CODEC

    _open(runtime, sender="ops@very-long-company-name-international-holdings.example",
          subject="Ünïcödé données perdues — système en panne",
          body="Our platform is down 🔥 and we lost data: records were deleted. Café closed.")
    texts = [n["bodies"]["sms"] for n in _published(runtime, kind="sms")]
    assert texts
    for text in texts:
        assert len(text.encode(CODEC)) <= 160  # encodes in the GSM 03.38 alphabet, in one segment
        assert "#1001" in text and "P0" in text and "/a/" in text  # a one-tap acknowledgment link, not a CLI line


def test_sms_per_recipient_is_limited_to_five_per_fifteen_minutes_with_a_digest(runtime):
    for i in range(7):  # each P0 with lost data escalates to L2 at once, which pages the on-call phone
        _open(runtime, sender=f"ops{i}@burst{i}.example", subject="Data loss",
              body="We lost data: records were deleted from production.")
    on_call = "+14155550100"
    sms = [n for n in _published(runtime, kind="sms") if n["attributes"]["sms_to"] == on_call]
    assert len(sms) == 5
    runtime.run_until(runtime.now() + timedelta(minutes=16))
    digest = [n for n in _published(runtime, kind="sms")
              if n["attributes"]["sms_to"] == on_call and n["attributes"].get("trigger") == "sms_digest"]
    assert len(digest) == 1
    assert "more escalations held back" in digest[0]["bodies"]["sms"] and len(digest[0]["bodies"]["sms"]) <= 160


def test_quiet_hours_defer_non_critical_notifications_without_dropping_them(runtime):
    runtime.advance(timedelta(hours=13, minutes=30))  # Mon 22:30 Pacific: quiet hours
    ticket = _open(runtime, subject="Reports are very slow", body="The reports page is very slow for many users.")
    assert runtime.ticket(ticket)["severity"] == "P1"
    runtime.run_until(runtime.now() + timedelta(hours=6))
    assert _published(runtime, ticket=str(ticket), kind="briefing") == []  # 04:30, still quiet
    runtime.run_until(runtime.now() + timedelta(hours=3))  # past 07:00
    published = _published(runtime, ticket=str(ticket), kind="briefing")
    assert published
    first = [e for e in runtime.timeline if e.kind == "escalation_published" and e.ticket == ticket][0]
    assert first.at.isoformat() == "2026-11-24T15:00:00+00:00"  # 07:00 Pacific, the end of quiet hours


def test_permanent_send_failure_is_recorded_and_reported_to_ops(runtime, monkeypatch):
    from helpdesk.adapters.aws.mailer import Mailer
    from helpdesk.core.errors import PermanentSendError

    ticket = _open(runtime)
    real = Mailer.send_raw

    def reject_updates(self, source, destinations, raw):
        if b"] Update " in raw:
            raise PermanentSendError("MessageRejected")
        return real(self, source, destinations, raw)

    monkeypatch.setattr(Mailer, "send_raw", reject_updates)
    runtime.run_until(runtime.now() + timedelta(minutes=31))
    failed = [i for i in runtime.ticket_items(ticket) if i.get("kind") == "send_failed"]
    assert failed and failed[0]["what"] == "update"
    ops = runtime.notifications("OpsTopic")
    assert any(f"#{ticket}" in n["subject"] for n in ops)
    item = runtime.table().get(f"TICKET#{ticket}", "DUE#p1#update#0001")
    assert item["status"] == "failed" and "due_shard" not in item
