"""A deterministic, explainable classifier driven entirely by the policy's phrase rules.

It reads the subject and the new text of a message (never quoted history or the signature) and
returns a severity, an issue type, triggers and the customer's emotional state, each with the
phrases and rule that decided it.

How a severity is decided:

1. Every severity rule votes `weight` per distinct phrase found. Phrases match whole words, in any
   case and across line wraps; "*" in a phrase stands for up to four words. A phrase preceded
   within a few words of the same clause by a negation or a hypothetical ("not down", "no data
   loss", "if the site is down") does not count, and overlapping phrases count once.
2. Impact figures vote 1.0 each: money per hour ("$20k per hour", "$500/hr", per day and per
   minute are converted) and counts of people, which only count when the same sentence reports a
   problem ("350 users can't open the app", not "we have 900 employees"). "All our users",
   "everyone" and "the whole company" count as everybody (the top threshold), on the same condition.
3. A reassurance ("not urgent", "back to normal") halves the phrase votes for the two most severe
   levels; impact figures are not discounted, and rules weighted 2 or more survive the halving.
   A trigger found only through phrases the reassurance discounted does not raise the severity.
4. The most severe level with at least 1.0 wins. Nothing at all: the default severity, or the
   lowest one when the customer reassured us. Then trigger raises and account floors apply.

A message whose body holds nothing but a sign-off, a signature or quoted lines, and whose
subject names no problem, is classified at the lowest severity with the evidence `no_content`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from helpdesk.accounts.model import DEFAULT_ACCOUNT, Account
from helpdesk.policy.models import ClassifierRules, ImpactThreshold, Policy

MAX_CHARS = 20_000  # the opening of a message carries its point; this bounds the cost of 200 KB mail
NEGATION_WINDOW = 4  # words between a negation and the phrase it cancels
REASSURANCE_FACTOR = 0.5  # a reassurance halves the phrase votes for the two most severe levels
MAX_OCCURRENCES = 25  # occurrences of one phrase or figure examined; the first ones decide
_WORD = re.compile(r"[\w$%'-]+")
_WORD_CHAR = re.compile(r"\w")
# A clause ends at sentence punctuation, a blank line, a contrast ("but", "however", "although"),
# or a comma followed by a new subject ("..., we will not renew").
_CLAUSE_BREAK = re.compile(
    r"[.;:!?]|\n\s*\n|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bexcept\b"
    r"|,\s*(?=(?:we|i|it|they|you|this|that|the|our|my|everything|everyone|nobody|now|so|please)\b)"
)
_SENTENCE_BREAK = re.compile(r"[.!?]\s|\n\s*\n")
_GAP = r"(?:[^\s.!?;]+\s+){0,4}?"
# A negation word directly followed by one of these is not a negation ("no longer", "not only").
_PSEUDO_NEGATIONS = {("no", "longer"), ("not", "only"), ("no", "doubt"), ("not", "just")}
_MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?\s*(?:/|per|an|a|every|each)\s*"
    r"(hour|hr|h|day|minute|min)\b",
    re.IGNORECASE,
)
_PER_HOUR = {"hour": 1.0, "hr": 1.0, "h": 1.0, "day": 1 / 24, "minute": 60.0, "min": 60.0}
_PEOPLE = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:of\s+(?:our|the|my)\s+)?(?:[a-z-]+\s+)?"
    r"(users|employees|people|staff|agents|customers|stores|clinicians|nurses|doctors|locations|members)\b"
)
# Everybody, as a count: "all our users", "every employee", "everyone", "the whole company".
_EVERYONE = re.compile(
    r"\b(?:all(?:\s+of)?(?:\s+(?:our|the|my))?\s+(?:[a-z-]+\s+)?"
    r"(?:users|employees|staff|people|agents|customers|clinicians|nurses|doctors|members)"
    r"|every\s+(?:single\s+)?(?:user|employee|agent|customer|member)"
    r"|everyone|everybody"
    r"|(?:our|the)\s+(?:entire|whole)\s+(?:company|organi[sz]ation|org|business|staff|workforce|hospital))\b"
)
# Mail anatomy, not vocabulary: quoted lines, the "-- " signature delimiter, mobile footers.
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_SIGNATURE = re.compile(r"^[ \t]*(?:--|__+)[ \t]*$", re.MULTILINE)
_MOBILE_FOOTER = re.compile(r"^[ \t]*sent from my [^\n]*$", re.MULTILINE | re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.?!]\s*$")


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
        self.patterns = []
        for phrase in dict.fromkeys(p.lower().replace("’", "'") for p in phrases):
            words = phrase.split()
            # "*" stands for a gap of up to four words within the sentence ("nobody * can log in").
            body = "".join(_GAP if w == "*" else re.escape(w) + (r"\s+" if i < len(words) - 1 else "")
                           for i, w in enumerate(words))
            # Whole words: a phrase that starts or ends with a letter or digit must not continue one
            # ("sue" is not "issue"); punctuation phrases such as "?" match anywhere. The left edge is
            # checked after the match: a leading look-behind would stop `re` from scanning for the
            # phrase's literal prefix, which makes 200 KB mail several times slower.
            left = bool(re.match(r"\w", phrase))
            right = r"(?!\w)" if re.search(r"\w$", phrase) else ""
            # A cheap substring test skips the regex for phrases whose first word is absent.
            self.patterns.append((phrase, words[0], left, re.compile(body + right)))
        # Longer phrases are tried first; a shorter one overlapping text already matched does not count
        # again ("reports are not working" is one hit for "not working", not also "reports are not").
        self.order = sorted(range(len(self.patterns)), key=lambda i: -len(self.patterns[i][0]))

    def find(self, text: str, negations: _Negations | None) -> list[str]:
        hits: dict[int, tuple[int, int]] = {}
        for i in self.order:
            phrase, first, left, pattern = self.patterns[i]
            if first not in text:
                continue
            for match in itertools.islice(pattern.finditer(text), MAX_OCCURRENCES):
                start, end = match.span()
                if left and start and _WORD_CHAR.match(text, start - 1):
                    continue
                if any(start < e and s < end for s, e in hits.values()):
                    continue
                if negations is None or not negations.negated(text, start):
                    hits[i] = (start, end)
                    break
        return [self.patterns[i][0] for i in sorted(hits)]


class _Negations:
    def __init__(self, words: list[str]) -> None:
        cleaned = [w.lower().replace("’", "'") for w in words]
        self.single = {w for w in cleaned if " " not in w}
        self.multi = [w for w in cleaned if " " in w]

    def negated(self, text: str, start: int) -> bool:
        clause_start = max(0, start - 120)
        for brk in _CLAUSE_BREAK.finditer(text, clause_start, start):
            clause_start = brk.end()
        words = _WORD.findall(text, clause_start, start)[-NEGATION_WINDOW:]
        for i, word in enumerate(words):
            if word in self.single or (word.endswith("n't") and word != "can't"):
                following = words[i + 1] if i + 1 < len(words) else ""
                if (word, following) not in _PSEUDO_NEGATIONS:
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
        severity={rid: (r.severity, r.weight, _PhraseIndex(r.phrases))
                  for rid, r in rules.severity_rules.items()},
        triggers={rid: (r.trigger, r.industries, _PhraseIndex(r.phrases))
                  for rid, r in rules.trigger_rules.items()},
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


def _amount(number: str, scale: str | None, unit: str | None = None) -> float:
    value = float(number.replace(",", ""))
    value *= {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get((scale or "").lower(), 1)
    return value * _PER_HOUR.get((unit or "hour").lower(), 1.0)


def _threshold(thresholds: list[ImpactThreshold], value: float) -> ImpactThreshold | None:
    passing = [t for t in thresholds if value >= t.at_least]
    return max(passing, key=lambda t: t.at_least) if passing else None


def _own_words(text: str) -> str:
    """The body without quoted lines, the signature below a "--" line, or mobile footers."""
    text = text[:MAX_CHARS]
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    signature = _SIGNATURE.search(text)
    if signature:
        text = text[: signature.start()]
    return _MOBILE_FOOTER.sub("", text)


def _only_signoff(body: str) -> bool:
    """True when no line is a sentence: a greeting, a sign-off, a name, a title, a phone number."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return all(len(line.split()) <= 5 and not _SENTENCE_END.search(line) for line in lines)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(0, start - 300)
    for brk in _SENTENCE_BREAK.finditer(text, left, start):
        left = brk.end()
    right = _SENTENCE_BREAK.search(text, end, end + 300)
    return text[left : right.start() if right else min(len(text), end + 300)]


@dataclass
class _Severity:
    """Votes per severity id, split into phrase votes (discountable) and impact figures."""

    phrase_votes: dict[str, float] = field(default_factory=dict)
    figure_votes: dict[str, float] = field(default_factory=dict)
    hits: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)

    def add(self, sev: str, rule: str, phrases: list[str], votes: float, figure: bool = False) -> None:
        bucket = self.figure_votes if figure else self.phrase_votes
        bucket[sev] = bucket.get(sev, 0.0) + votes
        self.hits.setdefault(sev, []).append((rule, phrases))


class Classifier:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.rules = policy.classifier
        self.c = _compiled(policy)
        self._order = list(policy.severities)
        self._problem_rules = [index for sev, _w, index in self.c.severity.values()
                               if policy.resolve_severity(sev) != self._order[-1]]

    def classify(self, subject: str, new_text: str, account: Account = DEFAULT_ACCOUNT) -> Classification:
        body = _own_words(new_text or "")
        raw = f"{(subject or '')[:1000]}\n\n{body}"
        if not raw.strip():
            return self._no_content(account)
        text = raw.lower().replace("’", "'")
        evidence: list[Evidence] = []
        severity, discounted, voted = self._severity(text, evidence)
        found = self._triggers(text, account, evidence)
        if not (voted or found) and _only_signoff(body):
            return self._no_content(account)
        triggers = [trigger for trigger, _ in found]
        severity = self._apply_raises(severity, found, discounted, evidence)
        severity = self._apply_floors(severity, account, evidence)
        issue_type = self._issue_type(text, evidence)
        emotion = self._emotion(raw, text, evidence)
        return Classification(severity, issue_type, triggers, emotion, evidence)

    def _no_content(self, account: Account) -> Classification:
        lowest = self._order[-1]
        evidence = [Evidence("severity", lowest, "no_content", ["no content"])]
        severity = self._apply_floors(lowest, account, evidence)
        return Classification(severity, self.rules.default_issue_type, [], "calm", evidence)

    def _severity(self, text: str, evidence: list[Evidence]) -> tuple[str, set[str], bool]:
        """The severity id, the phrases a reassurance discounted, and whether anything voted."""
        resolve, rank = self.policy.resolve_severity, self.policy.rank
        votes = _Severity()
        for rid, (sev_name, weight, index) in self.c.severity.items():
            found = index.find(text, self.c.negations)
            if found:
                votes.add(resolve(sev_name), rid, found, weight * len(found))
        self._figures(text, votes)
        reassured = self.c.reassurance.find(text, self.c.negations)
        discounted: set[str] = set()
        scores = dict(votes.phrase_votes)
        if reassured:
            for sev, score in votes.phrase_votes.items():
                if rank(sev) <= 1:
                    scores[sev] = score * REASSURANCE_FACTOR
                    if score >= 1.0 > scores[sev] + votes.figure_votes.get(sev, 0.0):
                        discounted.update(p for rid, found in votes.hits[sev] for p in found)
        for sev, score in votes.figure_votes.items():
            scores[sev] = scores.get(sev, 0.0) + score
        chosen = next((s for s in sorted(scores, key=rank) if scores[s] >= 1.0), None)
        voted = bool(scores)
        if discounted:
            evidence.append(Evidence("severity", chosen or resolve(self.rules.default_severity),
                                     "reassurance_discounts", reassured))
        if chosen is None:
            if discounted:
                return resolve(self.rules.default_severity), discounted, voted
            if reassured:
                evidence.append(Evidence("severity", self._order[-1], "reassurance", reassured))
                return self._order[-1], discounted, voted
            default = resolve(self.rules.default_severity)
            evidence.append(Evidence("severity", default, "default", []))
            return default, discounted, voted
        for rid, found in votes.hits[chosen]:
            evidence.append(Evidence("severity", chosen, rid, found))
        return chosen, discounted, voted

    def _figures(self, text: str, votes: _Severity) -> None:
        """Money per hour and counts of affected people, each voting for its threshold's level."""
        for rid, table in (("money_per_hour", self.rules.money_per_hour),
                           ("users_affected", self.rules.users_affected)):
            if not table:
                continue
            best: tuple[ImpactThreshold, str] | None = None
            if rid == "money_per_hour":
                matches = [*itertools.islice(_MONEY.finditer(text), MAX_OCCURRENCES)] if "$" in text else []
            else:
                matches = [*itertools.islice(_PEOPLE.finditer(text), MAX_OCCURRENCES),
                           *itertools.islice(_EVERYONE.finditer(text), MAX_OCCURRENCES)]
            for match in matches:
                if rid == "money_per_hour":
                    value = _amount(match.group(1), match.group(2), match.group(3))
                else:
                    value = _amount(match.group(1), None) if match.re is _PEOPLE else float("inf")
                rule = _threshold(table, value)
                if not rule or (best is not None and rule.at_least <= best[0].at_least):
                    continue
                if self.c.negations.negated(text, match.start()):
                    continue
                if rid == "users_affected" and not self._reports_problem(
                        _sentence_around(text, match.start(), match.end())):
                    continue
                best = (rule, " ".join(match.group(0).split()))
            if best:
                votes.add(self.policy.resolve_severity(best[0].severity), rid, [best[1]], 1.0, figure=True)

    def _reports_problem(self, sentence: str) -> bool:
        return any(index.find(sentence, self.c.negations) for index in self._problem_rules)

    def _triggers(self, text: str, account: Account, evidence: list[Evidence]) -> list[tuple[str, list[str]]]:
        found: list[tuple[str, list[str]]] = []
        for rid, (trigger, industries, index) in self.c.triggers.items():
            if industries and account.industry not in industries:
                continue
            phrases = index.find(text, self.c.negations)
            if phrases and trigger not in (t for t, _ in found):
                found.append((trigger, phrases))
                evidence.append(Evidence("trigger", trigger, rid, phrases))
        return found

    def _apply_raises(self, severity: str, found: list[tuple[str, list[str]]], discounted: set[str],
                      evidence: list[Evidence]) -> str:
        for trigger, phrases in found:
            action = self.policy.triggers.get(trigger)
            if not (action and action.raise_severity_to):
                continue
            target = self.policy.resolve_severity(action.raise_severity_to)
            if self.policy.rank(target) >= self.policy.rank(severity):
                continue
            if discounted and set(phrases) <= discounted:
                rule = f"reassurance_discounts:trigger:{trigger}"
                evidence.append(Evidence("severity", severity, rule, phrases))
                continue
            severity = target
            evidence.append(Evidence("severity", target, f"trigger:{trigger}", [trigger]))
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

    def _issue_type(self, text: str, evidence: list[Evidence]) -> str:
        best, best_hits = self.rules.default_issue_type, list[str]()
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
        words = [w for w in _WORD.findall(raw, 0, 5000) if len(w) > 2 and w.isalpha()]
        caps = [w for w in words if w.isupper()]
        if len(caps) >= 3 and len(caps) >= 0.5 * len(words):
            scores.setdefault("angry", []).append("ALL CAPS")
        if re.search(r"!{3,}|(?:!\s*){3,}", raw[:5000]):
            scores.setdefault("angry" if "angry" in scores else "urgent", []).append("!!!")
        for name in ("angry", "urgent", "frustrated", "concerned"):
            if name in scores:
                evidence.append(Evidence("emotion", name, "emotions", scores[name]))
                return name
        evidence.append(Evidence("emotion", "calm", "default", []))
        return "calm"
