"""The typed ticket and its log entries: what the domain reads and writes, with no storage detail.

The ticket item holds state derived from the log, for queries; every entry is one line of the
communication log the seeds ask for. Repositories in `adapters/aws` turn these into items.
Size: the ticket's fields are one declaration, read everywhere; splitting them would scatter the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.core.clock import iso
from helpdesk.tickets.values import ClockOutcome, HealthWatch, KbArticle, Verdicts

__all__ = ["ClockOutcome", "Entry", "HealthWatch", "KbArticle", "Ticket", "TicketPatch", "Verdicts"]
# Survey questions and the ticket fields that hold their latest answers (`csat` is the overall score).
RATING_FIELDS = {"csat": "csat", "nps": "nps", "response_time": "response_time_rating",
                 "communication": "communication_rating", "resolution_quality": "resolution_quality_rating",
                 "effort": "effort_rating"}

Status = Literal["new", "acknowledged", "investigating", "pending", "workaround", "resolved", "closed"]
STATUSES: tuple[str, ...] = ("new", "acknowledged", "investigating", "pending", "workaround", "resolved", "closed")
CLOSED = frozenset({"resolved", "closed"})
CLOCKS = ("first_response", "workaround", "resolution")
Visibility = Literal["public", "internal"]


class Ticket(BaseModel):
    """One support request and the state its log has reached."""

    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    number: int
    status: Status = "new"
    severity: str
    issue_type: str = ""
    triggers: list[str] = Field(default_factory=list)
    emotion: str = "calm"
    tags: set[str] = Field(default_factory=set)
    subject: str = ""
    excerpt: list[str] = Field(default_factory=list)

    requester: str
    requester_name: str = ""
    participants: set[str] = Field(default_factory=set)
    owner: str | None = None
    account_domain: str = "*"
    account_name: str = ""
    related_ticket: int | None = None
    related_reason: str | None = None  # why this ticket was opened beside `related_ticket` rather than in it
    requester_undeliverable: bool = False  # a hard bounce: nothing more is sent to the requester
    incident: str | None = None  # the incident this ticket is linked to (`INC-12`), at most one
    incident_reason: str | None = None  # why it was linked, as staff read it
    incident_title: str | None = None

    created_at: datetime
    clock_start: datetime | None = None  # where the clocks count from: the opening, or the last reopen
    updated_at: datetime | None = None
    version: int = 1
    plan_version: int = 1
    policy_name: str = ""
    policy_digest: str | None = None
    modifiers: list[str] = Field(default_factory=list)
    after_hours: bool = False

    first_response_due: datetime | None = None
    workaround_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_seconds: int = 0
    update_every_seconds: int | None = None
    paused_seconds: int = 0
    paused_at: datetime | None = None
    waiting_seconds: int = 0

    ack_suppressed: str | None = None
    ack_sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    first_response_at: datetime | None = None
    first_response_by: str | None = None
    last_public_reply_at: datetime | None = None
    last_customer_at: datetime | None = None
    last_update_at: datetime | None = None
    workaround_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    chain_stopped_at: datetime | None = None

    breached_first_response_at: datetime | None = None
    breached_workaround_at: datetime | None = None
    breached_resolution_at: datetime | None = None
    sla_first_response: ClockOutcome | None = None
    sla_workaround: ClockOutcome | None = None
    sla_resolution: ClockOutcome | None = None

    public_note: str = ""
    public_note_at: datetime | None = None
    root_cause: str = ""
    prevention: str = ""
    fix: str = ""  # the resolution record: what fixed it (#fix), how it was checked (#verified), #lessons
    verified: str = ""
    lessons: str = ""
    eta: str = ""  # the estimated time to resolution staff gave (#eta), as they wrote it
    eta_at: datetime | None = None  # the same, as an instant, when it was given as a duration or time
    next_steps: str = ""  # what the team will do next (#next), told in customer updates
    quiet_updates: int = 0  # customer updates in a row that had no news to tell
    nudged_at: datetime | None = None  # the owner's last "update due, nothing new" reminder
    doc_score: int | None = None  # staff rating of the ticket's documentation, 1-10 (#docscore)
    kb_articles: list[KbArticle] = Field(default_factory=list)
    progress: list[str] = Field(default_factory=list)
    recent: list[str] = Field(default_factory=list)

    verdicts: Verdicts = Field(default_factory=Verdicts)
    root_message_id: str | None = None
    thread_references: list[str] = Field(default_factory=list)
    last_customer_message_id: str | None = None
    last_outbound_message_id: str | None = None

    customer_replies: int = 0
    public_replies: int = 0
    updates_sent: int = 0
    reopens: int = 0
    escalations: int = 0
    escalations_done: set[str] = Field(default_factory=set)
    escalation_level: str | None = None  # the highest level briefed so far; briefings never step down
    last_escalated_at: datetime | None = None
    briefed_at: dict[str, datetime] = Field(default_factory=dict)  # per level, the last briefing
    executive_acks: dict[str, datetime] = Field(default_factory=dict)  # per level, a one-tap acknowledgment
    impact: dict[str, Any] = Field(default_factory=dict)  # figures from the customer's words (money, people)
    needs: list[str] = Field(default_factory=list)  # resources staff asked for (`#need`)
    c_level_involved: bool = False
    last_status_change_at: datetime | None = None
    health_watch: HealthWatch | None = None

    csat: int | None = None
    csat_at: datetime | None = None
    nps: int | None = None
    nps_at: datetime | None = None
    survey_sent_at: datetime | None = None
    survey_expires_at: datetime | None = None
    survey_comment_at: datetime | None = None
    survey_comments: int = 0
    response_time_rating: int | None = None  # the survey page's dimensions, 1-5
    communication_rating: int | None = None
    resolution_quality_rating: int | None = None
    effort_rating: int | None = None  # customer effort: 1 very hard .. 10 very easy
    rated_at: datetime | None = None
    survey_low_round: str | None = None  # the survey whose first low rating reopened and escalated
    feedback_mailed_at: datetime | None = None  # the owner's last survey-feedback mail (one a day)
    feedback_next_at: datetime | None = None  # when the held-back feedback mail goes out
    followups_scheduled: int = 0
    followups_done: int = 0
    followups_skipped: int = 0

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def clock_done(self, clock: str) -> datetime | None:
        """When a clock stopped: the first response, the workaround or the resolution."""
        return {"first_response": self.first_response_at, "workaround": self.workaround_at,
                "resolution": self.resolved_at}[clock]

    def due(self, clock: str) -> datetime | None:
        return {"first_response": self.first_response_due, "workaround": self.workaround_due,
                "resolution": self.resolution_due}[clock]

    def breached_at(self, clock: str) -> datetime | None:
        return {"first_response": self.breached_first_response_at, "workaround": self.breached_workaround_at,
                "resolution": self.breached_resolution_at}[clock]

    def sla(self, clock: str) -> ClockOutcome | None:
        return {"first_response": self.sla_first_response, "workaround": self.sla_workaround,
                "resolution": self.sla_resolution}[clock]

    def rating(self, question: str) -> int | None:
        field = RATING_FIELDS.get(question)
        return getattr(self, field) if field else None

    def with_changes(self, fields: dict[str, Any]) -> Ticket:
        """A copy with fields replaced (validated), for decisions made after a change is planned."""
        return Ticket.model_validate({**self.model_dump(), **fields})


TICKET_FIELDS = frozenset(Ticket.model_fields)


class Attachment(BaseModel):
    """An attachment kept in S3; the entry holds only its key."""

    model_config = ConfigDict(frozen=True)

    name: str
    content_type: str
    size: int = 0
    key: str


class Entry(BaseModel):
    """One line of a ticket's log: a message in or out, a change, an escalation, a rating.

    Common fields are declared; what only some kinds carry (a rating's score, an escalation's
    level) is declared too, so readers never dig in dictionaries. `key` makes the id unique
    among entries written in the same second.
    """

    model_config = ConfigDict(extra="ignore")

    ticket: int
    at: datetime
    kind: str
    key: str = ""
    actor: str = "system"
    visibility: Visibility = "internal"
    direction: Literal["inbound", "outbound"] | None = None

    subject: str | None = None
    text: str | None = None
    text_truncated: bool = False
    text_key: str | None = None
    name: str | None = None
    to: list[str] = Field(default_factory=list)
    message_id: str | None = None
    our_message_id: str | None = None
    ses_message_id: str | None = None
    raw_key: str | None = None
    html_only: bool = False
    attachments: list[Attachment] = Field(default_factory=list)
    verdicts: Verdicts | None = None
    identity: dict[str, Any] | None = None
    defects: list[str] = Field(default_factory=list)
    classification: dict[str, Any] | None = None

    commands: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    reason: str | None = None
    previous_status: str | None = None
    from_value: str | None = None
    to_value: str | None = None
    value: Any = None
    tag: str | None = None
    status: str | None = None

    severity: str | None = None
    clock: str | None = None
    percent: int | None = None
    due_at: datetime | None = None
    seq: int | None = None
    level: str | None = None
    levels: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    trigger: str | None = None
    triggers: list[str] = Field(default_factory=list)
    sns_message_id: str | None = None
    body: str | None = None
    revenue_at_risk: float | None = None  # an escalation's stakes, as its briefing states them
    phone: str | None = None
    what: str | None = None
    failure: str | None = None
    incident: str | None = None

    question: str | None = None
    score: int | None = None
    scale: str | None = None
    previous: int | None = None
    low: bool = False
    reopened: bool = False
    survey: str | None = None
    chars: int | None = None
    template: str | None = None  # the template an outbound message was rendered from

    @property
    def id(self) -> str:
        """Unique within the ticket and ordered by time: how other records refer to this entry."""
        return f"{iso(self.at)}#{self.kind}#{self.key}"


class TicketPatch(BaseModel):
    """Changes to a ticket: fields to set (None removes), counters and sets to add to, log lines.

    Field names are checked against `Ticket`, so a typo fails where it is written, not in a report
    a month later.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sets: dict[str, Any] = Field(default_factory=dict)
    adds: dict[str, Any] = Field(default_factory=dict)
    progress: list[str] = Field(default_factory=list)
    recent: list[str] = Field(default_factory=list)

    def model_post_init(self, __context: Any) -> None:
        unknown = (set(self.sets) | set(self.adds)) - TICKET_FIELDS
        if unknown:
            raise ValueError(f"not ticket fields: {sorted(unknown)}")

    def merge(self, other: TicketPatch) -> TicketPatch:
        adds = dict(self.adds)
        for name, value in other.adds.items():
            adds[name] = adds.get(name, set()) | value if isinstance(value, set) else adds.get(name, 0) + value
        return TicketPatch(sets={**self.sets, **other.sets}, adds=adds, progress=[*self.progress, *other.progress],
                           recent=[*self.recent, *other.recent])

    def __bool__(self) -> bool:
        return bool(self.sets or self.adds or self.progress or self.recent)
