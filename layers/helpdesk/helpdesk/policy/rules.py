"""The classifier's rules in the policy file: phrase rules, impact thresholds and floors."""

from __future__ import annotations

from pydantic import Field

from helpdesk.policy.hours import Strict


class PhraseRule(Strict):
    """Phrases that, when present and not negated, vote for an outcome with a weight."""

    phrases: list[str]
    weight: float = 1.0


class SeverityRule(PhraseRule):
    severity: str


class TriggerRule(PhraseRule):
    trigger: str
    industries: list[str] = Field(default_factory=list)  # only for accounts in these industries


class ImpactThreshold(Strict):
    at_least: float
    severity: str


class ClassifierRules(Strict):
    default_severity: str
    default_issue_type: str = "training_or_question"
    negations: list[str]
    reassurances: list[str] = Field(default_factory=list)
    severity_rules: dict[str, SeverityRule]
    trigger_rules: dict[str, TriggerRule]
    issue_types: dict[str, list[str]]
    emotions: dict[str, list[str]]
    money_per_hour: list[ImpactThreshold] = Field(default_factory=list)
    users_affected: list[ImpactThreshold] = Field(default_factory=list)
    industry_floor: dict[str, str] = Field(default_factory=dict)
    account_flag_floor: dict[str, str] = Field(default_factory=dict)


