"""Staff hear about every new ticket and every customer reply, and can answer by replying."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.store import ticket_pk
from helpdesk.core.clock import iso, local_text
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import Job, deliver
from helpdesk.messages.rendering import render
from helpdesk.policy.models import Policy
from helpdesk.sla.due_work import lease_until
from helpdesk.sla.performers import Performed, Work
from helpdesk.sla.targets import timezone_of

COMMANDS = [
    ("#ack", "take ownership; stops the escalation chain"),
    ("#status investigating|pending|workaround|resolved|closed", "pending pauses the SLA clocks"),
    ("#priority P1", "change severity (any alias works); clocks are re-planned"),
    ("#assign person@yourcompany.com", "hand the ticket to someone else"),
    ("#note", "the whole reply is an internal note, never sent to the customer"),
    ("#update <text>", "the status line customers see in their regular updates"),
    ("#escalate L2 <reason>", "escalate by hand"),
    ("#rootcause <text>", "recorded for the resolution summary"),
    ("#prevention <text>", "recorded for the resolution summary"),
    ("#tag <name>", "label the ticket"),
    ("#type bug|feature|training|configuration|integration|billing", "correct the issue type"),
]


def notify_sk(entry_sk: str) -> str:
    return "DUE#notify#" + hashlib.blake2b(entry_sk.encode(), digest_size=8).hexdigest()


class StaffNotifier:
    def __init__(self, work: Work) -> None:
        self.work = work

    def obligation(self, number: int, entry_sk: str, now: datetime, owner: str) -> dict[str, Any]:
        return self.work.store.due_item(number, notify_sk(entry_sk), "staff_notify", iso(now),
                                        {"entry_sk": entry_sk}, lease_owner=owner, lease_until=lease_until(now))

    def job(self, ticket: dict[str, Any], account: Account, entry: dict[str, Any], policy: Policy, owner: str,
            attempts: int = 1) -> Job:
        number = int(ticket["number"])
        mail = self.build(ticket, account, entry, policy)
        return Job(ticket_pk(number), notify_sk(entry["SK"]), owner, number, "staff_notification", mail, attempts,
                   visibility="internal")

    def perform(self, item: dict[str, Any], owner: str) -> Performed:
        number = int(item["ticket"])
        ctx = self.work.context(number)
        entry = self.work.store.get_many([(ticket_pk(number), item["payload"]["entry_sk"])]).get(
            (ticket_pk(number), item["payload"]["entry_sk"]))
        if ctx is None or entry is None:
            self.work.finish(item, owner, [], outcome="nothing_to_notify")
            return Performed("staff_notify", number, "skipped")
        job = self.job(ctx.ticket, ctx.account, entry, ctx.policy, owner, int(item.get("attempts") or 1))
        sent = deliver(self.work.store, self.work.outbox, [job], self.work.clock.now(), self.work.job_failed)
        return Performed("staff_notify", number, "done" if sent else "deferred")

    def build(self, ticket: dict[str, Any], account: Account, entry: dict[str, Any], policy: Policy) -> OutboundMail:
        settings, number = self.work.settings, int(ticket["number"])
        zone = ZoneInfo(timezone_of(policy, ticket["severity"]))


        classification = entry.get("classification") or {}
        context = {
            "ticket": {"number": number, "subject": ticket.get("subject", ""), "status": ticket.get("status"),
                       "severity": ticket["severity"], "severity_name": policy.severities[ticket["severity"]].name,
                       "issue_type": ticket.get("issue_type"), "emotion": ticket.get("emotion"),
                       "triggers": list(ticket.get("triggers") or [])},
            "new": entry.get("kind") == "customer_message",
            "requester": {"name": ticket.get("requester_name") or "", "email": ticket.get("requester", "")},
            "text": entry.get("text") or "(no text)",
            "truncated": bool(entry.get("text_truncated")),
            "attachments": [a["name"] for a in entry.get("attachments") or []],
            "evidence": classification.get("evidence") or [],
            "account": {"name": account.name, "arr": f"${account.arr:,.0f}" if account.arr else "not recorded",
                        "tier": ", ".join(sorted(account.flags)) or "standard",
                        "industry": account.industry or "not recorded",
                        "renewal": account.renewal_date.isoformat() if account.renewal_date else "not recorded",
                        "since": account.customer_since.isoformat() if account.customer_since else "not recorded"},
            "deadlines": [(label, local_text(ticket.get(key), zone)) for label, key in (
                ("First response", "first_response_due"), ("Workaround", "workaround_due"),
                ("Resolution", "resolution_due")) if ticket.get(key)],
            "recent": list(ticket.get("recent") or [])[-6:],
            "health_watch": ticket.get("health_watch"),
            "commands": COMMANDS,
            "team_name": settings.team_name,
        }
        rendered = render("staff_notification", context, policy.templates.override_dir)
        return OutboundMail(
            sender=settings.support_address, sender_name=settings.team_name,
            to=[self.work.owner_address(ticket, account)], subject=rendered.subject, text=rendered.text,
            html=rendered.html,
            reply_to=reply_address(settings.support_address, number, self.work.signing_key, "staff"),
            auto_submitted="auto-generated", extra_headers={"X-Helpdesk-Ticket": str(number)},
        )
