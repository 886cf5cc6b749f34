"""One policy's classifier rules compiled with the shared lexicon into a single set of concepts.

The policy's phrase lists (`classifier:` in the preset, usually presets/classifiers/common.yaml) become
concepts of their own: `sev:<rule>`, `trigger:<rule>`, `type:<name>`, `emotion:<name>` and
`reassurance`. They use the same pattern language, so "nobody * can log in" keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from helpdesk.classify.lexicon import ConceptSpec, Lexicon, LexiconSpec, load_lexicon
from helpdesk.policy.models import ClassifierRules, Policy


def _plain(phrase: str) -> str:
    """Policy phrases are plain words and "*" gaps; "|", "{", "~" and "$" have no special meaning there."""
    words = phrase.lower().replace("’", "'").replace("|", " ").replace("{", " ").replace("}", " ").split()
    return " ".join(w for w in (w.lstrip("~") for w in words) if w and w != "$")


def _spec(phrases: list[str], negatable: bool = True) -> ConceptSpec:
    return ConceptSpec(patterns=[p for p in (_plain(x) for x in phrases) if p], negatable=negatable)


@dataclass(frozen=True)
class CompiledRules:
    lexicon: Lexicon
    rules: ClassifierRules


@lru_cache(maxsize=8)
def _compile(rules_json: str) -> CompiledRules:
    rules = ClassifierRules.model_validate_json(rules_json)
    base = load_lexicon()
    extra: dict[str, ConceptSpec] = {"reassurance_policy": _spec(rules.reassurances)}
    extra.update({f"sev:{rid}": _spec(r.phrases) for rid, r in rules.severity_rules.items()})
    extra.update({f"trigger:{rid}": _spec(r.phrases) for rid, r in rules.trigger_rules.items()})
    extra.update({f"type:{name}": _spec(p) for name, p in rules.issue_types.items()})
    extra.update({f"emotion:{name}": _spec(p, negatable=False) for name, p in rules.emotions.items()})
    own = Lexicon.from_spec(LexiconSpec(concepts=extra))
    return CompiledRules(Lexicon({**base.concepts, **own.concepts}, {**base.specs, **own.specs}), rules)


_by_policy: dict[int, tuple[Policy, CompiledRules]] = {}


def compiled(policy: Policy) -> CompiledRules:
    cached = _by_policy.get(id(policy))
    if cached and cached[0] is policy:
        return cached[1]
    result = _compile(policy.classifier.model_dump_json())
    _by_policy[id(policy)] = (policy, result)
    return result
