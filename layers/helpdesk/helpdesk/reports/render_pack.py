"""A review pack as an HTML email (also stored), a plain-text part, CSV and JSON.

The HTML is `templates/report_pack.html.j2`: tables and inline styles, charts as inline SVG with
the same numbers in a table beside each. Customer text (subjects, account names, comments) is
only ever passed in as values, escaped by the template and defused in the CSV.
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
from helpdesk.reports import render
from helpdesk.reports.formatting import kpi_value, local_time, register_template_helpers, severity_goals
from helpdesk.reports.packs import Pack

TEMPLATE = "report_pack"
SHOWN_BREACHES = 50


def headline(pack: Pack) -> str:
    kpis = pack.report.kpis
    met = sum(1 for k in kpis if k.status == "met")
    measured = sum(1 for k in kpis if k.status in ("met", "missed"))
    unmeasured = sum(1 for k in kpis if k.status == "not measured")
    o = pack.report.overall
    return (f"{met} of {measured} KPIs with a goal met" + (f", {unmeasured} not measured" if unmeasured else "")
            + f"; {o.opened} opened, {o.resolved} resolved, {len(pack.report.breaches)} breached")


def subject(pack: Pack, team_name: str) -> str:
    return clean_header_text(f"[{team_name}] {pack.title} {pack.period.label}: {headline(pack)}", 250)


def html(pack: Pack, team_name: str) -> str:
    report = pack.report
    tz = report.period.timezone
    busiest = max([h.opened for h in pack.review.by_hour] if pack.review else [0]) or 1
    context = {
        "pack": pack, "report": report, "team_name": team_name, "headline": headline(pack),
        "as_of": local_time(report.as_of, tz), "goals": severity_goals(report.kpis),
        "columns": [*report.severities, report.overall], "busiest_hour": busiest,
        "shown_breaches": pack.review.breaches[:SHOWN_BREACHES] if pack.review else [],
        "more_breaches": max(0, len(report.breaches) - SHOWN_BREACHES),
        "due_text": lambda text: local_time(text, tz),
    }
    register_template_helpers()
    return rendering.render_page(TEMPLATE, context)


def text(pack: Pack, team_name: str) -> str:
    report = pack.report
    lines = [f"{team_name}: {pack.title.lower()}, {report.period.title} ({report.period.timezone})",
             f"Policy {report.policy}; figures as of {local_time(report.as_of, report.period.timezone)}.", "",
             headline(pack), "", "KPIs" + (f", change from {report.previous_label}" if report.previous_label else "")]
    lines += render.kpi_lines(report)
    lines += ["", "Trends (oldest first)"]
    for t in pack.trends:
        lines.append(f"  {t.name}: " + ", ".join(f"{p.label} {p.text}" for p in t.points))
    lines += ["", *section_lines(pack), "", "The HTML part has every figure and chart; CSV and JSON copies are "
              "attached."]
    return "\n".join(lines) + "\n"


def section_lines(pack: Pack) -> list[str]:
    if pack.review:
        r = pack.review
        return [f"Reopened in the month: {len(r.reopened)}; low-rating comments: {len(r.comments)}; "
                f"breached tickets: {len(r.breaches)}"]
    if pack.audit:
        a = pack.audit
        return [f"Templates measured: {len({row.template for row in a.templates})}; escalation levels used: "
                f"{len(a.escalation.levels)}; incidents: {len(a.incidents)}"]
    changes = sum(len(p.changes) + p.more_changes for p in pack.policies)
    return [f"Policies in force during the year: {len(pack.policies)}; field changes between them: {changes}"]


# -- CSV ---------------------------------------------------------------------------------------


def _trend_rows(pack: Pack) -> Iterator[tuple]:
    for t in pack.trends:
        for p in t.points:
            yield ("trend", p.label, t.key, p.value, t.unit, t.goal_text, p.status, None)


def _review_rows(pack: Pack) -> Iterator[tuple]:
    if not pack.review:
        return
    for h in pack.review.by_hour:
        yield ("by_hour", f"{h.hour:02d}", "opened", h.opened, "tickets", None, None,
               f"{h.answered} answered; median {h.median} min; {h.breached} breached")
    for row in pack.review.reopened:
        yield ("reopened", row.severity, "ticket", row.number, "ticket", row.at, None, f"{row.reason} ({row.by})")
    for c in pack.review.comments:
        yield ("low_rating_comment", c.severity, "ticket", c.number, "ticket", c.at, c.ratings, c.text)


def _audit_rows(pack: Pack) -> Iterator[tuple]:
    if not pack.audit:
        return
    for t in pack.audit.templates:
        yield ("template", t.severity, t.template, t.csat, "csat", None, None,
               f"{t.tickets} tickets; {t.ratings} ratings; reopened {t.reopen.part} of {t.reopen.whole}")
    for lv in pack.audit.escalation.levels:
        yield ("escalation_level", lv.level, "escalations", lv.escalations, "escalations", None, None,
               f"{lv.tickets} tickets; median {lv.to_acknowledge.median} min to acknowledge; "
               f"{lv.unacknowledged} not acknowledged")
    for m in pack.audit.satisfaction:
        for question, value in m.answers.items():
            yield ("satisfaction", m.label, question, value, "mean", None, None, f"n={m.counts[question]}")
    for i in pack.audit.incidents:
        yield ("incident", i.severity, i.incident, i.tickets, "tickets", i.opened, i.resolved,
               f"{i.accounts} accounts; {i.breaches} breaches")


def _section_rows(pack: Pack) -> Iterator[tuple]:
    yield from _review_rows(pack)
    yield from _audit_rows(pack)
    for p in pack.policies:
        yield ("policy", p.name, p.digest, p.tickets, "tickets", p.first_ticket, p.last_ticket, "; ".join(p.changes))


def csv_rows(pack: Pack) -> Iterator[tuple]:
    yield from render.kpi_rows(pack.report)
    yield from _trend_rows(pack)
    yield from _section_rows(pack)
    for fig in [*pack.report.severities, pack.report.overall]:
        yield from render.figure_rows(fig)


def to_csv(pack: Pack) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(render.CSV_COLUMNS)
    for row in csv_rows(pack):
        writer.writerow([render.safe_cell(v) for v in row])
    return buffer.getvalue()


# -- JSON --------------------------------------------------------------------------------------


def _without_charts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_charts(v) for k, v in value.items() if k != "svg"}
    if isinstance(value, list):
        return [_without_charts(v) for v in value]
    return value


MONTH_DETAIL = ("breaches", "top_accounts_by_tickets", "top_accounts_by_breaches", "escalation_levels",
                "escalation_triggers")


def to_json(pack: Pack) -> str:
    """Everything but the charts; a quarter's and a year's months keep their figures, not their lists
    of breached tickets (the monthly packs have those), and a year lists none."""
    data = _without_charts(dataclasses.asdict(pack))
    for month in data["months"]:
        for key in MONTH_DETAIL:
            month.pop(key, None)
    if pack.kind == "annual":
        data["report"]["breaches"] = len(pack.report.breaches)
    for report in [data["report"], *data["months"]]:
        report["period"].update(start=str(report["period"]["start"]), end=str(report["period"]["end"]))
    data["headline"] = headline(pack)
    data["kpis_text"] = {k.key: kpi_value(k) for k in pack.report.kpis}
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def documents(pack: Pack, team_name: str) -> dict[str, str]:
    return {"html": html(pack, team_name), "csv": to_csv(pack), "json": to_json(pack)}
