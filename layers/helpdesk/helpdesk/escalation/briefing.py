"""The executive briefing: what happened, for whom, what it risks and what to do about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.core.clock import local_text
from helpdesk.escalation.routing import AT_RISK_TRIGGERS
from helpdesk.messages.rendering import render
from helpdesk.tickets.context import TicketContext
from helpdesk.tickets.records import Ticket

COMPLIANCE_TRIGGERS = frozenset({"hipaa", "patient_safety", "pci", "regulatory_reporting", "legal"})
HIGH_CHURN_TRIGGERS = frozenset({"churn_threat", "legal", "csat_low", "nps_detractor"})
TIMELINE = (("Reported", "created_at"), ("Acknowledged to customer", "ack_sent_at"),
            ("Picked up by staff", "acknowledged_at"), ("First response", "first_response_at"),
            ("First-response target missed", "breached_first_response_at"), ("Workaround", "workaround_at"),
            ("Resolved", "resolved_at"))


def churn_risk(ticket: Ticket, triggers: set[str]) -> str:
    if triggers & HIGH_CHURN_TRIGGERS:
        return "high"
    return "medium" if ticket.emotion in ("angry", "frustrated") or triggers & AT_RISK_TRIGGERS else "low"


def account_summary(account: Account) -> dict[str, str]:
    return {"name": account.name, "industry": account.industry or "not recorded",
            "arr": f"${account.arr:,.0f}" if account.arr else "not recorded",
            "renewal": account.renewal_date.isoformat() if account.renewal_date else "not recorded",
            "csm": account.csm_name or "unassigned", "sponsor": account.executive_sponsor or "none"}


def briefing_text(ctx: TicketContext, level: str, roles: list[str], trigger: str, reason: str, now: datetime) -> str:
    t, policy = ctx.ticket, ctx.policy
    triggers = set(t.triggers) | {trigger}
    churn = churn_risk(t, triggers)
    zone = ZoneInfo(ctx.targets().timezone)
    arr = ctx.account.arr
    context: dict[str, Any] = {
        "ticket": {"number": ctx.number, "subject": t.subject, "status": ctx.status, "issue_type": t.issue_type,
                   "emotion": t.emotion},
        "severity": {"id": t.severity, "name": policy.severities[t.severity].name},
        "level": {"id": level, "name": policy.levels[level].name}, "roles": roles, "trigger": trigger,
        "reason": reason, "triggers": sorted(triggers - {"chain"}),
        "account": account_summary(ctx.account),
        "requester": {"name": t.requester_name, "email": t.requester},
        "timeline": [(label, local_text(getattr(t, field), zone)) for label, field in TIMELINE if getattr(t, field)],
        "due": {"first_response": local_text(t.first_response_due, zone),
                "resolution": local_text(t.resolution_due, zone)},
        "progress": list(t.progress)[-5:],
        "risk": {"churn": churn, "revenue": f"${arr:,.0f} ARR" if churn != "low" and arr else "none identified",
                 "compliance": ", ".join(sorted(triggers & COMPLIANCE_TRIGGERS)) or "none identified"},
        "now": local_text(now, zone),
    }
    return render(policy.templates.escalation_briefing, context, policy.templates.override_dir).text
