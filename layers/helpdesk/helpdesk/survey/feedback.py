"""The owner's mail about survey answers: at most one a day per ticket, nothing lost in between.

A rating that turns low, or a comment, is worth telling the owner. The first of them goes out at
once; anything that happens within a day of that mail waits for one held-back mail, due a day
after the last one, which gathers every answer and comment recorded since. A customer who clicks
back and forth therefore costs the owner one mail a day, not one per click.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso, parse_iso
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.staff_notification import owner_address
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, DueWork, Skip
from helpdesk.survey.questions import BY_KEY, QUESTIONS
from helpdesk.tickets.changes import Change
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.tickets.context import TicketContext

FEEDBACK_KIND = "survey_feedback"
MAIL_GAP = timedelta(days=1)
SURVEY_ACTOR = "customer:survey"


def is_low(ctx: TicketContext, kind: str, score: int | None) -> bool:
    """Below the policy's threshold; only the overall score and NPS have one."""
    if score is None or kind not in ("csat", "nps"):
        return False
    thresholds = ctx.policy.thresholds
    return score < (thresholds.csat_low_below if kind == "csat" else thresholds.nps_detractor_below)


class FeedbackNotifier:
    """Plans and performs `survey_feedback` items."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, due: DueWork, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.due = due
        self.clock = clock

    @staticmethod
    def item_id(key: str) -> str:
        return f"{FEEDBACK_KIND}#" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()

    def plan(self, ctx: TicketContext, now: datetime) -> tuple[Change, DueItem | None]:
        """The change that schedules the next mail, and the item to send now (None: held back or planned)."""
        ticket = ctx.ticket
        if ticket.feedback_next_at is not None:
            return Change(), None  # a held-back mail is planned; it will carry this too
        last = ticket.feedback_mailed_at
        since = {"since": iso(last)} if last else {}
        if last is None or now >= last + MAIL_GAP:
            item = self.due.leased(ctx.number, self.item_id(f"{ctx.number}#{iso(now)}"), FEEDBACK_KIND, since)
            return Change({"feedback_mailed_at": now}, items=[item]), item
        at = last + MAIL_GAP
        held = DueItem.new(ctx.number, self.item_id(f"{ctx.number}#{iso(at)}"), FEEDBACK_KIND, at,
                           {**since, "held": True})
        return Change({"feedback_next_at": at}, items=[held]), None

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        now = self.clock.now()
        since = parse_iso(item.payload["since"]) if item.payload.get("since") else None
        entries = [e for e in self.outbox.store.tickets.entries(ctx.number)
                   if e.kind in ("rating", "survey_comment", "reopened") and (since is None or e.at > since)]
        sets: dict[str, Any] = {"feedback_mailed_at": now}
        if item.payload.get("held"):
            sets["feedback_next_at"] = None
        touch = self.outbox.store.tickets.change(ctx.number, TicketPatch(sets=sets))
        if not any(e.kind != "reopened" for e in entries):
            return Skip("nothing_to_send", [touch] if item.payload.get("held") else [])
        sent = self.outbox.send(ctx.number, "survey_feedback_sent", self.build(ctx, entries), now,
                                visibility="internal")
        return Done([*sent.writes, touch], "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ctx: TicketContext, entries: list[Entry]) -> OutboundMail:
        ticket = ctx.ticket
        ratings = [{"name": q.name, "score": ticket.rating(q.key), "max": q.high,
                    "low": is_low(ctx, q.key, ticket.rating(q.key))}
                   for q in QUESTIONS if ticket.rating(q.key) is not None]
        changes = [{"name": BY_KEY[e.question].name if e.question in BY_KEY else e.question, "score": e.score,
                    "previous": e.previous, "max": BY_KEY[e.question].high if e.question in BY_KEY else None,
                    "low": e.low} for e in entries if e.kind == "rating"]
        comments = [{"text": e.text or "", "truncated": e.text_truncated} for e in entries
                    if e.kind == "survey_comment"]
        low = any(r["low"] for r in ratings)
        context = {
            "ticket": {"number": ctx.number, "subject": ticket.subject, "status": ctx.status,
                       "severity": ctx.severity},
            "requester": {"name": ticket.requester_name, "email": ticket.requester},
            "ratings": ratings, "changes": changes, "comments": comments, "low": low,
            "reopened": any(e.kind == "reopened" and e.actor == SURVEY_ACTOR for e in entries),
            "account": ctx.account.name, "team_name": self.factory.sender.team_name,
        }
        to = owner_address(ticket, ctx.account, self.factory.sender.team_queue)
        return self.factory.to_staff(ctx.number, to, "survey_feedback", context, ctx.policy)
