"""The classifier: rules find concepts and triggers, a linear model weighs them, the policy has the last word.

How a verdict is reached:

1. The subject and the customer's own words (no quoted history, footer or signature block) are cut
   into clauses of stemmed words, and the lexicon's concepts are matched with negation, hypothetical
   and harmless-sense handling ("no data was lost", "what if you go down", "drop-down").
2. Trigger detectors (classify/triggers.py) and the policy's phrase rules name the triggers.
3. The severity model scores the features (concepts, impact figures, triggers, the policy's phrase
   families, words) into an abstract level, mapped to the policy's own severity ids.
4. Each trigger raises the severity to its `raise_severity_to` (a floor the model cannot lower), then
   account floors apply. The issue-type model and the emotion rules decide the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpdesk.accounts.model import DEFAULT_ACCOUNT, Account
from helpdesk.classify.features import Features, extract
from helpdesk.classify.matcher import Matcher
from helpdesk.classify.model import LinearModel, load_model
from helpdesk.classify.result import Classification, Evidence
from helpdesk.classify.rules import compiled
from helpdesk.classify.text import analyse, only_signoff
from helpdesk.classify.triggers import DETECTORS, phrases
from helpdesk.policy.models import Policy

LEVELS = ("critical", "high", "medium", "low")
SEVERITY_MODEL = "severity_model"
TYPE_MODEL = "issue_type_model"
EMOTIONS = ("angry", "urgent", "frustrated", "concerned")


@dataclass(frozen=True)
class Analysis:
    matcher: Matcher
    triggers: dict[str, tuple[str, list[str]]]  # trigger -> (rule, phrases)
    features: Features


class Classifier:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.rules = policy.classifier
        self.compiled = compiled(policy)
        self._order = list(policy.severities)
        self._policy_concepts = [f"sev:{rid}" for rid in self.rules.severity_rules] + \
            [f"type:{name}" for name in self.rules.issue_types]

    @property
    def severity_model(self) -> LinearModel:
        return load_model(SEVERITY_MODEL)

    @property
    def type_model(self) -> LinearModel:
        return load_model(TYPE_MODEL)

    def features(self, subject: str, new_text: str, account: Account = DEFAULT_ACCOUNT) -> Analysis | None:
        """What the models read; None for a message with no content of its own."""
        doc = analyse(subject, new_text)
        if not doc.text.strip():
            return None
        matcher = Matcher(self.compiled.lexicon, doc)
        found = self._triggers(matcher, account)
        if not found and not matcher.counted("problem") and only_signoff(doc.body):
            return None
        words = {name: phrases_ for name, (_rule, phrases_) in found.items()}
        steps = tuple(t.at_least for t in self.rules.money_per_hour)
        return Analysis(matcher, found, extract(matcher, words, self._policy_concepts, steps))

    def classify(self, subject: str, new_text: str, account: Account = DEFAULT_ACCOUNT) -> Classification:
        analysis = self.features(subject, new_text, account)
        if analysis is None:
            return self._no_content(account)
        matcher, found, feats = analysis.matcher, analysis.triggers, analysis.features
        doc = matcher.doc
        evidence: list[Evidence] = []
        severity = self._severity(feats, evidence)
        evidence += [Evidence("trigger", name, rule, words) for name, (rule, words) in found.items()]
        severity = self._apply_raises(severity, list(found), evidence)
        severity = self._apply_money_floor(severity, feats, evidence)
        severity = self._apply_floors(severity, account, evidence)
        issue_type = self._issue_type(feats, evidence)
        emotion = self._emotion(matcher, doc.subject + "\n" + doc.body, evidence)
        return Classification(severity, issue_type, list(found), emotion, evidence)

    def level_id(self, level: str) -> str:
        """The policy's id for an abstract level; a policy without the alias maps by position."""
        try:
            return self.policy.resolve_severity(level)
        except KeyError:
            index = round(LEVELS.index(level) * (len(self._order) - 1) / (len(LEVELS) - 1))
            return self._order[index]

    def _no_content(self, account: Account) -> Classification:
        lowest = self._order[-1]
        evidence = [Evidence("severity", lowest, "no_content", ["no content"])]
        severity = self._apply_floors(lowest, account, evidence)
        return Classification(severity, self.rules.default_issue_type, [], "calm", evidence)

    def _triggers(self, m: Matcher, account: Account) -> dict[str, tuple[str, list[str]]]:
        """Trigger name -> (rule, phrases), in the order the policy lists its triggers."""
        found = self._phrase_rule_triggers(m, account)
        for name, detect in DETECTORS.items():
            if name in self.policy.triggers and name not in found:
                words = detect(m, account)
                if words:
                    found[name] = (f"detector:{name}", words)
        order = list(self.policy.triggers)
        return {name: found[name] for name in sorted(found, key=order.index)}

    def _phrase_rule_triggers(self, m: Matcher, account: Account) -> dict[str, tuple[str, list[str]]]:
        found: dict[str, tuple[str, list[str]]] = {}
        for rid, rule in self.rules.trigger_rules.items():
            if rule.industries and account.industry not in rule.industries:
                continue
            words = phrases(m.counted(f"trigger:{rid}"))
            if words and rule.trigger not in found:
                found[rule.trigger] = (rid, words)
        return found

    def _severity(self, feats: Features, evidence: list[Evidence]) -> str:
        level, raised_by = self.severity_model.decide(feats.values)
        severity = self.level_id(level)
        reasons = [_describe(f, w, feats) for f, w in self.severity_model.reasons(feats.values, level)]
        evidence.append(Evidence("severity", severity, "model", reasons + ([raised_by] if raised_by else [])))
        return severity

    def _apply_raises(self, severity: str, triggers: list[str], evidence: list[Evidence]) -> str:
        for trigger in triggers:
            action = self.policy.triggers.get(trigger)
            if not (action and action.raise_severity_to):
                continue
            target = self.policy.resolve_severity(action.raise_severity_to)
            if self.policy.rank(target) < self.policy.rank(severity):
                severity = target
                evidence.append(Evidence("severity", target, f"trigger:{trigger}", [trigger]))
        return severity

    def _apply_money_floor(self, severity: str, feats: Features, evidence: list[Evidence]) -> str:
        """Money lost per hour is the policy's own impact scale: its thresholds are floors."""
        for threshold in sorted(self.rules.money_per_hour, key=lambda t: -t.at_least):
            words = feats.phrases.get(f"figure:money>={threshold.at_least:g}/h")
            if words is None:
                continue
            target = self.policy.resolve_severity(threshold.severity)
            if self.policy.rank(target) < self.policy.rank(severity):
                severity = target
                evidence.append(Evidence("severity", target, "money_per_hour", words))
            break
        return severity

    def _apply_floors(self, severity: str, account: Account, evidence: list[Evidence]) -> str:
        floors = [(f"industry:{account.industry}", self.rules.industry_floor.get(account.industry))]
        floors += [(f"account_flag:{flag}", self.rules.account_flag_floor.get(flag))
                   for flag in sorted(account.flags)]
        for rule, floor in floors:
            if floor:
                target = self.policy.resolve_severity(floor)
                if self.policy.rank(target) < self.policy.rank(severity):
                    severity = target
                    evidence.append(Evidence("severity", target, rule, [rule.split(":", 1)[1]]))
        return severity

    def _issue_type(self, feats: Features, evidence: list[Evidence]) -> str:
        known = set(self.rules.issue_types) | {self.rules.default_issue_type}
        scores = self.type_model.scores(feats.values)
        ranked = sorted((c for c in self.type_model.classes if c in known), key=lambda c: -scores.get(c, 0.0))
        best = ranked[0] if ranked else self.rules.default_issue_type
        reasons = self.type_model.reasons(feats.values, best, limit=4)
        evidence.append(Evidence("issue_type", best, "model", [_describe(f, w, feats) for f, w in reasons]))
        return best

    def _emotion(self, m: Matcher, raw: str, evidence: list[Evidence]) -> str:
        scores = {name: phrases(m.counted(f"emotion:{name}")) for name in self.rules.emotions}
        scores = {name: found for name, found in scores.items() if found}
        _loud(raw[:5000], scores)
        for name in EMOTIONS:
            if name in scores:
                evidence.append(Evidence("emotion", name, "emotions", scores[name]))
                return name
        evidence.append(Evidence("emotion", "calm", "default", []))
        return "calm"


def _loud(raw: str, scores: dict[str, list[str]]) -> None:
    """ALL CAPS reads as anger; "!!!" as anger when there is anger already, else as urgency."""
    words = re.findall(r"[A-Za-z]{3,}", raw)
    caps = [w for w in words if w.isupper()]
    if len(caps) >= 3 and len(caps) >= 0.5 * len(words):
        scores.setdefault("angry", []).append("ALL CAPS")
    if re.search(r"!{3,}|(?:!\s*){3,}", raw):
        scores.setdefault("angry" if "angry" in scores else "urgent", []).append("!!!")


def _describe(feature: str, weight: float, feats: Features) -> str:
    words = feats.phrases.get(feature)
    quoted = f": {', '.join(repr(w) for w in words[:3])}" if words else ""
    return f"{feature} ({weight:+.2f}){quoted}"
