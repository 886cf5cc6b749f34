"""Train the severity and issue-type models at build time and write their weights as JSON data.

    python -m helpdesk_local.train_classifier            # cross-validate, train, write classify/data/*.json
    python -m helpdesk_local.train_classifier --check    # retrain and compare with the committed weights

Only the tuned part of the labelled mail is used (see eval_data.py); held-out mail never reaches the
trainer. The models are multinomial logistic regression fitted by seeded stochastic gradient descent in
pure Python, so a retrain on the same data gives the same weights. The features come from the p0-p3
preset's rules; the severity target is the abstract level after the labelled triggers' raises.

Choices are made by 3-fold cross-validation on the tuned part (folds by id hash): the L2 strength of
both models, and for severity the `at_least` rules that turn a fair chance of "critical" into at least
"high" (or "critical"). Missing a critical message costs more than over-calling a high one, so a critical
message predicted medium or low counts as five errors when the rules are chosen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from helpdesk.classify.classifier import LEVELS, SEVERITY_MODEL, TYPE_MODEL, Classifier
from helpdesk.classify.model import DATA_DIR, LinearModel
from helpdesk.policy.loader import load_policy
from helpdesk_local.eval_data import HELD_OUT, Example, fold_of, load_all

TRAIN_POLICY = "p0-p3"
EPOCHS = 30
LEARNING_RATE = 0.2
L2_GRID = {"level": (0.001, 0.003, 0.01), "issue_type": (0.0003, 0.001, 0.003)}
# Word features are scaled per model (each message's words carry 1/sqrt(n) before scaling): a light
# touch for severity, where concepts and figures should decide, and more for issue types. The scale is
# chosen by cross-validation from these candidates, as the L2 strength is.
WORD_SCALE_GRID = {"level": (0.5, 1.0), "issue_type": (1.5, 2.0, 3.0)}
MIN_WORD_COUNT = 3
CV_FOLDS = 3
SEED = 20240501
MISSED_CRITICAL_COST = 5
# Candidate rules [at least this level, when P(critical) >= p]; the empty set is a candidate too.
AT_LEAST_GRID = (
    (), (("high", "critical", 0.2),), (("high", "critical", 0.15),), (("high", "critical", 0.1),),
    (("high", "critical", 0.06),),
    (("critical", "critical", 0.4), ("high", "critical", 0.15)),
    (("critical", "critical", 0.3), ("high", "critical", 0.15)),
    (("critical", "critical", 0.3), ("high", "critical", 0.1)),
    (("critical", "critical", 0.3), ("high", "critical", 0.06)),
)


@dataclass(frozen=True)
class Row:
    id: str
    values: dict[str, float]
    level: str
    issue_type: str
    fold: int


def final_level(example: Example, classifier: Classifier) -> str:
    """The abstract level expected under the training preset, raises for labelled triggers included."""
    policy = classifier.policy
    severity = classifier.level_id(example.level)
    if example.raised:
        for trigger in example.triggers:
            action = policy.triggers.get(trigger)
            if action and action.raise_severity_to:
                severity = policy.more_severe(severity, policy.resolve_severity(action.raise_severity_to))
    return LEVELS[policy.rank(severity)]


def rows(examples: list[Example], classifier: Classifier) -> list[Row]:
    result = []
    for ex in examples:
        analysis = classifier.features(ex.subject, ex.body, ex.account)
        values = analysis.features.values if analysis else {"shape:no_content": 1.0}
        result.append(Row(ex.id, values, final_level(ex, classifier), ex.issue_type, fold_of(ex.id) % CV_FOLDS))
    return result


def _vocabulary(train: list[Row]) -> set[str]:
    counts = Counter(f for row in train for f in row.values if f.startswith("word:"))
    return {f for f, n in counts.items() if n >= MIN_WORD_COUNT} | \
        {f for row in train for f in row.values if not f.startswith("word:")}


def _scaled(values: dict[str, float], vocab: set[str], word_scale: float) -> dict[str, float]:
    return {f: v * word_scale if f.startswith("word:") else v for f, v in values.items() if f in vocab}


def fit(train: list[Row], target: str, l2: float, classes: Sequence[str], scale: float) -> LinearModel:
    vocab = _vocabulary(train)
    weights: dict[str, dict[str, float]] = {}
    bias = dict.fromkeys(classes, 0.0)
    order = list(range(len(train)))
    rng = random.Random(SEED)
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        rate = LEARNING_RATE / (1 + epoch * 0.1)
        for i in order:
            row = train[i]
            values = _scaled(row.values, vocab, scale)
            probs = _softmax(bias, weights, values, classes)
            gold = getattr(row, target)
            for cls in classes:
                grad = probs[cls] - (1.0 if cls == gold else 0.0)
                bias[cls] -= rate * grad
                for feature, value in values.items():
                    ws = weights.setdefault(feature, {})
                    w = ws.get(cls, 0.0)
                    ws[cls] = w - rate * (grad * value + l2 * w * len(train) / 50)
    meta = {"target": target, "l2": l2, "epochs": EPOCHS, "examples": len(train), "word_scale": scale}
    return LinearModel(tuple(classes), bias, weights, meta)


def _softmax(bias: dict[str, float], weights: dict[str, dict[str, float]], values: dict[str, float],
             classes: Sequence[str]) -> dict[str, float]:
    scores = dict(bias)
    for feature, value in values.items():
        for cls, w in weights.get(feature, {}).items():
            scores[cls] += w * value
    top = max(scores.values())
    exps = {c: math.exp(scores[c] - top) for c in classes}
    total = sum(exps.values())
    return {c: e / total for c, e in exps.items()}


def _with_rules(model: LinearModel, rules: Sequence[Sequence[object]]) -> LinearModel:
    return LinearModel(model.classes, model.bias, model.weights, {**model.meta, "at_least": [list(r) for r in rules]})


def _cost(gold: str, predicted: str, target: str) -> int:
    if gold == predicted:
        return 0
    missed = target == "level" and gold == LEVELS[0] and LEVELS.index(predicted) > 1
    return MISSED_CRITICAL_COST if missed else 1


def cross_validate(data: list[Row], target: str, l2: float, classes: Sequence[str], scale: float,
                   rule_grid: Sequence[Sequence[Sequence[object]]] = ((),)) -> list[tuple[float, int]]:
    """(accuracy, cost) for each candidate rule set, the folds' models trained once."""
    correct, cost = [0] * len(rule_grid), [0] * len(rule_grid)
    for fold in range(CV_FOLDS):
        model = fit([r for r in data if r.fold != fold], target, l2, classes, scale)
        for row in (r for r in data if r.fold == fold):
            gold = getattr(row, target)
            for k, rules in enumerate(rule_grid):
                predicted = _with_rules(model, rules).predict(row.values)
                correct[k] += predicted == gold
                cost[k] += _cost(gold, predicted, target)
    return [(c / len(data), x) for c, x in zip(correct, cost, strict=True)]


def _train_one(data: list[Row], target: str, classes: Sequence[str], log) -> LinearModel:
    grid = AT_LEAST_GRID if target == "level" else ((),)
    scored = []
    for scale in WORD_SCALE_GRID[target]:
        for l2 in L2_GRID[target]:
            results = cross_validate(data, target, l2, classes, scale, grid)
            for rules, (accuracy, cost) in zip(grid, results, strict=True):
                scored.append((cost, -accuracy, l2, scale, rules))
                log(f"{target}: words x{scale} l2={l2} rules={[list(r) for r in rules]} cross-validated accuracy "
                    f"{accuracy:.3f}, cost {cost} on {len(data)} tuned examples")
    cost, neg_accuracy, l2, scale, rules = min(scored, key=lambda s: (s[0], s[1], s[2], s[3]))
    model = _with_rules(fit(data, target, l2, classes, scale), rules)
    meta = {**model.meta, "cv_accuracy": round(-neg_accuracy, 4), "cv_cost": cost, "cv_folds": CV_FOLDS}
    return LinearModel(model.classes, model.bias, model.weights, meta)


def train(log=print) -> dict[str, LinearModel]:
    classifier = Classifier(load_policy(TRAIN_POLICY))
    examples = [ex for ex in load_all() if ex.split != HELD_OUT]
    data = rows(examples, classifier)
    digest = hashlib.sha256(json.dumps([[r.id, r.level, r.issue_type] for r in data]).encode()).hexdigest()[:16]
    models = {}
    for name, target, classes in ((SEVERITY_MODEL, "level", LEVELS),
                                  (TYPE_MODEL, "issue_type", sorted({r.issue_type for r in data}))):
        model = _train_one(data, target, classes, log)
        models[name] = LinearModel(model.classes, model.bias, model.weights, {**model.meta, "data": digest})
    return models


def write(models: dict[str, LinearModel]) -> None:
    for name, model in models.items():
        path = DATA_DIR / f"{name}.json"
        path.write_text(json.dumps(model.as_dict(), indent=None, sort_keys=True) + "\n", encoding="utf-8")


def matches_committed(models: dict[str, LinearModel]) -> list[str]:
    problems = []
    for name, model in models.items():
        committed = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
        if json.loads(json.dumps(model.as_dict(), sort_keys=True)) != committed:
            problems.append(f"{name}: committed weights differ from a retrain; run "
                            "python -m helpdesk_local.train_classifier")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk_local.train_classifier", description=__doc__)
    parser.add_argument("--check", action="store_true", help="retrain and compare with the committed weights")
    args = parser.parse_args(argv)
    models = train()
    if args.check:
        problems = matches_committed(models)
        print("\n".join(problems) or "committed weights match a retrain")
        return 1 if problems else 0
    write(models)
    print(f"wrote {', '.join(str(DATA_DIR / f'{n}.json') for n in models)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
