"""The committed model weights are data: they load, score in pure Python and match a retrain."""

from __future__ import annotations

import pytest

from helpdesk.classify.classifier import LEVELS, SEVERITY_MODEL, TYPE_MODEL
from helpdesk.classify.model import load_model
from helpdesk_local import train_classifier


def test_the_committed_models_load_and_score() -> None:
    severity = load_model(SEVERITY_MODEL)
    assert severity.classes == LEVELS
    assert severity.meta["cv_folds"] == 3 and 0 < severity.meta["cv_accuracy"] <= 1
    assert not any(f.startswith("word:") for f in severity.weights)  # severity reads rule features only
    assert severity.predict({"trigger:outage": 1.0, "concept:none_can": 1.0}) == "critical"
    assert severity.predict({"concept:question_words": 1.0, "shape:only_questions": 1.0}) == "low"
    types = load_model(TYPE_MODEL)
    assert "billing" in types.classes and types.predict({"word:invoic": 1.0, "type:billing": 1.0}) == "billing"


@pytest.mark.slow
def test_the_committed_weights_match_a_retrain() -> None:
    models = train_classifier.train(log=lambda line: None)
    assert train_classifier.matches_committed(models) == []
