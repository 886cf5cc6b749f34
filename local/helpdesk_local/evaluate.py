"""Measure the classifier on labelled mail, per preset, on the tuned part and on the held-out part apart.

    helpdesk eval                                   # every preset, tuned and held-out figures
    python -m helpdesk_local.evaluate --policy p0-p3 --json
    python -m helpdesk_local.evaluate --examples my.yaml    # one file (or folder) of your own, all scored

The split is fixed by id hash (eval_data.py): held-out mail was never looked at while tuning rules or
training the models, so its figures are the honest ones. Each source (examples, adversarial, labelled,
labelled-more) is reported on its tuned and held-out parts apart, then all sources together. Figures:
exact severity, critical mail below the second level ("P0 below P1"), trigger recall, harmless mail
(hard negatives) that raised a trigger, mail labelled with no trigger that raised one ("quiet fired"),
and issue-type accuracy. `--examples` reads this project's format or the labelled format (items with
`severity: P0..P3`). `--strict` exits 1 when a combined held-out figure misses its target.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from helpdesk.classify import Classifier
from helpdesk.policy.loader import load_policy, preset_names
from helpdesk_local.eval_data import (
    DEFAULT_EXAMPLES,
    HELD_OUT,
    LABELLED_TRIGGERS,
    LEVELS,
    TUNED,
    Example,
    is_labelled_format,
    load_all,
    load_examples,
    load_labelled,
)

__all__ = ["DEFAULT_EXAMPLES", "LEVELS", "evaluate", "format_report", "load_examples", "main"]
TARGETS = {"severity_accuracy": 0.90, "critical_below_second": 0, "trigger_recall": 0.90,
           "false_trigger_rate": 0.05, "issue_type_accuracy": 0.85}
# Trigger families the labelled set names (it does not label patient safety); our own examples name all.
LABELLED_FAMILIES = frozenset({*LABELLED_TRIGGERS.values(), "outage", "data_loss", "legal", "escalation_request",
                               "hipaa", "pci", "peak_season", "executive_involvement"})
SCORED_TRIGGERS = LABELLED_FAMILIES | {"patient_safety"}
LOWER_IS_BETTER = frozenset({"critical_below_second", "false_trigger_rate"})
EXTERNAL = "external"
PARTS = (TUNED, HELD_OUT, EXTERNAL, "all")
EXTERNAL_NOTE = "your own examples, none of them used for tuning or training: all scored as 'external'"
SPLIT_NOTE = ("split: fixed by sha256('split:' + id) mod 5, folds 3-4 held out (~40%) in every source; "
              "examples.yaml and the realistic cases are all tuned; the models are trained on the tuned part only")


def expected_severity(ex: Example, classifier: Classifier) -> str:
    policy = classifier.policy
    severity = classifier.level_id(ex.level)
    if ex.raised:  # labelled mail: impact, raised by this preset's raises for the labelled triggers
        for trigger in ex.triggers:
            action = policy.triggers.get(trigger)
            if action and action.raise_severity_to:
                severity = policy.more_severe(severity, policy.resolve_severity(action.raise_severity_to))
    return severity


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def _harmless(ex: Example) -> bool:
    return not ex.triggers and (ex.hard_negative or (ex.exact_triggers and not ex.raised))


class _Tally:
    def __init__(self, order: list[str]) -> None:
        self.n = self.correct = self.types = self.expected = self.found = self.harmless = self.harmless_hit = 0
        self.quiet = self.quiet_hit = 0
        self.per_trigger: dict[str, list[int]] = {}  # trigger -> [expected, found, fired wrongly]
        self.confusion = {exp: dict.fromkeys(order, 0) for exp in order}
        self.misses: dict[str, list[dict[str, Any]]] = {"severity": [], "critical_below": [], "trigger": [],
                                                        "false_trigger": [], "issue_type": []}

    def add(self, ex: Example, result: Any, expected: str, critical_below: bool) -> None:
        self.n += 1
        self._severity(ex, result.severity, expected, critical_below)
        self._expected_triggers(ex, result.triggers)
        wrong = self._wrong_triggers(ex, result.triggers)
        if _harmless(ex):
            self.harmless += 1
            self.harmless_hit += bool(wrong)
        if ex.exact_triggers and not ex.triggers:
            self.quiet += 1
            self.quiet_hit += bool(wrong)
        if result.issue_type == ex.issue_type:
            self.types += 1
        else:
            self.misses["issue_type"].append({"id": ex.id, "expected": ex.issue_type, "predicted": result.issue_type})

    def _severity(self, ex: Example, severity: str, expected: str, critical_below: bool) -> None:
        self.confusion[expected][severity] += 1
        if severity == expected:
            self.correct += 1
        else:
            self.misses["severity"].append({"id": ex.id, "expected": expected, "predicted": severity})
        if critical_below:
            self.misses["critical_below"].append({"id": ex.id, "predicted": severity})

    def _expected_triggers(self, ex: Example, found: list[str]) -> None:
        for trigger in ex.triggers:
            counts = self.per_trigger.setdefault(trigger, [0, 0, 0])
            counts[0] += 1
            self.expected += 1
            hit = trigger in found
            self.found += hit
            counts[1] += hit
            if not hit:
                self.misses["trigger"].append({"id": ex.id, "trigger": trigger})

    def _wrong_triggers(self, ex: Example, found: list[str]) -> list[str]:
        forbidden = set(ex.absent_triggers)
        if ex.exact_triggers:
            scored = LABELLED_FAMILIES if ex.raised else SCORED_TRIGGERS
            forbidden |= (set(found) & scored) - set(ex.triggers)
        wrong = [t for t in found if t in forbidden]
        for trigger in wrong:
            self.per_trigger.setdefault(trigger, [0, 0, 0])[2] += 1
        self.misses["false_trigger"] += [{"id": ex.id, "trigger": t} for t in wrong]
        return wrong

    def report(self) -> dict[str, Any]:
        return {"examples": self.n, "severity_accuracy": _ratio(self.correct, self.n),
                "critical_below_second": len(self.misses["critical_below"]),
                "trigger_recall": _ratio(self.found, self.expected), "triggers_expected": self.expected,
                "harmless": self.harmless, "false_trigger_rate": _share(self.harmless_hit, self.harmless),
                "false_triggers": len(self.misses["false_trigger"]),
                "quiet": self.quiet, "quiet_fired_rate": _share(self.quiet_hit, self.quiet),
                "issue_type_accuracy": _ratio(self.types, self.n), "confusion": self.confusion,
                "per_trigger": {t: {"expected": c[0], "found": c[1], "false": c[2]}
                                for t, c in sorted(self.per_trigger.items())},
                "misses": self.misses}


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _examples(path: Path | None) -> list[Example]:
    """Every source with its split, or one file or folder of the user's own, all of it scored as "external"."""
    if path is None:
        return load_all()
    examples = load_labelled(path, source=path.stem) if is_labelled_format(path) else load_examples(path)
    return [replace(ex, split=EXTERNAL) for ex in examples]


def _reports(tallies: dict[str, _Tally]) -> dict[str, dict[str, Any]]:
    return {name: tallies[name].report() for name in PARTS if name in tallies}


def _passed(name: str, value: float, target: float) -> bool:
    return value <= target if name in LOWER_IS_BETTER else value >= target


def evaluate(policy_name: str, examples_path: Path | None = None) -> dict[str, Any]:
    """Score one preset on every example: per source and part, and all sources together."""
    policy = load_policy(policy_name)
    classifier = Classifier(policy)
    order = list(policy.severities)
    second = order[1] if len(order) > 1 else order[0]
    tallies: dict[str, _Tally] = {}
    by_source: dict[str, dict[str, _Tally]] = {}
    for ex in _examples(examples_path):
        result = classifier.classify(ex.subject, ex.body, ex.account)
        expected = expected_severity(ex, classifier)
        below = policy.rank(expected) == 0 and policy.rank(result.severity) > policy.rank(second)
        source = by_source.setdefault(ex.source, {})
        for tally in (tallies.setdefault(ex.split, _Tally(order)), tallies.setdefault("all", _Tally(order)),
                      source.setdefault(ex.split, _Tally(order))):
            tally.add(ex, result, expected, below)
    parts = _reports(tallies)
    sources = {src: _reports(tally) for src, tally in by_source.items()}
    scored = parts.get(HELD_OUT) or parts["all"]
    targets = {name: {"target": target, "value": scored[name], "passed": _passed(name, scored[name], target)}
               for name, target in TARGETS.items()}
    return {"policy": policy.name, "severities": order, "second_level": second,
            "split": EXTERNAL_NOTE if examples_path else SPLIT_NOTE, "parts": parts, "sources": sources,
            "targets": targets, "passed": all(t["passed"] for t in targets.values())}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _row(name: str, part: dict[str, Any]) -> str:
    return (f"  {name:<24}{part['examples']:>5}  {_pct(part['severity_accuracy']):>8}  "
            f"{part['critical_below_second']:>8}  {_pct(part['trigger_recall']):>8}  "
            f"{_pct(part['false_trigger_rate']):>7} of {part['harmless']:<3}  "
            f"{_pct(part['quiet_fired_rate']):>7} of {part['quiet']:<3}  {_pct(part['issue_type_accuracy']):>8}")


def _figure_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"Policy {report['policy']} ({report['split']})",
             f"  {'part':<24}{'mail':>5}  {'severity':>8}  {'crit<' + report['second_level']:>8}  "
             f"{'triggers':>8}  {'harmless fired':>14}  {'quiet fired':>14}  {'type':>8}"]
    for source, parts in report.get("sources", {}).items():
        lines += [_row(f"{source} {name}", part) for name, part in parts.items()]
    lines += [_row(f"ALL {name}", part) for name, part in report["parts"].items()]
    return lines + ["  targets (all held-out): " + ", ".join(
        f"{name} {'ok' if t['passed'] else 'MISSED'}" for name, t in report["targets"].items())]


def _detail_lines(part: dict[str, Any], order: list[str]) -> list[str]:
    lines = ["", "  confusion (all held-out if any), expected \\ predicted: " + " ".join(f"{s:>8}" for s in order)]
    lines += [f"  {exp:>52} " + " ".join(f"{part['confusion'][exp][p] or '.':>8}" for p in order) for exp in order]
    per_trigger = part["per_trigger"].items()
    return lines + ["", "  per trigger (all held-out if any): found/expected, +fired wrongly",
                    "  " + ", ".join(f"{t} {c['found']}/{c['expected']} +{c['false']}" for t, c in per_trigger)]


def format_report(report: dict[str, Any], misses: bool = False) -> str:
    """Figures per source and part, held-out details and (with `misses`) the tuned part's misses only."""
    lines = _figure_lines(report)
    lines += _detail_lines(report["parts"].get(HELD_OUT) or report["parts"]["all"], report["severities"])
    tuned = report["parts"].get(TUNED)
    if misses and tuned:  # held-out misses stay hidden: looking at them would turn them into tuning data
        for kind, rows in tuned["misses"].items():
            lines += [f"  tuned {kind} misses ({len(rows)}):", *(f"    {row}" for row in rows)] if rows else []
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpdesk_local.evaluate",
                                     description="Score the classifier on labelled example emails.")
    parser.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                        help="preset to evaluate (repeatable; default: every preset)")
    parser.add_argument("--examples", type=Path, default=None,
                        help="score one file or folder of your own instead (this project's or the labelled format)")
    parser.add_argument("--json", action="store_true", help="print the reports as one JSON object")
    parser.add_argument("--misses", action="store_true", help="list the tuned part's misses")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a held-out target is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    reports = [evaluate(name, args.examples) for name in args.policies or preset_names()]
    passed = all(r["passed"] for r in reports)
    if args.json:
        print(json.dumps({"passed": passed, "reports": reports}, indent=2))
    else:
        print("\n\n".join(format_report(r, args.misses) for r in reports))
        print(_summary(passed, len(reports)))
    return 1 if args.strict and not passed else 0


def _summary(passed: bool, count: int) -> str:
    targets = ", ".join(f"{k} {'<=' if k in LOWER_IS_BETTER else '>='} {v}" for k, v in TARGETS.items())
    return (f"\nTargets on held-out mail {'met' if passed else 'not all met'} for {count} "
            f"polic{'y' if count == 1 else 'ies'}: {targets}")


if __name__ == "__main__":
    sys.exit(main())
