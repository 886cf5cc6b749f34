"""Every KPI of the resolution framework against hand-computed figures, the policy's goals,
the changes from the previous period, and the "not measured" cases (never a zero)."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.accounts.model import Account
from helpdesk.core.errors import PolicyError
from helpdesk.policy.loader import load_policy, policy_document, validate_policy
from helpdesk.reports import render
from helpdesk.reports.formatting import change_colour, kpi_change, kpi_value
from tests.reports.test_reports import AS_OF, sla, ticket

RECORD = {"root_cause": "A stuck export job.", "fix": "Cleared the queue.", "prevention": "Queue alarm.",
          "verified": "Export ran twice.", "lessons": "Watch the queue depth."}


def kb(ref: str, at: str) -> dict:
    return {"ref": ref, "at": at, "by": "sam@example.com"}


def resolved(number: int, created: str, resolved_at: str, minutes: float, **fields) -> dict:
    first = sla("met", created[:11] + "23:59:00Z", created, 30, 30)
    return ticket(number, "HIGH", created, "acme.example", resolved_at=resolved_at,
                  sla_first_response=fields.pop("sla_first_response", first),
                  sla_resolution=sla("met", resolved_at, resolved_at, minutes, minutes), **fields)


# November 2026 in Los Angeles. Four resolved tickets, one open, one from October.
TICKETS = [
    resolved(5001, "2026-11-05T16:00:00Z", "2026-11-05T18:00:00Z", 120, csat=5, nps=10, effort_rating=9,
             doc_score=9, **RECORD, kb_articles=[kb("KB-12 Export limits", "2026-11-05T18:00:00Z")]),
    resolved(5002, "2026-11-10T16:00:00Z", "2026-11-11T02:00:00Z", 600, csat=4, nps=8, effort_rating=7,
             root_cause="Disk full.", fix="Freed space.", related_ticket=4990),
    resolved(5003, "2026-11-12T16:00:00Z", "2026-11-13T12:00:00Z", 1200, csat=2, nps=3, effort_rating=4,
             doc_score=6, reopens=1, escalations=1,
             sla_first_response=sla("breached", "2026-11-12T17:00:00Z", "2026-11-12T18:00:00Z", 120, 120),
             kb_articles=[kb("https://kb.example/a", "2026-11-12T20:00:00Z"),
                          kb("kb-12 export limits", "2026-11-13T12:00:00Z")]),
    resolved(5004, "2026-11-20T16:00:00Z", "2026-11-21T00:00:00Z", 480, **RECORD),
    ticket(5005, "HIGH", "2026-11-25T16:00:00Z", "acme.example", status="investigating", state_key="open",
           sla_first_response=sla("met", "2026-11-25T17:00:00Z", "2026-11-25T16:30:00Z", 30, 30),
           resolution_due="2026-12-25T16:00:00Z", kb_articles=[kb("https://kb.example/b", "2026-11-26T10:00:00Z")]),
    resolved(5006, "2026-10-20T16:00:00Z", "2026-10-20T18:00:00Z", 120, csat=1,
             kb_articles=[kb("https://kb.example/october", "2026-10-20T18:00:00Z")]),
]
ACCOUNTS = [
    Account(domain="acme.example", name="Acme", renewal_date=date(2026, 11, 15), renewal_outcome="renewed"),
    Account(domain="globex.example", name="Globex", renewal_date=date(2026, 11, 30), renewal_outcome="churned"),
    Account(domain="initech.example", name="Initech", renewal_date=date(2026, 11, 20)),  # pending
    Account(domain="hooli.example", name="Hooli", renewal_date=date(2026, 12, 1), renewal_outcome="renewed"),
    Account(domain="umbrella.example", name="Umbrella", renewal_date=date(2026, 11, 1), renewal_outcome="renewed"),
    Account(domain="nodate.example", name="No date"),
]


@pytest.fixture(scope="module")
def policy():
    return load_policy("four-level")


def with_kpis(policy, **goals):
    document = policy_document(policy)
    document["kpis"].update(goals)
    return validate_policy(document, "test policy")


def kpis_of(policy, november, accounts=ACCOUNTS, previous=None, tickets=TICKETS):
    from helpdesk.reports.compute import compute as compute_records
    from helpdesk.tickets.records import Ticket

    report = compute_records([Ticket.model_validate(t) for t in tickets], {}, policy, november, AS_OF,
                             accounts=accounts, previous=previous, previous_label="2026-10" if previous else None)
    return report, {k.key: k for k in report.kpis}


def test_every_framework_kpi_against_hand_computed_figures(policy, november):
    report, k = kpis_of(policy, november)
    figures = {key: (v.value, v.goal, v.status) for key, v in k.items()}
    assert figures == {
        # Resolved in November: 5001-5004; 5003 was reopened -> 3 of 4.
        "first_contact_resolution": (75.0, 85.0, "missed"),
        # (120 + 600 + 1200 + 480) / 4 = 600 business minutes = 10.0 h; the framework sets no goal.
        "average_resolution_time": (10.0, None, "no goal"),
        # Overall scores 5, 4, 2 (5004 unrated; 5006 is October's): 11/3 = 3.667 of 5, x 2 = 7.3 of 10.
        "csat": (7.3, 9.0, "missed"),
        # Opened in November: 5001-5005; 5002 links an older ticket -> 1 of 5.
        "recurrence_rate": (20.0, 5.0, "missed"),
        # Renewal dates in November (local midnights): Acme renewed, Umbrella (1 Nov, 00:00 PDT = the period's
        # first instant) renewed, Globex churned; Initech pending; Hooli's 1 Dec is the next period -> 2 of 3.
        "retention_rate": (66.7, 95.0, "missed"),
        # NPS answers 10, 8, 3: one promoter, one passive, one detractor -> 0, a measured zero.
        "nps": (0.0, 50.0, "missed"),
        # Ease 9, 7, 4 -> 20/3 = 6.7 of 10.
        "customer_effort": (6.7, 8.0, "missed"),
        # 5003 was escalated -> 1 of 5 opened.
        "escalation_rate": (20.0, 10.0, "missed"),
        # First responses: 5001 5002 5004 5005 on time, 5003 late -> 4 of 5.
        "response_compliance": (80.0, 95.0, "missed"),
        # No follow-up was scheduled for these tickets: nothing owed, so nothing to measure.
        "followup_completion": (None, 100.0, "not measured"),
        # auto: #docscore ratings exist (9 on 5001, 6 on 5003) -> their mean, 7.5.
        "documentation_quality": (7.5, 9.0, "missed"),
        # Distinct articles named in November: "KB-12 Export limits" (5001, and 5003 in other case), kb/a, and
        # kb/b on the still-open 5005; October's is out. 3 in a 30-day-1-hour month: 3 x 30.4375 / 30.042 = 3.0.
        "knowledge_base_articles": (3.0, None, "no goal"),
        # Resolved tickets naming an article: 5001 and 5003 of 4.
        "knowledge_base_share": (50.0, None, "no goal"),
    }
    assert [v.group for v in report.kpis].count("Resolution effectiveness") == 4
    assert k["retention_rate"].basis == "2 of 3 renewals kept; 1 pending"
    assert k["documentation_quality"].basis == "staff ratings (#docscore) of 2 of 4 resolved tickets"
    assert k["followup_completion"].basis == "no follow-up fell due for resolved tickets"
    assert k["nps"].basis == "3 answers: 1 promoters, 1 passives, 1 detractors"
    assert (kpi_value(k["csat"]), kpi_value(k["nps"]), kpi_value(k["knowledge_base_articles"])) == (
        "7.3 / 10", "+0", "3.0 a month")


def test_goals_and_scales_come_from_the_policy(policy, november):
    strict = with_kpis(policy, csat_scale=5, csat=4.5, average_resolution_time="12h",
                       documentation_source="completeness", knowledge_base_articles=2, recurrence_rate=25)
    _, k = kpis_of(strict, november)
    # On the 5-point scale the same ratings read 3.67 of 5.
    assert (k["csat"].value, k["csat"].unit, k["csat"].goal, k["csat"].status) == (3.67, "/5", 4.5, "missed")
    assert (k["average_resolution_time"].value, k["average_resolution_time"].goal,
            k["average_resolution_time"].status) == (10.0, 12.0, "met")
    # Completeness: 5001 5/5 -> 10, 5002 2/5 -> 4, 5003 0, 5004 5/5 -> 10: 24/4 = 6.0.
    assert (k["documentation_quality"].value, k["documentation_quality"].status) == (6.0, "missed")
    assert "completeness" in k["documentation_quality"].basis
    assert (k["knowledge_base_articles"].status, k["recurrence_rate"].status) == ("met", "met")


def test_changes_from_the_previous_period_and_their_direction(policy, november):
    report, k = kpis_of(policy, november, previous={"csat": 8.0, "nps": 10.0, "recurrence_rate": 25.0,
                                                    "response_compliance": None, "followup_completion": 90.0})
    assert (k["csat"].previous, k["csat"].change, kpi_change(k["csat"])) == (8.0, -0.7, "-0.7")
    assert (k["nps"].change, kpi_change(k["nps"])) == (-10.0, "-10.0")
    # Recurrence fell by 5 points: below-goal measures improve downwards.
    assert (k["recurrence_rate"].change, kpi_change(k["recurrence_rate"])) == (-5.0, "-5.0 pts")
    assert change_colour(k["recurrence_rate"]) == "#1a7f37" and change_colour(k["csat"]) == "#b42318"
    # Not measured last time, or not measured now: no change to state.
    assert (k["response_compliance"].change, kpi_change(k["response_compliance"])) == (None, "n/a")
    assert (k["followup_completion"].previous, kpi_change(k["followup_completion"])) == (90.0, "no change measured")
    assert kpi_change(k["customer_effort"]) == "n/a"  # nothing stored for it
    text = render.text(report, "Support")
    assert "KPIs, change from 2026-10" in text and "Issue recurrence rate: 20.0% (goal < 5.0%) MISSED; -5.0 pts" in text
    html = render.html(report, "Support")
    assert "vs 2026-10" in html and "-5.0 pts" in html


@pytest.mark.parametrize("accounts, reason", [
    (None, "the account directory was not read"),
    ([], "no account in the directory has a renewal date"),
    ([Account(domain="a.example", name="A")], "no account in the directory has a renewal date"),
    ([Account(domain="a.example", name="A", renewal_date=date(2027, 3, 1), renewal_outcome="renewed")],
     "no account's renewal date falls in the period"),
    ([Account(domain="a.example", name="A", renewal_date=date(2026, 11, 3)),
      Account(domain="b.example", name="B", renewal_date=date(2026, 11, 4))],
     "2 renewals fell due but none has an outcome yet (helpdesk accounts renew|churn DOMAIN)"),
])
def test_retention_is_not_measured_without_recorded_renewals(policy, november, accounts, reason):
    _, k = kpis_of(policy, november, accounts=accounts)
    assert (k["retention_rate"].value, k["retention_rate"].status, k["retention_rate"].basis) == (
        None, "not measured", reason)


def test_a_month_with_nothing_to_count_says_why_for_every_kpi(policy, november):
    report, k = kpis_of(policy, november, accounts=[], tickets=[])
    assert {v.status for v in report.kpis} == {"not measured"}
    assert k["first_contact_resolution"].basis == "no ticket was resolved in the period"
    assert k["recurrence_rate"].basis == "no ticket was opened in the period"
    assert k["csat"].basis == "no satisfaction rating for tickets resolved in the period"
    assert k["customer_effort"].basis == "no effort answer for tickets resolved in the period"
    assert k["knowledge_base_articles"].basis == "no article was recorded with #kb for tickets in the period"
    assert k["response_compliance"].basis == "no first-response clock counted"
    lines = render.text(report, "Support")
    assert lines.count(": not measured (") == len(report.kpis) and " 0.0" not in lines


def test_resolved_tickets_without_any_record_or_article_are_not_a_zero(policy, november):
    bare = [resolved(6001, "2026-11-05T16:00:00Z", "2026-11-05T18:00:00Z", 120, csat=5)]
    _, k = kpis_of(policy, november, tickets=bare)
    assert (k["documentation_quality"].value, k["documentation_quality"].status) == (None, "not measured")
    assert "#docscore" in k["documentation_quality"].basis
    assert (k["knowledge_base_share"].value, k["knowledge_base_articles"].value) == (None, None)
    assert (k["csat"].value, k["first_contact_resolution"].value) == (10.0, 100.0)  # those are measured


@pytest.mark.parametrize("goals, message", [
    ({"nps_goal": 50}, "kpis.nps_goal: unknown key"),
    ({"recurrence_rate": 120}, "kpis.recurrence_rate: Input should be less than or equal to 100"),
    ({"csat_scale": 7}, "kpis.csat_scale: Input should be 5 or 10"),
    ({"csat_scale": 5, "csat": 9.0}, "kpis: csat: a goal of 9 does not fit csat_scale 5"),
    ({"average_resolution_time": "soon"}, "kpis.average_resolution_time: expected a duration"),
    ({"documentation_source": "guess"}, "kpis.documentation_source: Input should be 'auto', 'staff' or"),
])
def test_kpi_goals_are_validated_like_every_other_field(policy, goals, message):
    with pytest.raises(PolicyError) as caught:
        with_kpis(policy, **goals)
    assert message in str(caught.value)


@pytest.mark.parametrize("preset", ["p0-p3", "four-level", "p1-p4"])
def test_presets_carry_the_frameworks_goals(preset):
    goals = load_policy(preset).kpis
    assert (goals.first_contact_resolution, goals.csat, goals.csat_scale, goals.recurrence_rate,
            goals.retention_rate, goals.nps, goals.customer_effort, goals.escalation_rate,
            goals.response_compliance, goals.followup_completion, goals.documentation_quality) == (
        85, 9.0, 10, 5, 95, 50, 8.0, 10, 95, 100, 9.0)
    assert goals.average_resolution_time is None and goals.knowledge_base_articles is None


def test_a_policy_without_a_kpis_section_keeps_the_framework_goals(policy):
    document = policy_document(policy)
    document.pop("kpis")
    assert validate_policy(document).kpis == policy.kpis
