"""Small inline SVG line charts for the review packs: one KPI over the last periods.

Plain SVG elements with presentation attributes (no script, no CSS, no external references), so
any client that draws SVG draws them the same. Clients that do not (Gmail, Outlook desktop) skip
them; the template always puts a table of the same values beside each chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 700, 64
PAD_TOP, PAD_BOTTOM = 8, 8
MET, MISSED, NEUTRAL, GOAL, LINE = "#1a7f37", "#b42318", "#7b8794", "#9aa5b1", "#3e6ccf"


def _y(value: float, low: float, high: float) -> float:
    span = high - low or 1.0
    return PAD_TOP + (high - value) / span * (HEIGHT - PAD_TOP - PAD_BOTTOM)


def _bounds(values: Sequence[float | None], goal: float | None) -> tuple[float, float]:
    known = [v for v in values if v is not None] + ([goal] if goal is not None else [])
    low, high = min(known), max(known)
    margin = (high - low) * 0.15 or max(abs(high) * 0.1, 1.0)
    return low - margin, high + margin


def _colour(value: float, goal: float | None, comparison: str) -> str:
    if goal is None:
        return NEUTRAL
    return MET if (value >= goal if comparison == ">=" else value < goal) else MISSED


def line_chart(name: str, labels: Sequence[str], values: Sequence[float | None], goal: float | None,
               comparison: str, shown: Sequence[str]) -> Markup:
    """The chart of one KPI; `shown` are the values as the table prints them (for the tooltips)."""
    if not any(v is not None for v in values):
        return Markup("")
    low, high = _bounds(values, goal)
    column = WIDTH / len(values)  # each point sits over its column of the table below
    xs = [(i + 0.5) * column for i in range(len(values))]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" role="img" '
             f'aria-label="{escape(name)} by period" style="display:block;">',
             f"<title>{escape(name)}: {escape(', '.join(f'{a} {b}' for a, b in zip(labels, shown, strict=True)))}"
             "</title>",
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    if goal is not None:
        gy = _y(goal, low, high)
        parts.append(f'<line x1="0" y1="{gy:.1f}" x2="{WIDTH}" y2="{gy:.1f}" stroke="{GOAL}" '
                     'stroke-width="1" stroke-dasharray="4 3"/>')
    segment: list[str] = []
    for x, value in zip(xs, values, strict=True):
        if value is None:
            parts += _polyline(segment)
            segment = []
            continue
        segment.append(f"{x:.1f},{_y(value, low, high):.1f}")
    parts += _polyline(segment)
    for x, value, text in zip(xs, values, shown, strict=True):
        if value is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{_y(value, low, high):.1f}" r="4" '
                         f'fill="{_colour(value, goal, comparison)}"><title>{escape(text)}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _polyline(points: list[str]) -> list[str]:
    if len(points) < 2:
        return []
    return [f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>']
