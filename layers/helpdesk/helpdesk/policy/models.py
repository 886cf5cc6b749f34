"""The policy file's schema: what a support leader can read, change, check and simulate.

Every field is validated; unknown keys are errors, so a typo never silently disables a rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from helpdesk.policy.durations import Duration
from helpdesk.policy.escalations import (  # noqa: F401 - re-exported
    NEXT_LEVEL,
    AccountModifier,
    Briefings,
    ConditionName,
    Cover,
    EscalationStep,
    ExecCondition,
    ExecutiveRule,
    Level,
    ModifierCondition,
    TriggerAction,
)
from helpdesk.policy.hours import (  # noqa: F401 - re-exported: the schema's public names
    ALWAYS_OPEN,
    WEEKDAYS,
    AppliesTo,
    Calendar,
    CalendarVariant,
    HolidaySource,
    OpeningRange,
    Strict,
    Weekday,
    known_zone,
)
from helpdesk.policy.kpis import KpiGoals
from helpdesk.policy.limits import AckLimits, Incidents, Intake, RepeatContacts, Thresholds  # noqa: F401 - re-exported
from helpdesk.policy.rules import (  # noqa: F401 - re-exported
    ClassifierRules,
    ImpactThreshold,
    PhraseRule,
    SeverityRule,
    TriggerRule,
)


class Severity(Strict):
    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    first_response: Duration
    first_response_after_hours: Duration | None = None
    update_every: Duration | None = None  # None: updates "as needed", no cadence
    workaround: Duration | None = None
    resolution: Duration
    clock: str = ALWAYS_OPEN
    hours_calendar: str | None = None  # decides "after hours" for first_response_after_hours
    notify_management_after: Duration | None = None
    follow_ups: list[Duration] = Field(default_factory=list)
    health_window: Duration | None = None
    postmortem: bool = False
    response_compliance_target: float | None = Field(default=None, ge=0, le=100)
    resolution_compliance_target: float | None = Field(default=None, ge=0, le=100)
    sms: bool = False  # whether escalations at this severity also page by SMS
    fold_overnight_updates: bool = False  # at night, an update with no news since the last one is not resent


class Templates(Strict):
    """Template names per event; files are looked up in `override_dir` first, then the built-ins."""

    acknowledgment: str = "acknowledgment"
    customer_update: str = "customer_update"
    breach_warning: str = "breach_warning"
    escalation_briefing: str = "escalation_briefing"
    resolution_summary: str = "resolution_summary"
    # Wording per severity id: critical (what was done, who is on it, phone, next update),
    # standard, or low (short and friendly). Severities not named use standard.
    styles: dict[str, Literal["critical", "standard", "low"]] = Field(default_factory=dict)
    nudge_before: Duration = timedelta(minutes=15)  # the owner's "nothing new" reminder before an update
    override_dir: str | None = None


class QuietHours(Strict):
    """Nightly window in which notifications that may wait are deferred to its end."""

    timezone: str
    start: time
    end: time

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class MaintenanceWindow(Strict):
    start: datetime
    end: datetime
    description: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("maintenance windows need times with a UTC offset")
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")
        return self


class Lifecycle(Strict):
    reopen_window: Duration = timedelta(days=7)  # a customer reply after this opens a new, linked ticket
    auto_close_after: Duration = timedelta(days=3)  # resolved tickets close on their own after this
    replan_reopened_from: Literal["reopen", "original"] = "reopen"  # where a reopened ticket's clocks restart


class Resolution(Strict):
    """What follows a resolution: summary, survey, review and the executive sponsor's note."""

    survey_after: Duration = timedelta(hours=24)
    survey_expires_after: Duration = timedelta(days=30)
    verification: list[str] = Field(default_factory=lambda: [
        "the reported problem no longer occurs", "affected functionality works normally",
        "performance is back within normal range"])
    sponsor_note_for: list[str] = Field(default_factory=list)  # severity ids; strategic accounts only
    formal_review_after: Duration = timedelta(days=7)
    spacing: Duration = timedelta(hours=4)  # the least time between two follow-up mails to the customer


class StaffRelay(Strict):
    show_address: bool = False  # relayed replies name the staff member; their address stays private


class Notifications(Strict):
    quiet_hours: QuietHours | None = None
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    never_deferred: list[str] = Field(default_factory=list)  # severity ids that override quiet hours


class Policy(Strict):
    name: str
    description: str = ""
    company_annual_revenue: float | None = None
    severities: dict[str, Severity]
    default_severity: str
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    levels: dict[str, Level]
    escalation: dict[str, list[EscalationStep]] = Field(default_factory=dict)
    triggers: dict[str, TriggerAction] = Field(default_factory=dict)
    executive_rules: list[ExecutiveRule] = Field(default_factory=list)
    coverage: list[Cover] = Field(default_factory=list)  # executives on leave and who covers for them
    briefings: Briefings = Briefings()
    modifiers: dict[str, AccountModifier] = Field(default_factory=dict)
    classifier: ClassifierRules
    thresholds: Thresholds = Thresholds()
    ack_limits: AckLimits = AckLimits()
    intake: Intake = Intake()
    incidents: Incidents = Incidents()
    templates: Templates = Templates()
    notifications: Notifications = Notifications()
    lifecycle: Lifecycle = Lifecycle()
    staff_relay: StaffRelay = StaffRelay()
    resolution: Resolution = Resolution()
    kpis: KpiGoals = KpiGoals()

    @model_validator(mode="after")
    def _references_exist(self) -> Policy:
        problems = list(self._reference_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reference_problems(self) -> Iterator[str]:
        """Every cross-reference checked: severities, calendars, levels and triggers named anywhere exist."""
        names = self._alias_map()
        if self.default_severity not in names:
            yield f"default_severity: unknown severity {self.default_severity!r}"
        for check in (self._calendar_refs, self._escalation_refs, self._trigger_refs, self._classifier_refs,
                      self._severity_lists, self._variant_refs, self._briefing_refs):
            yield from check(names)

    def _calendar_refs(self, names: dict[str, str]) -> Iterator[str]:
        for sid, sev in self.severities.items():
            for field, cal in (("clock", sev.clock), ("hours_calendar", sev.hours_calendar)):
                if cal and cal != ALWAYS_OPEN and cal not in self.calendars:
                    yield f"severities.{sid}.{field}: unknown calendar {cal!r}"

    def _escalation_refs(self, names: dict[str, str]) -> Iterator[str]:
        for sid, steps in self.escalation.items():
            if sid not in self.severities:
                yield f"escalation.{sid}: unknown severity"
            yield from (f"escalation.{sid}.{i}.level: unknown escalation level {step.level!r}"
                        for i, step in enumerate(steps) if step.level not in self.levels)

    def _trigger_refs(self, names: dict[str, str]) -> Iterator[str]:
        for tid, action in self.triggers.items():
            if action.escalate_to and action.escalate_to not in (*self.levels, NEXT_LEVEL):
                yield f"triggers.{tid}.escalate_to: unknown escalation level {action.escalate_to!r}"
            if action.raise_severity_to and action.raise_severity_to not in names:
                yield f"triggers.{tid}.raise_severity_to: unknown severity {action.raise_severity_to!r}"

    def _classifier_refs(self, names: dict[str, str]) -> Iterator[str]:
        rules = self.classifier
        yield from (f"classifier.severity_rules.{rid}.severity: unknown severity {rule.severity!r}"
                    for rid, rule in rules.severity_rules.items() if rule.severity not in names)
        yield from (f"classifier.trigger_rules.{rid}.trigger: no action defined under triggers for {rule.trigger!r}"
                    for rid, rule in rules.trigger_rules.items() if rule.trigger not in self.triggers)
        thresholds = [t.severity for t in (*rules.money_per_hour, *rules.users_affected)]
        floors = [*rules.industry_floor.values(), *rules.account_flag_floor.values()]
        yield from (f"classifier: unknown severity {sev!r}" for sev in [*thresholds, *floors, rules.default_severity]
                    if sev not in names)

    def _briefing_refs(self, names: dict[str, str]) -> Iterator[str]:
        for severity in self.briefings.no_progress_for:
            if severity not in self.severities:
                yield f"briefings.no_progress_for: unknown severity {severity!r}"
        calendar = self.briefings.commitment_calendar
        if calendar and calendar != ALWAYS_OPEN and calendar not in self.calendars:
            yield f"briefings.commitment_calendar: unknown calendar {calendar!r}"
        for i, cover in enumerate(self.coverage):
            if cover.role == cover.backup:
                yield f"coverage.{i}.backup: a role cannot cover for itself"

    def _severity_lists(self, names: dict[str, str]) -> Iterator[str]:
        ids = ", ".join(self.severities)
        for field, values in (("resolution.sponsor_note_for", self.resolution.sponsor_note_for),
                              ("notifications.never_deferred", self.notifications.never_deferred),
                              ("templates.styles", list(self.templates.styles))):
            yield from (f"{field}: {s!r} is not a severity id ({ids})" for s in values if s not in self.severities)

    def _variant_refs(self, names: dict[str, str]) -> Iterator[str]:
        ids = ", ".join(self.severities)
        for name, calendar in self.calendars.items():
            for vname, variant in calendar.variants.items():
                # Calendars match on ids, so aliases would silently never apply.
                yield from (f"calendars.{name}.variants.{vname}.applies_to.severities: {s!r} is not a severity id "
                            f"({ids})" for s in variant.applies_to.severities if s not in self.severities)

    # -- lookups -------------------------------------------------------------------------

    def _alias_map(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for sid, sev in self.severities.items():
            for alias in (sid, sev.name, *sev.aliases):
                names[alias] = sid
                names[alias.lower()] = sid
        return names

    def resolve_severity(self, name: str) -> str:
        """Map any id, display name or alias (case-insensitive) to the severity id."""
        names = self._alias_map()
        found = names.get(name) or names.get(name.strip().lower())
        if not found:
            raise KeyError(f"unknown severity {name!r}; known: {', '.join(self.severities)}")
        return found

    def severity(self, name: str) -> Severity:
        return self.severities[self.resolve_severity(name)]

    def rank(self, severity_id: str) -> int:
        """0 is the most severe; severities are listed most severe first."""
        return list(self.severities).index(severity_id)

    def more_severe(self, a: str, b: str) -> str:
        return a if self.rank(a) <= self.rank(b) else b
