"""The incidents section of a report: how many, how long, whom they hit, and how soon customers heard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean

from helpdesk.incidents.model import Incident
from helpdesk.reports.periods import Period


@dataclass(frozen=True)
class IncidentRow:
    incident: str
    title: str
    severity: str
    status: str
    tickets: int
    accounts: int
    arr_affected: float
    minutes_open: float | None  # opened to resolved, or to the report's moment while still open
    minutes_to_first_update: float | None


@dataclass(frozen=True)
class IncidentSection:
    count: int = 0
    resolved: int = 0
    customers_affected: int = 0  # tickets linked to the period's incidents
    accounts_affected: int = 0
    arr_affected: float = 0.0  # each account counted once, whatever the number of incidents
    mean_minutes_open: float | None = None
    mean_minutes_to_first_update: float | None = None
    rows: list[IncidentRow] = field(default_factory=list)


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 60, 1) if end else None


def incident_section(incidents: Iterable[Incident], period: Period, as_of: datetime) -> IncidentSection:
    """Incidents opened in the period (resolved or not)."""
    found = sorted((i for i in incidents if period.contains(i.created_at)), key=lambda i: i.number)
    rows = [IncidentRow(i.id, i.title, i.severity, i.status, len(i.tickets), len(i.accounts), i.arr,
                        _minutes(i.created_at, i.resolved_at or as_of),
                        _minutes(i.created_at, i.first_update_at)) for i in found]
    accounts: dict[str, float] = {}
    for i in found:
        accounts.update(i.accounts)
    durations = [r.minutes_open for r in rows if r.minutes_open is not None and r.status == "resolved"]
    firsts = [r.minutes_to_first_update for r in rows if r.minutes_to_first_update is not None]
    return IncidentSection(len(rows), sum(1 for r in rows if r.status == "resolved"),
                           sum(r.tickets for r in rows), len(accounts), sum(accounts.values()),
                           round(mean(durations), 1) if durations else None,
                           round(mean(firsts), 1) if firsts else None, rows)


def incident_lines(section: IncidentSection) -> list[str]:
    if not section.count:
        return ["", "Incidents: none opened in the period"]
    lines = ["", f"Incidents: {section.count} opened ({section.resolved} resolved); {section.customers_affected} "
                 f"tickets from {section.accounts_affected} accounts, ${section.arr_affected:,.0f} ARR affected",
             f"  mean duration {_text(section.mean_minutes_open)}; mean time to first update "
             f"{_text(section.mean_minutes_to_first_update)}"]
    lines += [f"  {r.incident} {r.severity} {r.status}: {r.tickets} tickets, {r.accounts} accounts, "
              f"${r.arr_affected:,.0f} ARR; open {_text(r.minutes_open)}; first update "
              f"{_text(r.minutes_to_first_update)} - {r.title}" for r in section.rows]
    return lines


def incident_csv_rows(section: IncidentSection) -> Iterable[tuple]:
    yield ("incidents", "all", "count", section.count, "incidents", None, None, f"{section.resolved} resolved")
    yield ("incidents", "all", "customers_affected", section.customers_affected, "tickets", None, None, None)
    yield ("incidents", "all", "arr_affected", section.arr_affected, "$", None, None,
           f"{section.accounts_affected} accounts")
    yield ("incidents", "all", "mean_duration", section.mean_minutes_open, "min", None, None, "resolved incidents")
    yield ("incidents", "all", "mean_time_to_first_update", section.mean_minutes_to_first_update, "min", None, None,
           None)
    for r in section.rows:
        yield ("incident", r.severity, r.incident, r.tickets, "tickets", None, r.status,
               f"{r.accounts} accounts; ${r.arr_affected:,.0f} ARR; open {_text(r.minutes_open)}; "
               f"first update {_text(r.minutes_to_first_update)}")


def _text(minutes: float | None) -> str:
    if minutes is None:
        return "not yet"
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:.1f} h"
