"""Incidents: many customers, one problem, one voice. Detection, links, one chain, and fan-out.

Every check looks at what people see: the mail moto recorded, SNS briefings, and tickets as
`helpdesk show` reads them.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import make_mail

OUTAGE = [
    ("Checkout is down", "Our checkout page is down. Customers get an error when they press Pay; no orders come in."),
    ("Orders failing at payment", "Every order fails at the payment step for a few minutes. Checkout shows an error."),
    ("Checkout broken", "Checkout broken for all our customers. The cart works, the payment step fails with an error."),
    ("Payments down", "Payments are down on our shop, checkout errors for every order."),
]
UNRELATED = [
    ("Report export is empty", "When I export the monthly sales report to CSV the file is empty."),
    ("SSO login fails", "Our users cannot sign in with SSO, they get an invalid SAML response."),
    ("Invoice question", "We were charged twice on the last invoice, could you refund one charge?"),
    ("Dashboard charts", "The analytics dashboard takes a long time to draw its charts."),
]


class LambdaDied(BaseException):
    """Not an error the engine handles: the invocation is gone, as if its container was killed."""


def report(runtime, i: int, domain: str, subject: str, body: str) -> int:
    outcome = runtime.deliver(make_mail(sender=f"Person {i} <person{i}@{domain}>", subject=subject, body=body,
                                        message_id=f"<r{i}@{domain}>"))
    assert outcome["outcome"] == "created", outcome
    return int(outcome["ticket"])


def storm(runtime, count: int = 3) -> list[int]:
    """`count` reports of one checkout outage, from alternating accounts."""
    return [report(runtime, i, f"shop{i % 2}.example", *OUTAGE[i % len(OUTAGE)]) for i in range(count)]


def mail_to(runtime, address: str) -> list:
    return [e for e in runtime.customer_emails() if address in e.destinations]


def test_three_reports_from_two_accounts_open_an_incident_and_later_ones_link_on_arrival(runtime):
    first = storm(runtime, 3)
    assert {runtime.ticket(n)["incident"] for n in first} == {"INC-1"}
    later = report(runtime, 9, "shop9.example", *OUTAGE[3])
    assert runtime.ticket(later)["incident"] == "INC-1"
    ack = mail_to(runtime, "person9@shop9.example")[0]
    assert f"[#{later}]" in ack.subject and "wider problem" in ack.body() and "INC-1" in ack.body()
    note = next(e for e in runtime.staff_emails() if e.message.get("X-Helpdesk-Ticket") == str(first[2]))
    assert "INC-1" in note.body() and "#incident unlink" in note.body() and "3 tickets from 2 accounts" in note.body()
    store = runtime.store()
    incident = store.incidents.get(1)
    assert incident.tickets == {*first, later} and len(incident.accounts) == 3


def test_one_account_writing_three_times_is_not_an_incident(runtime):
    tickets = [report(runtime, i, "shop0.example", *OUTAGE[i]) for i in range(3)]
    assert [runtime.ticket(n).get("incident") for n in tickets] == [None, None, None]
    assert runtime.store().incidents.recent() == []


def test_unrelated_problems_at_the_same_time_are_not_an_incident(runtime):
    tickets = [report(runtime, i, f"co{i}.example", *UNRELATED[i]) for i in range(4)]
    tickets.append(report(runtime, 7, "co7.example", *OUTAGE[0]))  # one outage report among them
    assert all(runtime.ticket(n).get("incident") is None for n in tickets)
    assert runtime.store().incidents.recent() == []


def test_reports_outside_the_window_do_not_add_up(runtime):
    report(runtime, 0, "shop0.example", *OUTAGE[0])
    runtime.advance(timedelta(minutes=20))
    report(runtime, 1, "shop1.example", *OUTAGE[1])
    runtime.advance(timedelta(minutes=20))
    third = report(runtime, 2, "shop2.example", *OUTAGE[2])
    assert runtime.ticket(third).get("incident") is None


def test_staff_link_and_unlink_by_command(runtime):
    tickets = storm(runtime, 3)
    other = report(runtime, 5, "co5.example", *UNRELATED[2])
    assert runtime.ticket(other).get("incident") is None
    runtime.staff_reply(other, "#incident link INC-1\n#note")
    assert runtime.ticket(other)["incident"] == "INC-1"
    assert other in runtime.store().incidents.get(1).tickets
    runtime.staff_reply(other, "#incident link INC-1\n#note")  # idempotent
    assert runtime.store().incidents.get(1).tickets == {*tickets, other}
    runtime.staff_reply(other, "#incident unlink\n#note")
    assert runtime.ticket(other).get("incident") is None
    incident = runtime.store().incidents.get(1)
    assert other not in incident.tickets
    kinds = [e.kind for e in runtime.store().incidents.log(1)]
    assert kinds.count("linked") == 1 and kinds.count("unlinked") == 1


def test_a_ticket_belongs_to_at_most_one_incident(runtime):
    tickets = storm(runtime, 3)
    runtime.staff_reply(tickets[0], "#incident new Login problem\n#note")
    assert runtime.ticket(tickets[0])["incident"] == "INC-1"
    assert len(runtime.store().incidents.recent()) == 1
    rejected = [e for e in runtime.store().tickets.entries(tickets[0]) if e.kind == "staff_commands_rejected"]
    assert rejected and "already linked to INC-1" in rejected[-1].errors[0]


def test_linked_tickets_run_one_chain_and_the_briefing_speaks_for_the_incident(runtime):
    tickets = storm(runtime, 4)
    runtime.run_until(runtime.now() + timedelta(minutes=45))
    briefings = [n for n in runtime.notifications() if n["attributes"].get("kind") == "briefing"]
    assert briefings, "the incident's chain escalates"
    lead = runtime.store().incidents.get(1).lead
    assert {n["attributes"]["ticket"] for n in briefings} == {str(lead)}
    body = briefings[-1]["bodies"]["default"]
    assert "INCIDENT INC-1" in body and "4 tickets from 2 accounts" in body and "ARR affected" in body
    assert len(briefings) < len(tickets) * 2


def test_a_churn_threat_inside_an_incident_escalates_that_ticket_once(runtime):
    storm(runtime, 3)
    angry = report(runtime, 8, "shop8.example", "Checkout down again",
                   "Checkout is down again and every order fails at payment. If this is not fixed today we will "
                   "cancel our contract and move to another provider.")
    assert runtime.ticket(angry)["incident"] == "INC-1"
    runtime.run_until(runtime.now() + timedelta(minutes=90))
    own = [n for n in runtime.notifications() if n["attributes"].get("kind") == "briefing"
           and n["attributes"]["ticket"] == str(angry)]
    assert len(own) == 1 and "churn_threat" in own[0]["attributes"]["triggers"]


def test_an_incident_update_reaches_every_linked_customer_in_their_own_thread(runtime):
    tickets = storm(runtime, 4)
    runtime.staff_reply(tickets[0], "#incident update Payments provider failing; switching to the backup.\n#note")
    runtime.run_until(runtime.now() + timedelta(minutes=3), every_minute=True)
    for i, number in enumerate(tickets):
        address = f"person{i}@shop{i % 2}.example"
        got = [e for e in mail_to(runtime, address) if "switching to the backup" in e.body()]
        assert len(got) == 1 and f"[#{number}]" in got[0].subject
    assert runtime.store().incidents.get(1).first_update_at is not None


def test_cadence_updates_come_from_the_incident_within_its_severity(runtime):
    tickets = storm(runtime, 3)
    severity = runtime.store().incidents.get(1).severity
    every = {"P0": 30, "P1": 120}[severity]
    runtime.run_until(runtime.now() + timedelta(minutes=every + 3), every_minute=True)
    for number in tickets:
        updates = [e for e in runtime.store().tickets.entries(number) if e.kind == "customer_update"]
        assert len(updates) == 1, "one update per period, from the incident, none from the ticket's own cadence"
        assert updates[0].at - runtime.store().tickets.get(number).created_at <= timedelta(minutes=every + 2)


def test_resolving_the_incident_resolves_each_ticket_with_its_summary(runtime):
    tickets = storm(runtime, 3)
    desk_ticket = tickets[1]
    runtime.staff_reply(desk_ticket, "#rootcause An expired certificate at the payment provider\n"
                                     "#fix Certificate renewed and payments replayed\n"
                                     "#prevention Expiry alerts 30 days ahead\n#incident resolve\n#note")
    runtime.run_until(runtime.now() + timedelta(minutes=4), every_minute=True)
    for i, number in enumerate(tickets):
        assert runtime.ticket(number)["status"] == "resolved"
        summaries = [e for e in mail_to(runtime, f"person{i}@shop{i % 2}.example")
                     if e.subject.startswith(f"[#{number}] Resolved:")]
        assert len(summaries) == 1 and "expired certificate" in summaries[0].body()
        assert "Expiry alerts" in summaries[0].body() and f"[#{number}]" in summaries[0].subject
    assert runtime.store().incidents.get(1).status == "resolved"


@pytest.mark.parametrize("dies_after", [1, 3])
def test_fan_out_survives_a_crash_halfway_without_resending_or_skipping(runtime, monkeypatch, dies_after):
    from helpdesk.incidents.fanout import IncidentFanout, IncidentNotices

    monkeypatch.setattr(IncidentFanout, "batch_size", property(lambda self: 2))  # several fan-out steps
    tickets = storm(runtime, 5)
    real = IncidentNotices._update
    sent: list[int] = []

    def dies_midway(self, ctx, incident, item):
        if len(sent) == dies_after:
            sent.append(-1)
            raise LambdaDied("the sweeper's container was killed")
        sent.append(ctx.number)
        return real(self, ctx, incident, item)

    monkeypatch.setattr(IncidentNotices, "_update", dies_midway)
    runtime.staff_reply(tickets[0], "#incident update The payment provider is back; orders are flowing.\n#note")
    for _ in range(8):
        runtime.advance(timedelta(minutes=1))
        try:
            runtime.sweep()
        except LambdaDied:
            pass
    got = Counter(number for e in runtime.customer_emails() if "orders are flowing" in e.body()
                  for number in tickets if f"[#{number}]" in e.subject)
    assert got == Counter(dict.fromkeys(tickets, 1)), "everyone once, nobody twice"


def test_the_report_counts_incidents_their_reach_and_time_to_first_update(runtime):
    from helpdesk.policy.loader import load_policy
    from helpdesk.reports.periods import make_period
    from helpdesk.reports.render import text, to_csv
    from helpdesk.reports.service import ReportService

    tickets = storm(runtime, 3)
    runtime.advance(timedelta(minutes=6))
    runtime.staff_reply(tickets[0], "#incident update Card payments are failing at our provider.\n#note")
    runtime.run_until(runtime.now() + timedelta(minutes=3), every_minute=True)
    service = ReportService(runtime.store(), load_policy("p0-p3"), None, None, runtime.clock, sender="s@x.example",
                            team_name="Support")
    start = runtime.now() - timedelta(days=1)
    report = service.build(make_period(start, start + timedelta(days=2), "America/Los_Angeles"))
    section = report.incidents
    assert (section.count, section.customers_affected, section.accounts_affected) == (1, 3, 2)
    assert section.rows[0].minutes_to_first_update is not None and 6 <= section.rows[0].minutes_to_first_update <= 8
    assert "Incidents: 1 opened (0 resolved); 3 tickets from 2 accounts" in text(report, "Support")
    assert "incidents,all,customers_affected,3" in to_csv(report)


def test_a_more_severe_report_joining_later_becomes_the_lead_and_raises_the_incident(runtime):
    milder = [("Checkout payment errors for some customers",
               "Some of our customers see an error at the payment step of checkout. Most orders still go through."),
              ("Checkout payment step errors",
               "A few customers get an error at the checkout payment step; other orders still go through."),
              ("Checkout payment errors",
               "Some shoppers get an error at the payment step of our checkout. Most orders still go through.")]
    first = [report(runtime, i, f"shop{i % 2}.example", *milder[i]) for i in range(3)]
    incident = runtime.store().incidents.get(1)
    assert incident is not None and incident.tickets == set(first) and incident.severity in {"P1", "P2"}
    worse = report(runtime, 5, "shop5.example", *OUTAGE[0])  # the whole checkout is down: P0
    assert runtime.ticket(worse)["severity"] == "P0" and runtime.ticket(worse)["incident"] == "INC-1"
    incident = runtime.store().incidents.get(1)
    assert incident.severity == "P0" and incident.lead == worse
