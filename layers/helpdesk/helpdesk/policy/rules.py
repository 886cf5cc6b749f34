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


class SecondOpinionRules(Strict):
    """An optional review of each verdict by a foundation model on Amazon Bedrock; it may only raise.

    The model is chosen by the stack (template parameter SecondOpinionModelId); without one the
    rules classify alone and the inbound function logs why once per container."""

    enabled: bool = False
    timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    # Mail from healthcare accounts may carry PHI: it goes to the model only when the AWS account's
    # BAA covers the model and this is set on purpose.
    send_phi: bool = False


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
    second_opinion: SecondOpinionRules = Field(default_factory=SecondOpinionRules)


