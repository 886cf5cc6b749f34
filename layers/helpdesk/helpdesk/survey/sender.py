"""The survey email to the requester, and the owner's email about a low rating or a comment."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso
from helpdesk.core.observability import logger, metrics
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.messages.staff_notification import owner_address
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, DueWork, Skip
from helpdesk.survey.tokens import QUESTIONS, TOKEN_TTL, SurveyTokens
from helpdesk.tickets.records import Entry, TicketPatch

if TYPE_CHECKING:
    from helpdesk.tickets.context import TicketContext

CSAT_LABELS = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither", 4: "Satisfied", 5: "Very satisfied"}
QUESTION_NAMES = {"csat": "satisfaction (CSAT)", "nps": "likelihood to recommend (NPS)"}
FEEDBACK_KIND = "survey_feedback"


def is_low(ctx: TicketContext, kind: str, score: int | None) -> bool:
    if score is None:
        return False
    thresholds = ctx.policy.thresholds
    return score < (thresholds.csat_low_below if kind == "csat" else thresholds.nps_detractor_below)


class FeedbackNotifier:
    """The owner hears about a low rating and about every comment (durable `survey_feedback` items)."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, due: DueWork, clock: Clock) -> None:
        self.factory = factory
        self.outbox = outbox
        self.due = due
        self.clock = clock

    @staticmethod
    def item_id(key: str) -> str:
        return f"{FEEDBACK_KIND}#" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()

    def item(self, number: int, entry_id: str, key: str | None = None) -> DueItem:
        """Due now and leased to the caller's fast path; `key` (default: the entry) makes the id."""
        return self.due.leased(number, self.item_id(key or entry_id), FEEDBACK_KIND, {"entry_id": entry_id})

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        entry = self.outbox.store.tickets.entry(ctx.number, item.payload["entry_id"])
        if entry is None:
            return Skip("nothing_to_send")
        sent = self.outbox.send(ctx.number, "survey_feedback_sent", self.build(ctx, entry), self.clock.now(),
                                visibility="internal")
        return Done(sent.writes, "sent", {"sent_message_id": sent.ses_message_id})

    def build(self, ctx: TicketContext, entry: Entry) -> OutboundMail:
        ticket = ctx.ticket
        kind = entry.question or "csat"
        ratings = [{"name": QUESTION_NAMES[q], "score": ticket.rating(q), "max": QUESTIONS[q][1],
                    "low": is_low(ctx, q, ticket.rating(q))} for q in ("csat", "nps") if ticket.rating(q) is not None]
        context = {
            "ticket": {"number": ctx.number, "subject": ticket.subject, "status": ctx.status,
                       "severity": ctx.severity},
            "requester": {"name": ticket.requester_name, "email": ticket.requester},
            "comment": entry.text if entry.kind == "survey_comment" else None,
            "truncated": entry.text_truncated,
            "question": QUESTION_NAMES[kind], "score": int(entry.score or 0), "max": QUESTIONS[kind][1],
            "low": entry.low, "reopened": entry.reopened, "ratings": ratings,
            "account": ctx.account.name, "team_name": self.factory.sender.team_name,
        }
        to = owner_address(ticket, ctx.account, self.factory.sender.team_queue)
        return self.factory.to_staff(ctx.number, to, "survey_feedback", context, ctx.policy)


class SurveySender:
    """Performs `survey` items: the requester gets the rating links."""

    plan_bound = False

    def __init__(self, factory: MailFactory, outbox: Outbox, clock: Clock, survey_url: str) -> None:
        self.factory = factory
        self.outbox = outbox
        self.clock = clock
        self.survey_url = survey_url
        self.tokens = SurveyTokens(factory.sender.signing_key, clock)

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        assert ctx is not None
        resolved_at = item.payload.get("resolved_at")
        current = iso(ctx.ticket.resolved_at) if ctx.ticket.resolved_at else None
        if not ctx.closed or (resolved_at and current != resolved_at):
            # Reopened, or resolved again later: the resolution this survey was about no longer stands.
            return Skip("reopened")
        if self.outbox.store.senders.undeliverable([ctx.ticket.requester]):
            return Skip("recipient_undeliverable")
        now = self.clock.now()
        expires = now + getattr(ctx.policy.resolution, "survey_expires_after", TOKEN_TTL)
        sent = self.outbox.send(ctx.number, "survey_sent", self.build(ctx, expires), now)
        metrics.add_metric(name="SurveysSent", unit="Count", value=1)
        logger.info("survey_sent", extra={"ticket": ctx.number})
        touch = self.outbox.store.tickets.change(ctx.number, TicketPatch(sets={
            "survey_sent_at": now, "survey_expires_at": expires, "last_outbound_message_id": sent.ses_message_id}))
        return Done([*sent.writes, touch], "sent", {"sent_message_id": sent.ses_message_id},
                    [{"kind": "survey_sent", "ticket": ctx.number}])

    def build(self, ctx: TicketContext, expires: datetime) -> OutboundMail:
        number, recipient = ctx.number, ctx.ticket.requester

        def link(kind: str, score: int) -> str:
            return self.tokens.make_link(self.survey_url, number, kind, score, recipient, expires)

        context: dict[str, Any] = {
            "ticket": {"number": number, "subject": ctx.ticket.subject},
            "customer_name": ctx.ticket.requester_name or "there",
            "team_name": self.factory.sender.team_name,
            "csat": [{"score": s, "label": CSAT_LABELS[s], "url": link("csat", s)} for s in range(1, 6)],
            "nps": [{"score": s, "url": link("nps", s)} for s in range(0, 11)],
            "expires": expires.strftime("%d %B %Y"),
        }
        return self.factory.to_customer(ctx.ticket, "survey_request", context, ctx.policy)
