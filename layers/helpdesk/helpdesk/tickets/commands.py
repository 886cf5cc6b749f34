"""The one registry of staff commands: syntax, help, validation and the change each one makes.

Notifications list the commands from here, replies are parsed and validated against it, and
confirmations quote it, so a new command is one entry in `COMMANDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpdesk.policy.durations import parse_duration
from helpdesk.tickets import changes
from helpdesk.tickets.changes import Change
from helpdesk.tickets.records import STATUSES, KbArticle

if TYPE_CHECKING:
    from datetime import datetime

    from helpdesk.policy.models import Policy
    from helpdesk.tickets.changes import Builder
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps

_COMMAND = re.compile(r"^#([a-z_]+)\b\s*(.*)$", re.IGNORECASE)
TYPES = {"bug": "bug", "feature": "feature_request", "training": "training_or_question",
         "question": "training_or_question", "configuration": "configuration", "integration": "integration",
         "billing": "billing"}


@dataclass(frozen=True)
class Rules:
    """What validation needs to know: the ticket's policy and the staff domains."""

    policy: Policy
    staff_domains: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    name: str
    usage: str
    help: str
    check: Callable[[str, Rules], str | None]
    build: Callable[[TicketOps, str, str], Builder | None]  # (ops, argument, actor); None: handled elsewhere


def _needs_text(name: str) -> Callable[[str, Rules], str | None]:
    return lambda arg, rules: None if arg else f"#{name} needs text after it"


def _no_argument(name: str) -> Callable[[str, Rules], str | None]:
    return lambda arg, rules: f"#{name} takes no argument (write the note below the commands)" if arg else None


def _check_status(arg: str, rules: Rules) -> str | None:
    ok = arg.lower() in STATUSES[1:]
    return None if ok else f"unknown status {arg!r}; use one of {', '.join(STATUSES[1:])}"


def _check_priority(arg: str, rules: Rules) -> str | None:
    try:
        rules.policy.resolve_severity(arg)
    except KeyError:
        return f"unknown priority {arg!r}; use one of {', '.join(rules.policy.severities)} or their names"
    return None


def _check_assign(arg: str, rules: Rules) -> str | None:
    domain = arg.rpartition("@")[2].lower()
    if "@" not in arg or domain not in rules.staff_domains:
        return f"#assign needs an address at a staff domain ({', '.join(rules.staff_domains)})"
    return None


def _check_escalate(arg: str, rules: Rules) -> str | None:
    level = arg.split(" ", 1)[0] if arg else ""
    return None if level in rules.policy.levels else \
        f"#escalate needs a level ({', '.join(rules.policy.levels)}) and a reason"


def _check_type(arg: str, rules: Rules) -> str | None:
    return None if arg.lower() in TYPES else \
        f"unknown type {arg!r}; use one of bug, feature, training, configuration, integration, billing"


def _check_docscore(arg: str, rules: Rules) -> str | None:
    return None if arg.isdigit() and 1 <= int(arg) <= 10 else "#docscore needs a whole number from 1 to 10"


INCIDENT_ACTIONS = ("new", "link", "unlink", "update", "resolve")


def _check_incident(arg: str, rules: Rules) -> str | None:
    action, _, rest = arg.partition(" ")
    action, rest = action.lower(), rest.strip()
    if action not in INCIDENT_ACTIONS:
        return "#incident needs one of: new <title>, link INC-12, unlink, update <text>, resolve"
    if action in ("new", "update") and not rest:
        return f"#incident {action} needs text after it"
    if action == "link" and not re.fullmatch(r"(?i)(inc-?)?\d+", rest):
        return "#incident link needs an incident number, e.g. INC-12"
    return None


KB_REF_MAX = 300
ETA_MAX = 200


def _check_eta(arg: str, rules: Rules) -> str | None:
    if not arg:
        return "#eta needs a duration (4h, 2d) or a time in words"
    return None if len(arg) <= ETA_MAX else f"#eta takes at most {ETA_MAX} characters"


def set_eta(arg: str, actor: str) -> Builder:
    """A duration (`4h`) becomes an instant from now; anything else is kept as the words staff wrote."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        try:
            at: datetime | None = now + parse_duration(arg)
        except ValueError:
            at = None
        return Change({"eta": arg, "eta_at": at}, {"kind": "eta_set", "actor": actor, "value": arg})

    return change


def _check_kb(arg: str, rules: Rules) -> str | None:
    if not arg:
        return "#kb needs the article's address or title"
    return None if len(arg) <= KB_REF_MAX else f"#kb takes at most {KB_REF_MAX} characters"


def record_kb_article(ref: str, actor: str) -> Builder:
    """An article written or updated for this ticket; naming the same article twice keeps one."""
    def change(ctx: TicketContext, now: datetime) -> Change:
        known = {a.ref.lower() for a in ctx.ticket.kb_articles}
        articles = ctx.ticket.kb_articles if ref.lower() in known else \
            [*ctx.ticket.kb_articles, KbArticle(ref=ref, at=now, by=actor)]
        return Change({"kb_articles": articles}, {"kind": "kb_article", "actor": actor, "value": ref})

    return change


COMMANDS: dict[str, Spec] = {spec.name: spec for spec in [
    Spec("ack", "#ack", "take ownership; stops the escalation chain", _no_argument("ack"),
         lambda ops, arg, actor: changes.acknowledge(actor)),
    Spec("status", "#status investigating|pending|workaround|resolved|closed", "pending pauses the SLA clocks",
         _check_status, lambda ops, arg, actor: ops.status_change(arg, actor)),
    Spec("priority", "#priority P1", "change severity (any alias works); clocks are re-planned", _check_priority,
         lambda ops, arg, actor: changes.change_severity(arg, actor)),
    Spec("assign", "#assign person@yourcompany.com", "hand the ticket to someone else", _check_assign,
         lambda ops, arg, actor: changes.set_field("owner", arg.lower(), actor, f"Assigned to {arg.lower()}")),
    Spec("note", "#note", "the whole reply is an internal note, never sent to the customer", _no_argument("note"),
         lambda ops, arg, actor: None),
    Spec("update", "#update <text>", "the status line customers see in their regular updates", _needs_text("update"),
         lambda ops, arg, actor: changes.note(arg, actor, public=True)),
    Spec("escalate", "#escalate L2 <reason>", "escalate by hand", _check_escalate, lambda ops, arg, actor: None),
    Spec("need", "#need <what>", "a resource the escalation briefings should ask for", _needs_text("need"),
         lambda ops, arg, actor: changes.add_need(arg, actor)),
    Spec("rootcause", "#rootcause <text>", "recorded for the resolution summary", _needs_text("rootcause"),
         lambda ops, arg, actor: changes.set_field("root_cause", arg, actor)),
    Spec("prevention", "#prevention <text>", "recorded for the resolution summary", _needs_text("prevention"),
         lambda ops, arg, actor: changes.set_field("prevention", arg, actor)),
    Spec("fix", "#fix <text>", "what fixed it, for the resolution record", _needs_text("fix"),
         lambda ops, arg, actor: changes.set_field("fix", arg, actor)),
    Spec("verified", "#verified <text>", "how the fix was checked, for the resolution record",
         _needs_text("verified"), lambda ops, arg, actor: changes.set_field("verified", arg, actor)),
    Spec("eta", "#eta 4h | #eta <when>", "estimated time to resolution, told in customer updates", _check_eta,
         lambda ops, arg, actor: set_eta(arg, actor)),
    Spec("next", "#next <text>", "the next steps customers read in their updates", _needs_text("next"),
         lambda ops, arg, actor: changes.set_field("next_steps", arg, actor)),
    Spec("lessons", "#lessons <text>", "lessons learned, for the resolution record", _needs_text("lessons"),
         lambda ops, arg, actor: changes.set_field("lessons", arg, actor)),
    Spec("docscore", "#docscore 1-10", "rate how well this ticket is documented", _check_docscore,
         lambda ops, arg, actor: changes.set_field("doc_score", int(arg), actor)),
    Spec("kb", "#kb <url or title>", "a knowledge-base article written or updated for this ticket", _check_kb,
         lambda ops, arg, actor: record_kb_article(arg, actor)),
    Spec("incident", "#incident new <title> | link INC-12 | unlink | update <text> | resolve",
         "one problem, many customers: link this ticket, or speak to every linked customer at once "
         "(resolve uses this reply's #rootcause, #fix and #prevention)", _check_incident,
         lambda ops, arg, actor: None),
    Spec("tag", "#tag <name>", "label the ticket", _needs_text("tag"),
         lambda ops, arg, actor: changes.add_tag(arg.lower(), actor)),
    Spec("type", "#type bug|feature|training|configuration|integration|billing", "correct the issue type",
         _check_type, lambda ops, arg, actor: changes.set_field("issue_type", TYPES[arg.lower()], actor)),
]}


def command_help() -> list[tuple[str, str]]:
    """(usage, what it does) for every command, in the order staff see them."""
    return [(spec.usage, spec.help) for spec in COMMANDS.values()]


@dataclass
class Command:
    name: str
    argument: str
    line: str


@dataclass
class ParsedReply:
    commands: list[Command] = field(default_factory=list)
    body: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def internal(self) -> bool:
        return any(c.name == "note" for c in self.commands)

    def incident_actions(self) -> list[tuple[str, str]]:
        """(action, argument) of each `#incident` line, in order."""
        found = []
        for command in self.commands:
            if command.name == "incident":
                action, _, rest = command.argument.partition(" ")
                found.append((action.lower(), rest.strip()))
        return found

    def escalations(self) -> list[tuple[str, str]]:
        found = []
        for command in self.commands:
            if command.name == "escalate":
                level, _, reason = command.argument.partition(" ")
                found.append((level, reason.strip() or "escalated by hand"))
        return found


def parse_reply(text: str) -> ParsedReply:
    """Commands are the leading lines that start with `#`; the first other line starts the body."""
    parsed = ParsedReply()
    lines = (text or "").replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines):
        line = lines[index].strip()
        match = _COMMAND.match(line)
        if not match:
            break
        parsed.commands.append(Command(match.group(1).lower(), match.group(2).strip(), line))
        index += 1
    parsed.body = "\n".join(lines[index:]).strip()
    return parsed


def validate(parsed: ParsedReply, policy: Policy, staff_domains: tuple[str, ...]) -> None:
    rules = Rules(policy, staff_domains)
    for command in parsed.commands:
        spec = COMMANDS.get(command.name)
        problem = spec.check(command.argument, rules) if spec else f"unknown command #{command.name}"
        if problem:
            parsed.errors.append(f"`{command.line}`: {problem}")


def builders(parsed: ParsedReply, ops: TicketOps, actor: str) -> list[Builder]:
    """The changes a validated reply's commands make, in the order they were written."""
    found = (COMMANDS[c.name].build(ops, c.argument, actor) for c in parsed.commands)
    return [b for b in found if b is not None]
