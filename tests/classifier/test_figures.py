"""The figures the classifier reaches on mail its rules and models were not tuned on, and how they are
reported: per source and part, all sources together, and a file of one's own."""

from __future__ import annotations

import json

import pytest

from helpdesk.policy.loader import preset_names
from helpdesk_local.evaluate import evaluate, format_report, main

PRESETS = preset_names()


# -- the figures reached on mail the rules were not tuned on ------------------------------------------


@pytest.fixture(scope="module", params=PRESETS)
def report(request: pytest.FixtureRequest) -> dict:
    return evaluate(request.param)


# Floors a little under what the held-out part (315 emails with the third set) reached when this was
# written (see docs/classifier.md: 82.2% severity, 4 critical below the second level, 87.7% trigger
# recall, 9.1% of harmless mail fired, 74.9% issue type); they catch a regression, they do not claim
# the targets are met.
HELD_OUT_FLOORS = {"severity_accuracy": 0.80, "trigger_recall": 0.85, "issue_type_accuracy": 0.70}
HELD_OUT_CEILINGS = {"false_trigger_rate": 0.12, "critical_below_second": 5}


def test_held_out_figures_stay_above_their_floors(report: dict) -> None:
    held_out = report["parts"]["held_out"]
    assert held_out["examples"] >= 300
    for name, floor in HELD_OUT_FLOORS.items():
        assert held_out[name] >= floor, format_report(report)
    for name, ceiling in HELD_OUT_CEILINGS.items():
        assert held_out[name] <= ceiling, format_report(report)


def test_the_tuned_part_is_reported_apart_and_every_realistic_case_is_in_it(report: dict) -> None:
    tuned = report["parts"]["tuned"]
    assert tuned["examples"] > report["parts"]["held_out"]["examples"]
    assert "held out" in report["split"]
    text = format_report(report, misses=True)
    assert "tuned" in text and "held_out" in text
    assert "realistic-" not in json.dumps(report["parts"]["held_out"]["misses"])


def test_each_source_is_reported_on_its_own_parts(report: dict) -> None:
    sources = report["sources"]
    for name in ("labelled", "labelled-more", "adversarial", "labelled-round3"):
        assert set(sources[name]) == {"tuned", "held_out"}
    assert set(sources["examples"]) == {"tuned"} and set(sources["training-only"]) == {"tuned"}
    held_out = sum(parts["held_out"]["examples"] for parts in sources.values() if "held_out" in parts)
    assert held_out == report["parts"]["held_out"]["examples"]
    assert "labelled-more held_out" in format_report(report)


def test_a_file_in_the_labelled_format_is_scored_whole_as_external(tmp_path) -> None:
    mail = tmp_path / "mine.yaml"
    mail.write_text(json.dumps([
        {"id": "x1", "severity": "P0", "p0_p3_severity": "P0", "triggers": ["outage"], "type": "bug", "note": "",
         "subject": "Down", "body": "Since 9am nobody in the company can log in; every page returns a 503."},
        {"id": "x2", "severity": "P3", "p0_p3_severity": "P3", "triggers": [], "type": "training",
         "note": "Hard negative: download", "subject": "CSV", "body": "How do I download last month's invoices?"},
    ]), encoding="utf-8")
    report = evaluate("p0-p3", mail)
    assert set(report["parts"]) == {"external", "all"} and report["parts"]["external"]["examples"] == 2
    assert report["parts"]["external"]["severity_accuracy"] == 1.0
    assert report["parts"]["external"]["false_trigger_rate"] == 0.0


def test_the_cli_reports_json_and_strict_mode_fails_on_missed_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--policy", "p0-p3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reports"][0]["policy"] == "p0-p3" and "held_out" in out["reports"][0]["parts"]
    assert main(["--policy", "p0-p3", "--strict"]) == (0 if out["passed"] else 1)
