"""Review packs against hand-computed figures: the monthly issue review, the quarterly
communication audit (in a quarter that spans the end of daylight time), the annual protocol
update with its policy changes, trends from stored figures, the SVG charts, and what each pack
reads from the table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.policy.loader import load_policy, policy_document, validate_policy
from helpdesk.reports.annual import diff
from helpdesk.reports.charts import line_chart
from helpdesk.reports.packs import PackInputs, build_pack
from helpdesk.reports.periods import make_period, months_before, months_of, period_of, previous_period
from helpdesk.reports.service import ReportRequest, ReportService
from helpdesk.tickets.records import Entry, Ticket
from tests.reports.test_reports import AS_OF, ENTRIES, LA, TICKETS, FixedNow, RecordingStore, sla, ticket

Z = UTC


@pytest.fixture(scope="module")
def policy():
    return load_policy("four-level")


def typed(tickets, logs=None):
    return ([Ticket.model_validate(t) for t in tickets],
            {n: [Entry.model_validate({**e, "ticket": n}) for e in es] for n, es in (logs or {}).items()})


def entry(at: str, kind: str, **fields) -> dict:
    return {"at": at, "kind": kind, "key": fields.pop("key", kind), **fields}


# -- periods that span DST -------------------------------------------------------------------------


def test_a_quarter_that_spans_the_end_of_daylight_time():
    q4 = period_of("2026-Q4", LA)
    # 1 Oct 00:00 PDT (07:00Z) to 1 Jan 00:00 PST (08:00Z): 92 days and the hour the clocks gave back.
    assert (q4.start, q4.end, q4.kind, q4.label) == (
        datetime(2026, 10, 1, 7, tzinfo=Z), datetime(2027, 1, 1, 8, tzinfo=Z), "quarter", "2026-Q4")
    assert q4.days == pytest.approx(92 + 1 / 24)
    assert [(m.label, m.start, m.end) for m in months_of(q4)] == [
        ("2026-10", datetime(2026, 10, 1, 7, tzinfo=Z), datetime(2026, 11, 1, 7, tzinfo=Z)),
        ("2026-11", datetime(2026, 11, 1, 7, tzinfo=Z), datetime(2026, 12, 1, 8, tzinfo=Z)),
        ("2026-12", datetime(2026, 12, 1, 8, tzinfo=Z), datetime(2027, 1, 1, 8, tzinfo=Z))]
    assert previous_period("quarter", datetime(2027, 1, 1, 15, tzinfo=Z), LA) == q4
    # The next quarter spans the start of daylight time (8 Mar 2027): one hour short.
    q1 = period_of("2027-Q1", LA)
    assert (q1.start, q1.end, q1.days) == (datetime(2027, 1, 1, 8, tzinfo=Z), datetime(2027, 4, 1, 7, tzinfo=Z),
                                           pytest.approx(90 - 1 / 24))
    assert period_of("2026", LA).kind == "year" and period_of("2026-11", LA).title == "November 2026"
    assert [m.label for m in months_before(q4, 6)] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11",
                                                       "2026-12"]


def test_tickets_at_the_dst_boundary_count_in_their_local_month(policy):
    q4 = period_of("2026-Q4", LA)
    near = [
        # 31 Oct 23:30 PDT: October.
        ticket(8001, "LOW", "2026-11-01T06:30:00Z", "acme.example", status="investigating", state_key="open"),
        # 1 Nov 00:30 PDT and 01:30 PST (after the clocks went back): November.
        ticket(8002, "LOW", "2026-11-01T07:30:00Z", "acme.example", status="investigating", state_key="open"),
        ticket(8003, "LOW", "2026-11-01T09:30:00Z", "acme.example", status="investigating", state_key="open"),
        # 30 Nov 23:59 PST (1 Dec 07:59Z): still November; 1 Dec 00:00 PST (08:00Z): December.
        ticket(8004, "LOW", "2026-12-01T07:59:00Z", "acme.example", status="investigating", state_key="open"),
        ticket(8005, "LOW", "2026-12-01T08:00:00Z", "acme.example", status="investigating", state_key="open"),
    ]
    tickets, _ = typed(near)
    pack = build_pack("quarterly", q4, PackInputs(tickets, {}, [], {}), policy, datetime(2027, 1, 2, tzinfo=Z),
                      lambda digest: policy)
    assert [(m.period.label, m.overall.opened) for m in pack.months] == [("2026-10", 1), ("2026-11", 3),
                                                                          ("2026-12", 1)]
    assert pack.report.overall.opened == 5


# -- the monthly issue review ------------------------------------------------------------------------


MONTH_TICKETS = [dict(t) for t in TICKETS]
for _t in MONTH_TICKETS:
    if _t["number"] == 1004:  # the ticket a bad rating reopened, with the comment that came with it
        _t.update(survey_comments=1, survey_comment_at="2026-11-22T10:00:00Z")
MONTH_LOGS = {
    **ENTRIES,
    1004: [*ENTRIES[1004],
           entry("2026-11-22T10:00:00Z", "reopened", reason="the customer rated satisfaction (CSAT) 2 of 5",
                 actor="customer:survey"),
           entry("2026-11-22T10:00:00Z", "survey_comment", text="Took too long, and the fix came late.",
                 actor="customer")],
    1002: [entry("2026-11-10T20:00:00Z", "customer_message", actor="user@acme.example"),
           *ENTRIES[1002],
           entry("2026-11-10T20:15:00Z", "sla_breached", clock="first_response"),
           entry("2026-11-10T20:30:00Z", "staff_reply", actor="jordan@example.com", key="r2"),
           entry("2026-11-10T23:00:00Z", "status_changed", from_value="investigating", to_value="resolved",
                 actor="jordan@example.com")],
}
HISTORY = {"2026-10": {"csat": 8.4, "nps": 35.0, "first_contact_resolution": 90.0, "recurrence_rate": None},
           "2026-09": {"csat": 9.2}}


@pytest.fixture(scope="module")
def monthly(policy, november):
    tickets, logs = typed(MONTH_TICKETS, MONTH_LOGS)
    return build_pack("monthly", november, PackInputs(tickets, logs, [], HISTORY), policy, AS_OF,
                      lambda digest: policy)


def test_monthly_response_times_by_hour_of_day(monthly):
    # The nine tickets opened in November, by the local hour they arrived (PST after 1 Nov):
    # 1009 01:00 (5 min), 1001 02:00 (10), 1004 04:00 (30), 1003 08:00 (45), 1005 1007 1012 09:00 (60, 1440;
    # 1012 is waiting unanswered), 1006 10:00 (no response, breach check fired), 1002 12:00 (30 min, late).
    rows = {h.hour: (h.opened, h.answered, h.median, h.breached) for h in monthly.review.by_hour if h.opened}
    assert rows == {1: (1, 1, 5, 0), 2: (1, 1, 10, 0), 4: (1, 1, 30, 0), 8: (1, 1, 45, 0), 9: (3, 2, 750, 0),
                    10: (1, 0, None, 1), 12: (1, 1, 30, 1)}
    assert len(monthly.review.by_hour) == 24


def test_monthly_reopens_comments_and_breach_timelines(monthly):
    review = monthly.review
    assert [(r.number, r.at, r.reason, r.by) for r in review.reopened] == [
        (1004, "Sun 22 Nov 02:00", "the customer rated satisfaction (CSAT) 2 of 5", "customer:survey")]
    assert [(c.number, c.ratings, c.text) for c in review.comments] == [
        (1004, "CSAT 2/5", "Took too long, and the fix came late.")]
    assert [b.ticket.number for b in review.breaches] == [1002, 1009, 1004, 1006, 1007]
    timeline = [(e.at, e.what) for e in review.breaches[0].events]
    assert timeline == [
        ("Tue 10 Nov 12:00", "customer wrote in (ticket opened)"),
        ("Tue 10 Nov 12:00", "escalated to Executive (chain)"),
        ("Tue 10 Nov 12:10", "reply from system"),  # the fixture's reply has no actor
        ("Tue 10 Nov 12:15", "escalated to L2 (response breach)"),
        ("Tue 10 Nov 12:15", "first response target breached"),
        ("Tue 10 Nov 12:30", "reply from jordan"),
        ("Tue 10 Nov 15:00", "status investigating → resolved (jordan)")]


def test_monthly_trends_use_stored_figures_for_earlier_months(monthly):
    csat = next(t for t in monthly.trends if t.key == "csat")
    assert [(p.label, p.value, p.status) for p in csat.points] == [
        ("2026-06", None, "no figures"), ("2026-07", None, "no figures"), ("2026-08", None, "no figures"),
        ("2026-09", 9.2, "met"), ("2026-10", 8.4, "missed"), ("2026-11", 7.3, "missed")]
    recurrence = next(t for t in monthly.trends if t.key == "recurrence_rate")
    assert [p.status for p in recurrence.points][-2:] == ["not measured", "missed"]
    assert [p.cell for p in recurrence.points][-2:] == ["—", "22.2%"] and csat.points[0].cell == "·"
    assert monthly.report.previous_label == "2026-10"
    fcr = next(k for k in monthly.report.kpis if k.key == "first_contact_resolution")
    assert (fcr.previous, fcr.change) == (90.0, -47.1)
    assert len(monthly.trends) == len(monthly.report.kpis)


# -- the quarterly communication audit ----------------------------------------------------------------


def _with_ack_template(policy, name):
    document = policy_document(policy)
    document["templates"]["acknowledgment"] = name
    return validate_policy(document)


QUARTER_TICKETS = [
    ticket(7001, "HIGH", "2026-10-05T16:00:00Z", "acme.example", resolved_at="2026-10-06T16:00:00Z",
           ack_sent_at="2026-10-05T16:01:00Z", updates_sent=2, csat=5, survey_sent_at="2026-10-07T16:00:00Z",
           policy_digest="d1"),
    ticket(7002, "HIGH", "2026-11-03T16:00:00Z", "acme.example", resolved_at="2026-11-04T16:00:00Z",
           ack_sent_at="2026-11-03T16:01:00Z", csat=3, reopens=1, response_time_rating=2, communication_rating=3,
           policy_digest="d2"),
    ticket(7003, "MEDIUM", "2026-12-02T16:00:00Z", "globex.example", resolved_at="2026-12-03T16:00:00Z",
           ack_sent_at="2026-12-02T16:01:00Z", public_replies=0, policy_digest="d2"),
    ticket(7004, "CRITICAL", "2026-11-20T10:00:00Z", "acme.example", resolved_at="2026-11-20T14:00:00Z",
           ack_sent_at="2026-11-20T10:01:00Z", updates_sent=3, csat=1, escalations=2, incident="INC-7",
           sla_resolution=sla("breached", "2026-11-20T12:00:00Z", "2026-11-20T14:00:00Z", 240, 240),
           policy_digest="d2"),
    ticket(7005, "CRITICAL", "2026-11-20T10:05:00Z", "initech.example", resolved_at="2026-11-21T09:00:00Z",
           ack_sent_at="2026-11-20T10:06:00Z", csat=4, response_time_rating=4, escalations=1, incident="INC-7",
           policy_digest="d2"),
    ticket(7006, "HIGH", "2026-11-25T19:00:00Z", "hooli.example", status="investigating", state_key="open",
           escalations=1, resolution_due="2026-12-30T00:00:00Z", policy_digest="d2"),
]
QUARTER_LOGS = {
    7004: [entry("2026-11-20T10:00:00Z", "escalation", level="Executive", trigger="chain"),
           entry("2026-11-20T10:12:00Z", "acknowledged", actor="dana@example.com"),
           entry("2026-11-20T10:30:00Z", "escalation", level="L2", trigger="manual", key="e2"),
           entry("2026-11-20T11:00:00Z", "acknowledged", actor="lee@example.com", key="a2")],
    7005: [entry("2026-11-20T10:05:00Z", "escalation", level="Executive", trigger="chain")],
    7006: [entry("2026-11-25T20:00:00Z", "escalation", level="L2", trigger="response_breach"),
           entry("2026-11-25T20:45:00Z", "acknowledged", actor="sam@example.com")],
}


@pytest.fixture(scope="module")
def quarterly(policy):
    tickets, logs = typed(QUARTER_TICKETS, QUARTER_LOGS)
    snapshots = {"d1": policy, "d2": _with_ack_template(policy, "acknowledgment_v2")}
    return build_pack("quarterly", period_of("2026-Q4", LA), PackInputs(tickets, logs, [], {}), policy,
                      datetime(2027, 1, 1, 16, tzinfo=Z), lambda digest: snapshots.get(digest, policy))


def test_template_effectiveness_by_template_and_severity(quarterly):
    # CSAT on the policy's 10-point scale (mean of 1-5 x 2); reopened among the tickets that got it.
    rows = [(r.template, r.severity, r.tickets, r.csat, r.ratings, r.reopen.part) for r in quarterly.audit.templates]
    assert rows == [
        ("acknowledgment", "HIGH", 1, 10.0, 1, 0),  # 7001, under snapshot d1
        ("acknowledgment_v2", "CRITICAL", 2, 5.0, 2, 0),  # 7004 (1) and 7005 (4): 2.5 x 2
        ("acknowledgment_v2", "HIGH", 1, 6.0, 1, 1),  # 7002 (3), reopened
        ("acknowledgment_v2", "MEDIUM", 1, None, 0, 0),  # 7003, unrated
        ("customer_update", "CRITICAL", 1, 2.0, 1, 0),  # 7004 had updates
        ("customer_update", "HIGH", 1, 10.0, 1, 0),  # 7001
        ("resolution_summary", "CRITICAL", 2, 5.0, 2, 0),
        ("resolution_summary", "HIGH", 2, 8.0, 2, 1),  # 7001 (5) and 7002 (3): 4 x 2
        ("resolution_summary", "MEDIUM", 1, None, 0, 0),
        ("staff_relay", "CRITICAL", 2, 5.0, 2, 0),
        ("staff_relay", "HIGH", 2, 8.0, 2, 1),  # 7003 had no public reply
        ("survey_request", "HIGH", 1, 10.0, 1, 0),
    ]


def test_escalation_procedure_figures(quarterly):
    levels = [(lv.level, lv.escalations, lv.tickets, lv.to_acknowledge.median, lv.to_acknowledge.p90,
               lv.unacknowledged) for lv in quarterly.audit.escalation.levels]
    # L2: 7004 at 10:30 acknowledged 11:00 (30 min), 7006 at 20:00 acknowledged 20:45 (45 min).
    # Executive: 7004 at 10:00 acknowledged 10:12 (12 min); 7005 never acknowledged.
    assert levels == [("L2", 2, 2, 37.5, 45, 0), ("Executive", 2, 2, 12, 12, 1)]
    esc = quarterly.audit.escalation
    assert (esc.merged_tickets, esc.incidents, esc.separate_tickets) == (2, 1, 1)


def test_satisfaction_over_the_quarters_months_and_incidents(quarterly):
    months = {m.label: (m.resolved, m.answers["csat"], m.answers["response_time"], m.answers["communication"])
              for m in quarterly.audit.satisfaction}
    # October: 7001 (5 -> 10.0). November: 7002 (3), 7004 (1), 7005 (4): 8/3 x 2 = 5.3; response time 2 and 4.
    assert months == {"2026-10": (1, 10.0, None, None), "2026-11": (3, 5.3, 3.0, 3.0),
                      "2026-12": (1, None, None, None)}
    [incident] = quarterly.audit.incidents
    assert (incident.incident, incident.tickets, incident.accounts, incident.severity, incident.opened,
            incident.resolved, incident.breaches) == ("INC-7", 2, 2, "CRITICAL", "20 Nov 02:00", "21 Nov 01:00", 1)
    trend = next(t for t in quarterly.trends if t.key == "csat")
    assert [(p.label, p.value) for p in trend.points][-3:] == [("2026-10", 10.0), ("2026-11", 5.3),
                                                               ("2026-12", None)]


# -- the annual protocol update ------------------------------------------------------------------------


def test_annual_pack_lists_the_policy_changes_from_ticket_snapshots(policy):
    before = policy_document(policy)
    after = policy_document(policy)
    after["kpis"]["nps"] = 40.0
    after["templates"]["acknowledgment"] = "acknowledgment_v2"
    after["severities"]["HIGH"]["first_response"] = "45m"
    year = [ticket(9001, "LOW", "2026-02-10T17:00:00Z", "acme.example", resolved_at="2026-02-11T17:00:00Z",
                   policy_digest="aaaa", policy_name="four-level"),
            ticket(9002, "LOW", "2026-05-10T17:00:00Z", "acme.example", resolved_at="2026-05-11T17:00:00Z",
                   policy_digest="aaaa"),
            ticket(9003, "LOW", "2026-08-10T17:00:00Z", "acme.example", resolved_at="2026-08-11T17:00:00Z",
                   policy_digest="bbbb"),
            ticket(9004, "LOW", "2026-09-01T17:00:00Z", "acme.example", resolved_at="2026-09-02T17:00:00Z",
                   policy_digest="cccc")]
    tickets, _ = typed(year)
    pack = build_pack("annual", period_of("2026", LA),
                      PackInputs(tickets, {}, [], {}, {"aaaa": before, "bbbb": after, "cccc": None}), policy,
                      datetime(2027, 1, 2, tzinfo=Z), lambda digest: policy)
    rows = [(p.digest, p.tickets, p.first_ticket, p.last_ticket, p.changes, p.known) for p in pack.policies]
    assert rows == [
        ("aaaa", 2, "10 Feb 2026", "10 May 2026", [], True),
        ("bbbb", 1, "10 Aug 2026", "10 Aug 2026", ["kpis.nps: 50.0 -> 40.0",
                                                   "severities.HIGH.first_response: 1h -> 45m",
                                                   "templates.acknowledgment: acknowledgment -> acknowledgment_v2"],
         True),
        ("cccc", 1, "01 Sep 2026", "01 Sep 2026", [], False)]
    assert [t.key for t in pack.trends][0] == "first_contact_resolution"
    assert [p.label for p in pack.trends[0].points] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [m.overall.resolved for m in pack.months] == [0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0]


def test_diff_names_added_removed_and_changed_fields():
    assert diff({"a": 1, "b": {"c": 2, "d": [1]}}, {"a": 1, "b": {"c": 3, "e": True}}) == [
        "b.c: 2 -> 3", "b.d: removed", "b.e: added (True)"]
    assert diff({"x": "y" * 100}, {"x": "z"})[0].startswith("x: " + "y" * 59 + "…")


# -- charts ---------------------------------------------------------------------------------------------


def test_charts_are_plain_svg_with_gaps_for_missing_months():
    svg = str(line_chart("CSAT", ["a", "b", "c", "d"], [8.0, None, 9.5, 9.0], 9.0, ">=",
                         ["8.0", "·", "9.5", "9.0"]))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<script" not in svg and "href" not in svg and "style=\"display:block;\"" in svg
    assert svg.count("<circle") == 3 and svg.count("<polyline") == 1  # c-d joined; a stands alone
    assert svg.count("stroke-dasharray") == 1  # the goal
    assert svg.count('fill="#b42318"') == 1 and svg.count('fill="#1a7f37"') == 2  # 8.0 misses, 9.5 and 9.0 meet
    assert "<title>CSAT: a 8.0, b ·, c 9.5, d 9.0</title>" in svg
    assert str(line_chart("x", ["a"], [None], 1.0, ">=", ["—"])) == ""
    assert "&lt;b&gt;" in str(line_chart("<b>", ["a"], [1.0], None, ">=", ["1"]))


# -- what packs read ---------------------------------------------------------------------------------------


def test_each_pack_reads_one_partition_per_month_and_the_accounts(policy):
    service = ReportService(RecordingStore(MONTH_TICKETS, MONTH_LOGS), policy, None, None,
                            FixedNow(datetime(2027, 1, 5, 16, tzinfo=Z)), sender="s@help.example.com",
                            team_name="Support")
    store = service.store
    service.handle(ReportRequest(pack="annual", of="2026"))
    months = [f"resolved#2026-{m:02d}" for m in range(1, 13)] + ["resolved#2027-01"]  # 1 Jan 00:00-08:00Z
    partitions = [c[1] for c in store.calls if c[0] == "state"]
    assert partitions == [*months, "open"]  # no stored figures are read without a bucket; no ticket logs
    assert not [c for c in store.calls if c[0] == "ticket"] and store.calls.count(("accounts",)) == 1
    store.calls.clear()
    service.handle(ReportRequest(pack="monthly", of="2026-11"))
    logs = sorted(c[1] for c in store.calls if c[0] == "ticket")
    # Escalated tickets opened in November (1001 1002 1004 1009), then the breached 1006 and 1007.
    assert logs == [1001, 1002, 1004, 1006, 1007, 1009]
    # November, December (its first 8 hours are November's in Los Angeles) and January: resolutions up
    # to 31 days after the month still count its volume. Then the open partition.
    assert [c[1] for c in store.calls if c[0] == "state"][:4] == ["resolved#2026-11", "resolved#2026-12",
                                                                  "resolved#2027-01", "open"]


def test_pack_requests_are_validated():
    assert ReportRequest.model_validate({"pack": "quarterly", "of": "2026-Q4"}).of == "2026-Q4"
    for bad in ({"pack": "weekly"}, {"pack": "monthly", "period": "month"}, {"of": "2026-11"},
                {"pack": "monthly", "of": "November"}, {"pack": "monthly", "from": "2026-11-01", "to": "2026-12-01"}):
        with pytest.raises(ValueError):
            ReportRequest.model_validate(bad)
    with pytest.raises(ValueError):
        make_period(datetime(2026, 12, 1, tzinfo=Z), datetime(2026, 11, 1, tzinfo=Z), LA)
