"""After "resolved": the summary, the sponsor's note, follow-ups, the survey and the reviews.

Everything is due work created in the same transaction as the status change, so nothing depends
on anyone remembering: follow-ups are skipped if the ticket was reopened, reviews go to the team
for the severities that require a post-mortem, and the account enters its health window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from helpdesk.core.clock import Clock, iso, local_text
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.review import review_context
from helpdesk.messages.schedule import aftercare, formal_review_due, weekday_before
from helpdesk.messages.subjects import base_subject
from helpdesk.messages.wording import plain_duration, signature, strip_greeting_and_signoff, style_for, zone_label
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.adapters.aws.table import Write
    from helpdesk.tickets.context import TicketContext

KINDS = ("resolution_summary", "sponsor_note", "followup", "review")


class ResolutionPlanner:
    """The due work a resolution creates, and the account's health window."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, ctx: TicketContext, now: datetime) -> tuple[list[DueItem], list[Write], dict[str, Any]]:
        policy, number, stamp = ctx.policy, ctx.number, iso(now)
        severity = policy.severities[ctx.severity]
        base = {"resolved_at": stamp}

        def item(suffix: str, kind: str, at: datetime, **payload: Any) -> DueItem:
            return DueItem.new(number, f"resolved#{stamp}#{suffix}", kind, at, {**base, **payload})

        items = [item("summary", "resolution_summary", now)]
        if ctx.severity in policy.resolution.sponsor_note_for and "strategic" in ctx.account.flags \
                and ctx.account.executive_sponsor:
            items.append(item("sponsor", "sponsor_note", now))
        items += [item(suffix, kind, at, **payload) for suffix, kind, at, payload in aftercare(ctx, now)]
        if severity.postmortem:
            items.append(item("review#debrief", "review", now, stage="debrief"))
            formal_at = weekday_before(formal_review_due(policy, ctx, now), ZoneInfo(timezone_of(policy, ctx.severity)))
            items.append(item("review#formal", "review", formal_at, stage="formal"))
        writes: list[Write] = []
        if severity.health_window and not ctx.account.is_default:
            writes.append(self.store.accounts.health_window(ctx.account.domain, now + severity.health_window,
                                                            number, ctx.severity))
        return items, writes, {"followups_scheduled": len(severity.follow_ups)}


class AfterResolution:
    """Performs `resolution_summary`, `sponsor_note`, `followup` and `review` items."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        resolved = ctx.ticket.resolved_at
        if not ctx.closed or resolved is None or iso(resolved) != item.payload.get("resolved_at"):
            # Reopened (or resolved again later): these belong to a resolution that no longer stands.
            writes = []
            if item.kind == "followup":
                writes.append(self.outbox.store.tickets.change(ctx.number, TicketPatch(adds={"followups_skipped": 1})))
            return Skip("reopened", writes)
        entries = self.outbox.store.tickets.entries(ctx.number)
        mail, visibility, writes = self._build(item, ctx, entries)
        sent = self.outbox.send(ctx.number, item.kind, mail, self.clock.now(), visibility=visibility)
        return Done([*sent.writes, *writes], "sent", {"sent_message_id": sent.ses_message_id})

    def _build(self, item: DueItem, ctx: TicketContext, entries: list[Entry]) -> tuple[OutboundMail, str, list[Write]]:
        if item.kind == "review":
            context = {**self._context(ctx), **review_context(ctx, entries, item.payload["stage"])}
            mail = self.factory.to_staff(ctx.number, self.factory.sender.team_queue, "review_reminder", context,
                                         ctx.policy)
            return mail, "internal", []
        if item.kind == "followup":
            context = {**self._context(ctx), "index": item.payload["index"],
                       "after": plain_duration(timedelta(seconds=int(item.payload["after"])))}
            done = self.outbox.store.tickets.change(ctx.number, TicketPatch(adds={"followups_done": 1}))
            return self.factory.to_customer(ctx.ticket, "followup", context, ctx.policy), "public", [done]
        if item.kind == "sponsor_note":
            sponsor = ctx.account.executive_sponsor.split(",")[0]
            context = {**self._summary(ctx, entries), "sponsor_name": sponsor.strip(),
                       "sponsor_title": ctx.account.executive_sponsor.partition(",")[2].strip()}
            mail = self.factory.to_customer(ctx.ticket, "sponsor_note", context, ctx.policy,
                                            sender_name=f"{sponsor} ({self.factory.sender.team_name})")
            return mail, "public", []
        return self.factory.to_customer(ctx.ticket, "resolution_summary", self._summary(ctx, entries),
                                        ctx.policy), "public", []

    def _context(self, ctx: TicketContext) -> dict[str, Any]:
        zone = ZoneInfo(timezone_of(ctx.policy, ctx.severity))
        created, resolved = ctx.ticket.created_at, ctx.ticket.resolved_at or self.clock.now()
        team = self.factory.sender.team_name
        return {
            "style": style_for(ctx.policy, ctx.severity),
            "ticket": {"number": ctx.number, "subject": base_subject(ctx.ticket.subject), "severity": ctx.severity,
                       "severity_name": ctx.policy.severities[ctx.severity].name},
            "customer_name": ctx.ticket.requester_name or "there",
            "team_name": team,
            "zone_label": zone_label(zone, resolved),
            "reported": local_text(created, zone, "long"),
            "resolved": local_text(resolved, zone, "long"),
            "duration": plain_duration(resolved - created),
            "root_cause": ctx.ticket.root_cause,
            "prevention": ctx.ticket.prevention,
            "incident": {"id": ctx.ticket.incident, "title": ctx.ticket.incident_title}
            if ctx.ticket.incident else None,
            "account": {"name": ctx.account.name, "sponsor": ctx.account.executive_sponsor,
                        "csm": ctx.account.csm_name, "csm_email": ctx.account.csm_email,
                        "csm_phone": ctx.account.csm_phone},
            "signature": signature(ctx.ticket, ctx.account, team),
        }

    def _summary(self, ctx: TicketContext, entries: list[Entry]) -> dict[str, Any]:
        policy = ctx.policy
        severity = policy.severities[ctx.severity]
        resolved = ctx.ticket.resolved_at or self.clock.now()
        zone = ZoneInfo(timezone_of(policy, ctx.severity))
        planned = aftercare(ctx, resolved)
        survey_at = next((at for _, kind, at, _ in planned if kind == "survey"), None)
        return {
            **self._context(ctx),
            "fix": customer_fix(ctx.ticket.fix, entries),
            "verified": ctx.ticket.verified,
            "survey_at": local_text(survey_at, zone, "day") if survey_at else None,
            "followups": [local_text(at, zone, "day") for _, kind, at, _ in planned if kind == "followup"],
            "aftercare": [{"day": local_text(at, zone, "day"), "kind": kind}
                          for _, kind, at, _ in sorted(planned, key=lambda entry: entry[2])],
            "monitoring": plain_duration(severity.health_window) if severity.health_window else None,
        }


def customer_fix(recorded: str, entries: list[Entry]) -> str:
    """`#fix` text when staff gave it; else the resolving public reply without greeting or sign-off."""
    if recorded.strip():
        return recorded.strip()
    replies = [e for e in entries if e.kind == "staff_reply" and e.visibility == "public" and e.text]
    return strip_greeting_and_signoff(replies[-1].text or "") if replies else ""


def health_watch(account: Any, now: datetime) -> dict[str, Any] | None:
    """Whether the account is inside the monitoring window that follows a serious incident."""
    if account.in_health_window(now):
        return {"until": account.health_until, "source_ticket": account.health_ticket}
    return None
