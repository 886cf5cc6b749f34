"""The outage storm: thirty reporters from twenty companies, one checkout outage, nobody answering.

The scenario's own `expect:` block states the targets; this test runs it the way `helpdesk scenario
run` does and also counts, from raw SNS messages and each ticket's outbound log, what the targets
are about, so a lenient checker cannot hide a miss.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml

from helpdesk.policy.loader import load_policy
from helpdesk_local.expectations import check
from helpdesk_local.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
STORM = ROOT / "events" / "scenarios" / "outage-storm.yaml"


def test_outage_storm_meets_its_targets() -> None:
    scenario = load_scenario(STORM)
    reporters = [s for s in scenario.steps if s.email]
    assert len(reporters) == 30 and len({s.email["from"].split("@")[1] for s in reporters}) == 20
    runtime = run_scenario(STORM, lambda event: None)
    assert scenario.expect is not None
    assert check(runtime, scenario.expect, scenario.policy) == []

    store = runtime.store()
    created = [e.ticket for e in runtime.timeline if e.kind == "ticket_created"]
    assert len(created) == 30
    severities = Counter(store.tickets.get(n).severity for n in created)
    assert len(severities) > 1, "some reports are understated, so the classifier disagrees on severity"
    for number in created:
        ticket = store.tickets.get(number)
        sent = [e for e in store.tickets.entries(number) if e.direction == "outbound" and e.visibility == "public"]
        acks = [e for e in sent if e.kind == "acknowledgment"]
        updates = [e for e in sent if e.kind == "customer_update"]
        assert len(acks) == 1 and acks[0].at - ticket.created_at <= timedelta(minutes=2)
        assert updates and updates[0].at - ticket.created_at <= timedelta(minutes=35), number
        assert len({e.seq for e in updates}) == len(updates), "no update sent twice"
        assert ticket.incident == "INC-1"

    levels = load_policy(scenario.policy).levels
    briefings = [n for n in runtime.notifications() if n["attributes"].get("kind") == "briefing"]
    executive = [n for n in briefings if levels[n["attributes"]["level"]].expects_ack]
    assert 1 <= len(briefings) <= 12 and len(executive) <= 3
    staff = [e for e in runtime.staff_emails() if "New " in e.subject]
    assert len(staff) <= 5, "past the first few tickets staff read one digest, not thirty notifications"


def test_a_broken_promise_is_reported(tmp_path: Path) -> None:
    document = {"name": "one report", "description": "a target no one can meet", "policy": "p0-p3",
                "start": "2026-12-08T10:00:00-08:00",
                "steps": [{"at": "+0m", "email": {"from": "Ann <ann@shop.example>", "subject": "Checkout down",
                                                  "body": "Our checkout is down for every customer."}},
                          {"advance_to": "+20m"}],
                "expect": {"acknowledged_within": "2m", "updated_within": "10m", "max_escalations": 0}}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(document))
    scenario = load_scenario(path)
    runtime = run_scenario(path, lambda event: None)
    problems = check(runtime, scenario.expect, scenario.policy)
    assert any("was not updated within 10 min" in p for p in problems), problems
    assert not any("acknowledged" in p for p in problems)
