"""The compliance report as an HTML email, a plain-text part, CSV and JSON.

The HTML comes from `templates/compliance_report.html.j2` through an environment of our own
(autoescape, StrictUndefined): `helpdesk.rendering.render` wants a subject and a text template
beside the HTML one, and the report's subject and text part are short enough to build here.
Ticket subjects and account names are customer data: they are only ever passed in as values.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Any

from helpdesk.mail.parsing import clean_header_text
from helpdesk.messages import rendering
from helpdesk.reports.compute import Report
from helpdesk.reports.figures import Compliance, Dist, Figures
from helpdesk.reports.formatting import (
    kpi_change,
    kpi_goal,
    kpi_value,
    local_time,
    percent,
    register_template_helpers,
    severity_goals,
    target_text,
)
from helpdesk.reports.incidents import incident_csv_rows, incident_lines

TEMPLATE = "compliance_report.html.j2"
HTML_BREACH_ROWS = 50  # the email lists this many breached tickets; the CSV and JSON have them all
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headline(report: Report) -> str:
    o = report.overall
    return (f"{o.opened} opened, {o.resolved} resolved; response {percent(o.response.percent)}, "
            f"resolution {percent(o.resolution.percent)}; {len(report.breaches)} breached")


def subject(report: Report, team_name: str) -> str:
    text = f"[{team_name}] Compliance report {report.period.label}: {headline(report)}"
    return clean_header_text(text, 250)


# -- HTML --------------------------------------------------------------------------------------

def html(report: Report, team_name: str) -> str:
    tz = report.period.timezone
    columns = [*report.severities, report.overall]
    shown = report.breaches[:HTML_BREACH_ROWS]
    top = max([b.tickets for b in report.escalation_levels + report.escalation_triggers] or [0])
    context = {
        "report": report, "team_name": team_name, "columns": columns, "headline": headline(report),
        "as_of": local_time(report.as_of, tz),
        "more_breaches": max(0, len(report.breaches) - HTML_BREACH_ROWS),
        "breach_rows": [(b, [(c, local_time(c.due, tz)) for c in b.clocks]) for b in shown],
        "escalation_scale": top or 1,
        "csat_scale": max(report.overall.csat.distribution.values() or [0]) or 1,
        "nps_scale": max(report.overall.nps.distribution.values() or [0]) or 1,
        "goals": severity_goals(report.kpis),
    }
    register_template_helpers()
    return rendering.render_page(TEMPLATE.removesuffix(".html.j2"), context)


# -- text --------------------------------------------------------------------------------------

def text(report: Report, team_name: str) -> str:
    lines = [f"{team_name}: compliance report, {report.period.title} ({report.period.timezone})",
             f"Policy {report.policy}; figures as of {local_time(report.as_of, report.period.timezone)}.", "",
             headline(report), "", "KPIs" + (f", change from {report.previous_label}" if report.previous_label else "")]
    lines += kpi_lines(report)
    lines += ["", "Compliance by severity"]
    for fig in report.severities:
        lines.append(f"  {fig.name}: {fig.opened} opened; response {_comp(fig.response)}; "
                     f"resolution {_comp(fig.resolution)}")
    lines.append(f"  All: response {percent(report.overall.response.percent)}, "
                 f"resolution {percent(report.overall.resolution.percent)}")
    if report.breaches:
        lines += ["", "Breached tickets"]
        for b in report.breaches:
            clocks = ", ".join(c.clock + (" (still running)" if c.running else "") for c in b.clocks)
            lines.append(f"  #{b.number} {b.severity} {b.account}: {clocks}  -> {b.hint}")
    lines += incident_lines(report.incidents)
    lines += ["", "The HTML part has every figure; CSV and JSON copies are attached."]
    return "\n".join(lines) + "\n"


def kpi_lines(report: Report) -> list[str]:
    lines = []
    for k in report.kpis:
        change = f"; {kpi_change(k)}" if report.previous_label else ""
        status = k.status.upper() if k.status in ("met", "missed") else k.status
        goal = "no goal" if k.goal is None else f"goal {kpi_goal(k)}"
        lines.append(f"  {k.name}: {kpi_value(k)} ({goal}) {status}{change} - {k.basis}")
    return lines


def _comp(value: Compliance) -> str:
    counts = f"{value.met} met, {value.breached} breached"
    return f"{percent(value.percent)} ({counts}; {target_text(value.target)}, {value.status})"


# -- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "group", "metric", "value", "unit", "target", "status", "detail")


def safe_cell(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas; customer text must not."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _dist_rows(group: str, name: str, times: Any) -> Iterator[tuple]:
    for scale, d in (("clock", times.clock), ("wall", times.wall)):
        assert isinstance(d, Dist)
        yield ("times", group, f"{name}_median_{scale}", d.median, "minutes", None, None, f"n={d.count}")
        yield ("times", group, f"{name}_p90_{scale}", d.p90, "minutes", None, None, f"n={d.count}")


def figure_rows(fig: Figures) -> Iterator[tuple]:
    g = fig.key
    yield ("volume", g, "opened", fig.opened, "tickets", None, None, fig.name)
    yield ("volume", g, "resolved", fig.resolved, "tickets", None, None, fig.name)
    for name, comp in (("response_compliance", fig.response), ("resolution_compliance", fig.resolution),
                       ("workaround_compliance", fig.workaround)):
        yield ("compliance", g, name, comp.percent, "%", comp.target, comp.status,
               f"{comp.met} met, {comp.breached} breached")
    yield from _dist_rows(g, "first_response", fig.first_response_minutes)
    yield from _dist_rows(g, "resolution", fig.resolution_minutes)
    yield from _dist_rows(g, "workaround", fig.workaround_minutes)
    for name, value in (("escalation_rate", fig.escalation), ("reopen_rate", fig.reopen),
                        ("recurrence_rate", fig.recurrence), ("first_contact_resolution", fig.first_contact),
                        ("followup_completion", fig.followups), ("csat_satisfied", fig.csat.satisfied)):
        yield ("rates", g, name, value.percent, "%", None, None, f"{value.part} of {value.whole}")
    yield ("ratings", g, "csat_average", fig.csat.average, "of 5", None, None, f"n={fig.csat.count}")
    yield ("ratings", g, "nps", fig.nps.score, "score", None, None,
           f"n={fig.nps.count}; {fig.nps.promoters} promoters, {fig.nps.passives} passives, "
           f"{fig.nps.detractors} detractors")


def kpi_rows(report: Report) -> Iterator[tuple]:
    for k in report.kpis:
        goal = None if k.goal is None else f"{k.comparison} {k.goal:g}"
        change = "" if k.change is None else f"; change {k.change:+g} from {report.previous_label}"
        yield ("kpi", k.group, k.key, k.value, k.unit, goal, k.status, f"n={k.sample}; {k.basis}{change}")


def _summary_rows(report: Report) -> Iterator[tuple]:
    yield from kpi_rows(report)
    for section, distribution in (("csat_distribution", report.overall.csat.distribution),
                                  ("nps_distribution", report.overall.nps.distribution)):
        for rating, count in distribution.items():
            yield (section, "all", rating, count, "ratings", None, None, None)


def _escalation_and_account_rows(report: Report) -> Iterator[tuple]:
    for section, rows in (("escalation_level", report.escalation_levels),
                          ("escalation_trigger", report.escalation_triggers)):
        for b in rows:
            yield (section, b.key, "tickets", b.tickets, "tickets", None, None, f"{b.events} escalations; {b.name}")
            yield (section, b.key, "rate", b.percent, "%", None, None, None)
    for section, accounts in (("top_accounts_by_tickets", report.top_accounts_by_tickets),
                              ("top_accounts_by_breaches", report.top_accounts_by_breaches)):
        for a in accounts:
            yield (section, a.domain, "tickets", a.tickets, "tickets", None, None, a.name)
            yield (section, a.domain, "breaches", a.breaches, "clocks", None, None, a.name)


def _breach_rows(report: Report) -> Iterator[tuple]:
    for t in report.breaches:
        for c in t.clocks:
            yield ("breach", t.severity, c.clock.replace(" ", "_"), t.number, "ticket", c.due,
                   "running" if c.running else "breached",
                   f"{c.late_minutes:g} min late; {t.account}; {t.subject}; {t.hint}")


def csv_rows(report: Report) -> Iterator[tuple]:
    for fig in [*report.severities, report.overall]:
        yield from figure_rows(fig)
    yield from _summary_rows(report)
    yield from _escalation_and_account_rows(report)
    yield from _breach_rows(report)
    yield from incident_csv_rows(report.incidents)


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


# -- JSON --------------------------------------------------------------------------------------

def to_json(report: Report) -> str:
    data = dataclasses.asdict(report)
    data["period"].update(start=report.period.start.isoformat(), end=report.period.end.isoformat())
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
