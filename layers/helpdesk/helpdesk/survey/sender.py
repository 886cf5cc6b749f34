"""The survey email to the requester: one-click links that open the survey page.

Opening a link records nothing (mail scanners open every link); the page records what the
customer confirms. The owner's mail about the answers is in `survey.feedback`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.core.clock import Clock, iso
from helpdesk.core.observability import logger, metrics
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import MailFactory, Outbox
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.survey.feedback import FEEDBACK_KIND, FeedbackNotifier, is_low
from helpdesk.survey.questions import CSAT_LABELS
from helpdesk.survey.tokens import TOKEN_TTL, SurveyTokens
from helpdesk.tickets.records import TicketPatch

__all__ = ["FEEDBACK_KIND", "FeedbackNotifier", "SurveySender", "is_low"]

if TYPE_CHECKING:
    from helpdesk.tickets.context import TicketContext


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
