"""Measure the classifier against labelled example emails, per policy preset.

    python -m helpdesk_local.evaluate                 # every preset
    python -m helpdesk_local.evaluate --policy p0-p3 --json

Examples carry abstract levels (critical, high, medium, low); each preset maps them to its own
severity ids with `resolve_severity`, so one labelled set checks every preset. The run fails
(exit status 1) when a target is missed:

- exact severity accuracy of at least 90%;
- no critical example predicted below the second-most-severe level ("no P0 below P1");
- every expected trigger detected (100% trigger recall).

The report also lists triggers that fired although an example forbids them, severity evidence
an example asks for but did not get, and issue-type and emotion accuracy (informational).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpdesk.accounts.model import DEFAULT_ACCOUNT, Account
from helpdesk.classifier import Classifier
from helpdesk.policy.loader import load_policy, preset_names

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EXAMPLES = ROOT / "tests" / "classifier" / "examples.yaml"
LEVELS = ("critical", "high", "medium", "low")
SEVERITY_ACCURACY_TARGET = 0.90
TRIGGER_RECALL_TARGET = 1.0
_KEYS = {"id", "subject", "body", "account", "level", "issue_type", "triggers", "absent_triggers",
         "exact_triggers", "emotion", "evidence_rule", "body_padding"}


@dataclass(frozen=True)
class Example:
    id: str
    subject: str
    body: str
    level: str
    issue_type: str
    account: Account = DEFAULT_ACCOUNT
    triggers: tuple[str, ...] = ()
    absent_triggers: tuple[str, ...] = ()
    exact_triggers: bool = False
    emotion: str | None = None
    evidence_rule: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def _account(raw: dict[str, Any] | None, example_id: str) -> Account:
    if not raw:
        return DEFAULT_ACCOUNT
    unknown = set(raw) - {"industry", "flags", "arr"}
    if unknown:
        raise ValueError(f"example {example_id}: unknown account keys {sorted(unknown)}")
    return Account(domain=f"{example_id}.example", name=example_id, arr=float(raw.get("arr") or 0),
                   flags=frozenset(raw.get("flags") or ()), industry=raw.get("industry") or "")


def _body(item: dict[str, Any]) -> str:
    body = item.get("body") or ""
    padding = item.get("body_padding")
    if padding:
        line, size = str(padding["line"]), int(padding["to_chars"])
        repeats = max(0, size - len(body)) // (len(line) + 1) + 1
        body = (body + "\n" + "\n".join([line] * repeats))[:size]
    return body


def load_examples(path: Path | None = None) -> list[Example]:
    """Read and check the labelled examples; errors name the example and the field."""
    path = Path(path) if path else DEFAULT_EXAMPLES
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("examples") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of examples under 'examples'")
    examples, seen = [], set()
    for n, item in enumerate(items):
        eid = str(item.get("id") or f"#{n}")
        if eid in seen:
            raise ValueError(f"{path}: duplicate example id {eid!r}")
        seen.add(eid)
        unknown = set(item) - _KEYS
        if unknown:
            raise ValueError(f"example {eid}: unknown keys {sorted(unknown)}")
        if item.get("level") not in LEVELS:
            raise ValueError(f"example {eid}: level must be one of {', '.join(LEVELS)}")
        if not item.get("issue_type"):
            raise ValueError(f"example {eid}: issue_type is required")
        examples.append(Example(
            id=eid, subject=item.get("subject") or "", body=_body(item), level=item["level"],
            issue_type=item["issue_type"], account=_account(item.get("account"), eid),
            triggers=tuple(item.get("triggers") or ()),
            absent_triggers=tuple(item.get("absent_triggers") or ()),
            exact_triggers=bool(item.get("exact_triggers")), emotion=item.get("emotion"),
            evidence_rule=item.get("evidence_rule"),
        ))
    return examples


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def evaluate(policy_name: str, examples_path: Path | None = None) -> dict[str, Any]:
    """Classify every example under one preset and score the outcome against the labels."""
    policy = load_policy(policy_name)
    classifier = Classifier(policy)
    examples = load_examples(examples_path)
    order = list(policy.severities)
    second = order[1] if len(order) > 1 else order[0]
    confusion = {exp: dict.fromkeys(order, 0) for exp in order}
    misclassified: list[dict[str, Any]] = []
    critical_below: list[dict[str, Any]] = []
    trigger_misses: list[dict[str, str]] = []
    false_triggers: list[dict[str, str]] = []
    evidence_misses: list[dict[str, str]] = []
    type_misses: list[dict[str, str]] = []
    emotion_misses: list[dict[str, str]] = []
    expected_triggers = detected_triggers = emotion_labelled = correct = types_correct = 0
    for ex in examples:
        result = classifier.classify(ex.subject, ex.body, ex.account)
        expected = policy.resolve_severity(ex.level)
        confusion[expected][result.severity] += 1
        severity_rules = [e.rule for e in result.evidence if e.decision == "severity"]
        if result.severity == expected:
            correct += 1
        else:
            misclassified.append({"id": ex.id, "level": ex.level, "expected": expected,
                                  "predicted": result.severity, "rules": severity_rules})
        if ex.level == "critical" and policy.rank(result.severity) > policy.rank(second):
            critical_below.append({"id": ex.id, "predicted": result.severity})
        for trigger in ex.triggers:
            expected_triggers += 1
            if trigger in result.triggers:
                detected_triggers += 1
            else:
                trigger_misses.append({"id": ex.id, "trigger": trigger})
        forbidden = set(ex.absent_triggers)
        if ex.exact_triggers:
            forbidden |= set(result.triggers) - set(ex.triggers)
        false_triggers += [{"id": ex.id, "trigger": t} for t in result.triggers if t in forbidden]
        if ex.evidence_rule and ex.evidence_rule not in severity_rules:
            evidence_misses.append({"id": ex.id, "rule": ex.evidence_rule, "got": ", ".join(severity_rules)})
        if result.issue_type == ex.issue_type:
            types_correct += 1
        else:
            type_misses.append({"id": ex.id, "expected": ex.issue_type, "predicted": result.issue_type})
        if ex.emotion:
            emotion_labelled += 1
            if result.emotion != ex.emotion:
                emotion_misses.append({"id": ex.id, "expected": ex.emotion, "predicted": result.emotion})
    total = len(examples)
    accuracy = _ratio(correct, total)
    recall = _ratio(detected_triggers, expected_triggers)
    targets: dict[str, dict[str, Any]] = {
        "severity_accuracy": {"target": SEVERITY_ACCURACY_TARGET, "value": accuracy,
                              "passed": accuracy >= SEVERITY_ACCURACY_TARGET},
        "no_critical_below_second": {"target": 0, "value": len(critical_below), "passed": not critical_below},
        "trigger_recall": {"target": TRIGGER_RECALL_TARGET, "value": recall,
                           "passed": recall >= TRIGGER_RECALL_TARGET},
    }
    return {
        "policy": policy.name,
        "examples": total,
        "severities": order,
        "severity_accuracy": accuracy,
        "severity_correct": correct,
        "confusion": confusion,
        "misclassified": misclassified,
        "critical_below_second": critical_below,
        "second_level": second,
        "trigger_recall": recall,
        "triggers_expected": expected_triggers,
        "triggers_detected": detected_triggers,
        "trigger_misses": trigger_misses,
        "false_triggers": false_triggers,
        "evidence_misses": evidence_misses,
        "issue_type_accuracy": _ratio(types_correct, total),
        "issue_type_misses": type_misses,
        "emotion_accuracy": _ratio(emotion_labelled - len(emotion_misses), emotion_labelled),
        "emotions_labelled": emotion_labelled,
        "emotion_misses": emotion_misses,
        "targets": targets,
        "passed": all(t["passed"] for t in targets.values()),
    }


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _matrix(report: dict[str, Any]) -> list[str]:
    order = report["severities"]
    width = max(8, *(len(s) + 2 for s in order))
    header = "expected \\ predicted".ljust(22) + "".join(s.rjust(width) for s in order)
    lines = [header + "total".rjust(width)]
    for exp in order:
        row = report["confusion"][exp]
        cells = "".join((str(row[p]) if row[p] else ".").rjust(width) for p in order)
        lines.append(f"  {exp}".ljust(22) + cells + str(sum(row.values())).rjust(width))
    return lines


def format_report(report: dict[str, Any]) -> str:
    """A readable summary of one `evaluate` result: targets, confusion matrix and every miss."""
    t = report["targets"]

    def mark(name: str) -> str:
        return "ok  " if t[name]["passed"] else "FAIL"

    lines = [
        f"Policy {report['policy']}: {report['examples']} examples - "
        f"{'PASS' if report['passed'] else 'FAIL'}",
        f"  [{mark('severity_accuracy')}] exact severity   {_pct(report['severity_accuracy'])} "
        f"({report['severity_correct']}/{report['examples']}, target >= {_pct(SEVERITY_ACCURACY_TARGET)})",
        f"  [{mark('no_critical_below_second')}] critical below {report['second_level']}: "
        f"{len(report['critical_below_second'])} (target 0)",
        f"  [{mark('trigger_recall')}] trigger recall   {_pct(report['trigger_recall'])} "
        f"({report['triggers_detected']}/{report['triggers_expected']}, target 100%)",
        f"         issue type       {_pct(report['issue_type_accuracy'])}",
        f"         emotion          {_pct(report['emotion_accuracy'])} "
        f"of {report['emotions_labelled']} labelled",
        "",
        *_matrix(report),
    ]
    sections = [
        ("Misclassified severity", report["misclassified"],
         lambda m: f"{m['id']}: expected {m['expected']} ({m['level']}), got {m['predicted']}"
                   f" by {', '.join(m['rules']) or '-'}"),
        (f"Critical predicted below {report['second_level']}", report["critical_below_second"],
         lambda m: f"{m['id']}: got {m['predicted']}"),
        ("Missed triggers", report["trigger_misses"], lambda m: f"{m['id']}: {m['trigger']}"),
        ("Triggers that must not fire", report["false_triggers"], lambda m: f"{m['id']}: {m['trigger']}"),
        ("Missing severity evidence", report["evidence_misses"],
         lambda m: f"{m['id']}: wanted {m['rule']}, got {m['got'] or '-'}"),
        ("Issue type misses", report["issue_type_misses"],
         lambda m: f"{m['id']}: expected {m['expected']}, got {m['predicted']}"),
        ("Emotion misses", report["emotion_misses"],
         lambda m: f"{m['id']}: expected {m['expected']}, got {m['predicted']}"),
    ]
    for title, rows, render in sections:
        if rows:
            lines += ["", f"{title} ({len(rows)}):", *(f"  - {render(row)}" for row in rows)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk_local.evaluate",
                                     description="Score the classifier on labelled example emails.")
    parser.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                        help="preset to evaluate (repeatable; default: every preset)")
    parser.add_argument("--examples", type=Path, default=None,
                        help=f"labelled examples (default: {DEFAULT_EXAMPLES})")
    parser.add_argument("--json", action="store_true", help="print the reports as one JSON object")
    args = parser.parse_args(argv)
    names = args.policies or preset_names()
    reports = [evaluate(name, args.examples) for name in names]
    passed = all(r["passed"] for r in reports)
    if args.json:
        print(json.dumps({"passed": passed, "reports": reports}, indent=2))
    else:
        print("\n\n".join(format_report(r) for r in reports))
        print(f"\n{'All targets met' if passed else 'Targets missed'} for {len(reports)} "
              f"polic{'y' if len(reports) == 1 else 'ies'}.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
