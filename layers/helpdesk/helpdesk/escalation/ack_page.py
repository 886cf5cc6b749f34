"""The one-tap acknowledgment page: GET shows the ticket and a button, POST acknowledges.

Served by the survey function's URL under `/a/<id>`. Fetching the page changes nothing, so mail
and SMS link scanners cannot acknowledge for anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helpdesk.core.observability import logger, metrics
from helpdesk.escalation.ack_links import AckLink, link_id_of
from helpdesk.messages.rendering import render_page
from helpdesk.tickets import changes
from helpdesk.tickets.changes import Change

if TYPE_CHECKING:
    from datetime import datetime

    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                      "base-uri 'none'; frame-ancestors 'none'"}


class AckPage:
    def __init__(self, ops: TicketOps, team_name: str) -> None:
        self.ops = ops
        self.team_name = team_name

    def register(self, app: Any, respond: Any) -> None:
        @app.get("/a/<link_id>")
        def show(link_id: str) -> Any:
            return respond(self.get(link_id))

        @app.post("/a/<link_id>")
        def acknowledge(link_id: str) -> Any:
            return respond(self.post(link_id))

    def _link(self, link_id: str) -> AckLink | None:
        valid = link_id_of(f"/a/{link_id}")
        link = self.ops.store.ack_links.get(valid) if valid else None
        return link if link is not None and link.live(self.ops.clock.now()) else None

    def get(self, link_id: str) -> dict[str, Any]:
        link = self._link(link_id)
        if link is None:
            return self._page(404, {"state": "unknown"})
        ctx = self.ops.contexts.load(link.ticket)
        if ctx is None:
            return self._page(410, {"state": "unknown"})
        return self._page(200, {"state": "confirm", **_facts(ctx, link)})

    def post(self, link_id: str) -> dict[str, Any]:
        link = self._link(link_id)
        if link is None:
            return self._page(404, {"state": "unknown"})
        actor = f"executive:{link.level}"
        ticket = self.ops.apply(link.ticket, [self._executive_ack(link, actor), changes.acknowledge(actor)])
        metrics.add_metric(name="EscalationsAcknowledged", unit="Count", value=1)
        logger.info("escalation_acknowledged", extra={"ticket": link.ticket, "level": link.level})
        ctx = self.ops.contexts.of(ticket, self.ops.store.account_for(ticket.requester))
        return self._page(200, {"state": "done", **_facts(ctx, link)})

    def _executive_ack(self, link: AckLink, actor: str) -> Any:
        """The level's acknowledgment, with the moment, so its commitment check stands down."""
        def change(ctx: TicketContext, now: datetime) -> Change:
            acks = {**ctx.ticket.executive_acks, link.level: now}
            return Change({"executive_acks": acks}, {"kind": "escalation_acknowledged", "actor": actor,
                                                     "level": link.level},
                          writes=[self.ops.store.ack_links.used(link, now)])
        return change

    def _page(self, status: int, context: dict[str, Any]) -> dict[str, Any]:
        defaults = {"team_name": self.team_name, "ticket": None, "subject": "", "severity": "", "level": "",
                    "account": "", "status": "", "acknowledged_by": ""}
        return {"statusCode": status, "headers": dict(HEADERS), "isBase64Encoded": False,
                "body": render_page("ack_page", {**defaults, **context})}


def _facts(ctx: TicketContext, link: AckLink) -> dict[str, Any]:
    return {"ticket": ctx.number, "subject": ctx.ticket.subject, "severity": ctx.severity, "level": link.level,
            "account": ctx.account.name, "status": ctx.status, "acknowledged_by": ctx.ticket.acknowledged_by or ""}

