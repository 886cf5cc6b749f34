"""KPI trends over the last months, and the stored figures they are drawn from.

Every report and pack stores its KPI values beside its documents (`reports/<label>/kpis.json`),
so a trend reads small stored files for past months instead of their tickets. A month with no
stored figures is a gap in the chart ("no figures"), never a zero; running the annual pack
once fills a year of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from helpdesk.reports.charts import line_chart
from helpdesk.reports.formatting import kpi_goal, number
from helpdesk.reports.kpis import Kpi

NO_FIGURES = "no figures"
SHOWN = {NO_FIGURES: "·", "not measured": "—"}  # in the chart's table, under a legend
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class TrendPoint:
    label: str
    value: float | None
    text: str
    status: str  # met | missed | no goal | not measured | no figures

    @property
    def short(self) -> str:
        """`Nov 26` for 2026-11; other labels as they are."""
        year, _, month = self.label.partition("-")
        return f"{MONTHS[int(month) - 1]} {year[2:]}" if month.isdigit() and len(month) == 2 else self.label

    @property
    def cell(self) -> str:
        return SHOWN.get(self.status, self.text)


@dataclass(frozen=True)
class Trend:
    key: str
    name: str
    unit: str
    goal: float | None
    comparison: str
    goal_text: str
    points: list[TrendPoint]
    svg: Markup


def history_key(label: str) -> str:
    return f"reports/{label}/kpis.json"


def snapshot(label: str, as_of: str, kpis: list[Kpi]) -> bytes:
    data = {"label": label, "as_of": as_of, "kpis": {k.key: k.value for k in kpis}}
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def read_snapshot(data: bytes) -> dict[str, float | None]:
    """The KPI values of a stored snapshot; anything unreadable counts as no figures."""
    try:
        loaded: Any = json.loads(data.decode("utf-8"))
        values = loaded.get("kpis", {}) if isinstance(loaded, dict) else {}
        return {str(k): float(v) if isinstance(v, int | float) else None for k, v in values.items()}
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}


def _point(label: str, values: dict[str, float | None] | None, k: Kpi) -> TrendPoint:
    if values is None:
        return TrendPoint(label, None, NO_FIGURES, NO_FIGURES)
    value = values.get(k.key)
    if value is None:
        return TrendPoint(label, None, "not measured", "not measured")
    if k.goal is None:
        status = "no goal"
    else:
        status = "met" if (value >= k.goal if k.comparison == ">=" else value < k.goal) else "missed"
    return TrendPoint(label, value, number(value, k.unit), status)


def trends(series: list[tuple[str, dict[str, float | None] | None]], kpis: list[Kpi]) -> list[Trend]:
    """One trend per KPI over `series` (oldest first: a label and that period's values, or None when
    nothing is stored); names, units and goals are the current period's."""
    out = []
    for k in kpis:
        points = [_point(label, values, k) for label, values in series]
        svg = line_chart(k.name, [p.label for p in points], [p.value for p in points], k.goal, k.comparison,
                         [p.text for p in points])
        out.append(Trend(k.key, k.name, k.unit, k.goal, k.comparison, kpi_goal(k), points, svg))
    return out
