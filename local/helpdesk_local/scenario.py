"""`helpdesk scenario run FILE.yaml`: a scripted ticket lifecycle on embedded AWS with a virtual clock.

A scenario names a policy, a start instant, optional accounts and a list of steps:
  {at: '+20m', email: {from, to, subject, body}}     or  {at: ..., eml: PATH}
  {at: ..., staff_reply: {ticket, from, body, authenticated: true}}
  {at: ..., ack: {ticket, by}} | {at: ..., status: {ticket, status, by}} | {at: ..., note: {ticket, text, public}}
  {at: ..., priority: {ticket, severity, by}} | {at: ..., rate: {ticket, score, comment?, kind?}}
  {advance_to: '+2d'}
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
from helpdesk_local.policy_cli import import_accounts
from helpdesk_local.runtime import LocalRuntime, TimelineEvent

ACTIONS = ("email", "eml", "staff_reply", "ack", "status", "note", "priority", "rate", "advance_to")


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

    def flush(self) -> None:
        for event in self.runtime.timeline[self.emitted:]:
            self.emit(event)
        self.emitted = len(self.runtime.timeline)


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


def _perform(run: Run, step: Step) -> None:
    runtime, action = run.runtime, step.action
    if action in ("email", "eml"):
        run.message_seq += 1
        raw = (_email_bytes(step.email or {}, run.message_seq, runtime.now()) if action == "email"
               else (run.base / str(step.eml)).read_bytes())
        recipients = (step.email or {}).get("recipients") if action == "email" else None
        runtime.deliver(raw, recipients=recipients)
        return
    if action == "staff_reply":
        runtime.staff_reply(**(step.staff_reply or {}))
        return
    if action == "rate":  # follows the real signed link from the survey email through the survey handler
        from helpdesk_local.survey_server import rate

        rating = step.rate or {}
        rate(runtime, int(rating["ticket"]), int(rating["score"]), rating.get("comment"), rating.get("kind", "csat"))
        return
    from helpdesk_local.ops_cli import ops_for
    from helpdesk_local.target import Target

    env = runtime.aws.functions["InboundEmailFunction"].environment
    ops = ops_for(Target("embedded AWS", runtime.store(), env,
                         runtime.clock, runtime))
    spec: dict[str, Any] = getattr(step, action)
    number = int(spec["ticket"])
    if action == "ack":
        ops.acknowledge(number, _actor(spec))
    elif action == "status":
        before = runtime.ticket(number) or {}
        ops.set_status(number, str(spec["status"]), _actor(spec))
        runtime.timeline.append(TimelineEvent(runtime.now(), "status_changed", number, details={
            "from": before.get("status"), "status": spec["status"], "by": _actor(spec)}))
    elif action == "note":
        ops.add_note(number, str(spec["text"]), _actor(spec), public=bool(spec.get("public")))
    elif action == "priority":
        ops.change_severity(number, str(spec["severity"]), _actor(spec))
        runtime.timeline.append(TimelineEvent(runtime.now(), "severity_changed", number,
                                              details={"severity": spec["severity"]}))
    runtime.collect_emails()
    runtime.collect_notifications()


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
        for step in scenario.steps:
            target = instant(step.advance_to or step.at or "+0m", scenario.start)
            if target < runtime.now():
                raise ScenarioError(f"step {step.action} at {target.isoformat()} is earlier than the clock")
            runtime.run_until(target, every_minute=every_minute)
            run.flush()
            if step.action != "advance_to":
                perform(run, step)
                run.flush()
    return runtime
