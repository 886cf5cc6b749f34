"""What the customer's own words say is at stake: money per hour and who is affected.

Read once, when the ticket opens, with the classifier's figure readers, so a briefing can quote
"$40k per hour" or "38 stores" the way the customer put it.
"""

from __future__ import annotations

from typing import Any

from helpdesk.classify.figures import money, people


def impact_of(subject: str, text: str) -> dict[str, Any]:
    words = f"{subject}\n{text}"[:20_000].lower()
    found: dict[str, Any] = {}
    amounts = money(words)
    if amounts:
        top = max(amounts, key=lambda f: f.value)
        found["money_per_hour"] = round(top.value)
        found["money_phrase"] = top.phrase
    counts = [f for f in people(words) if f.kind == "people" and f.value >= 2]
    everyone = [f for f in people(words) if f.kind == "everyone" and not f.phrase.startswith(("nobody", "no one"))]
    if counts:
        found["affected"] = max(counts, key=lambda f: f.value).phrase
    elif everyone:
        found["affected"] = everyone[0].phrase
    return found


def money_text(amount: float) -> str:
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M/h"
    return f"${amount / 1000:.0f}k/h" if amount >= 1000 else f"${amount:.0f}/h"


def short_impact(impact: dict[str, Any]) -> str:
    """The impact in a few characters, for an SMS: `$40k/h, 38 stores`."""
    parts = []
    if impact.get("money_per_hour"):
        parts.append(money_text(float(impact["money_per_hour"])))
    if impact.get("affected"):
        parts.append(str(impact["affected"])[:24])
    return ", ".join(parts)
