"""The committed model weights are data: they load, score in pure Python and match a retrain."""

from __future__ import annotations

import pytest

from helpdesk.classify.classifier import LEVELS, SEVERITY_MODEL, TYPE_MODEL
from helpdesk.classify.model import LinearModel, load_model
from helpdesk_local import train_classifier


def test_the_committed_models_load_and_score() -> None:
    severity = load_model(SEVERITY_MODEL)
    assert severity.classes == LEVELS
    assert severity.meta["cv_folds"] == 3 and 0 < severity.meta["cv_accuracy"] <= 1
    # Words only nudge severity; concepts, figures and triggers carry it.
    assert severity.word_scale < load_model(TYPE_MODEL).word_scale
    assert severity.predict({"trigger:outage": 1.0, "concept:none_can": 1.0}) == "critical"
    assert severity.predict({"concept:question_words": 1.0, "shape:only_questions": 1.0}) == "low"
    types = load_model(TYPE_MODEL)
    assert "billing" in types.classes and types.predict({"word:invoic": 0.3, "type:billing": 1.0}) == "billing"


def test_a_fair_chance_of_critical_is_never_placed_below_high() -> None:
    rules = load_model(SEVERITY_MODEL).meta["at_least"]
    assert any(level == "high" and watched == "critical" for level, watched, _p in rules)
    # A model that finds "critical" 20% likely and "low" most likely still answers at least "high".
    model = LinearModel(LEVELS, {"critical": 0.0, "high": -5.0, "medium": -5.0, "low": 1.4}, {},
                        {"at_least": [["high", "critical", 0.15]]})
    assert max(model.probabilities({}), key=model.probabilities({}).get) == "low"
    level, because = model.decide({})
    assert level == "high" and because and "P(critical)" in because
    assert LinearModel(LEVELS, model.bias, {}, {}).decide({}) == ("low", None)


@pytest.mark.slow
def test_the_committed_weights_match_a_retrain() -> None:
    models = train_classifier.train(log=lambda line: None)
    assert train_classifier.matches_committed(models) == []
