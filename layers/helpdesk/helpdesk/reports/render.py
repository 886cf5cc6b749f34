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
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.mail.parsing import clean_header_text
from helpdesk.messages import rendering
from helpdesk.reports.compute import (
    CSAT_GOAL,
    ESCALATION_GOAL,
    FCR_GOAL,
    FOLLOWUP_GOAL,
    RECURRENCE_GOAL,
    Compliance,
    Dist,
    Figures,
    Goal,
    Ratio,
    Report,
)

TEMPLATE = "compliance_report.html.j2"
HTML_BREACH_ROWS = 50  # the email lists this many breached tickets; the CSV and JSON have them all
COLOURS = {"met": ("#1a7f37", "#e6f4ea"), "missed": ("#b42318", "#fdecea"),
           "no target": ("#52606d", "#f4f5f7"), "n/a": ("#52606d", "#f4f5f7")}
# Seed goals by figure, to colour each severity's figure as the overall one is coloured.
GOALS = {"first_contact": (FCR_GOAL, ">="), "csat": (CSAT_GOAL, ">="), "recurrence": (RECURRENCE_GOAL, "<"),
         "escalation": (ESCALATION_GOAL, "<"), "followups": (FOLLOWUP_GOAL, ">=")}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# -- formatting --------------------------------------------------------------------------------

def minutes(value: float | None) -> str:
    """42 min, 3 h, 3 h 05 min, 2 d, 2 d 4 h."""
    if value is None:
        return "n/a"
    whole = int(round(value))
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def target_text(value: float | None) -> str:
    """`target 95%`, or `no target` where the policy sets none."""
    return "no target" if value is None else f"target {value:g}%"


def goal_actual(goal: Goal) -> str:
    if goal.actual is None:
        return "n/a"
    if goal.unit == "/5":
        return f"{goal.actual:.2f} / 5 ({goal.actual * 2:.1f} / 10)"
    return f"{goal.actual:.1f}%"


def goal_target(goal: Goal) -> str:
    sign = "≥" if goal.comparison == ">=" else "<"
    if goal.unit == "/5":
        return f"{sign} {goal.target:g} / 5 ({goal.target * 2:.1f} / 10)"
    return f"{sign} {goal.target:g}%"


def ratio_text(value: Ratio) -> str:
    return "n/a" if value.percent is None else f"{value.percent:.1f}% ({value.part} of {value.whole})"


def local_time(text: str | None, timezone: str) -> str:
    if not text:
        return "still running"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone)).strftime(
        "%a %d %b %H:%M %Z")


def rate_status(value: float | None, target: float, comparison: str) -> str:
    """A per-severity figure against the seed goal that the overall one answers to."""
    if value is None:
        return "n/a"
    return "met" if (value >= target if comparison == ">=" else value < target) else "missed"


def headline(report: Report) -> str:
    o = report.overall
    return (f"{o.opened} opened, {o.resolved} resolved; response {percent(o.response.percent)}, "
            f"resolution {percent(o.resolution.percent)}; {len(report.breaches)} breached")


def subject(report: Report, team_name: str) -> str:
    text = f"[{team_name}] Compliance report {report.period.label}: {headline(report)}"
    return clean_header_text(text, 250)


# -- HTML --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _register_template_helpers() -> None:
    """The report template's filters join the one environment (once per process)."""
    rendering.register(
        filters={"minutes": minutes, "percent": percent, "plural": plural, "target": target_text,
                 "ratio": ratio_text, "goal_actual": goal_actual, "goal_target": goal_target},
        globals_={"colours": COLOURS, "bar_width": bar_width, "rate_status": rate_status, "goals": GOALS})


def bar_width(value: float | None, scale: float = 100.0) -> int:
    """Whole percent of a bar's width, for table-cell bars that every mail client draws."""
    if not value or scale <= 0:
        return 0
    return max(1, min(100, int(round(100 * value / scale))))


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
    }
    _register_template_helpers()
    return rendering.render_page(TEMPLATE.removesuffix(".html.j2"), context)


# -- text --------------------------------------------------------------------------------------

def text(report: Report, team_name: str) -> str:
    lines = [f"{team_name}: compliance report, {report.period.title} ({report.period.timezone})",
             f"Policy {report.policy}; figures as of {local_time(report.as_of, report.period.timezone)}.", "",
             headline(report), "", "Goals"]
    for goal in report.goals:
        lines.append(f"  {goal.name}: {goal_actual(goal)} (target {goal_target(goal)}) {goal.status.upper()}")
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
    lines += ["", "The HTML part has every figure; CSV and JSON copies are attached."]
    return "\n".join(lines) + "\n"


def _comp(value: Compliance) -> str:
    counts = f"{value.met} met, {value.breached} breached"
    return f"{percent(value.percent)} ({counts}; {target_text(value.target)}, {value.status})"


# -- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "group", "metric", "value", "unit", "target", "status", "detail")


def _safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas; customer text must not."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _dist_rows(group: str, name: str, times: Any) -> Iterator[tuple]:
    for scale, d in (("clock", times.clock), ("wall", times.wall)):
        assert isinstance(d, Dist)
        yield ("times", group, f"{name}_median_{scale}", d.median, "minutes", None, None, f"n={d.count}")
        yield ("times", group, f"{name}_p90_{scale}", d.p90, "minutes", None, None, f"n={d.count}")


def _figure_rows(fig: Figures) -> Iterator[tuple]:
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


def _summary_rows(report: Report) -> Iterator[tuple]:
    for goal in report.goals:
        yield ("goal", "all", goal.key, goal.actual, goal.unit, f"{goal.comparison} {goal.target:g}",
               goal.status, f"n={goal.sample}")
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
        yield from _figure_rows(fig)
    yield from _summary_rows(report)
    yield from _escalation_and_account_rows(report)
    yield from _breach_rows(report)


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([_safe(v) for v in row])
    return buffer.getvalue()


# -- JSON --------------------------------------------------------------------------------------

def to_json(report: Report) -> str:
    data = dataclasses.asdict(report)
    data["period"].update(start=report.period.start.isoformat(), end=report.period.end.isoformat())
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
