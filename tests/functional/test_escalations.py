"""Escalations as managers and executives receive them: once per level, in order, with the stakes,
answerable from a phone, and never lost.

Each test drives the embedded runtime (real handlers, moto SNS/SES/DynamoDB) and reads what was
published to the escalation topic, what the ticket recorded, and what the SMS due work did.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gsm0338  # noqa: F401 - registers the GSM 03.38 codec an SMS must fit
import pytest

from helpdesk.policy.loader import load_policy, policy_path
from helpdesk_local.runtime import LocalRuntime
from helpdesk_local.survey_server import open_link
from tests.conftest import MONDAY_9AM_PT, ROOT, make_mail

GLOBEX = "Dana Whitfield <dana@globex.example>"  # $2.4M ARR, fortune500 + strategic + reference (events/accounts.yaml)
OUTAGE = ("Checkout is down", "Our checkout is down for every store. We are losing about $40k per hour and "
          "1,200 stores cannot sell.")
LINK = re.compile(r"https?://\S+/a/[a-z0-9]{12}")


def _accounts(rt: LocalRuntime) -> None:
    from helpdesk.adapters.aws.store import Store
    from helpdesk_local.policy_cli import import_accounts

    import_accounts(Store(rt.table()), ROOT / "events/accounts.yaml")


def _open(rt: LocalRuntime, sender: str, subject: str, body: str) -> int:
    outcome = rt.deliver(make_mail(sender=sender, subject=subject, body=body,
                                   message_id=f"<{len(rt.emails())}-{random.random()}@customer.example>"))
    assert outcome["outcome"] == "created", outcome
    return outcome["ticket"]


def _briefings(rt: LocalRuntime, ticket: int | None = None) -> list:
    return [e for e in rt.timeline if e.kind == "escalation_published" and (ticket is None or e.ticket == ticket)]


def _sms(rt: LocalRuntime, ticket: int | None = None) -> list[dict]:
    return [n for n in rt.notifications() if n["attributes"].get("kind") == "sms"
            and (ticket is None or n["attributes"].get("ticket") == str(ticket))]


def _due(rt: LocalRuntime, ticket: int, kind: str) -> list[dict]:
    return [i for i in rt.ticket_items(ticket) if i["SK"].startswith("DUE#") and i.get("kind") == kind]


@pytest.fixture
def globex(runtime):
    _accounts(runtime)
    return runtime


# -- once per level, in order --------------------------------------------------------------------


def _assert_trustworthy(rt: LocalRuntime) -> None:
    """The two promises: one briefing per ticket and level within any 5 minutes; levels never step down."""
    policy = load_policy("p0-p3")
    rank = {name: i for i, name in enumerate(policy.levels)}
    by_ticket = defaultdict(list)
    for event in _briefings(rt):
        by_ticket[event.ticket].append(event)
    assert by_ticket
    for ticket, events in by_ticket.items():
        levels = [rank[e.details["level"]] for e in events]
        assert levels == sorted(levels), (ticket, [e.details["level"] for e in events])
        last: dict[str, datetime] = {}
        for event in events:
            level = event.details["level"]
            if level in last:
                assert event.at - last[level] > timedelta(minutes=5), (ticket, level, event.at, last[level])
            last[level] = event.at


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_briefings_come_once_per_level_and_never_step_down_however_the_reasons_arrive(seed: int) -> None:
    """Outages, breaches, chain steps, churn and legal threats and requests to escalate, at random moments."""
    chaos = random.Random(seed)
    with LocalRuntime(start=MONDAY_9AM_PT) as rt:
        _accounts(rt)
        senders = [GLOBEX, "Ines <ines@contoso-travel.example>", "Lee <lee@stark-retail.example>"]
        tickets = {_open(rt, s, *OUTAGE): s for s in senders}
        follow_ups = ["If this is not fixed today we will cancel our contract.",
                      "Our lawyers are reviewing the breach of our agreement.",
                      "Please escalate this to your management right now.",
                      "Still down. Customers are complaining on social media."]
        for _ in range(6):
            rt.run_until(rt.now() + timedelta(minutes=chaos.randint(1, 25)))
            ticket = chaos.choice(list(tickets))
            text = chaos.choice(follow_ups)
            rt.deliver(make_mail(sender=tickets[ticket], subject=f"Re: [#{ticket}] {OUTAGE[0]}", body=text,
                                 message_id=f"<f{chaos.random()}@customer.example>"))
            if chaos.random() < 0.3:
                rt.staff_reply(ticket, "#ack")
        rt.run_until(rt.now() + timedelta(hours=6))
        _assert_trustworthy(rt)
        assert len(_briefings(rt)) >= 6


def test_breach_and_chain_step_due_together_are_one_briefing_and_one_sms(globex) -> None:
    ticket = _open(globex, "Ops <ops@acme-outdoor.example>", *OUTAGE)  # no account on file: 15-minute target
    globex.run_until(globex.now() + timedelta(minutes=20))
    first = _briefings(globex, ticket)
    assert [(e.details["level"], e.at - MONDAY_9AM_PT) for e in first] == [("L1", timedelta(minutes=15))]
    body = first[0].details["body"]
    assert "no first response within the target; nobody has acknowledged it after 15 minutes" in body
    assert len(_sms(globex, ticket)) == 1


# -- the stakes ----------------------------------------------------------------------------------


def test_strategic_p0_briefing_carries_the_arr_the_share_and_the_customers_own_figures(globex) -> None:
    ticket = _open(globex, GLOBEX, *OUTAGE)
    globex.run_until(globex.now() + timedelta(minutes=35))
    first, *_ = _briefings(globex, ticket)
    body = first.details["body"]
    assert first.details["revenue_at_risk"] == 2_400_000  # also as a number, for scenario checks
    # Revenue at risk is the account's ARR for a strategic P0; the share uses the policy's $50M revenue.
    assert "Revenue at risk:  $2,400,000 ARR (4.8% of our annual revenue)" in body
    assert "Loss per hour:    $40k/h" in body and "Who is affected:  1,200 stores" in body
    assert "Churn risk:       medium" in body  # a P0 at a strategic account strains the relationship
    assert "Reference impact: a reference account" in body
    assert re.search(r"Next milestone\s+escalation to L2 at Mon 23 Nov 09:30 PST", body)
    assert "RESOURCES NEEDED" in body and "RECOMMENDATION" in body
    sms = _sms(globex, ticket)[0]["bodies"]["sms"]
    assert "ARR $1M+" in sms and "$40k/h" in sms and LINK.search(sms)


def test_unknown_small_account_p0_has_no_revenue_at_risk(runtime) -> None:
    ticket = _open(runtime, "Ops <ops@acme-outdoor.example>", *OUTAGE)
    runtime.run_until(runtime.now() + timedelta(minutes=16))
    body = _briefings(runtime, ticket)[0].details["body"]
    assert "Revenue at risk:  none identified" in body and "Churn risk:       low" in body


def test_executives_join_at_executive_levels_with_the_rule_that_brought_them(globex) -> None:
    ticket = _open(globex, GLOBEX, *OUTAGE)
    globex.run_until(globex.now() + timedelta(minutes=35))
    roles = {e.details["level"]: e.details["role"] for e in _briefings(globex, ticket)}
    assert roles["L1"] == ["csm", "cs_director"]  # the CEO is not paged for the first-response miss
    assert {"ceo", "cto"} <= set(roles["L3"])  # the seed's executive notification at 30 minutes
    l3 = next(e for e in _briefings(globex, ticket) if e.details["level"] == "L3").details["body"]
    assert "ceo: reference, board-level or industry-leading customer" in l3
    assert "cto: security, data or platform stability" in l3


def test_a_c_level_contact_on_the_account_brings_the_executives_in(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        "accounts:\n  - domain: umbrella.example\n    name: Umbrella Labs\n    arr: 90000\n"
        "    contacts:\n      - {name: Alex Wu, email: alex.wu@umbrella.example, title: Chief Operating Officer}\n",
        encoding="utf-8")
    with LocalRuntime(start=MONDAY_9AM_PT) as rt:
        from helpdesk.adapters.aws.store import Store
        from helpdesk_local.policy_cli import import_accounts

        import_accounts(Store(rt.table()), accounts)
        ticket = _open(rt, "Alex Wu <alex.wu@umbrella.example>", "Invoices export fails",
                       "The invoice export fails with an error for our finance team.")
        assert rt.ticket(ticket)["c_level_involved"] is True
        briefing = _briefings(rt, ticket)[0]
        assert briefing.details["level"] == "L3" and "ceo" in briefing.details["role"]
        assert "a C-level executive at the customer is involved" in briefing.details["body"]


# -- answerable from a phone ---------------------------------------------------------------------


def test_one_tap_link_get_changes_nothing_and_post_acknowledges(globex) -> None:
    ticket = _open(globex, GLOBEX, *OUTAGE)
    globex.run_until(globex.now() + timedelta(minutes=35))
    l3_sms = next(n for n in _sms(globex, ticket) if n["attributes"]["level"] == "L3")["bodies"]["sms"]
    assert len(l3_sms.encode("gsm03.38")) <= 160
    link = LINK.search(l3_sms).group(0)

    status, page = open_link(globex, link)  # what a link scanner or a preview does
    assert status == 200 and f"#{ticket}" in page and "<form method=\"post\">" in page
    assert not globex.ticket(ticket).get("acknowledged_at") and not globex.ticket(ticket).get("executive_acks")

    status, page = open_link(globex, link, "POST")  # the tap on the button
    assert status == 200 and "Acknowledged" in page
    stored = globex.ticket(ticket)
    assert stored["acknowledged_at"] and "L3" in stored["executive_acks"]
    # The executive response commitment stands down: no "executive_unanswered" two hours later.
    globex.run_until(globex.now() + timedelta(hours=3))
    assert not [e for e in _briefings(globex, ticket) if e.details["trigger"] == "executive_unanswered"]


def test_unknown_or_expired_links_acknowledge_nothing(globex) -> None:
    ticket = _open(globex, GLOBEX, *OUTAGE)
    globex.run_until(globex.now() + timedelta(minutes=16))
    link = LINK.search(_sms(globex, ticket)[0]["bodies"]["sms"]).group(0)
    status, _ = open_link(globex, link[:-1] + ("a" if link[-1] != "a" else "b"), "POST")
    assert status == 404
    globex.advance(timedelta(days=8))  # past the policy's 7-day link lifetime
    status, page = open_link(globex, link, "POST")
    assert status == 404 and "not active" in page
    assert not globex.ticket(ticket).get("executive_acks")


def test_unanswered_executive_briefing_escalates_one_level_after_the_commitment(globex) -> None:
    ticket = _open(globex, GLOBEX, *OUTAGE)
    globex.staff_reply(ticket, "We are on it.")  # answered and in progress, but nobody taps the L3 link
    globex.run_until(globex.now() + timedelta(hours=3))
    events = _briefings(globex, ticket)
    l3 = next(e for e in events if e.details["level"] == "L3")
    unanswered = [e for e in events if e.details["trigger"] == "executive_unanswered"]
    # Business hours: the 2-hour commitment, then one level up (Executive).
    assert [(e.details["level"], e.at - l3.at) for e in unanswered] == [("Executive", timedelta(hours=2))]


# -- durable SMS ---------------------------------------------------------------------------------


def test_no_sms_is_lost_or_sent_twice_when_sns_throttles_thirty_percent(globex, monkeypatch) -> None:
    from helpdesk.adapters.aws.notifier import Notifier
    from helpdesk.core.errors import TransientAwsError

    chaos = random.Random(11)
    real = Notifier.publish

    def flaky(self, *args, **kwargs):
        if chaos.random() < 0.3:
            raise TransientAwsError("Throttling")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Notifier, "publish", flaky)
    tickets = [_open(globex, s, *OUTAGE) for s in (GLOBEX, "Lee <lee@stark-retail.example>")]
    globex.run_until(globex.now() + timedelta(hours=2), every_minute=True)
    for ticket in tickets:
        items = _due(globex, ticket, "sms")
        assert items and all(i["status"] == "done" for i in items), [(i["SK"], i["status"]) for i in items]
        sent = [i for i in items if i.get("outcome") == "sent"]
        published = _sms(globex, ticket)
        # Every SMS that was due went out exactly once, though a third of the calls failed.
        assert len(published) == len(sent)
        keys = [(n["attributes"]["level"], n["attributes"]["sms_to"], n["bodies"]["sms"]) for n in published]
        assert len(keys) == len(set(keys))
        briefed = {e.details["level"] for e in _briefings(globex, ticket)}
        assert {n["attributes"]["level"] for n in published} == briefed


def test_an_opted_out_phone_gets_no_sms_ops_hears_and_the_email_briefing_still_goes(monkeypatch) -> None:
    with LocalRuntime(start=MONDAY_9AM_PT, parameters={"OnCallPhone": "+14155550199"}) as rt:  # moto: opted out
        ticket = _open(rt, "Ops <ops@acme-outdoor.example>", *OUTAGE)
        rt.run_until(rt.now() + timedelta(minutes=16))
        assert _briefings(rt, ticket) and _sms(rt, ticket) == []
        items = _due(rt, ticket, "sms")
        assert items and all(i["status"] == "done" and i["outcome"] == "opted_out" for i in items)
        ops = rt.notifications("OpsTopic")
        assert any("opted out" in n["subject"].lower() for n in ops)
        assert not any("+14155550199" in n["subject"] for n in ops)  # no phone numbers in the subject line


# -- coverage, progress and re-planning ----------------------------------------------------------


def test_an_executive_on_leave_is_replaced_by_the_backup_and_the_briefing_says_so(tmp_path: Path) -> None:
    text = policy_path("p0-p3").read_text(encoding="utf-8").replace(
        "coverage: []",
        "coverage:\n  - {role: ceo, backup: coo, start: 2026-11-20, end: 2026-11-30, note: CEO on leave; COO covers}")
    custom = tmp_path / "p0-p3-with-cover.yaml"
    custom.write_text(text, encoding="utf-8")
    with LocalRuntime(start=MONDAY_9AM_PT, parameters={"PolicyName": str(custom)}) as rt:
        _accounts(rt)
        ticket = _open(rt, GLOBEX, *OUTAGE)
        rt.run_until(rt.now() + timedelta(minutes=35))
        l3 = next(e for e in _briefings(rt, ticket) if e.details["level"] == "L3")
        assert "ceo" not in l3.details["role"] and "coo" in l3.details["role"]
        assert "COVERAGE" in l3.details["body"] and "CEO on leave; COO covers" in l3.details["body"]


def test_no_progress_for_24_business_hours_escalates_one_level_and_progress_resets_it() -> None:
    start = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # Monday 09:00 Pacific
    with LocalRuntime(start=start) as rt:
        ticket = _open(rt, "Ines <ines@contoso-travel.example>", "CSV export dates in the wrong format",
                       "The CSV export from the billing page writes dates as month/day instead of day/month. "
                       "We fix them by hand for now.")
        assert rt.ticket(ticket)["severity"] == "P2"
        rt.staff_reply(ticket, "Thanks, we are looking into the export queue.")  # the first answer
        # Then silence: 24 business hours (two 12-hour days) later, Wednesday 09:00, one level up.
        rt.run_until(start + timedelta(days=2, hours=1))
        stalled = [e for e in _briefings(rt, ticket) if e.details["trigger"] == "no_progress"]
        assert [e.at for e in stalled] == [start + timedelta(days=2)]
        before = len(_briefings(rt, ticket))
        rt.staff_reply(ticket, "#status investigating")  # a status change is progress
        rt.run_until(rt.now() + timedelta(hours=20))
        assert len([e for e in _briefings(rt, ticket) if e.details["trigger"] == "no_progress"]) == 1
        assert len(_briefings(rt, ticket)) == before


def _reopen(rt: LocalRuntime, sender: str, subject: str, at: datetime) -> dict:
    rt.run_until(at)
    return rt.deliver(make_mail(sender=sender, subject=f"Re: [#1001] {subject}", message_id="<again@customer.example>",
                                body="That did not work: the delimiter setting is missing for me."))


QUESTION = ("Export settings question", "How do I change the CSV export delimiter for my team?")


def test_reopen_on_a_holiday_replans_every_clock_in_business_time_from_the_next_open_hour() -> None:
    sender = "Ada <ada@customer.example>"
    with LocalRuntime(start=datetime(2026, 11, 25, 18, 0, tzinfo=UTC)) as rt:  # Wednesday 10:00 Pacific
        _open(rt, sender, *QUESTION)
        rt.staff_reply(1001, "#status resolved\nOpen the Export tab, then Delimiter.")
        outcome = _reopen(rt, sender, QUESTION[0], datetime(2026, 11, 26, 18, 0, tzinfo=UTC))  # Thanksgiving
        assert outcome["reason"] == "reopened"
        ticket = rt.ticket(1001)
        assert ticket["severity"] == "P3" and ticket["plan_version"] == 2
        # P3 resolution: 1 week = 168 business hours of 12 (07:00-19:00 Pacific, Mon-Fri, US federal
        # holidays closed). Thanksgiving does not count; Friday 27 is day 1, and day 14 ends
        # Wednesday 16 December at 19:00 PST.
        assert ticket["resolution_due"] == "2026-12-17T03:00:00Z"
        pending = {i["SK"]: i["due_at"] for i in rt.ticket_items(1001)
                   if i["SK"].startswith("DUE#p2#") and i.get("status") == "pending"}
        # The warning at 75% (126 business hours): 10 full days end Thu 10 Dec; 6 more hours, Fri 11 13:00 PST.
        assert pending["DUE#p2#warn#resolution#75"] == "2026-12-11T21:00:00Z"
        assert pending["DUE#p2#breach#resolution"] == "2026-12-17T03:00:00Z"
        # The first plan's clocks are dead: its resolution breach (due 16 Dec 10:00 PST) records nothing.
        rt.run_until(datetime(2026, 12, 16, 20, 0, tzinfo=UTC))
        assert not rt.ticket(1001).get("breached_resolution_at")


def test_reopen_before_the_clocks_change_counts_business_hours_across_the_dst_switch() -> None:
    sender = "Ada <ada@customer.example>"
    with LocalRuntime(start=datetime(2026, 10, 28, 16, 0, tzinfo=UTC)) as rt:  # Wednesday 09:00 PDT
        _open(rt, sender, *QUESTION)
        rt.staff_reply(1001, "#status resolved\nOpen the Export tab, then Delimiter.")
        _reopen(rt, sender, QUESTION[0], datetime(2026, 10, 31, 1, 0, tzinfo=UTC))  # Friday 30 Oct 18:00 PDT
        ticket = rt.ticket(1001)
        # 168 business hours from Friday 18:00 PDT: 1 hour that evening; the clocks go back on Sunday 1
        # November; 5 days (Nov 2-6), 4 (Nov 9-13 without Veterans Day, Wednesday 11), 5 (Nov 16-20)
        # make 169, so the target is met at Friday 20 November 18:00 PST = 02:00 UTC on the 21st.
        assert ticket["resolution_due"] == "2026-11-21T02:00:00Z"
        pending = {i["SK"]: i["due_at"] for i in rt.ticket_items(1001) if i["SK"].startswith("DUE#p2#")}
        # 75% = 126 hours: 109 by Friday 13 November, then 12 on Monday 16 and 5 on Tuesday 17: 12:00 PST.
        assert pending["DUE#p2#warn#resolution#75"] == "2026-11-17T20:00:00Z"


# -- readable where it is tested -----------------------------------------------------------------


def test_scenario_out_writes_every_briefing_sms_and_slack_post_beside_the_mail(tmp_path: Path, capsys) -> None:
    from helpdesk_local.cli import main

    out = tmp_path / "out"
    assert main(["scenario", "run", str(ROOT / "events/scenarios/p0-p3-friday-outage.yaml"), "--json",
                 "--out", str(out)]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    briefings = [e for e in events if e["kind"] == "escalation_published"]
    files = sorted(p.name for p in out.glob("escalation-*-briefing-*.txt"))
    assert len(files) == len(briefings) and files
    first = (out / files[0]).read_text(encoding="utf-8")
    assert first.split("\n\n", 1)[1].strip() == briefings[0]["body"].strip()  # what the executive reads
    sms = sorted(out.glob("escalation-*-sms-*.txt"))
    assert sms and all(LINK.search(p.read_text(encoding="utf-8")) for p in sms)
    assert list(out.glob("*.eml"))
    # The Slack channel from the template is listed, and L1 (the seed's Slack level) is posted to it.
    [channel] = [e for e in events if e["kind"] == "chat_channel_configured"]
    assert channel["channel"] == "C0ESCALATIONS" and channel["workspace"] == "T0LOCALDESK"
    chats = [e for e in events if e["kind"] == "chat_message"]
    assert chats and {e["level"] for e in chats} == {"L1"}
    assert any("Acknowledge the escalation: http" in step for step in chats[0]["next_steps"])
    assert list(out.glob("escalation-*-chat-L1.txt"))
