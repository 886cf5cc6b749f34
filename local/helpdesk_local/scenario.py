"""`helpdesk scenario run FILE.yaml`: a scripted ticket lifecycle on embedded AWS with a virtual clock.

A scenario names a policy, a start instant, optional accounts and a list of steps:
  {at: '+20m', email: {from, to, subject, body, headers?, message_id?, recipients?}}  or  {at: ..., eml: PATH}
  {at: ..., staff_reply: {ticket, body, sender?, name?, authenticated?: true}}   (`from` is accepted for `sender`)
  {at: ..., ack: {ticket, by?}} | {at: ..., status: {ticket, status, by?}} | {at: ..., note: {ticket, text, public?}}
  {at: ..., priority: {ticket, severity, by?}} | {at: ..., rate: {ticket, score, comment?, kind?}}
  {advance_to: '+2d'}
  {at: ..., incident_update: {incident: INC-1 | first, text, by?}}
  {at: ..., incident_resolve: {incident, root_cause?, fix?, prevention?, by?}}
`expect:` (optional) states what the run must show: acknowledged_within, updated_within, no_duplicate_sends,
max_escalations, max_executive_escalations, incidents: {count, min_tickets}; `helpdesk scenario run` checks it.
`ticket` is a number, or a reference to a ticket the scenario created: `first`, `last`, or `#2` (the second one).
Between steps the clock moves minute by minute and the real sweeper runs as EventBridge would.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from helpdesk.policy.durations import parse_duration
from helpdesk_local.cfn import ROOT
from helpdesk_local.expectations import Expectations
from helpdesk_local.policy_cli import import_accounts
from helpdesk_local.progress import Progress
from helpdesk_local.runtime import LocalRuntime, TimelineEvent

ACTIONS = ("email", "eml", "staff_reply", "ack", "status", "note", "priority", "rate", "incident_update",
           "incident_resolve", "advance_to")


class ScenarioError(ValueError):
    pass


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str | datetime | None = None
    email: dict[str, Any] | None = None
    eml: str | None = None
    staff_reply: dict[str, Any] | None = None
    ack: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    note: dict[str, Any] | None = None
    priority: dict[str, Any] | None = None
    rate: dict[str, Any] | None = None
    incident_update: dict[str, Any] | None = None
    incident_resolve: dict[str, Any] | None = None
    advance_to: str | datetime | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"each step needs exactly one of {', '.join(ACTIONS)}; got {given or 'none'}")
        if self.advance_to is None and self.at is None:
            raise ValueError("a step needs `at` (e.g. '+20m' or an ISO-8601 time)")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    policy: str = "p0-p3"
    start: datetime
    accounts: str | list[dict[str, Any]] | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    steps: list[Step]
    expect: Expectations | None = None

    @model_validator(mode="after")
    def _aware(self) -> Scenario:
        if self.start.tzinfo is None:
            raise ValueError("start needs a timezone, e.g. 2026-11-27T18:55:00-08:00")
        return self


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Scenario.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def instant(text: str | datetime, start: datetime) -> datetime:
    if isinstance(text, datetime):  # YAML reads an unquoted ISO time as a timestamp
        if text.tzinfo is None:
            raise ScenarioError(f"{text.isoformat()}: absolute times need a timezone")
        return text
    text = str(text).strip()
    if text.startswith("+"):
        return start + parse_duration(text[1:])
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ScenarioError(f"{text!r}: absolute times need a timezone")
    return value


@dataclass
class Run:
    scenario: Scenario
    base: Path
    runtime: LocalRuntime
    emit: Callable[[TimelineEvent], None]
    emitted: int = 0
    message_seq: int = field(default=0)

    def ticket(self, reference: Any) -> int:
        """A ticket number from a step: a literal number, or `first`, `last`, `#n` among those created."""
        text = str(reference).strip().lower()
        if text.isdigit():
            return int(text)
        created = [e.ticket for e in self.runtime.timeline if e.kind == "ticket_created" and e.ticket]
        index = _reference_index(text)
        if index is None or not -len(created) <= index < len(created):
            raise ScenarioError(f"ticket {reference!r}: use a number, first, last or #n "
                                f"({len(created)} tickets created so far)")
        return int(created[index])  # type: ignore[arg-type]

    def flush(self) -> None:
        for event in self.runtime.timeline[self.emitted:]:
            self.emit(event)
        self.emitted = len(self.runtime.timeline)


def _reference_index(text: str) -> int | None:
    if text in ("first", "last"):
        return 0 if text == "first" else -1
    if text.startswith("#") and text[1:].isdigit() and int(text[1:]) >= 1:
        return int(text[1:]) - 1
    return None


def _email_bytes(spec: dict[str, Any], seq: int, when: datetime) -> bytes:
    message = EmailMessage(policy=email_policy.SMTP)
    message["From"] = spec.get("from", "customer@customer.example")
    message["To"] = spec.get("to", "support@help.example.com")
    message["Subject"] = spec.get("subject", "")
    message["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S %z")
    message["Message-ID"] = spec.get("message_id") or f"<scenario-{seq}@customer.example>"
    for name, value in (spec.get("headers") or {}).items():
        message[name] = value
    message.set_content(spec.get("body", ""))
    return message.as_bytes()


def _actor(spec: dict[str, Any]) -> str:
    return str(spec.get("by") or "operator:scenario")


def perform(run: Run, step: Step) -> None:
    with contextlib.redirect_stdout(run.runtime.log_stream):  # metrics records belong in the log
        _perform(run, step)


def _mail(run: Run, step: Step) -> None:
    run.message_seq += 1
    if step.action == "email":
        spec = step.email or {}
        run.runtime.deliver(_email_bytes(spec, run.message_seq, run.runtime.now()), recipients=spec.get("recipients"))
    else:
        run.runtime.deliver((run.base / str(step.eml)).read_bytes())


def _staff_reply(run: Run, step: Step) -> None:
    spec = dict(step.staff_reply or {})
    if "from" in spec:
        spec["sender"] = spec.pop("from")
    spec["ticket"] = run.ticket(spec["ticket"])
    run.runtime.staff_reply(**spec)


def _rate(run: Run, step: Step) -> None:
    """Follows the real signed link from the survey email through the survey handler."""
    from helpdesk_local.survey_server import rate

    rating = step.rate or {}
    rate(run.runtime, run.ticket(rating["ticket"]), int(rating["score"]), rating.get("comment"),
         rating.get("kind", "csat"))


OPERATOR_ACTIONS: dict[str, Callable[[Any, int, dict[str, Any]], Any]] = {
    "ack": lambda ops, n, spec: ops.acknowledge(n, _actor(spec)),
    "status": lambda ops, n, spec: ops.set_status(n, str(spec["status"]), _actor(spec)),
    "note": lambda ops, n, spec: ops.add_note(n, str(spec["text"]), _actor(spec), public=bool(spec.get("public"))),
    "priority": lambda ops, n, spec: ops.change_severity(n, str(spec["severity"]), _actor(spec)),
}


def _operator(run: Run, step: Step) -> None:
    from helpdesk_local.ops_cli import ops_for
    from helpdesk_local.target import Target

    runtime = run.runtime
    env = runtime.aws.functions["InboundEmailFunction"].environment
    ops = ops_for(Target("embedded AWS", runtime.store(), env, runtime.clock, runtime))
    spec: dict[str, Any] = getattr(step, step.action)
    number = run.ticket(spec["ticket"])
    OPERATOR_ACTIONS[step.action](ops, number, spec)
    runtime.collect({number})


def _incident(run: Run, step: Step) -> None:
    """An incident update or resolution, as `helpdesk incident update|resolve` would make it."""
    from helpdesk.app import factory
    from helpdesk.incidents.model import incident_number

    runtime = run.runtime
    env = runtime.aws.functions["InboundEmailFunction"].environment
    desk = factory.operator(env, runtime.clock).incidents
    spec: dict[str, Any] = getattr(step, step.action)
    ref = str(spec.get("incident", "first"))
    number = incident_number(ref) if ref != "first" else min(i.number for i in runtime.store().incidents.recent())
    if number is None:
        raise ScenarioError(f"incident {ref!r}: use INC-n or first")
    if step.action == "incident_update":
        incident = desk.post_update(number, str(spec["text"]), _actor(spec))
    else:
        incident = desk.resolve(number, _actor(spec), str(spec.get("root_cause", "")), str(spec.get("fix", "")),
                                str(spec.get("prevention", "")))
    runtime.collect(set(incident.tickets))


STEP_ACTIONS: dict[str, Callable[[Run, Step], None]] = {
    "email": _mail, "eml": _mail, "staff_reply": _staff_reply, "rate": _rate,
    "incident_update": _incident, "incident_resolve": _incident,
    **dict.fromkeys(OPERATOR_ACTIONS, _operator),
}


def _perform(run: Run, step: Step) -> None:
    STEP_ACTIONS[step.action](run, step)


def run_scenario(path: Path, emit: Callable[[TimelineEvent], None], *, every_minute: bool = False) -> LocalRuntime:
    scenario = load_scenario(path)
    parameters = {"PolicyName": scenario.policy, **scenario.parameters}
    runtime = LocalRuntime(start=scenario.start, parameters=parameters)
    with runtime:
        run = Run(scenario, path.parent, runtime, emit)
        if scenario.accounts:
            accounts = scenario.accounts
            if isinstance(accounts, list):
                accounts_file = Path(tempfile.mkdtemp(prefix="helpdesk-scenario-")) / "accounts.yaml"
                accounts_file.write_text(yaml.safe_dump({"accounts": accounts}))
            else:
                accounts_file = (path.parent / accounts) if not Path(accounts).is_absolute() else Path(accounts)
                if not accounts_file.exists():
                    accounts_file = ROOT / accounts
            import_accounts(runtime.store(), accounts_file)
        progress = Progress(f"scenario {path.name}: steps", len(scenario.steps))
        for step in scenario.steps:
            progress.step(step.action)
            target = instant(step.advance_to or step.at or "+0m", scenario.start)
            if target < runtime.now():
                raise ScenarioError(f"step {step.action} at {target.isoformat()} is earlier than the clock")
            runtime.run_until(target, every_minute=every_minute)
            run.flush()
            if step.action != "advance_to":
                perform(run, step)
                run.flush()
    return runtime
