"""How report figures read: durations, percentages, KPI values and changes, and the template
filters that the report and the review packs share."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.messages import rendering
from helpdesk.reports.figures import Ratio
from helpdesk.reports.kpis import NOT_MEASURED, Kpi

COLOURS = {"met": ("#1a7f37", "#e6f4ea"), "missed": ("#b42318", "#fdecea"),
           "no target": ("#52606d", "#f4f5f7"), "n/a": ("#52606d", "#f4f5f7"),
           "no goal": ("#52606d", "#f4f5f7"), NOT_MEASURED: ("#52606d", "#f4f5f7")}
BETTER, WORSE, FLAT = "#1a7f37", "#b42318", "#52606d"


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


def ratio_text(value: Ratio) -> str:
    return "n/a" if value.percent is None else f"{value.percent:.1f}% ({value.part} of {value.whole})"


def local_time(text: str | None, timezone: str, pattern: str = "%a %d %b %H:%M %Z") -> str:
    if not text:
        return "still running"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone)).strftime(pattern)


def rate_status(value: float | None, target: float | None, comparison: str) -> str:
    """A per-severity figure against the goal its overall figure answers to."""
    if value is None:
        return "n/a"
    if target is None:
        return "no goal"
    return "met" if (value >= target if comparison == ">=" else value < target) else "missed"


def number(value: float | None, unit: str) -> str:
    """A KPI-like value in its unit: 85.3%, 8.6 / 10, +42, 5.2 h, 3.0 a month."""
    if value is None:
        return NOT_MEASURED
    if unit == "%":
        return f"{value:.1f}%"
    if unit.startswith("/") and unit != "/month":
        return f"{value:.2f} / 5" if unit == "/5" else f"{value:.1f} {unit.replace('/', '/ ')}"
    if unit == "score":
        return f"{value:+.0f}"
    if unit == "h":
        return f"{value:.1f} h"
    return f"{value:.1f} a month" if unit == "/month" else f"{value:g}"


def kpi_value(k: Kpi) -> str:
    return number(k.value, k.unit)


def kpi_goal(k: Kpi) -> str:
    if k.goal is None:
        return "no goal"
    sign = "≥" if k.comparison == ">=" else "<"
    return f"{sign} {number(k.goal, k.unit)}"


def kpi_change(k: Kpi) -> str:
    """The change from the previous period: points for percentages, the unit otherwise."""
    if k.change is None:
        return "n/a" if k.previous is None else "no change measured"
    if k.change == 0:
        return "no change"
    suffix = {"%": " pts", "h": " h", "score": "", "/month": " a month"}.get(k.unit, "")
    return f"{k.change:+.1f}{suffix}" if k.unit != "/5" else f"{k.change:+.2f}"


def change_colour(k: Kpi) -> str:
    if not k.change:
        return FLAT
    better = k.change > 0 if k.comparison == ">=" else k.change < 0
    return BETTER if better else WORSE


def bar_width(value: float | None, scale: float = 100.0) -> int:
    """Whole percent of a bar's width, for table-cell bars that every mail client draws."""
    if not value or scale <= 0:
        return 0
    return max(1, min(100, int(round(100 * value / scale))))


@lru_cache(maxsize=1)
def register_template_helpers() -> None:
    """The report templates' filters join the one environment (once per process)."""
    rendering.register(
        filters={"minutes": minutes, "percent": percent, "plural": plural, "target": target_text,
                 "ratio": ratio_text, "kpi_value": kpi_value, "kpi_goal": kpi_goal, "kpi_change": kpi_change,
                 "number": number},
        globals_={"colours": COLOURS, "bar_width": bar_width, "rate_status": rate_status,
                  "change_colour": change_colour, "kpi_groups": kpi_groups})


def kpi_groups(kpis: list[Kpi]) -> list[tuple[str, list[Kpi]]]:
    """KPIs under the framework's three headings, in its order."""
    groups: dict[str, list[Kpi]] = {}
    for k in kpis:
        groups.setdefault(k.group, []).append(k)
    return list(groups.items())


def goal_for(kpis: list[Kpi], key: str) -> tuple[float | None, str]:
    """(goal, comparison) of one KPI, for colouring the matching per-severity figure."""
    found = next((k for k in kpis if k.key == key), None)
    return (found.goal, found.comparison) if found else (None, ">=")


def csat_goal_of_5(kpis: list[Kpi]) -> tuple[float | None, str]:
    """The CSAT goal on the survey's own 1-5 scale (the per-severity cells show that average)."""
    found = next((k for k in kpis if k.key == "csat"), None)
    if found is None or found.goal is None:
        return None, ">="
    return (found.goal / 2 if found.unit == "/10" else found.goal), ">="


def severity_goals(kpis: list[Kpi]) -> dict[str, Any]:
    return {"first_contact": goal_for(kpis, "first_contact_resolution"), "csat": csat_goal_of_5(kpis),
            "recurrence": goal_for(kpis, "recurrence_rate"), "escalation": goal_for(kpis, "escalation_rate"),
            "followups": goal_for(kpis, "followup_completion")}
