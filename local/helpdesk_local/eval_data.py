"""Labelled mail for measuring the classifier, and the fixed split between tuned and held-out mail.

Six sources, one `Example` shape:

- tests/classifier/examples.yaml: the project's first examples. The phrase rules were tuned on all of
  them, so all of them are in the tuned part.
- tests/classifier/adversarial.yaml: harder cases written before the current classifier was built.
- tests/fixtures/labelled/support-emails.yaml: 240 emails labelled apart from this code (see its README).
  Their `severity` is impact alone; the expected verdict under a preset is that impact raised by the
  preset's own `raise_severity_to` for each labelled trigger.
- tests/fixtures/labelled-more/*.yaml: 320 more emails in the same format and under the same rules,
  written for this project before the second round of classifier work (see its README).
- tests/fixtures/labelled-more/training-only/*.yaml: 120 more, written after that work had started; they
  only ever train, so they are all in the tuned part.
- tests/fixtures/labelled-round3/*.yaml: 156 more, written before the third round of work, split by hash.

The split was fixed before any tuning: an example is held out when sha256("split:" + id) modulo 5 is
3 or 4 (about 40%). Held-out mail is only ever scored in aggregate; tuning looks at the tuned part.
The model trainer cross-validates on three folds of the tuned part (the same hash, modulo 3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpdesk.accounts.model import DEFAULT_ACCOUNT, Account

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EXAMPLES = ROOT / "tests" / "classifier" / "examples.yaml"
ADVERSARIAL = ROOT / "tests" / "classifier" / "adversarial.yaml"
LABELLED = ROOT / "tests" / "fixtures" / "labelled" / "support-emails.yaml"
LABELLED_MORE = ROOT / "tests" / "fixtures" / "labelled-more"
# Written after the first model changes, so never held out: all of it trains (see its README).
TRAINING_ONLY = LABELLED_MORE / "training-only"
# Written on 2 December 2026 before any change was made with it; split by hash like the others.
LABELLED_ROUND3 = ROOT / "tests" / "fixtures" / "labelled-round3"
LABELLED_SOURCES = ("labelled", "labelled-more", "training-only", "labelled-round3")
LEVELS = ("critical", "high", "medium", "low")
FOLDS = 5
HELD_OUT_FOLDS = (3, 4)
TUNED, HELD_OUT = "tuned", "held_out"
_KEYS = {"id", "subject", "body", "account", "level", "issue_type", "triggers", "absent_triggers",
         "exact_triggers", "emotion", "evidence_rule", "body_padding"}
# The labelled set names trigger families and issue types its own way.
LABELLED_TRIGGERS = {"churn": "churn_threat", "pr_risk": "public_relations", "security": "security_incident",
                     "performance": "performance_degradation"}
LABELLED_TYPES = {"training": "training_or_question", "feature": "feature_request"}
LABELLED_LEVELS = {"P0": "critical", "P1": "high", "P2": "medium", "P3": "low"}


@dataclass(frozen=True)
class Example:
    id: str
    subject: str
    body: str
    level: str  # abstract level; with `raised` the impact alone, else the final verdict
    issue_type: str
    account: Account = DEFAULT_ACCOUNT
    triggers: tuple[str, ...] = ()
    absent_triggers: tuple[str, ...] = ()
    exact_triggers: bool = False
    emotion: str | None = None
    evidence_rule: str | None = None
    source: str = "examples"
    split: str = TUNED
    raised: bool = False  # the preset's trigger raises apply on top of `level`
    hard_negative: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def fold_of(example_id: str) -> int:
    return int(hashlib.sha256(f"split:{example_id}".encode()).hexdigest(), 16) % FOLDS


def split_of(example_id: str) -> str:
    return HELD_OUT if fold_of(example_id) in HELD_OUT_FOLDS else TUNED


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


def _checked(path: Path, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of examples under 'examples'")
    seen: set[str] = set()
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
    return items


def load_examples(path: Path | None = None, source: str = "examples", split_by_hash: bool = False) -> list[Example]:
    """Read and check examples in this project's format; errors name the example and the field."""
    path = Path(path) if path else DEFAULT_EXAMPLES
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = _checked(path, data.get("examples") if isinstance(data, dict) else data)
    examples = []
    for n, item in enumerate(items):
        eid = str(item.get("id") or f"#{n}")
        split = split_of(eid) if split_by_hash and not eid.startswith("realistic-") else TUNED
        examples.append(Example(
            id=eid, subject=item.get("subject") or "", body=_body(item), level=item["level"],
            issue_type=item["issue_type"], account=_account(item.get("account"), eid),
            triggers=tuple(item.get("triggers") or ()),
            absent_triggers=tuple(item.get("absent_triggers") or ()),
            exact_triggers=bool(item.get("exact_triggers")), emotion=item.get("emotion"),
            evidence_rule=item.get("evidence_rule"), source=source, split=split,
        ))
    return examples


def labelled_items(path: Path) -> list[dict[str, Any]]:
    """The items of one labelled-format file, or of every *.yaml file in a folder, in name order."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    items: list[dict[str, Any]] = []
    for file in files:
        items.extend(yaml.safe_load(file.read_text(encoding="utf-8")) or [])
    return items


def is_labelled_format(path: Path) -> bool:
    """A labelled-format file is a plain list whose items carry `severity` (P0-P3) rather than `level`."""
    items = labelled_items(Path(path))
    return bool(items) and isinstance(items, list) and all(isinstance(i, dict) and "severity" in i for i in items)


def load_labelled(path: Path | None = None, source: str = "labelled", split_by_hash: bool = True) -> list[Example]:
    """Labelled-format emails (a file or a folder of files), translated to this project's names."""
    path = Path(path) if path else LABELLED
    examples = []
    for item in labelled_items(path):
        triggers = tuple(LABELLED_TRIGGERS.get(t, t) for t in item.get("triggers") or ())
        note = str(item.get("note") or "")
        examples.append(Example(
            id=str(item["id"]), subject=item.get("subject") or "", body=item.get("body") or "",
            level=LABELLED_LEVELS[item["severity"]], issue_type=LABELLED_TYPES.get(item["type"], item["type"]),
            triggers=triggers, exact_triggers=True, source=source,
            split=split_of(str(item["id"])) if split_by_hash else TUNED,
            raised=True, hard_negative=note.startswith("Hard negative"),
            meta={"p0_p3_severity": item.get("p0_p3_severity")},
        ))
    return examples


def load_all() -> list[Example]:
    """Every example of the six sources, each with its split."""
    return [*load_examples(DEFAULT_EXAMPLES), *load_examples(ADVERSARIAL, "adversarial", split_by_hash=True),
            *load_labelled(), *load_labelled(LABELLED_MORE, "labelled-more"),
            *load_labelled(TRAINING_ONLY, "training-only", split_by_hash=False),
            *load_labelled(LABELLED_ROUND3, "labelled-round3")]
