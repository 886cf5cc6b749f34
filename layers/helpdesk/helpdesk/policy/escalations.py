"""Escalation in the policy file: levels, chains, triggers, executive rules, coverage, modifiers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator

from helpdesk.policy.durations import Duration
from helpdesk.policy.hours import Strict

ConditionName = Literal["acknowledged", "first_response", "resolved"]
ClockName = Literal["first_response", "update", "workaround", "resolution", "escalation"]
NEXT_LEVEL = "+1"  # a trigger that escalates one level above the ticket's current one
ALL_CLOCKS: tuple[ClockName, ...] = ("first_response", "update", "workaround", "resolution", "escalation")


class Level(Strict):
    name: str
    roles: list[str]
    resources: list[str] = Field(default_factory=list)  # what a briefing at this level asks for
    expects_ack: bool = False  # its briefings expect an acknowledgment within the executive commitment
    chat: bool = False  # its briefings are also posted to the team's chat channel


class EscalationStep(Strict):
    after: Duration
    unless: ConditionName
    level: str
    repeat_every: Duration | None = None
    repeat_times: int = Field(default=0, ge=0, le=50)


class TriggerAction(Strict):
    description: str = ""
    escalate_to: str | None = None  # a level, or "+1": one level above where the ticket stands
    after: Duration | None = None  # escalate only if the ticket is still unresolved this long after the trigger
    raise_severity_to: str | None = None
    notify: list[str] = Field(default_factory=list)


class ExecCondition(Strict):
    """Every condition given must hold (an empty list or None means "any")."""

    account_flags: list[str] = Field(default_factory=list)  # any of these
    min_arr: float | None = None
    min_revenue_share: float | None = Field(default=None, gt=0, le=1)
    max_days_to_renewal: int | None = Field(default=None, ge=0)
    triggers: list[str] = Field(default_factory=list)  # any of these
    severities: list[str] = Field(default_factory=list)
    issue_types: list[str] = Field(default_factory=list)
    hours_without_progress: float | None = Field(default=None, gt=0)
    c_level_involved: bool | None = None
    at_risk: bool | None = None  # churn, legal, escalation request, PR, low ratings or revenue risk


class ExecutiveRule(Strict):
    """Who in the C-suite hears about which tickets: any matching `when`, or the older shorthand
    (money at risk with an unhappy customer, any of `triggers`, any of `issue_types`)."""

    role: str
    min_arr: float | None = None
    min_revenue_share: float | None = Field(default=None, gt=0, le=1)
    triggers: list[str] = Field(default_factory=list)
    issue_types: list[str] = Field(default_factory=list)
    when: list[ExecCondition] = Field(default_factory=list)
    reason: str = ""  # what the briefing says about why this role hears


class Cover(Strict):
    """An executive away (leave, travel) from `start` to `end` inclusive, and who covers."""

    role: str
    backup: str
    start: date
    end: date
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Cover:
        if self.end < self.start:
            raise ValueError("coverage must end on or after the day it starts")
        return self


class Briefings(Strict):
    """How escalations are merged, what executives commit to, and when stalled tickets escalate."""

    merge_window: Duration = timedelta(minutes=5)  # one briefing per ticket and level within this
    merge_ahead: Duration = timedelta(minutes=2)  # steps falling due this soon join the briefing going out
    no_progress_after: Duration | None = timedelta(hours=24)  # no public update or status change: one level up
    no_progress_for: list[str] = Field(default_factory=list)  # severities watched; empty watches all
    renewal_at_risk_within: Duration = timedelta(days=90)
    executive_ack_within: Duration = timedelta(hours=2)  # in business hours
    executive_ack_after_hours: Duration = timedelta(hours=4)
    commitment_calendar: str | None = None  # decides business versus after hours for the commitment
    ack_link_expires_after: Duration = timedelta(days=7)


class ModifierCondition(Strict):
    account_flags: list[str] = Field(default_factory=list)
    min_arr: float | None = None
    customer_for_less_than: Duration | None = None
    industries: list[str] = Field(default_factory=list)
    triggers: list[str] = Field(default_factory=list)


class AccountModifier(Strict):
    """Targets scale by `factor` (0.5 means 50% faster) when any condition matches, for the clocks named."""

    description: str = ""
    factor: float = Field(gt=0, le=1)
    when: list[ModifierCondition]
    clocks: list[ClockName] = Field(default_factory=lambda: list(ALL_CLOCKS))
