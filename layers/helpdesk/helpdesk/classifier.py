"""A deterministic, explainable classifier driven entirely by the policy's phrase rules.

It reads the subject and the new text of a message (never quoted history) and returns a
severity, an issue type, triggers and the customer's emotional state, each with the phrases and
rule that decided it. Negated mentions ("not down", "no data loss") do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from helpdesk.accounts import DEFAULT_ACCOUNT, Account
from helpdesk.policy.models import ClassifierRules, ImpactThreshold, Policy

MAX_CHARS = 20_000  # the opening of a message carries its point; this bounds the cost of 200 KB mail
NEGATION_WINDOW = 4  # words between a negation and the phrase it cancels
_WORD = re.compile(r"[\w$%'’-]+")
_CLAUSE_BREAK = re.compile(r"[.;:!?\n]|,\s+but\b|\bbut\b|\bhowever\b")
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?\s*(?:/|per|an|a|every|each)\s*(hour|hr|h)\b",
    re.IGNORECASE,
)
_PEOPLE = re.compile(
    r"\b(?:all\s+)?(\d[\d,]*)\s+(?:of\s+our\s+|of\s+the\s+)?(?:\w+\s+)?"
    r"(users|employees|people|staff|agents|customers|stores|clinicians|nurses|doctors|locations)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Evidence:
    decision: str  # severity | trigger | issue_type | emotion
    value: str
    rule: str
    phrases: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "value": self.value, "rule": self.rule, "phrases": self.phrases}


@dataclass
class Classification:
    severity: str
    issue_type: str
    triggers: list[str]
    emotion: str
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "issue_type": self.issue_type, "triggers": self.triggers,
                "emotion": self.emotion, "evidence": [e.as_dict() for e in self.evidence]}


class _PhraseIndex:
    """Compiled matchers for a list of phrases, with negation awareness."""

    def __init__(self, phrases: list[str]) -> None:
        self.patterns = [(p, re.compile(r"(?<![\w])" + re.escape(p.lower()) + r"(?![\w])")) for p in phrases]

    def find(self, text: str, negations: _Negations) -> list[str]:
        hits = []
        for phrase, pattern in self.patterns:
            for match in pattern.finditer(text):
                if not negations.negated(text, match.start()):
                    hits.append(phrase)
                    break
        return hits


class _Negations:
    def __init__(self, words: list[str]) -> None:
        self.single = {w.lower() for w in words if " " not in w}
        self.multi = [w.lower() for w in words if " " in w]

    def negated(self, text: str, start: int) -> bool:
        clause_start = 0
        for brk in _CLAUSE_BREAK.finditer(text, max(0, start - 200), start):
            clause_start = brk.end()
        before = text[max(clause_start, start - 120) : start]
        words = _WORD.findall(before)[-NEGATION_WINDOW:]
        if any(w.replace("’", "'") in self.single or w.endswith("n't") for w in words):
            return True
        tail = " ".join(words)
        return any(m in tail for m in self.multi)


@dataclass
class _Compiled:
    negations: _Negations
    reassurance: _PhraseIndex
    severity: dict[str, tuple[str, float, _PhraseIndex]]
    triggers: dict[str, tuple[str, list[str], _PhraseIndex]]
    types: dict[str, _PhraseIndex]
    emotions: dict[str, _PhraseIndex]


@lru_cache(maxsize=8)
def _compile(rules_json: str) -> _Compiled:
    rules = ClassifierRules.model_validate_json(rules_json)
    return _Compiled(
        negations=_Negations(rules.negations),
        reassurance=_PhraseIndex(rules.reassurances),
        severity={rid: (r.severity, r.weight, _PhraseIndex(r.phrases)) for rid, r in rules.severity_rules.items()},
        triggers={rid: (r.trigger, r.industries, _PhraseIndex(r.phrases)) for rid, r in rules.trigger_rules.items()},
        types={name: _PhraseIndex(p) for name, p in rules.issue_types.items()},
        emotions={name: _PhraseIndex(p) for name, p in rules.emotions.items()},
    )


_compiled_by_policy: dict[int, tuple[Policy, _Compiled]] = {}


def _compiled(policy: Policy) -> _Compiled:
    cached = _compiled_by_policy.get(id(policy))
    if cached and cached[0] is policy:
        return cached[1]
    compiled = _compile(policy.classifier.model_dump_json())
    _compiled_by_policy[id(policy)] = (policy, compiled)
    return compiled


def _amount(number: str, scale: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get((scale or "").lower(), 1)


def _threshold(thresholds: list[ImpactThreshold], value: float) -> ImpactThreshold | None:
    passing = [t for t in thresholds if value >= t.at_least]
    return max(passing, key=lambda t: t.at_least) if passing else None


class Classifier:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.rules = policy.classifier
        self.c = _compiled(policy)

    def classify(self, subject: str, new_text: str, account: Account = DEFAULT_ACCOUNT) -> Classification:
        raw = f"{subject or ''}\n{new_text or ''}"[:MAX_CHARS]
        if not raw.strip():
            lowest = list(self.policy.severities)[-1]
            return Classification(lowest, self.rules.default_issue_type, [], "calm",
                                  [Evidence("severity", lowest, "no_content", ["no content"])])
        text = raw.lower().replace("’", "'")
        evidence: list[Evidence] = []
        severity = self._severity(text, evidence)
        triggers = self._triggers(text, account, evidence)
        severity = self._apply_raises(severity, triggers, evidence)
        severity = self._apply_floors(severity, account, evidence)
        issue_type = self._issue_type(text, evidence)
        emotion = self._emotion(raw, text, evidence)
        return Classification(severity, issue_type, triggers, emotion, evidence)

    def _severity(self, text: str, evidence: list[Evidence]) -> str:
        resolve = self.policy.resolve_severity
        scores: dict[str, float] = {}
        hits: dict[str, list[tuple[str, list[str]]]] = {}
        for rid, (sev_name, weight, index) in self.c.severity.items():
            found = index.find(text, self.c.negations)
            if found:
                sev = resolve(sev_name)
                scores[sev] = scores.get(sev, 0.0) + weight * len(found)
                hits.setdefault(sev, []).append((rid, found))
        for rid, pattern, table, label in (
            ("money_per_hour", _MONEY, self.rules.money_per_hour, "per hour"),
            ("users_affected", _PEOPLE, self.rules.users_affected, "affected"),
        ):
            best = None
            for match in pattern.finditer(text):
                if self.c.negations.negated(text, match.start()):
                    continue
                value = _amount(match.group(1), match.group(2) if rid == "money_per_hour" else None)
                rule = _threshold(table, value)
                if rule and (best is None or rule.at_least > best[0].at_least):
                    best = (rule, match.group(0).strip())
            if best:
                sev = resolve(best[0].severity)
                scores[sev] = scores.get(sev, 0.0) + 1.0
                hits.setdefault(sev, []).append((rid, [best[1]]))
        reassured = self.c.reassurance.find(text, _Negations([]))
        ranked = sorted(scores, key=self.policy.rank)
        chosen = next((s for s in ranked if scores[s] >= 1.0), None)
        if chosen and reassured and self.policy.rank(chosen) <= 1 and not self._hard_evidence(hits[chosen]):
            evidence.append(Evidence("severity", chosen, "reassurance_discounts", reassured))
            chosen = next((s for s in ranked if self.policy.rank(s) > 1 and scores[s] >= 1.0), None)
        if chosen is None:
            default = resolve(self.rules.default_severity)
            if reassured:
                default = self.policy.severities and list(self.policy.severities)[-1]
                evidence.append(Evidence("severity", default, "reassurance", reassured))
            else:
                evidence.append(Evidence("severity", default, "default", []))
            return default
        for rid, found in hits[chosen]:
            evidence.append(Evidence("severity", chosen, rid, found))
        return chosen

    @staticmethod
    def _hard_evidence(hits: list[tuple[str, list[str]]]) -> bool:
        """Impact figures outweigh a polite "no rush"."""
        return any(rid in ("money_per_hour", "users_affected") for rid, _ in hits)

    def _triggers(self, text: str, account: Account, evidence: list[Evidence]) -> list[str]:
        found: list[str] = []
        for rid, (trigger, industries, index) in self.c.triggers.items():
            if industries and account.industry not in industries:
                continue
            phrases = index.find(text, self.c.negations)
            if phrases and trigger not in found:
                found.append(trigger)
                evidence.append(Evidence("trigger", trigger, rid, phrases))
        return found

    def _apply_raises(self, severity: str, triggers: list[str], evidence: list[Evidence]) -> str:
        for trigger in triggers:
            action = self.policy.triggers.get(trigger)
            if action and action.raise_severity_to:
                target = self.policy.resolve_severity(action.raise_severity_to)
                if self.policy.rank(target) < self.policy.rank(severity):
                    severity = target
                    evidence.append(Evidence("severity", target, f"trigger:{trigger}", [trigger]))
        return severity

    def _apply_floors(self, severity: str, account: Account, evidence: list[Evidence]) -> str:
        floors = [(f"industry:{account.industry}", self.rules.industry_floor.get(account.industry))]
        floors += [(f"account_flag:{flag}", self.rules.account_flag_floor.get(flag)) for flag in sorted(account.flags)]
        for rule, floor in floors:
            if floor:
                target = self.policy.resolve_severity(floor)
                if self.policy.rank(target) < self.policy.rank(severity):
                    severity = target
                    evidence.append(Evidence("severity", target, rule, [rule.split(":", 1)[1]]))
        return severity

    def _issue_type(self, text: str, evidence: list[Evidence]) -> str:
        best, best_hits = self.rules.default_issue_type, []
        for name, index in self.c.types.items():
            found = index.find(text, self.c.negations)
            if len(found) > len(best_hits):
                best, best_hits = name, found
        evidence.append(Evidence("issue_type", best, "issue_types" if best_hits else "default", best_hits))
        return best

    def _emotion(self, raw: str, text: str, evidence: list[Evidence]) -> str:
        scores: dict[str, list[str]] = {}
        for name, index in self.c.emotions.items():
            found = index.find(text, self.c.negations)
            if found:
                scores[name] = list(found)
        words = [w for w in _WORD.findall(raw) if len(w) > 2 and w.isalpha()]
        caps = [w for w in words if w.isupper()]
        if len(caps) >= 3 and len(caps) >= 0.5 * len(words):
            scores.setdefault("angry", []).append("ALL CAPS")
        if re.search(r"!{3,}|(?:!\s*){3,}", raw):
            scores.setdefault("angry" if "angry" in scores else "urgent", []).append("!!!")
        for name in ("angry", "urgent", "frustrated", "concerned"):
            if name in scores:
                evidence.append(Evidence("emotion", name, "emotions", scores[name]))
                return name
        evidence.append(Evidence("emotion", "calm", "default", []))
        return "calm"
