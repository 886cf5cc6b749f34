"""A linear model over named features, scored in pure Python from weights shipped as JSON.

The weights are trained at build time (local/helpdesk_local/train_classifier.py) and committed under
classify/data/. Scoring is a sum of weight times value per class; the evidence of a decision is the
features that pushed the chosen class up most.
"""

from __future__ import annotations

import json
import math
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

    @property
    def word_scale(self) -> float:
        return float(self.meta.get("word_scale", 1.0))

    def scores(self, values: dict[str, float]) -> dict[str, float]:
        totals = dict(self.bias)
        scale = self.word_scale
        for feature, value in values.items():
            if feature.startswith("word:"):
                value *= scale
            for cls, weight in self.weights.get(feature, {}).items():
                totals[cls] = totals.get(cls, 0.0) + weight * value
        return totals

    def probabilities(self, values: dict[str, float]) -> dict[str, float]:
        scores = self.scores(values)
        top = max(scores.values())
        exps = {c: math.exp(scores.get(c, 0.0) - top) for c in self.classes}
        total = sum(exps.values())
        return {c: e / total for c, e in exps.items()}

    def decide(self, values: dict[str, float]) -> tuple[str, str | None]:
        """The most likely class, raised by the model's own `at_least` rules; the rule that raised it, if any.

        A rule [level, watched, p] reads: when P(watched) >= p, choose at least `level` (classes are listed
        most severe first). It lets the severity model favour over-calling a critical message to missing it.
        """
        probs = self.probabilities(values)
        best = max(self.classes, key=lambda c: (probs[c], -self.classes.index(c)))
        raised_by = None
        for level, watched, threshold in self.meta.get("at_least", ()):
            if probs.get(watched, 0.0) >= threshold and self.classes.index(level) < self.classes.index(best):
                best, raised_by = level, f"P({watched}) {probs[watched]:.2f} >= {threshold:g}: at least {level}"
        return best, raised_by

    def predict(self, values: dict[str, float]) -> str:
        return self.decide(values)[0]

    def reasons(self, values: dict[str, float], chosen: str, limit: int = 5) -> list[tuple[str, float]]:
        """Features that favour `chosen` over the average of the other classes, strongest first."""
        others = [c for c in self.classes if c != chosen]
        pushes = []
        scale = self.word_scale
        for feature, value in values.items():
            value = value * scale if feature.startswith("word:") else value
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
