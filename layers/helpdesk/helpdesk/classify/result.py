"""What a classification returns: a public JSON contract (`as_dict`) that handlers and tickets store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
