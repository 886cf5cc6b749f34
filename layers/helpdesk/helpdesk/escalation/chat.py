"""Briefings posted to chat through AWS Chatbot: its custom-notification JSON, built from a briefing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk.escalation.briefing import Briefing
    from helpdesk.tickets.context import TicketContext

MAX_DESCRIPTION = 1500


def chat_message(ctx: TicketContext, briefing: Briefing, title: str) -> str:
    """Chatbot's custom notification: a title, a short description and the next steps, as JSON."""
    from helpdesk.escalation.briefing import reason_clause

    reasons = "; ".join(reason_clause(r.text) for r in briefing.reasons)
    description = (f"*{ctx.account.name}* - {ctx.ticket.subject}\n{ctx.policy.severities[ctx.severity].name}, "
                   f"status {ctx.status}. Because: {reasons}.")
    steps = [f"Acknowledge the escalation: {briefing.ack_link}"] if briefing.ack_link else []
    steps += ["Take ownership: reply #ack to the ticket notification email",
              "Ask for help: reply #need <what is missing> on the same thread"]
    return json.dumps({"version": "1.0", "source": "custom",
                       "content": {"textType": "client-markdown", "title": title,
                                   "description": description[:MAX_DESCRIPTION], "nextSteps": steps},
                       "metadata": {"summary": title, "additionalContext": {"ticket": str(ctx.number),
                                                                            "level": briefing.level}}})
