"""A linear model over named features, scored in pure Python from weights shipped as JSON.

The weights are trained at build time (local/helpdesk_local/train_classifier.py) and committed under
classify/data/. Scoring is a sum of weight times value per class; the evidence of a decision is the
features that pushed the chosen class up most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class LinearModel:
    classes: tuple[str, ...]
    bias: dict[str, float]
    weights: dict[str, dict[str, float]]  # feature -> class -> weight
    meta: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        return cls(tuple(data["classes"]), dict(data["bias"]), {f: dict(w) for f, w in data["weights"].items()},
                   dict(data.get("meta") or {}))

    def as_dict(self) -> dict[str, Any]:
        weights = {f: {c: round(w, 5) for c, w in ws.items() if abs(w) >= 1e-5}
                   for f, ws in sorted(self.weights.items())}
        return {"classes": list(self.classes), "bias": {c: round(b, 5) for c, b in self.bias.items()},
                "weights": {f: ws for f, ws in weights.items() if ws}, "meta": self.meta}

    def scores(self, values: dict[str, float]) -> dict[str, float]:
        totals = dict(self.bias)
        for feature, value in values.items():
            for cls, weight in self.weights.get(feature, {}).items():
                totals[cls] = totals.get(cls, 0.0) + weight * value
        return totals

    def predict(self, values: dict[str, float]) -> str:
        scores = self.scores(values)
        return max(self.classes, key=lambda c: (scores.get(c, 0.0), -self.classes.index(c)))

    def reasons(self, values: dict[str, float], chosen: str, limit: int = 5) -> list[tuple[str, float]]:
        """Features that favour `chosen` over the average of the other classes, strongest first."""
        others = [c for c in self.classes if c != chosen]
        pushes = []
        for feature, value in values.items():
            ws = self.weights.get(feature)
            if not ws:
                continue
            lift = ws.get(chosen, 0.0) - sum(ws.get(c, 0.0) for c in others) / max(1, len(others))
            if lift * value > 0:
                pushes.append((feature, lift * value))
        return sorted(pushes, key=lambda p: -p[1])[:limit]


@lru_cache(maxsize=4)
def load_model(name: str) -> LinearModel:
    return LinearModel.from_dict(json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8")))
