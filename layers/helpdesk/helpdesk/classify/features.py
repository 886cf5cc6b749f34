"""The features a severity or issue-type decision is made from, each with the words behind it.

Features are named so that a person can read them as evidence: `concept:blocked_action`,
`figure:people>=100`, `trigger:data_loss`, `policy:sev:outage`, `word:invoic`. Each maps to a value
(0-1) and to the phrases that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from helpdesk.classify.figures import Figure, money, people
from helpdesk.classify.matcher import Matcher
from helpdesk.classify.slowdown import slowdown
from helpdesk.classify.text import Token

CONCEPTS = ("unavailable", "fails_to_load", "blocked_action", "blocked_getting_in", "none_can", "none_can_get_in",
            "fails_everywhere", "data_loss", "security_incident", "privacy_concern", "no_incident",
            "scope_all", "scope_few", "workaround", "slowness", "slow_strong", "question_words", "feature_words",
            "cosmetic", "thanks_feedback", "reassurance", "resolved", "problem", "patient_safety",
            "privacy_problem", "pci_problem", "legal_paperwork", "health_context", "peak", "churn_threat",
            "legal", "public_relations", "escalation_request", "cue_integration", "cue_configuration", "cue_billing",
            "cue_feature", "cue_training", "manual_workaround", "easy_workaround", "scope_many", "customer_facing",
            "business_stopped", "deadline")
NEGATED = ("unavailable", "blocked_action", "data_loss", "security_incident", "problem")
PEOPLE_STEPS = (2, 10, 100, 1000)
SLOWDOWN_STEPS = (1.5, 3, 10)
MONEY_STEPS = (100, 1000)
STOPWORDS = frozenset("""a an the and or of to in on at for from by with is are was were be been it this that these
those we our us i my you your they them their he she his her as if but not no so do does did have has had can could
would should will just also there here what which who when where how why all any some into about than then its
hi hello thank thanks regards best please dear team support""".split())


@dataclass
class Features:
    values: dict[str, float] = field(default_factory=dict)
    phrases: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: float, words: list[str] | None = None) -> None:
        self.values[name] = max(self.values.get(name, 0.0), value)
        if words:
            self.phrases.setdefault(name, []).extend(w for w in words if w not in self.phrases.get(name, []))


def _concepts(m: Matcher, feats: Features, policy_concepts: list[str]) -> None:
    for name in (*CONCEPTS, *policy_concepts):
        hits = m.counted(name)
        if hits:
            label = name if ":" in name else f"concept:{name}"
            feats.add(label, min(1.0, 0.5 + 0.25 * len(hits)), [h.phrase for h in hits[:4]])
    _negated(m, feats)


def _negated(m: Matcher, feats: Features) -> None:
    for name in NEGATED:
        negated = [h for h in m.find(name) if h.negated or h.hypothetical]
        if negated:
            feats.add(f"negated:{name}", 1.0, [h.phrase for h in negated[:3]])


def _near_problem(m: Matcher, figure: Figure) -> bool:
    """A count only describes impact when its sentence also reports a problem."""
    tokens = m.doc.tokens
    problem_clauses = {tokens[h.start].clause for h in m.counted("problem")}
    clauses = {t.clause for t in tokens if abs(t.start - figure.start) < 160}
    return bool(problem_clauses & clauses)


def _figures(m: Matcher, feats: Features, money_steps: tuple[float, ...]) -> None:
    for fig in money(m.doc.text):
        _steps(feats, "figure:money>={:g}/h", fig.value, money_steps, fig.phrase)
    slower = slowdown(m.doc.text) if m.counted("slowness") or m.counted("slow_strong") else None
    if slower:
        _steps(feats, "figure:slower>={:g}x", slower.factor, SLOWDOWN_STEPS, slower.phrase)
    for fig in people(m.doc.text):
        if not _near_problem(m, fig):
            continue
        if fig.kind == "everyone":
            feats.add("figure:everyone", 1.0, [fig.phrase])
        else:
            _steps(feats, "figure:people>={}", fig.value, PEOPLE_STEPS, fig.phrase)


def _steps(feats: Features, name: str, value: float, steps: tuple[float, ...], phrase: str) -> None:
    for step in steps:
        if value >= step:
            feats.add(name.format(step), 1.0, [phrase])


def _shape(m: Matcher, feats: Features) -> None:
    doc = m.doc
    words = len(doc.tokens)
    feats.add("shape:short", 1.0 if words < 40 else 0.0)
    feats.add("shape:long", 1.0 if words > 150 else 0.0)
    asks = doc.subject.strip().endswith("?")
    if asks:
        feats.add("shape:subject_question", 1.0, [doc.subject.strip()])
    if not m.counted("problem"):
        feats.add("shape:no_problem", 1.0)
        if asks or "?" in doc.body:
            feats.add("shape:only_questions", 1.0)
    _loudness(doc.subject + " " + doc.body, [t.word for t in doc.tokens if len(t.word) > 3], feats)


def _loudness(raw: str, long_words: list[str], feats: Features) -> None:
    if long_words and sum(1 for w in raw.split() if len(w) > 3 and w.isupper()) > 0.5 * len(long_words):
        feats.add("shape:all_caps", 1.0)
    if "!!" in raw:
        feats.add("shape:exclamations", 1.0)


def _words(tokens: list[Token], feats: Features) -> None:
    """Each distinct word, weighted 1/sqrt(distinct words) so long mail does not outvote short mail."""
    stems = {t.stem for t in tokens[:3000] if t.stem not in STOPWORDS and len(t.stem) > 2 and not t.stem.isdigit()}
    weight = 1 / math.sqrt(max(1, len(stems)))
    for stem in stems:
        feats.add(f"word:{stem}", weight)


def extract(m: Matcher, triggers: dict[str, list[str]], policy_concepts: list[str],
            money_steps: tuple[float, ...] = MONEY_STEPS) -> Features:
    feats = Features()
    _concepts(m, feats, policy_concepts)
    _figures(m, feats, tuple(sorted({*MONEY_STEPS, *money_steps})))
    _shape(m, feats)
    for trigger, found in triggers.items():
        feats.add(f"trigger:{trigger}", 1.0, found)
    _words(m.doc.tokens, feats)
    feats.values = {k: v for k, v in feats.values.items() if v}
    return feats
