"""Whole ticket lifecycles on the virtual clock, one per policy preset, pinned to the seed documents.

Every expected instant below is computed from a figure in the seed documents in ../shared/seeds
(cited next to it), never copied from a run. Two rules of the runtime turn a due time into the
instant something is seen to happen:

* the SLA sweeper runs once a minute, so work due at 10:11:15 is done by the 10:12 sweep
  (`swept`), and work due on the minute is done by that minute's sweep;
* a scenario step at minute M runs after the sweep of minute M, so an obligation due the moment a
  ticket opens (a "0m" chain step) is performed by the next sweep, one minute later.

The lifecycle tests drive the real handlers through `helpdesk_local.scenario.run_scenario`, then
look only at what people see: mail that went out (and when), SNS messages published, and the
ticket as `helpdesk show` would read it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gsm0338  # noqa: F401 - registers the GSM 03.38 codec the SMS must fit
import pytest
import yaml

from helpdesk_local.runtime import LocalRuntime
from helpdesk_local.scenario import run_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "events" / "scenarios"
ACCOUNTS = ROOT / "events" / "accounts.yaml"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
PT = ZoneInfo("America/Los_Angeles")  # the seeds' "PST" business hours
MINUTE = timedelta(minutes=1)
TEAM_QUEUE = "support-team@example.com"  # owner of tickets whose account has no CSM (local parameters)
BREACH_WARNINGS = (0.75, 0.90)  # warnings to the owner at 75% and 90% of a target

# Seed figures (minutes/hours as written in the seed documents).
# escalation-policy-p0-p3.txt §5.1 Service Level Objectives:
P0_FIRST_RESPONSE = timedelta(minutes=15)  # "Initial Response: 15 minutes (business hours)"
P0_FIRST_RESPONSE_AFTER_HOURS = timedelta(minutes=30)  # "... 30 minutes (after hours)"
P0_EXEC_NOTIFICATION = timedelta(minutes=30)  # "Executive Notification: 30 minutes"
P0_UPDATES = timedelta(minutes=30)  # "Customer Communication: Every 30 minutes until resolution"
P0_WORKAROUND = timedelta(hours=4)  # "4 hours for workaround"
P0_RESOLUTION = timedelta(hours=24)  # "24 hours for full resolution"
# "P1 - High Priority Issues: - Initial Response: 2 hours (business hours), 4 hours (after hours)"
P1_FIRST_RESPONSE_AFTER_HOURS = timedelta(hours=4)
P1_EXEC_NOTIFICATION = timedelta(hours=2)  # "P1 ... Executive Notification: 2 hours"
P1_UPDATES = timedelta(hours=2)  # "P1 ... Customer Communication: Every 2 hours during active resolution"
P1_WORKAROUND = timedelta(hours=8)  # "P1 ... Resolution Target: 8 hours for workaround"
P2_FIRST_RESPONSE = timedelta(hours=24)  # "P2 ... Initial Response: 24 hours"
P2_MANAGEMENT_NOTIFICATION = timedelta(hours=4)  # "P2 ... Management Notification: 4 hours"
# §3.1: "Level 2 Escalation (Customer Success Director): Timing: Within 1 hour for high-impact issues"
L2_WITHIN = timedelta(hours=1)
# §2.1 Technical Severity Triggers: "System Outage: Customer-facing system downtime >1 hour"
OUTAGE_LASTS = timedelta(hours=1)
# §5.2: "Fortune 500 Customers: 50% faster response times", "Expedited response for >$500K ARR"
STRATEGIC_FACTOR = 0.5
# alert-protocol.txt, CRITICAL ISSUES (RED ALERT):
RED_RESPONSE = timedelta(minutes=15)  # "Response Time: Immediate (within 15 minutes)"
RED_UPDATES = timedelta(minutes=30)  # "Communication Frequency: Every 30 minutes until resolved"
RED_RESOLUTION = timedelta(hours=2)  # "Resolution Target: <2 hours"
# escalation-protocol-p1-p4.txt, Escalation Response Checklist:
P1_ACKNOWLEDGE = timedelta(minutes=15)  # "Acknowledge within SLA | 15 min"
P1_HOURLY = timedelta(hours=1)  # "Provide hourly updates | ✓" / "hourly for P1"


def pt(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PT)


def swept(due: datetime) -> datetime:
    """The once-a-minute sweep that performs work due at `due`."""
    floor = due.replace(second=0, microsecond=0)
    return floor if floor == due else floor + MINUTE


def utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def every(first: datetime, step: timedelta, until: datetime) -> list[datetime]:
    """`first`, `first + step`, ... up to and including `until`."""
    out = []
    while first <= until:
        out.append(first)
        first += step
    return out


# -- running and reading -------------------------------------------------------------------------


def run(tmp_path: Path, policy: str, start: datetime, steps: list[dict[str, Any]]) -> LocalRuntime:
    """A scenario written for this test, run exactly as `helpdesk scenario run` runs one."""
    scenario = {"name": "test", "policy": policy, "start": start.isoformat(), "accounts": str(ACCOUNTS),
                "steps": steps}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return run_scenario(path, lambda event: None)


def at(instant: datetime) -> str:
    return instant.isoformat()


def email_step(when: datetime, sender: str, subject: str, body: str, **extra: Any) -> dict[str, Any]:
    return {"at": at(when), "email": {"from": sender, "subject": subject, "body": body, **extra}}


def ack_step(when: datetime, by: str) -> dict[str, Any]:
    return {"at": at(when), "ack": {"ticket": 1001, "by": by}}


def reply_step(when: datetime, sender: str, name: str, body: str) -> dict[str, Any]:
    """A staff member answers the ticket notification from their mail client (authenticated)."""
    return {"at": at(when), "staff_reply": {"ticket": 1001, "sender": sender, "name": name, "body": body}}


def status_step(when: datetime, status: str, by: str) -> dict[str, Any]:
    return {"at": at(when), "status": {"ticket": 1001, "status": status, "by": by}}


class Seen:
    """What people saw during a run: mail, SNS escalations, breaches, in time order."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.timeline = runtime.timeline
        self.mail = runtime.emails()

    def sent(self, to: str | None = None, contains: str = "") -> list[tuple[datetime, Any]]:
        """(instant, SentEmail) for mail to `to` whose subject contains `contains`."""
        return [(e.at, self.mail[e.details["email_index"]]) for e in self.timeline
                if e.kind == "email_sent" and (to is None or e.to == to) and contains in (e.subject or "")]

    def sent_at(self, to: str | None = None, contains: str = "") -> list[datetime]:
        return [when for when, _ in self.sent(to, contains)]

    def escalations(self, ticket: int = 1001,
                    triggers: Iterable[str] | None = None) -> list[tuple[datetime, str, str]]:
        wanted = set(triggers) if triggers is not None else None
        return sorted((e.at, e.details["level"], e.details["trigger"]) for e in self.timeline
                      if e.kind == "escalation_published" and e.ticket == ticket
                      and (wanted is None or e.details["trigger"] in wanted))

    def breaches(self, ticket: int = 1001) -> list[tuple[datetime, str]]:
        return [(e.at, e.details["clock"]) for e in self.timeline
                if e.kind == "sla_breached" and e.ticket == ticket]

    def briefings(self) -> list[dict[str, Any]]:
        """Escalation briefings as published to the SNS topic (SMS copies excluded)."""
        return [n["attributes"] for n in self.runtime.notifications("EscalationTopic")
                if n["attributes"].get("kind") == "briefing"]


def updates(seen: Seen, customer: str) -> list[datetime]:
    return seen.sent_at(customer, "] Update ")


def warnings(seen: Seen, owner: str, clock: str) -> list[datetime]:
    """Breach warnings the owner received for one clock, e.g. 'first response'."""
    return [when for when, mail in seen.sent(owner, f"{clock} target") if "% used" in mail.subject]


def assert_published_to_sns(seen: Seen, severity: str) -> None:
    """Every escalation on the timeline is one briefing on the topic, with the attributes to filter on."""
    briefings = seen.briefings()
    expected = [e for e in seen.timeline if e.kind == "escalation_published"]
    assert [(b["level"], b["trigger"], b["ticket"]) for b in briefings] == \
        [(e.details["level"], e.details["trigger"], str(e.ticket)) for e in expected]
    assert {b["severity"] for b in briefings} == {severity}
    assert all(b["role"] for b in briefings)


# -- p0-p3: the Customer Escalation and Support Policy -------------------------------------------

OUTAGE_SUBJECT = "Production down - checkout returns 500 errors"
OUTAGE_BODY = ("Our production site is down. Every customer gets a 500 error at checkout and we cannot "
               "take orders.")


def test_p0_p3_p0_lifecycle_in_business_hours(tmp_path: Path) -> None:
    """A P0 from an account without modifiers, Tuesday 10:00 (inside 07:00-19:00 PST business hours).

    Nobody answers for an hour: warnings, the first-response breach and the first three chain
    steps all fire. An acknowledgment at 11:05 stops the chain, a reply at 11:10 meets the
    customer, and the ticket goes to workaround at 12:00 and resolved at 13:00.
    """
    opened = pt(2026, 11, 24, 10, 0)
    customer = "dana.cho@acme-outdoor.example"
    ack, reply, workaround, resolved = opened + timedelta(minutes=65), opened + timedelta(minutes=70), \
        opened + timedelta(hours=2), opened + timedelta(hours=3)
    rt = run(tmp_path, "p0-p3", opened, [
        email_step(opened, f"Dana Cho <{customer}>", OUTAGE_SUBJECT, OUTAGE_BODY),
        ack_step(ack, "sam.ortiz@example.com"),
        reply_step(reply, "sam.ortiz@example.com", "Sam Ortiz",
                   "We found the failing payment node and are replacing it."),
        status_step(workaround, "workaround", "sam.ortiz@example.com"),
        status_step(resolved, "resolved", "sam.ortiz@example.com"),
        {"advance_to": at(opened + timedelta(days=1))},
    ])
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    assert ticket["severity"] == "P0" and ticket["after_hours"] is False

    first_response_due = opened + P0_FIRST_RESPONSE  # 10:15
    assert ticket["first_response_due"] == utc(first_response_due)

    # The acknowledgment goes out at once, naming the ticket and the first-response deadline.
    acks = seen.sent(customer, "[#1001] Re: ")
    assert [when for when, _ in acks] == [opened]
    ack_text = " ".join(acks[0][1].body().split())
    assert "by Tue 24 Nov 10:15 PST" in ack_text and "every 30 minutes" in ack_text
    assert ticket["ack_sent_at"] == utc(opened)

    # Owner (no CSM on file: the team queue) is warned at 75% and 90% of the 15 minutes.
    assert warnings(seen, TEAM_QUEUE, "first response") == [
        swept(opened + P0_FIRST_RESPONSE * f) for f in BREACH_WARNINGS]  # 10:12 (10:11:15), 10:14 (10:13:30)
    assert seen.breaches() == [(first_response_due, "first_response")]
    assert ticket["breached_first_response_at"] == utc(first_response_due)

    # One L1 briefing when the 15-minute target is missed (the breach and the "unless acknowledged"
    # chain step, merged), then in the seed's order L2 and the executive notification (L3: CEO, CTO)
    # at 30 minutes. The outage trigger, once the downtime has lasted an hour, asks for L2 but the
    # ticket already reached L3, and briefings never step down. The acknowledgment at 11:05 stops
    # the chain and stands the executive commitment down: the 4-hour Executive step never fires.
    assert seen.escalations() == sorted([
        (first_response_due, "L1", "response_breach"),
        (opened + P0_EXEC_NOTIFICATION, "L2", "chain"),
        (opened + P0_EXEC_NOTIFICATION, "L3", "chain"),
        (opened + OUTAGE_LASTS, "L3", "outage"),
    ])
    first = next(e for e in seen.timeline if e.kind == "escalation_published")
    assert "no first response" in first.details["body"] and "nobody has acknowledged" in first.details["body"]
    assert_published_to_sns(seen, "P0")

    # Updates every 30 minutes; the reply at 11:10 told the customer where things stand, so the
    # next update is 30 minutes after it. None after resolution.
    assert updates(seen, customer) == [opened + P0_UPDATES, opened + 2 * P0_UPDATES,
                                       reply + P0_UPDATES, reply + 2 * P0_UPDATES, reply + 3 * P0_UPDATES]
    assert seen.sent_at(customer, "Re: [#1001]") == [reply]  # the staff answer, relayed

    assert ticket["status"] == "resolved"
    assert ticket["sla_first_response"]["outcome"] == "breached"
    assert ticket["sla_workaround"]["outcome"] == "met"  # 12:00, due 14:00
    assert ticket["workaround_due"] == utc(opened + P0_WORKAROUND)
    assert ticket["sla_resolution"]["outcome"] == "met"
    assert ticket["resolution_due"] == utc(opened + P0_RESOLUTION)


def test_p0_p3_fortune500_friday_1855_scenario() -> None:
    """The shipped Friday scenario: Globex (Fortune 500, $2.4M ARR) down at 18:55 on a Friday.

    18:55 is inside business hours, so the 15-minute P0 target applies, and every target runs
    50% faster for a Fortune 500 account.
    """
    rt = run_scenario(SCENARIOS / "p0-p3-friday-outage.yaml", lambda event: None)
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    opened = pt(2026, 11, 27, 18, 55)
    customer, csm = "dana.whitfield@globex.example", "jordan.reyes@example.com"
    resolved = opened + timedelta(hours=3)  # acknowledged at +40m, resolved at +3h (scenario steps)
    assert ticket["severity"] == "P0" and ticket["after_hours"] is False
    assert "strategic_accounts" in ticket["modifiers"]

    first_response = P0_FIRST_RESPONSE * STRATEGIC_FACTOR  # 7m30s
    assert ticket["first_response_due"] == utc(opened + first_response)  # 19:02:30
    assert seen.sent_at(customer, "[#1001] Re: ") == [opened]

    # Warnings go to the account's CSM: 75% = 5m37.5s (19:00:37 -> 19:01), 90% = 6m45s (-> 19:02).
    assert warnings(seen, csm, "first response") == [
        swept(opened + first_response * f) for f in BREACH_WARNINGS]
    assert seen.breaches() == [(swept(opened + first_response), "first_response")]  # 19:03

    # The factor scales response targets only ("50% faster response times"): the chain's delays and
    # the update cadence stay as written. L1 hears once, at the breach; its own chain step at 15
    # minutes adds nothing for a level that already knows. L2 and the executives (L3) follow at 30
    # minutes. The outage trigger at 19:55 is new, so L3 (the level reached) hears it. The
    # acknowledgment at 19:35 does not stand the executives down, the resolution at 21:55 does:
    # the 4-hour Executive step (22:55) never fires.
    assert seen.escalations() == sorted([
        (swept(opened + first_response), "L1", "response_breach"),  # 19:03
        (opened + P0_EXEC_NOTIFICATION, "L2", "chain"),  # 19:25
        (opened + P0_EXEC_NOTIFICATION, "L3", "chain"),  # 19:25
        (opened + OUTAGE_LASTS, "L3", "outage"),  # 19:55, still unresolved
    ])
    assert_published_to_sns(seen, "P0")
    executive = next(e for e in seen.timeline if e.kind == "escalation_published" and e.details["level"] == "L3")
    assert "Revenue at risk:  $2,400,000" in executive.details["body"]

    # Updates every 30 minutes from 19:25 until the ticket is resolved at 21:55.
    assert updates(seen, customer) == every(opened + P0_UPDATES, P0_UPDATES, resolved)
    assert ticket["status"] == "resolved"
    assert ticket["sla_resolution"]["outcome"] == "met"


def test_p0_p3_p1_at_night_defers_escalations_to_0700(tmp_path: Path) -> None:
    """A P1 at 22:30: after-hours first-response target, and escalations held until quiet hours end.

    Customer updates and the owner's warnings are not escalations and are not held.
    """
    opened = pt(2026, 11, 24, 22, 30)
    customer = "ines.ferreira@contoso-travel.example"
    quiet_end = pt(2026, 11, 25, 7, 0)  # quiet hours 22:00-07:00 Pacific for everything but P0
    ack, reply, resolved = pt(2026, 11, 25, 7, 10), pt(2026, 11, 25, 7, 20), pt(2026, 11, 25, 9, 0)
    rt = run(tmp_path, "p0-p3", opened, [
        email_step(opened, f"Ines Ferreira <{customer}>", "Scheduled reports not working for several users",
                   "Since this evening our scheduled reports are not working for several users in the "
                   "finance team; the PDFs arrive empty."),
        ack_step(ack, "sam.ortiz@example.com"),
        reply_step(reply, "sam.ortiz@example.com", "Sam Ortiz",
                   "The report renderer ran out of memory overnight; we are on it."),
        status_step(resolved, "resolved", "sam.ortiz@example.com"),
        {"advance_to": at(pt(2026, 11, 25, 12, 0))},
    ])
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    assert ticket["severity"] == "P1" and ticket["after_hours"] is True

    first_response_due = opened + P1_FIRST_RESPONSE_AFTER_HOURS  # 02:30
    assert ticket["first_response_due"] == utc(first_response_due)
    assert seen.sent_at(customer, "[#1001] Re: ") == [opened]
    assert warnings(seen, TEAM_QUEUE, "first response") == [
        swept(opened + P1_FIRST_RESPONSE_AFTER_HOURS * f) for f in BREACH_WARNINGS]  # 01:30, 02:06
    # Nobody worked on it overnight: the 8-hour workaround target (06:30) is missed as well.
    assert seen.breaches() == [(first_response_due, "first_response"), (opened + P1_WORKAROUND, "workaround")]

    # Due at 00:30 (L1 unless first response; L2 and the executive notification to L3 at 2 hours),
    # 02:30 (the breach) and 06:30 (the Executive step at 8 hours): all held, none dropped, all
    # published at 07:00 in the chain's order. L1 gets one briefing with both of its reasons.
    assert opened + P1_EXEC_NOTIFICATION < quiet_end
    assert seen.escalations() == sorted([
        (quiet_end, "L1", "chain"), (quiet_end, "L2", "chain"), (quiet_end, "L3", "chain"),
        (quiet_end, "Executive", "chain"),
    ])
    published = [e.details["level"] for e in seen.timeline if e.kind == "escalation_published"]
    assert published == ["L1", "L2", "L3", "Executive"]
    l1 = next(e for e in seen.timeline if e.kind == "escalation_published")
    assert "no first response after 2 hours; no first response within the target" in l1.details["body"]
    assert_published_to_sns(seen, "P1")

    # One update at 00:30 says there is no news yet; the preset folds P1's later no-news updates
    # overnight (02:30, 04:30, 06:30), and the 07:20 reply resets the cadence past the resolution.
    assert updates(seen, customer) == [opened + P1_UPDATES]
    assert quiet_end > opened + P1_UPDATES * 4
    assert ticket["status"] == "resolved"


@pytest.mark.parametrize(("opened", "domain", "target", "after_hours"), [
    # Tuesday 10:00: standard business hours (07:00-19:00 PST, Monday-Friday).
    (pt(2026, 11, 24, 10, 0), "acme-outdoor.example", P0_FIRST_RESPONSE, False),
    # Tuesday 22:30: after hours.
    (pt(2026, 11, 24, 22, 30), "acme-outdoor.example", P0_FIRST_RESPONSE_AFTER_HOURS, True),
    # Thanksgiving 10:00: "Holiday Coverage: Emergency coverage only on federal holidays".
    (pt(2026, 11, 26, 10, 0), "acme-outdoor.example", P0_FIRST_RESPONSE_AFTER_HOURS, True),
    # Saturday 10:00: "Weekend Coverage: Saturday 9 AM - 5 PM PST for critical issues".
    (pt(2026, 11, 28, 10, 0), "acme-outdoor.example", P0_FIRST_RESPONSE, False),
    # Sunday 10:00: no coverage.
    (pt(2026, 11, 29, 10, 0), "acme-outdoor.example", P0_FIRST_RESPONSE_AFTER_HOURS, True),
    # Tuesday 21:00 for Globex: "Extended Hours: 6 AM - 10 PM PST for strategic accounts", and 50% faster.
    (pt(2026, 11, 24, 21, 0), "globex.example", P0_FIRST_RESPONSE * STRATEGIC_FACTOR, False),
], ids=["business-hours", "after-hours", "thanksgiving", "saturday-coverage", "sunday", "strategic-extended"])
def test_p0_p3_p0_first_response_target_by_opening_time(tmp_path: Path, opened: datetime, domain: str,
                                                         target: timedelta, after_hours: bool) -> None:
    rt = run(tmp_path, "p0-p3", opened,
             [email_step(opened, f"Dana <dana@{domain}>", OUTAGE_SUBJECT, OUTAGE_BODY)])
    ticket = rt.ticket(1001)
    assert ticket["severity"] == "P0"
    assert ticket["after_hours"] is after_hours
    assert ticket["first_response_due"] == utc(opened + target)


def test_p0_p3_outage_escalates_only_after_an_hour_of_downtime(tmp_path: Path) -> None:
    """§2.1 "System Outage: Customer-facing system downtime >1 hour" is the trigger, not the first report.

    The outage still makes the ticket P0 at once; the escalation for the outage itself waits until
    the downtime has lasted an hour and the ticket is still open. It asks for L2, but the chain has
    reached the executives (L3) at 30 minutes, and briefings never step down: L3 hears it.
    """
    opened = pt(2026, 11, 24, 10, 0)
    rt = run(tmp_path, "p0-p3", opened, [
        email_step(opened, "Dana <dana@acme-outdoor.example>", OUTAGE_SUBJECT, OUTAGE_BODY),
        {"advance_to": at(opened + timedelta(minutes=65))},
    ])
    assert rt.ticket(1001)["severity"] == "P0"
    assert Seen(rt).escalations(triggers={"outage"}) == [(opened + OUTAGE_LASTS, "L3", "outage")]


def test_p0_p3_outage_fixed_within_the_hour_is_not_escalated_as_an_outage(tmp_path: Path) -> None:
    opened = pt(2026, 11, 24, 10, 0)
    rt = run(tmp_path, "p0-p3", opened, [
        email_step(opened, "Dana <dana@acme-outdoor.example>", OUTAGE_SUBJECT, OUTAGE_BODY),
        status_step(opened + timedelta(minutes=45), "resolved", "sam.ortiz@example.com"),
        {"advance_to": at(opened + timedelta(minutes=65))},
    ])
    assert Seen(rt).escalations(triggers={"outage"}) == []


# -- four-level: the colour-coded issue communication protocol -----------------------------------


def test_four_level_critical_lifecycle(tmp_path: Path) -> None:
    """A CRITICAL (red) outage: executives told at once, 15-minute response missed, 2-hour resolution met."""
    opened = pt(2026, 12, 8, 9, 40)
    customer = "priya.shah@brightline-logistics.example"
    ack, reply, workaround, resolved = (opened + timedelta(minutes=m) for m in (20, 25, 60, 110))
    rt = run(tmp_path, "four-level", opened, [
        email_step(opened, f"Priya Shah <{customer}>", "All scheduled automations failing - 503 errors",
                   "Since 09:30 every scheduled automation in our account fails with 503 errors. Our "
                   "dispatch runs have stopped and trucks are waiting at the depot."),
        ack_step(ack, "alex.kim@example.com"),
        reply_step(reply, "alex.kim@example.com", "Alex Kim",
                   "A scheduler deployment failed; we are rolling it back."),
        status_step(workaround, "workaround", "alex.kim@example.com"),
        status_step(resolved, "resolved", "alex.kim@example.com"),
        {"advance_to": at(opened + timedelta(days=1))},
    ])
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    assert ticket["severity"] == "CRITICAL"

    response_due = opened + RED_RESPONSE  # 09:55
    assert ticket["first_response_due"] == utc(response_due)
    acks = seen.sent(customer, "[#1001] Re: ")
    assert [when for when, _ in acks] == [opened]  # "IMMEDIATE NOTIFICATION (Within 15 minutes)"
    ack_text = " ".join(acks[0][1].body().split())
    assert "by Tue 08 Dec 09:55 PST" in ack_text and "every 30 minutes" in ack_text

    assert warnings(seen, TEAM_QUEUE, "first response") == [
        swept(opened + RED_RESPONSE * f) for f in BREACH_WARNINGS]  # 09:52 (09:51:15), 09:54 (09:53:30)
    assert seen.breaches() == [(response_due, "first_response")]

    # "Escalation: Automatic executive notification": the outage trigger tells the executive team on
    # receipt, once; the 0-minute chain step a minute later adds nothing for a level that knows. The
    # missed 15-minute response asks for a manager (the seed's MANAGER ESCALATION NOTIFICATION), but
    # the ticket already reached the executives and briefings never step down, so they hear it.
    assert seen.escalations() == [
        (opened, "Executive", "outage"),
        (response_due, "Executive", "response_breach"),
    ]
    assert_published_to_sns(seen, "CRITICAL")

    # Every 30 minutes; the 10:05 reply counts as the update due at 10:10, so updates follow it.
    assert updates(seen, customer) == [reply + RED_UPDATES, reply + 2 * RED_UPDATES]  # 10:35, 11:05
    # Resolution target <2 hours: the owner hears at 75% (11:10) and 90% (11:28); resolved 11:30.
    assert warnings(seen, TEAM_QUEUE, "resolution") == [
        swept(opened + RED_RESOLUTION * f) for f in BREACH_WARNINGS]
    assert ticket["resolution_due"] == utc(opened + RED_RESOLUTION)
    assert ticket["status"] == "resolved"
    assert ticket["sla_first_response"]["outcome"] == "breached"
    assert ticket["sla_resolution"]["outcome"] == "met"
    assert not [b for b in seen.breaches() if b[1] == "resolution"]


# -- p1-p4: the customer escalation and crisis-management protocol -------------------------------


def test_p1_p4_p1_lifecycle(tmp_path: Path) -> None:
    """A P1 outage at Mercy Health: the whole ladder told at once, hourly updates, 15-minute answer missed."""
    opened = pt(2026, 12, 9, 10, 0)
    customer, csm = "alan.brooks@mercyhealth.example", "priya.natarajan@example.com"
    ack, reply, workaround, resolved = (opened + timedelta(minutes=m) for m in (8, 30, 180, 300))
    rt = run(tmp_path, "p1-p4", opened, [
        email_step(opened, f"Dr. Alan Brooks <{customer}>", "Nobody can log in to the platform",
                   "Since 09:50 nobody at any of our clinics can log in; every attempt ends with a "
                   "500 error."),
        ack_step(ack, csm),
        reply_step(reply, csm, "Priya Natarajan",
                   "Our identity service failed over badly; we are restoring it."),
        status_step(workaround, "workaround", csm),
        status_step(resolved, "resolved", csm),
        {"advance_to": at(opened + timedelta(days=1))},
    ])
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    assert ticket["severity"] == "P1"

    due = opened + P1_ACKNOWLEDGE  # 10:15
    assert ticket["first_response_due"] == utc(due)
    assert seen.sent_at(customer, "[#1001] Re: ") == [opened]  # ticket number, timeline, point of contact
    assert warnings(seen, csm, "first response") == [
        swept(opened + P1_ACKNOWLEDGE * f) for f in BREACH_WARNINGS]
    assert seen.breaches() == [(due, "first_response")]

    # "For P1/P2: Immediately notify Team Lead -> Manager -> VP ... Assemble cross-functional response
    # team": the 0-minute chain steps on the first sweep, in the ladder's order, one briefing per
    # level. The outage trigger asks for L2 on receipt; it waits that minute so L1 hears first, and
    # joins L2's briefing. The late answer asks for L1, but the ladder reached L3, so L3 hears it.
    first_sweep = opened + MINUTE
    assert seen.escalations() == sorted([
        (first_sweep, "L1", "chain"), (first_sweep, "L2", "chain"), (first_sweep, "Technical", "chain"),
        (first_sweep, "L3", "chain"),
        (due, "L3", "response_breach"),
    ])
    published = [e.details["level"] for e in seen.timeline if e.kind == "escalation_published"]
    assert published == ["L1", "L2", "Technical", "L3", "L3"]
    l2 = [e for e in seen.timeline if e.kind == "escalation_published"][1]
    assert "the platform or log-in is unavailable" in l2.details["body"]
    assert_published_to_sns(seen, "P1")

    # Hourly updates: the first was due 11:00; the 10:30 reply took its place, so 11:30, 12:30, ...
    assert updates(seen, customer) == every(reply + P1_HOURLY, P1_HOURLY, resolved)
    assert ticket["status"] == "resolved"
    assert ticket["sla_first_response"]["outcome"] == "breached"


# -- the shipped scenarios -----------------------------------------------------------------------


REQUIRED_KEYS = {"at", "kind", "ticket", "to", "subject"}
ESCALATION_KINDS = {"escalation_published", "escalation_email", "sms_sent"}
_cli_runs: dict[Path, subprocess.CompletedProcess[str]] = {}


def cli_run(path: Path) -> subprocess.CompletedProcess[str]:
    """`helpdesk scenario run PATH --json` from the repository root, once per scenario.

    In a plain pytest run the first call starts every shipped scenario at once (each process has
    its own embedded AWS), so the set costs about the wall time of the slowest. Under xdist each
    worker runs only what it is given, so no scenario runs twice.
    """
    if path not in _cli_runs:
        wanted = [path] if "PYTEST_XDIST_WORKER" in os.environ else [*SHIPPED, path]
        pending = {p: subprocess.Popen([sys.executable, "-m", "helpdesk_local.cli", "scenario", "run", str(p),
                                        "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
                   for p in dict.fromkeys(wanted) if p not in _cli_runs}
        for p, process in pending.items():
            out, err = process.communicate(timeout=600)
            _cli_runs[p] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return _cli_runs[path]


def test_scenarios_are_shipped() -> None:
    names = {path.name for path in SHIPPED}
    assert {"p0-p3-friday-outage.yaml", "p0-p3-holiday-question.yaml", "p0-p3-churn-threat.yaml",
            "p0-p3-autoresponder.yaml", "four-level-critical.yaml", "p1-p4-p1-incident.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_scenario_runs_to_completion_printing_json_lines(path: Path) -> None:
    """Every shipped scenario runs with exit code 0, and `--json` prints one timeline event a line."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document.get("name") and document.get("description")
    result = cli_run(path)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, "a scenario prints its timeline"
    events = []
    for line in lines:
        event = json.loads(line)
        assert REQUIRED_KEYS <= event.keys(), line[:300]
        datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
        if event["kind"] in ESCALATION_KINDS:
            assert {"level", "role", "severity"} <= event.keys() and event["level"], event
        if event["kind"] == "sms_sent":
            assert event.get("body"), event
        events.append(event)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_json_output_carries_escalation_and_sms_fields() -> None:
    """The Friday outage pages people: its JSON has levels, roles, severities and SMS bodies."""
    result = cli_run(SCENARIOS / "p0-p3-friday-outage.yaml")
    events = [e for e in map(json.loads, result.stdout.splitlines()) if "kind" in e]
    published = [e for e in events if e["kind"] == "escalation_published"]
    sms = [e for e in events if e["kind"] == "sms_sent"]
    assert {e["level"] for e in published} >= {"L1", "L2", "L3"}
    assert all(isinstance(e["role"], list) and e["role"] and e["severity"] == "P0" for e in published)
    assert sms and all(e["to"].startswith("+") for e in sms)
    for text in (e["body"] for e in sms):
        # One GSM-7 segment, the account's ARR band, and a one-tap acknowledgment link at the end.
        assert len(text.encode("gsm03.38")) <= 160 and "ARR $1M+" in text, text
        assert re.search(r"https?://\S+/a/[a-z0-9]{12}$", text), text


def test_holiday_question_first_response_skips_thanksgiving_and_weekend() -> None:
    rt = run_scenario(SCENARIOS / "p0-p3-holiday-question.yaml", lambda event: None)
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    opened = pt(2026, 11, 25, 20, 30)  # Wednesday evening, after 19:00
    customer = "ravi.menon@northwind-analytics.example"
    assert ticket["severity"] == "P2" and ticket["issue_type"] == "configuration"

    # 24 business hours on 07:00-19:00 PST, Monday-Friday, federal holidays closed: Thursday 26
    # (Thanksgiving) and the weekend do not count; Friday 27 gives 12 hours, Monday 30 the other 12.
    friday_open, monday_open = pt(2026, 11, 27, 7, 0), pt(2026, 11, 30, 7, 0)
    business_day = timedelta(hours=12)
    due = monday_open + (P2_FIRST_RESPONSE - business_day)  # Monday 30 November 19:00 PST
    assert due == pt(2026, 11, 30, 19, 0)
    assert ticket["first_response_due"] == utc(due) == "2026-12-01T03:00:00Z"
    acks = seen.sent(customer, "[#1001] Re: ")
    assert [when for when, _ in acks] == [opened]
    assert "by Mon 30 Nov 19:00 PST" in " ".join(acks[0][1].body().split())

    # Management notification after 4 business hours: Friday 11:00.
    assert seen.escalations() == [(friday_open + P2_MANAGEMENT_NOTIFICATION, "L1", "chain")]
    # Warnings at 75% (18h: Monday 13:00) and 90% (21h36m: Monday 16:36) of the business-hours target.
    assert warnings(seen, TEAM_QUEUE, "first response") == [
        monday_open + (P2_FIRST_RESPONSE * f - business_day) for f in BREACH_WARNINGS]
    # "Daily updates until resolution", on the business clock: Friday and Monday mornings.
    assert updates(seen, customer) == [friday_open, monday_open]
    # The reply at Monday 17:00 meets the target: nothing breached on Friday or at all.
    assert seen.breaches() == []
    assert ticket["sla_first_response"]["outcome"] == "met"
    assert ticket["resolved_at"] == utc(pt(2026, 12, 1, 10, 0))


def test_out_of_office_replies_without_loop_headers_open_no_tickets_and_get_no_answer() -> None:
    rt = run_scenario(SCENARIOS / "p0-p3-autoresponder.yaml", lambda event: None)
    seen = Seen(rt)
    robot = "morgan.ellis@hooli-freight.example"
    created = [e for e in rt.timeline if e.kind == "ticket_created"]
    assert [e.ticket for e in created if robot in e.details["from"]] == [1001]  # the real question only
    assert len(seen.sent(robot)) == 1  # its acknowledgment; the robot's answers get nothing
    dropped = [e for e in rt.timeline if e.kind == "message_dropped"]
    # Recognised by subject and body, though they carry no Auto-Submitted or Precedence header.
    assert [e.details["reason"] for e in dropped if robot in e.details["from"]] == ["out_of_office"] * 3
    # The responder that marks itself Auto-Submitted is dropped too, and gets no answer.
    assert any("chris.doyle@initech.example" in e.details["from"] for e in dropped)
    assert len(seen.sent("chris.doyle@initech.example")) == 1  # the acknowledgment of the real question
    assert len(created) == 2
    assert not [e for e in rt.timeline if e.kind == "escalation_published" and e.details.get("trigger") ==
                "repeat_contacts"]


def test_churn_threat_escalates_churn_and_revenue_risk() -> None:
    rt = run_scenario(SCENARIOS / "p0-p3-churn-threat.yaml", lambda event: None)
    seen = Seen(rt)
    ticket = rt.ticket(1001)
    opened = pt(2026, 12, 1, 14, 10)
    # "Churn Threat: Customer threatens to cancel or not renew contract" and "Revenue Risk: Accounts
    # >$100K ARR expressing dissatisfaction" are automatic escalation triggers (§2.1).
    assert "churn_threat" in ticket["triggers"]
    assert ticket["severity"] == "P1"
    # Both ask for L2 from the same message: one briefing carries both reasons.
    published = [e for e in rt.timeline if e.kind == "escalation_published"]
    assert [(e.at, e.details["level"]) for e in published] == [(opened, "L2")]
    assert published[0].details["trigger"] == "churn_threat"
    assert "threat to cancel or not renew; account above $100K ARR is dissatisfied" in published[0].details["body"]
    churn = [b for b in seen.briefings() if b["trigger"] == "churn_threat"]
    assert len(churn) == 1 and "account_executive" in churn[0]["role"] and churn[0]["severity"] == "P1"
    # Answered inside the 2-hour P1 target (business hours), so no breach and no chain escalation.
    assert ticket["first_response_due"] == utc(opened + timedelta(hours=2))
    assert ticket["sla_first_response"]["outcome"] == "met"
    assert seen.breaches() == []
    assert ticket["status"] == "resolved"


def test_scenario_accepts_unquoted_absolute_times(tmp_path: Path) -> None:
    """YAML reads an unquoted ISO time as a timestamp; the documented 'ISO-8601 time' must still work."""
    path = tmp_path / "unquoted.yaml"
    path.write_text("policy: p0-p3\nstart: 2026-11-24T10:00:00-08:00\nsteps:\n"
                    "  - advance_to: 2026-11-24T10:05:00-08:00\n", encoding="utf-8")
    runtime = run_scenario(path, lambda event: None)
    assert runtime.now() == pt(2026, 11, 24, 10, 5)
