"""Metric names and dimensions, read back from the EMF records the handlers print."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.conftest import make_mail


def _emf(runtime):
    records = []
    for line in runtime.log_stream.getvalue().splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if "_aws" in data:
            for directive in data["_aws"]["CloudWatchMetrics"]:
                dimensions = set(directive["Dimensions"][0]) if directive["Dimensions"] else set()
                for metric in directive["Metrics"]:
                    records.append((metric["Name"], frozenset(dimensions),
                                    {d: data[d] for d in dimensions}, directive["Namespace"]))
    return records


def test_metric_names_and_low_cardinality_dimensions(runtime):
    runtime.deliver(make_mail(subject="Production down", body="The platform is down for every user."))
    runtime.deliver(make_mail(headers={"Auto-Submitted": "auto-replied"}, message_id="<ooo@x>"))
    runtime.run_until(runtime.now() + timedelta(minutes=40))
    runtime.staff_reply(1001, "#status resolved\nFixed.")
    records = _emf(runtime)
    names = {name for name, *_ in records}
    assert {"TicketsCreated", "MessagesDropped", "AcknowledgmentLatency", "SlaBreached", "SlaMet",
            "Escalations", "SweeperLagSeconds", "BreachWarningsSent", "CustomerUpdatesSent"} <= names
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", name) for name in names)
    assert all(namespace == "Helpdesk" for *_, namespace in records)
    by_name = {}
    for name, dims, values, _ in records:
        by_name.setdefault(name, []).append((dims, values))
    assert ({"service", "severity"}, {"service": "helpdesk", "severity": "P0"}) in [
        (set(d), v) for d, v in by_name["TicketsCreated"]]
    assert any(set(d) == {"service", "reason"} and v["reason"] == "auto_submitted"
               for d, v in by_name["MessagesDropped"])
    assert any(set(d) == {"service", "clock", "severity"} and v["clock"] == "first_response"
               for d, v in by_name["SlaBreached"])
    assert any(set(d) == {"service", "level", "trigger"} for d, v in by_name["Escalations"])
    every_dimension = {key for _, dims, _, _ in records for key in dims}
    assert every_dimension <= {"service", "severity", "reason", "clock", "level", "trigger", "kind", "permanent"}
