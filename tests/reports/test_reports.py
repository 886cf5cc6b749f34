"""The compliance report: figures against hand-computed ones, empty periods, the real handler on
embedded AWS (email to the leaders, CSV and JSON in S3), and the HTML drawn by Chromium."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk.policy.loader import load_policy
from helpdesk.reports import render
from helpdesk.reports.compute import Period, make_period, previous_period, resolved_months
from helpdesk.reports.compute import compute as compute_records
from helpdesk.reports.service import ReportRequest, ReportService
from helpdesk.tickets.records import Entry, Ticket
from tests.conftest import make_mail

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "out" / "test-artifacts"
LA = "America/Los_Angeles"
# November 2026 in Los Angeles: Sun 1 Nov 00:00 PDT (07:00Z) to Tue 1 Dec 00:00 PST (08:00Z).
NOV_START = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
NOV_END = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tue 1 Dec 07:00 PST, when the monthly schedule fires


@pytest.fixture(scope="module")
def policy():
    return load_policy("four-level")  # the only preset with compliance targets: 100/95/90/85 and 95/90/85/80


@pytest.fixture(scope="module")
def november() -> Period:
    return make_period(NOV_START, NOV_END, LA)


def compute(tickets, entries, policy, period, as_of):
    """The report over stored items, read back as the repository would return them."""
    return compute_records([Ticket.model_validate(t) for t in tickets],
                           {n: [Entry.model_validate({**e, "ticket": n}) for e in es] for n, es in entries.items()},
                           policy, period, as_of)


def sla(outcome: str, due: str, at: str, minutes: float, wall: float) -> dict:
    return {"outcome": outcome, "due": due, "at": at, "minutes": minutes, "wall_minutes": wall}


def ticket(number: int, severity: str, created: str, domain: str, **fields) -> dict:
    name = domain.split(".")[0].title()
    base = {"PK": f"TICKET#{number}", "SK": "META", "type": "ticket", "number": number, "severity": severity,
            "status": "closed", "subject": f"Ticket {number} subject", "requester": f"user@{domain}",
            "account_domain": domain, "account_name": name, "created_at": created, "version": 3,
            "public_replies": 1, "customer_replies": 0, "reopens": 0, "escalations": 0, "paused_seconds": 0}
    return {**base, **fields}


def escalation(number: int, at: str, level: str, trigger: str) -> dict:
    return {"PK": f"TICKET#{number}", "SK": f"ENTRY#{at}#escalation", "type": "entry", "kind": "escalation",
            "at": at, "level": level, "trigger": trigger}


# Every severity; met and breached clocks; running clocks past due; a pause; a reopen; two
# recurrences; ratings; escalations with entries; tickets just outside the period.
TICKETS = [
    # CRITICAL, first contact: 1 reply, no customer reply, never reopened.
    ticket(1001, "CRITICAL", "2026-11-02T10:00:00Z", "acme.example",
           sla_first_response=sla("met", "2026-11-02T10:15:00Z", "2026-11-02T10:10:00Z", 10, 10),
           sla_resolution=sla("met", "2026-11-02T12:00:00Z", "2026-11-02T11:40:00Z", 100, 100),
           resolved_at="2026-11-02T11:40:00Z", state_key="resolved#2026-11", escalations=1,
           csat=5, nps=10, followups_scheduled=1, followups_done=1),
    # CRITICAL, both clocks breached; three replies and two customer replies.
    ticket(1002, "CRITICAL", "2026-11-10T20:00:00Z", "acme.example", status="resolved",
           sla_first_response=sla("breached", "2026-11-10T20:15:00Z", "2026-11-10T20:30:00Z", 30, 30),
           breached_first_response_at="2026-11-10T20:15:00Z",
           sla_resolution=sla("breached", "2026-11-10T22:00:00Z", "2026-11-10T23:00:00Z", 180, 180),
           resolved_at="2026-11-10T23:00:00Z", public_replies=3, customer_replies=2, escalations=2,
           csat=2, nps=3, followups_scheduled=1, followups_done=0),
    # HIGH with a workaround and a 2-hour pause: 300 clock minutes against 420 on the wall.
    ticket(1003, "HIGH", "2026-11-05T16:00:00Z", "globex.example",
           sla_first_response=sla("met", "2026-11-05T17:00:00Z", "2026-11-05T16:45:00Z", 45, 45),
           workaround_due="2026-11-05T20:00:00Z", workaround_at="2026-11-05T18:00:00Z",
           sla_workaround=sla("met", "2026-11-05T20:00:00Z", "2026-11-05T18:00:00Z", 120, 120),
           paused_seconds=7200, waiting_seconds=7200,
           sla_resolution=sla("met", "2026-11-06T02:00:00Z", "2026-11-05T23:00:00Z", 300, 420),
           resolved_at="2026-11-05T23:00:00Z", customer_replies=1, csat=4, nps=8,
           followups_scheduled=1, followups_done=1),
    # HIGH, workaround late, resolved, reopened by a bad rating, resolved again (the last outcome stands).
    ticket(1004, "HIGH", "2026-11-20T12:00:00Z", "initech.example", status="resolved",
           sla_first_response=sla("met", "2026-11-20T13:00:00Z", "2026-11-20T12:30:00Z", 30, 30),
           workaround_due="2026-11-20T16:00:00Z", breached_workaround_at="2026-11-20T16:00:00Z",
           sla_workaround=sla("breached", "2026-11-20T16:00:00Z", "2026-11-20T17:00:00Z", 300, 300),
           reopened_at="2026-11-22T10:00:00Z", reopens=1,
           sla_resolution=sla("met", "2026-11-22T18:00:00Z", "2026-11-22T14:00:00Z", 3000, 3000),
           resolved_at="2026-11-22T14:00:00Z", customer_replies=1, escalations=1, csat=2,
           followups_scheduled=2, followups_skipped=1, followups_done=0),
    # MEDIUM, a recurrence of an older ticket, first contact.
    ticket(1005, "MEDIUM", "2026-11-16T17:00:00Z", "hooli.example", related_ticket=990,
           sla_first_response=sla("met", "2026-11-16T21:00:00Z", "2026-11-16T18:00:00Z", 60, 60),
           sla_resolution=sla("met", "2026-11-19T17:00:00Z", "2026-11-18T17:00:00Z", 2880, 2880),
           resolved_at="2026-11-18T17:00:00Z", csat=5, nps=9),
    # MEDIUM, still open, no first response, due in the period and passed: a running breach.
    ticket(1006, "MEDIUM", "2026-11-27T18:00:00Z", "hooli.example", status="acknowledged", state_key="open",
           first_response_due="2026-11-30T22:00:00Z", breached_first_response_at="2026-11-30T22:00:00Z",
           resolution_due="2026-12-04T22:00:00Z", public_replies=0),
    # LOW, resolution breached, a recurrence.
    ticket(1007, "LOW", "2026-11-09T17:00:00Z", "umbrella.example", related_ticket=950,
           sla_first_response=sla("met", "2026-11-10T17:00:00Z", "2026-11-10T17:00:00Z", 1440, 1440),
           sla_resolution=sla("breached", "2026-11-18T17:00:00Z", "2026-11-20T17:00:00Z", 11520, 15840),
           resolved_at="2026-11-20T17:00:00Z", public_replies=2, customer_replies=1, csat=4, nps=7),
    # LOW, opened in October, resolved in November with no public reply: only its resolution counts.
    ticket(1008, "LOW", "2026-10-25T17:00:00Z", "initech.example", public_replies=0,
           sla_first_response=sla("met", "2026-10-26T17:00:00Z", "2026-10-26T16:00:00Z", 1380, 1380),
           sla_resolution=sla("met", "2026-11-06T17:00:00Z", "2026-11-03T17:00:00Z", 7200, 12960),
           resolved_at="2026-11-03T17:00:00Z"),
    # CRITICAL, open, answered, resolution due 30 Nov 11:00Z and passed: a running breach.
    ticket(1009, "CRITICAL", "2026-11-30T09:00:00Z", "acme.example", status="investigating", state_key="open",
           sla_first_response=sla("met", "2026-11-30T09:15:00Z", "2026-11-30T09:05:00Z", 5, 5),
           resolution_due="2026-11-30T11:00:00Z", escalations=1),
    # HIGH, opened 1 Dec 09:00Z, after the period: counts nowhere.
    ticket(1010, "HIGH", "2026-12-01T09:00:00Z", "acme.example", status="investigating", state_key="open",
           sla_first_response=sla("met", "2026-12-01T10:00:00Z", "2026-12-01T09:30:00Z", 30, 30),
           resolution_due="2026-12-01T17:00:00Z"),
    # MEDIUM, October from start to end: counts nowhere.
    ticket(1011, "MEDIUM", "2026-10-20T17:00:00Z", "globex.example",
           sla_first_response=sla("met", "2026-10-20T21:00:00Z", "2026-10-20T18:00:00Z", 60, 60),
           sla_resolution=sla("met", "2026-10-23T17:00:00Z", "2026-10-22T17:00:00Z", 2880, 2880),
           resolved_at="2026-10-22T17:00:00Z", csat=1),
    # LOW, opened in the period, waiting on the customer (pending) with its first-response due passed:
    # the clock is paused, so nothing is breached.
    ticket(1012, "LOW", "2026-11-25T17:00:00Z", "globex.example", status="pending", state_key="open",
           first_response_due="2026-11-26T17:00:00Z", resolution_due="2026-12-09T17:00:00Z",
           paused_seconds=3600, public_replies=0),
]
ENTRIES = {
    1001: [escalation(1001, "2026-11-02T10:00:00Z", "Executive", "chain")],
    1002: [escalation(1002, "2026-11-10T20:00:00Z", "Executive", "chain"),
           {"PK": "TICKET#1002", "SK": "ENTRY#2026-11-10T20:10:00Z#staff_reply", "kind": "staff_reply",
            "at": "2026-11-10T20:10:00Z"},
           escalation(1002, "2026-11-10T20:15:00Z", "L2", "response_breach")],
    1004: [escalation(1004, "2026-11-22T10:00:00Z", "L1", "csat_low")],
    1009: [escalation(1009, "2026-11-30T09:00:00Z", "Executive", "chain")],
}


@pytest.fixture(scope="module")
def report(policy, november):
    return compute(TICKETS, ENTRIES, policy, november, AS_OF)


def by_key(report, key):
    return next(f for f in [*report.severities, report.overall] if f.key == key)


# -- figures -----------------------------------------------------------------------------------

def test_volume_and_compliance_per_severity(report):
    # Opened in [1 Nov 07:00Z, 1 Dec 08:00Z): 1001 1002 1003 1004 1005 1006 1007 1009 1012 (not
    # 1008/1011, October; not 1010, 09:00Z on 1 Dec). Resolved in it: 1001 1002 1003 1004 1005 1007 1008.
    crit, high, med, low, overall = (by_key(report, k) for k in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "all"))
    assert [(f.opened, f.resolved) for f in (crit, high, med, low, overall)] == [
        (3, 2), (2, 2), (2, 1), (2, 2), (9, 7)]
    # Response clocks: CRITICAL 1001 met, 1002 breached, 1009 met -> 2/3 = 66.7% < 100 target.
    assert (crit.response.met, crit.response.breached, crit.response.percent) == (2, 1, 66.7)
    assert (crit.response.target, crit.response.status) == (100, "missed")
    # HIGH 1003, 1004 met -> 100% >= 95.
    assert (high.response.met, high.response.breached, high.response.percent, high.response.status) == (
        2, 0, 100.0, "met")
    # MEDIUM 1005 met; 1006 still running past its due (30 Nov 22:00Z) -> 1/2 = 50% < 90.
    assert (med.response.met, med.response.breached, med.response.percent, med.response.status) == (
        1, 1, 50.0, "missed")
    # LOW 1007 met; 1008's first response stopped in October; 1012 is paused -> 1/1 >= 85.
    assert (low.response.met, low.response.breached, low.response.status) == (1, 0, "met")
    # Overall 6 met of 8 = 75.0%, and no overall target.
    assert (overall.response.met, overall.response.breached, overall.response.percent) == (6, 2, 75.0)
    assert overall.response.status == "no target"
    # Resolution clocks: CRITICAL 1001 met, 1002 breached, 1009 running past 30 Nov 11:00Z
    # -> 1/3 = 33.3% < 95.
    res = crit.resolution
    assert (res.met, res.breached, res.percent, res.status) == (1, 2, 33.3, "missed")
    # HIGH 1003 met, 1004 met after its reopen -> 100% >= 90. MEDIUM 1005 met -> 100% >= 85.
    assert (high.resolution.percent, high.resolution.status) == (100.0, "met")
    assert (med.resolution.met, med.resolution.breached, med.resolution.status) == (1, 0, "met")
    # LOW 1008 met, 1007 breached -> 50% < 80.
    assert (low.resolution.met, low.resolution.breached, low.resolution.percent, low.resolution.status) == (
        1, 1, 50.0, "missed")
    # Overall: met 1001 1003 1004 1005 1008, breached 1002 1007 1009 -> 5 of 8 = 62.5%.
    assert (overall.resolution.met, overall.resolution.breached, overall.resolution.percent) == (5, 3, 62.5)
    # Workarounds: 1003 met, 1004 breached -> 50%, and the policy sets no target for them.
    assert (high.workaround.met, high.workaround.breached, high.workaround.percent) == (1, 1, 50.0)
    assert high.workaround.status == "no target"


def test_times_are_medians_and_nearest_rank_90th_percentiles(report):
    crit, high, low, overall = (by_key(report, k) for k in ("CRITICAL", "HIGH", "LOW", "all"))
    # First response, CRITICAL: 5, 10, 30 -> median 10, p90 = 3rd of 3 = 30.
    assert (crit.first_response_minutes.clock.median, crit.first_response_minutes.clock.p90) == (10, 30)
    # HIGH: 30, 45 -> median 37.5, p90 = 2nd of 2 = 45.
    assert (high.first_response_minutes.clock.median, high.first_response_minutes.clock.p90) == (37.5, 45)
    # Overall: 5 10 30 30 45 60 1440 -> median 30, p90 = ceil(6.3) = 7th = 1440 (1008's and 1010's are out).
    assert overall.first_response_minutes.clock == overall.first_response_minutes.wall
    assert (overall.first_response_minutes.clock.count, overall.first_response_minutes.clock.median,
            overall.first_response_minutes.clock.p90) == (7, 30, 1440)
    # Resolution, HIGH: clock 300 (1003, paused 2 h) and 3000 -> median 1650; wall 420 and 3000 -> 1710.
    assert (high.resolution_minutes.clock.median, high.resolution_minutes.clock.p90) == (1650, 3000)
    assert (high.resolution_minutes.wall.median, high.resolution_minutes.wall.p90) == (1710, 3000)
    # LOW: clock 7200, 11520 -> 9360 / 11520; wall 12960, 15840 -> 14400 / 15840.
    assert (low.resolution_minutes.clock.median, low.resolution_minutes.clock.p90) == (9360, 11520)
    assert (low.resolution_minutes.wall.median, low.resolution_minutes.wall.p90) == (14400, 15840)
    # Overall clock: 100 180 300 2880 3000 7200 11520 -> 2880 / 11520.
    # Overall wall: 100 180 420 2880 3000 12960 15840 -> 2880 / 15840.
    assert (overall.resolution_minutes.clock.median, overall.resolution_minutes.clock.p90) == (2880, 11520)
    assert (overall.resolution_minutes.wall.median, overall.resolution_minutes.wall.p90) == (2880, 15840)
    # Workaround: 120, 300 -> median 210, p90 300.
    assert (overall.workaround_minutes.clock.median, overall.workaround_minutes.clock.p90) == (210, 300)


def test_rates_ratings_and_followups(report):
    crit, high, med, low, overall = (by_key(report, k) for k in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "all"))
    # Escalated among the 9 opened: 1001 1002 1004 1009 -> 4/9 = 44.4%; CRITICAL 3/3; HIGH 1/2.
    assert (overall.escalation.part, overall.escalation.whole, overall.escalation.percent) == (4, 9, 44.4)
    assert (crit.escalation.percent, high.escalation.percent, med.escalation.percent) == (100.0, 50.0, 0.0)
    # Recurrences (related_ticket) among the opened: 1005, 1007 -> 2/9 = 22.2%; MEDIUM 1/2, LOW 1/2.
    assert (overall.recurrence.part, overall.recurrence.percent) == (2, 22.2)
    assert (med.recurrence.percent, low.recurrence.percent) == (50.0, 50.0)
    # Reopened among the 7 resolved: 1004 -> 14.3%; HIGH 1/2.
    assert (overall.reopen.part, overall.reopen.whole, overall.reopen.percent) == (1, 7, 14.3)
    assert high.reopen.percent == 50.0
    # First contact among the resolved: 1001, 1005, 1008 (no reply at all) -> 3/7 = 42.9%.
    # Not 1002 (3 replies), 1003 and 1007 (customer replied), 1004 (reopened).
    assert (overall.first_contact.part, overall.first_contact.percent) == (3, 42.9)
    assert (crit.first_contact.percent, high.first_contact.percent, med.first_contact.percent,
            low.first_contact.percent) == (50.0, 0.0, 100.0, 50.0)
    # CSAT of the resolved: 5 2 4 2 5 4 (1008 unrated; 1011 is October) -> 22/6 = 3.67, 7.3 of 10;
    # satisfied (4-5) 4/6 = 66.7%.
    assert overall.csat.count == 6
    assert (overall.csat.average, overall.csat.average_of_10) == (3.67, 7.3)
    assert overall.csat.satisfied.percent == 66.7
    assert overall.csat.distribution == {"1": 0, "2": 2, "3": 0, "4": 2, "5": 2}
    assert (crit.csat.average, high.csat.average, med.csat.average, low.csat.average) == (3.5, 3.0, 5.0, 4.0)
    # NPS: 10 3 8 9 7 -> promoters 10, 9; passives 8, 7; detractor 3 -> (2 - 1) / 5 = +20.
    nps = overall.nps
    assert (nps.count, nps.promoters, nps.passives, nps.detractors) == (5, 2, 2, 1)
    assert overall.nps.score == 20.0
    assert overall.nps.distribution["3"] == 1 and overall.nps.distribution["0"] == 0
    # Follow-ups (CRITICAL and HIGH owe one, 24 h after resolving; all four are due by 1 Dec):
    # 1001 sent, 1002 not, 1003 sent, 1004's second resolution not (its first was skipped) -> 2/4.
    assert (overall.followups.part, overall.followups.whole, overall.followups.percent) == (2, 4, 50.0)
    assert (crit.followups.percent, high.followups.percent, med.followups.percent) == (50.0, 50.0, None)


def test_goals_escalations_accounts_and_breach_list(report):
    # The goals now come from the policy's kpis section (the presets carry the framework's figures);
    # CSAT is stated on its 10-point scale: 3.67 of 5 is 7.3 of 10, against 9.0.
    goals = {k.key: (k.value, k.goal, k.status, k.sample) for k in report.kpis}
    assert {key: goals[key] for key in ("first_contact_resolution", "csat", "recurrence_rate", "escalation_rate",
                                         "followup_completion")} == {
        "first_contact_resolution": (42.9, 85.0, "missed", 7), "csat": (7.3, 9.0, "missed", 6),
        "recurrence_rate": (22.2, 5.0, "missed", 9), "escalation_rate": (44.4, 10.0, "missed", 9),
        "followup_completion": (50.0, 100.0, "missed", 4)}
    # Levels in the policy's order; tickets of the 9 opened: Executive 1001 1002 1009 -> 33.3%.
    assert [(b.key, b.tickets, b.events, b.percent) for b in report.escalation_levels] == [
        ("L1", 1, 1, 11.1), ("L2", 1, 1, 11.1), ("Executive", 3, 3, 33.3)]
    assert [(b.key, b.tickets, b.percent) for b in report.escalation_triggers] == [
        ("chain", 3, 33.3), ("csat_low", 1, 11.1), ("response_breach", 1, 11.1)]
    # Opened: Acme 1001 1002 1009; Globex 1003 1012; Hooli 1005 1006; Initech 1004; Umbrella 1007.
    assert [(a.name, a.tickets) for a in report.top_accounts_by_tickets] == [
        ("Acme", 3), ("Globex", 2), ("Hooli", 2), ("Initech", 1), ("Umbrella", 1)]
    # Breached clocks: Acme 1002 x2 + 1009; Hooli 1006; Initech 1004 workaround; Umbrella 1007.
    assert [(a.name, a.breaches) for a in report.top_accounts_by_breaches] == [
        ("Acme", 3), ("Hooli", 1), ("Initech", 1), ("Umbrella", 1)]
    # Most severe first; late by wall minutes past due (to 1 Dec 15:00Z while running).
    rows = [(b.number, [(c.clock, c.running, c.late_minutes) for c in b.clocks], b.hint)
            for b in report.breaches]
    assert rows == [
        (1002, [("first response", False, 15), ("resolution", False, 60)], "helpdesk show 1002"),
        (1009, [("resolution", True, 1680)], "helpdesk show 1009"),  # 30 Nov 11:00Z to 1 Dec 15:00Z
        (1004, [("workaround", False, 60)], "helpdesk show 1004"),
        (1006, [("first response", True, 1020)], "helpdesk show 1006"),  # 30 Nov 22:00Z to 1 Dec 15:00Z
        (1007, [("resolution", False, 2880)], "helpdesk show 1007"),
    ]


def test_goals_turn_green_when_met(policy, november):
    one = ticket(2001, "CRITICAL", "2026-11-03T10:00:00Z", "acme.example",
                 sla_first_response=sla("met", "2026-11-03T10:15:00Z", "2026-11-03T10:05:00Z", 5, 5),
                 sla_resolution=sla("met", "2026-11-03T12:00:00Z", "2026-11-03T11:00:00Z", 60, 60),
                 resolved_at="2026-11-03T11:00:00Z", csat=5, followups_scheduled=1, followups_done=1)
    report = compute([one], {}, policy, november, AS_OF)
    statuses = {k.key: k.status for k in report.kpis}
    assert {key: statuses[key] for key in ("first_contact_resolution", "csat", "recurrence_rate", "escalation_rate",
                                            "followup_completion", "response_compliance")} == dict.fromkeys(
        ("first_contact_resolution", "csat", "recurrence_rate", "escalation_rate", "followup_completion",
         "response_compliance"), "met")
    assert by_key(report, "CRITICAL").response.status == "met" and report.breaches == []


def test_a_month_without_tickets_reports_zeros_and_na(policy):
    october = previous_period("month", datetime(2026, 11, 2, 15, 0, tzinfo=UTC), LA)
    report = compute([], {}, policy, october, AS_OF)
    overall = report.overall
    assert (overall.opened, overall.resolved, overall.response.percent, overall.escalation.percent) == (
        0, 0, None, None)
    assert overall.first_response_minutes.clock.median is None and overall.resolution_minutes.wall.p90 is None
    assert [f.response.status for f in report.severities] == ["n/a"] * 4
    # Every KPI says it was not measured and why; none of them reads as a zero.
    assert {k.status for k in report.kpis} == {"not measured"} and all(k.basis for k in report.kpis)
    html = render.html(report, "Customer Support")
    assert "n/a" in html and "No ticket breached a target" in html and "No escalations." in html
    assert html.count(">not measured<") == 2 * len(report.kpis)  # the value and the status of each
    rows = list(csv.DictReader(io.StringIO(render.to_csv(report))))
    opened = next(r for r in rows if r["group"] == "all" and r["metric"] == "opened")
    assert opened["value"] == "0"
    assert next(r for r in rows if r["metric"] == "first_response_median_clock")["value"] == ""
    assert json.loads(render.to_json(report))["overall"]["first_response_minutes"]["clock"]["median"] is None
    assert "n/a" in render.text(report, "Customer Support")


def test_severities_without_targets_say_no_target(november):
    policy = load_policy("p0-p3")
    one = ticket(3001, "P2", "2026-11-03T17:00:00Z", "acme.example",
                 sla_first_response=sla("met", "2026-11-04T17:00:00Z", "2026-11-03T18:00:00Z", 60, 60))
    report = compute([one], {}, policy, november, AS_OF)
    p2 = by_key(report, "P2")
    assert (p2.response.percent, p2.response.target, p2.response.status) == (100.0, None, "no target")
    html = render.html(report, "Support")
    assert "no target" in html and "target no target" not in html


# -- periods and events ------------------------------------------------------------------------

def test_scheduled_periods_are_the_previous_full_week_and_month_in_the_policy_zone():
    # Monday 23 Nov 2026 07:00 PST: the week before is Mon 16 Nov 00:00 PST (08:00Z) to Mon 23 Nov.
    week = previous_period("week", datetime(2026, 11, 23, 15, 0, tzinfo=UTC), LA)
    assert (week.start, week.end, week.label, week.kind) == (
        datetime(2026, 11, 16, 8, tzinfo=UTC), datetime(2026, 11, 23, 8, tzinfo=UTC), "2026-W47", "week")
    # 1 Dec: November, which starts in daylight time (07:00Z) and ends in standard time (08:00Z).
    month = previous_period("month", AS_OF, LA)
    assert (month.start, month.end, month.label) == (NOV_START, NOV_END, "2026-11")
    # 1 Jan: December of the year before.
    december = previous_period("month", datetime(2027, 1, 1, 15, tzinfo=UTC), LA)
    assert (december.label, december.start, december.end) == (
        "2026-12", datetime(2026, 12, 1, 8, tzinfo=UTC), datetime(2027, 1, 1, 8, tzinfo=UTC))
    # The partitions a November report reads: resolved_at is UTC, so 1 Dec 00:00-08:00Z is December's.
    assert resolved_months(NOV_START, NOV_END) == ["2026-11", "2026-12"]


def test_report_events_are_validated():
    assert ReportRequest.model_validate({"period": "week"}).period == "week"
    ranged = ReportRequest.model_validate({"from": "2026-11-01", "to": "2026-11-08"})
    assert (ranged.start, ranged.end) == ("2026-11-01", "2026-11-08")
    for bad in ({}, {"period": "year"}, {"from": "2026-11-01"}, {"period": "week", "from": "2026-11-01"}):
        with pytest.raises(ValueError):
            ReportRequest.model_validate(bad)
    with pytest.raises(ValueError):
        make_period(NOV_END, NOV_START, LA)


class RecordingStore:
    """Answers the reads a report may make and remembers them (a scan would be an AttributeError)."""

    def __init__(self, items, entries, accounts=(), documents=None):
        self.items, self.stored_entries, self.calls = items, entries, []
        self.directory, self.documents = list(accounts), dict(documents or {})
        self.tickets = self
        self.accounts = self
        self.policies = self
        self.incidents = self

    def recent(self, limit=50):
        self.calls.append(("incidents",))
        return []

    def all(self):
        self.calls.append(("accounts",))
        return list(self.directory)

    def document(self, digest):
        self.calls.append(("policy", digest))
        return self.documents.get(digest)

    def open(self, limit=None):
        self.calls.append(("state", "open"))
        return [Ticket.model_validate(t) for t in self.items if t.get("state_key") == "open"]

    def resolved_in(self, month):
        self.calls.append(("state", f"resolved#{month}"))
        return [Ticket.model_validate(t) for t in self.items if t.get("state_key") != "open"
                and (t.get("resolved_at") or "")[:7] == month]

    def entries(self, number):
        self.calls.append(("ticket", number))
        return [Entry.model_validate({**e, "ticket": number}) for e in self.stored_entries.get(number, [])]


class FixedNow:
    def __init__(self, now):
        self._now = now

    def now(self):
        return self._now


def test_the_service_reads_month_partitions_and_open_tickets_only(policy):
    store = RecordingStore(TICKETS, ENTRIES)
    service = ReportService(store, policy, None, None, FixedNow(AS_OF), sender="support@help.example.com",
                            team_name="Support")
    report = service.build(service.period_for(ReportRequest(period="month")))
    # Two month partitions and the open one; the escalated tickets opened in November, one each; the
    # account directory. Then, with no stored figures for October (no bucket here), October's own
    # partitions once for the KPI changes (with their 31-day lookahead, to 2 Dec): no ticket logs.
    assert store.calls == [("state", "resolved#2026-11"), ("state", "resolved#2026-12"), ("state", "open"),
                           ("ticket", 1001), ("ticket", 1002), ("ticket", 1004), ("ticket", 1009), ("accounts",),
                           ("state", "resolved#2026-10"), ("state", "resolved#2026-11"), ("state", "resolved#2026-12"),
                           ("state", "open"), ("accounts",), ("incidents",)]
    assert report.previous_label == "2026-10"
    assert report.period.label == "2026-11"
    assert report.source["partitions"] == ["resolved#2026-11", "resolved#2026-12", "open"]
    assert (report.overall.opened, report.overall.resolved) == (9, 7)
    assert [b.number for b in report.breaches] == [1002, 1009, 1004, 1006, 1007]


def test_customer_text_is_defused_in_csv_and_escaped_in_html(policy, november):
    evil = ticket(4001, "LOW", "2026-11-03T17:00:00Z", "evil.example", subject="=HYPERLINK(\"x\")",
                  account_name="+cmd <script>alert(1)</script>", resolved_at="2026-11-20T17:00:00Z",
                  sla_resolution=sla("breached", "2026-11-10T17:00:00Z", "2026-11-20T17:00:00Z", 100, 100))
    report = compute([evil], {}, policy, november, AS_OF)
    rows = list(csv.reader(io.StringIO(render.to_csv(report))))
    assert rows[0] == list(render.CSV_COLUMNS)
    assert all(len(r) == len(render.CSV_COLUMNS) for r in rows)
    cells = [c for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    breach = next(r for r in rows if r[0] == "breach")
    assert breach[3] == "4001" and "helpdesk show 4001" in breach[7]
    html = render.html(report, "Support")  # customer text is escaped in the email, never markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


# -- end to end through the embedded runtime ---------------------------------------------------

def _report_mail(runtime, label):
    return [e for e in runtime.emails() if e.message.get("X-Helpdesk-Report") == label]


@pytest.mark.slow
def test_report_function_emails_leaders_and_stores_csv_and_json(runtime):
    first = runtime.deliver(make_mail(message_id="<report-1@customer.example>"))
    assert first["outcome"] == "created"
    number = first["ticket"]
    runtime.advance(timedelta(minutes=20))
    runtime.staff_reply(number, "#status resolved\nThe month filter works again; please try it now.")
    assert runtime.ticket(number)["status"] == "resolved"
    second = runtime.deliver(make_mail(sender="Bo Chen <bo@other.example>", subject="Exporting usage",
                                       body="How do I export the usage table to a spreadsheet?",
                                       message_id="<report-2@other.example>"))
    runtime.run_until(runtime.now() + timedelta(hours=1))

    summary = runtime.invoke("ReportFunction", {"from": "2026-11-23", "to": "2026-11-24"})

    label = "2026-11-23_2026-11-24"
    assert (summary["period"], summary["opened"], summary["resolved"]) == (label, 2, 1)
    [mail] = _report_mail(runtime, label)
    env = runtime.aws.functions["ReportFunction"].environment
    assert mail.destinations == ["cs-leadership@example.com"] == list(env["REPORT_RECIPIENTS"].split(","))
    assert mail.subject.startswith(f"[Customer Support] Compliance report {label}: 2 opened, 1 resolved")
    html = mail.body("html")
    assert "SLA compliance report" in html and "Response-time compliance" in html
    assert "no target" in html  # the default p0-p3 policy sets no compliance targets
    assert "helpdesk show" not in html  # nothing breached within an hour
    s3 = runtime.aws.client("s3")
    bucket = env["REPORT_BUCKET"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"reports/{label}/")["Contents"]}
    assert {f"reports/{label}/report.csv", f"reports/{label}/report.json"} <= keys
    data = json.loads(s3.get_object(Bucket=bucket, Key=f"reports/{label}/report.json")["Body"].read())
    assert (data["overall"]["opened"], data["overall"]["resolved"]) == (2, 1)
    assert data["overall"]["response"]["met"] == 1  # the staff reply answered the first ticket in time
    csv_text = s3.get_object(Bucket=bucket, Key=f"reports/{label}/report.csv")["Body"].read().decode()
    assert next(r for r in csv.DictReader(io.StringIO(csv_text))
                if r["group"] == "all" and r["metric"] == "opened")["value"] == "2"
    assert second["ticket"] != number


@pytest.mark.slow
def test_scheduled_month_with_no_tickets_sends_a_report_of_zeros(runtime):
    summary = runtime.invoke("ReportFunction", {"period": "month"})  # on 23 Nov: October, which is empty
    assert (summary["period"], summary["opened"], summary["resolved"], summary["breached_tickets"]) == (
        "2026-10", 0, 0, 0)
    [mail] = _report_mail(runtime, "2026-10")
    assert "n/a" in mail.body("html")
    assert summary["source"]["partitions"] == ["resolved#2026-10", "resolved#2026-11", "open"]


# -- rendering ---------------------------------------------------------------------------------

def test_html_report_renders_in_chromium_and_fits_a_mail_pane(chromium, report):
    html = render.html(report, "Customer Support")
    page = chromium.new_page(viewport={"width": 800, "height": 900})
    try:
        page.set_content(html)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "compliance-report.png"
        page.screenshot(path=str(shot), full_page=True)
        text = page.inner_text("body")
        width = page.evaluate("document.documentElement.scrollWidth")
        scripts = page.evaluate("document.scripts.length")
        stylesheets = page.evaluate("document.styleSheets.length")
    finally:
        page.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width <= 800  # no sideways scrolling in an 800-pixel reading pane
    assert scripts == 0 and stylesheets == 0  # inline styles only
    assert "First-contact resolution" in text and "helpdesk show 1002" in text
    # Targets beside actuals, in red where missed and green where met.
    assert 'color:#b42318;font-weight:bold;">66.7%' in html  # CRITICAL response, target 100%
    assert 'color:#1a7f37;font-weight:bold;">100.0%' in html  # HIGH response, target 95%


# -- the command line ----------------------------------------------------------------------------

@pytest.mark.slow
def test_cli_runs_the_report_function_on_embedded_aws(tmp_path, monkeypatch, capsys):
    import argparse

    from helpdesk.reports.service import FORMATS
    from helpdesk_local import report_cli

    assert report_cli.FORMATS == FORMATS
    monkeypatch.setenv("HELPDESK_STATE", str(tmp_path / "state.json"))  # empty embedded state
    parser = argparse.ArgumentParser(prog="helpdesk")
    report_cli.add_parser(parser.add_subparsers(dest="command", required=True))

    args = parser.parse_args(["report", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "csv",
                              "--out", str(tmp_path / "november.csv")])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "report 2026-11: 0 opened, 0 resolved, 0 breached, emailed to 1 recipient;" in printed
    rows = list(csv.DictReader(io.StringIO((tmp_path / "november.csv").read_text())))
    assert next(r for r in rows if r["group"] == "all" and r["metric"] == "opened")["value"] == "0"

    args = parser.parse_args(["report", "--from", "2026-11-16", "--to", "2026-11-23", "--format", "json"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["period"]["label"] == "2026-W47"

    args = parser.parse_args(["report", "--from", "2026-11-23", "--to", "2026-11-16"])
    assert args.func(args) == 2
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--from", "23/11/2026", "--to", "2026-11-30"])
