"""The executive briefing: what happened, for whom, what it puts at stake and what to do now.

Sections follow the seed's briefing format: an executive summary, the customer, quantified
business impact, the timeline with the next milestone, actions taken, resource needs, a risk
assessment with revenue at risk, and a recommendation that follows from the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.core.clock import local_text
from helpdesk.escalation.impact import money_text
from helpdesk.escalation.reasons import Reason
from helpdesk.escalation.routing import at_risk, revenue_share, strategic, triggers_of
from helpdesk.messages.rendering import render
from helpdesk.policy.durations import humanize
from helpdesk.tickets.context import TicketContext

COMPLIANCE_TRIGGERS = frozenset({"hipaa", "patient_safety", "pci", "regulatory_reporting", "legal"})
HIGH_CHURN_TRIGGERS = frozenset({"churn_threat", "legal", "csat_low", "nps_detractor"})
SECURITY_TRIGGERS = frozenset({"security_incident", "data_loss", "hipaa", "pci"})
TIMELINE = (("Reported", "created_at"), ("Acknowledged to customer", "ack_sent_at"),
            ("Picked up by staff", "acknowledged_at"), ("First response", "first_response_at"),
            ("First-response target missed", "breached_first_response_at"), ("Workaround", "workaround_at"),
            ("Resolved", "resolved_at"))


@dataclass
class Briefing:
    """Everything a briefing needs beyond the ticket: the level, who it goes to and why now."""

    level: str
    roles: list[str]
    reasons: list[Reason]
    now: datetime
    next_milestone: tuple[str, datetime] | None = None
    ack_link: str = ""
    coverage: list[str] = field(default_factory=list)
    executives: list[tuple[str, str]] = field(default_factory=list)  # (role, why)
    incident: Any = None  # the Incident this ticket's chain speaks for, with `incident_log` below
    incident_log: list[Any] = field(default_factory=list)

    @property
    def primary(self) -> Reason:
        return self.reasons[0]


def churn_risk(ctx: TicketContext, triggers: set[str]) -> str:
    """High on a threat to leave; medium when the customer is upset, something is at risk, or a
    strategic account has a critical failure (a P0 at a big account strains the relationship by itself)."""
    if triggers & HIGH_CHURN_TRIGGERS:
        return "high"
    strained = ctx.policy.rank(ctx.severity) == 0 and strategic(ctx)
    return "medium" if ctx.ticket.emotion in ("angry", "frustrated") or at_risk(triggers) or strained else "low"


def revenue_at_risk(ctx: TicketContext, triggers: set[str], executives: bool, now: datetime) -> float:
    """The account's ARR when the relationship is at stake: a churn, legal, executive or P0 condition on a
    strategic account, or a renewal inside the policy's window. Zero otherwise."""
    account = ctx.account
    if not account.arr:
        return 0.0
    p0 = ctx.policy.rank(ctx.severity) == 0
    condition = bool(triggers & HIGH_CHURN_TRIGGERS) or executives or p0 or at_risk(triggers)
    days = account.days_to_renewal(now)
    renewal = days is not None and 0 <= days <= ctx.policy.briefings.renewal_at_risk_within.days
    return account.arr if (strategic(ctx) and condition) or (renewal and condition) else 0.0


def account_summary(account: Account) -> dict[str, str]:
    return {"name": account.name, "industry": account.industry or "not recorded",
            "arr": f"${account.arr:,.0f}" if account.arr else "not recorded",
            "renewal": account.renewal_date.isoformat() if account.renewal_date else "not recorded",
            "csm": account.csm_name or "unassigned", "sponsor": account.executive_sponsor or "none",
            "flags": ", ".join(sorted(account.flags)) or "none",
            "contacts": ", ".join(f"{c.name} ({c.title})" for c in account.contacts if c.title) or "none recorded"}


def _impact(ctx: TicketContext, at_stake: float) -> dict[str, str]:
    impact = ctx.ticket.impact
    share = revenue_share(ctx.policy, ctx)
    return {"money": (f"{money_text(float(impact['money_per_hour']))} by the customer's own estimate "
                      f"(\"{impact.get('money_phrase', '')}\")") if impact.get("money_per_hour") else "not stated",
            "affected": str(impact.get("affected") or "not stated"),
            "revenue": f"${at_stake:,.0f} ARR" if at_stake else "none identified",
            "share": f"{share:.1%} of our annual revenue" if share and at_stake else ""}


def recommendation(ctx: TicketContext, triggers: set[str], churn: str, at_stake: float) -> str:
    who = ctx.ticket.requester_name or "the customer"
    if triggers & SECURITY_TRIGGERS:
        return ("Start the security incident process now: the CTO's incident lead confirms what data is affected, "
                "and legal agrees the customer notice within the hour.")
    if ctx.policy.rank(ctx.severity) == 0 and at_stake:
        return (f"Open an executive bridge with {ctx.account.name} now: name one owner, give {who} a dated recovery "
                f"plan, and keep the update cadence until service is back.")
    if churn == "high":
        sponsor = ctx.account.executive_sponsor or "a senior leader"
        return f"{sponsor} should call {who} today, acknowledge the impact and commit to a dated recovery plan."
    if not ctx.ticket.acknowledged_at:
        return "Nobody owns this yet: assign an owner now and make sure the customer hears from a person."
    return "Confirm the owner's plan and the next customer update, and say what help the team needs."


def reason_clause(text: str) -> str:
    """A trigger description ("No first response within the target.") read inside a sentence."""
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _resources(ctx: TicketContext, level: str) -> list[str]:
    return [*ctx.policy.levels[level].resources, *ctx.ticket.needs]


def briefing_triggers(ctx: TicketContext, b: Briefing) -> set[str]:
    return triggers_of(ctx, b.primary.trigger) | {r.trigger for r in b.reasons}


def stakes(ctx: TicketContext, b: Briefing) -> float:
    """The revenue at risk the briefing states."""
    return revenue_at_risk(ctx, briefing_triggers(ctx, b), bool(b.executives), b.now)


def _incident(b: Briefing, zone: ZoneInfo) -> dict[str, Any] | None:
    """Who the incident affects and how it went so far: one briefing speaks for all its tickets."""
    i = b.incident
    if i is None:
        return None
    timeline = [f"{local_text(e.at, zone)}  {e.kind}" + (f" #{e.ticket}" if e.ticket else "")
                + (f": {e.text}" if e.text and e.kind in ("opened", "update", "resolved") else "")
                for e in b.incident_log[-12:]]
    return {"id": i.id, "title": i.title, "tickets": len(i.tickets), "accounts": len(i.accounts),
            "arr": f"${i.arr:,.0f}", "strategic": sorted(i.account_names.get(a, a) for a in i.strategic),
            "status_line": i.status_line, "timeline": timeline, "opened": local_text(i.created_at, zone)}


def briefing_context(ctx: TicketContext, b: Briefing) -> dict[str, Any]:
    t, policy = ctx.ticket, ctx.policy
    triggers = briefing_triggers(ctx, b)
    churn = churn_risk(ctx, triggers)
    at_stake = stakes(ctx, b)
    zone = ZoneInfo(ctx.targets().timezone)
    milestone = (b.next_milestone[0], local_text(b.next_milestone[1], zone)) if b.next_milestone else None
    return {
        "ticket": {"number": ctx.number, "subject": t.subject, "status": ctx.status, "issue_type": t.issue_type,
                   "emotion": t.emotion},
        "severity": {"id": t.severity, "name": policy.severities[t.severity].name},
        "level": {"id": b.level, "name": policy.levels[b.level].name}, "roles": b.roles,
        "trigger": b.primary.trigger, "reason": b.primary.text, "reasons": [reason_clause(r.text) for r in b.reasons],
        "triggers": sorted(triggers - {"chain"}), "account": account_summary(ctx.account),
        "requester": {"name": t.requester_name, "email": t.requester}, "impact": _impact(ctx, at_stake),
        "timeline": [(label, local_text(getattr(t, name), zone)) for label, name in TIMELINE if getattr(t, name)],
        "elapsed": humanize(b.now - t.created_at), "milestone": milestone,
        "due": {"first_response": local_text(t.first_response_due, zone),
                "resolution": local_text(t.resolution_due, zone)},
        "progress": list(t.progress)[-5:], "resources": _resources(ctx, b.level),
        "risk": {"churn": churn, "revenue": f"${at_stake:,.0f} ARR" if at_stake else "none identified",
                 "reference": "a reference account" if "reference" in ctx.account.flags else "none identified",
                 "compliance": ", ".join(sorted(triggers & COMPLIANCE_TRIGGERS)) or "none identified"},
        "recommendation": recommendation(ctx, triggers, churn, at_stake),
        "executives": [f"{role}: {why}" for role, why in b.executives], "coverage": b.coverage,
        "ack_link": b.ack_link, "now": local_text(b.now, zone), "incident": _incident(b, zone),
        "expects_ack": policy.levels[b.level].expects_ack,
    }


def briefing_text(ctx: TicketContext, b: Briefing) -> str:
    policy = ctx.policy
    return render(policy.templates.escalation_briefing, briefing_context(ctx, b), policy.templates.override_dir).text
