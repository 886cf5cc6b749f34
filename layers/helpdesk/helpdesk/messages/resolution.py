"""After "resolved": the summary, the sponsor's note, follow-ups, the survey and the review.

Everything is due work created in the same transaction as the status change, so nothing depends
on anyone remembering: follow-ups are skipped if the ticket was reopened, reviews go to the team
for the severities that require a post-mortem, and the account enters its health window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.accounts.model import Account
from helpdesk.adapters.aws.store import META, account_key, ticket_pk
from helpdesk.adapters.aws.table import Update, Write, put
from helpdesk.core.clock import iso, parse_iso
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import Job, deliver
from helpdesk.messages.rendering import render
from helpdesk.policy.durations import humanize
from helpdesk.policy.models import Policy
from helpdesk.sla.performers import Performed, Work
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.context import TicketContext


def resolution_writes(work: Work, ctx: TicketContext, now: datetime) -> tuple[list[Write], dict[str, Any]]:
    """Obligations created when a ticket is resolved, and the ticket counters to add.

    Ids carry the resolution time, so a second resolution after a reopen gets its own set.
    """
    policy, number, stamp = ctx.policy, ctx.number, iso(now)
    severity = policy.severities[ctx.ticket["severity"]]
    store = work.store
    items = [store.due_item(number, f"DUE#resolved#{stamp}#summary", "resolution_summary", stamp,
                            {"resolved_at": stamp}),
             store.due_item(number, f"DUE#resolved#{stamp}#survey", "survey",
                            iso(now + policy.resolution.survey_after), {"resolved_at": stamp})]
    if ctx.ticket["severity"] in policy.resolution.sponsor_note_for and "strategic" in ctx.account.flags \
            and ctx.account.executive_sponsor:
        items.append(store.due_item(number, f"DUE#resolved#{stamp}#sponsor", "sponsor_note", stamp,
                                    {"resolved_at": stamp}))
    for index, after in enumerate(severity.follow_ups):
        items.append(store.due_item(number, f"DUE#resolved#{stamp}#followup#{index + 1}", "followup",
                                    iso(now + after), {"resolved_at": stamp, "index": index + 1,
                                                        "after": int(after.total_seconds())}))
    if severity.postmortem:
        items.append(store.due_item(number, f"DUE#resolved#{stamp}#review#debrief", "review", stamp,
                                    {"resolved_at": stamp, "stage": "debrief"}))
        items.append(store.due_item(number, f"DUE#resolved#{stamp}#review#formal", "review",
                                    iso(now + policy.resolution.formal_review_after - timedelta(days=1)),
                                    {"resolved_at": stamp, "stage": "formal"}))
    writes: list[Write] = [put(item) for item in items]
    if severity.health_window and not ctx.account.is_default:
        pk, sk = account_key(ctx.account.domain)
        until = iso(now + severity.health_window)
        writes.append(Update(pk, sk, sets={"health_until": until, "health_ticket": number,
                                           "health_severity": ctx.ticket["severity"]},
                             condition="attribute_exists(PK) AND (attribute_not_exists(health_until) "
                                       "OR health_until < :until)", values={":until": until}).write())
    return writes, {"followups_scheduled": len(severity.follow_ups)}


class AfterResolution:
    """Performers for `resolution_summary`, `sponsor_note`, `followup` and `review` obligations."""

    def __init__(self, work: Work) -> None:
        self.work = work

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        number, kind = int(item["ticket"]), item["kind"]
        ctx = self.work.context(number)
        resolved_at = (item.get("payload") or {}).get("resolved_at")
        if ctx is None or not ctx.closed or ctx.ticket.get("resolved_at") != resolved_at:
            # Reopened (or resolved again later): these belong to a resolution that no longer stands.
            writes = []
            if kind == "followup":
                writes.append(Update(ticket_pk(number), META, adds={"followups_skipped": 1}).write())
            self.work.finish(item, owner, writes, outcome="reopened")
            return Performed(kind, number, "skipped")
        entries = [i for i in self.work.store.ticket_items(number) if i["SK"].startswith("ENTRY#")]
        build = {"resolution_summary": self.summary, "sponsor_note": self.sponsor_note,
                 "followup": self.followup, "review": self.review}[kind]
        mail, visibility, after = build(ctx, entries, item)
        job = Job(item["PK"], item["SK"], owner, number, kind, mail, int(item.get("attempts") or 1),
                  visibility=visibility, after=after)
        sent = deliver(self.work.store, self.work.outbox, [job], self.work.clock.now(), self.work.job_failed)
        return Performed(kind, number, "done" if sent else "deferred")

    # -- content ---------------------------------------------------------------------------

    def _context(self, ctx: TicketContext) -> dict[str, Any]:
        zone = ZoneInfo(timezone_of(ctx.policy, ctx.ticket["severity"]))
        created, resolved = parse_iso(ctx.ticket["created_at"]), parse_iso(ctx.ticket["resolved_at"])
        return {
            "ticket": {"number": ctx.number, "subject": ctx.ticket.get("subject", ""),
                       "severity": ctx.ticket["severity"],
                       "severity_name": ctx.policy.severities[ctx.ticket["severity"]].name},
            "customer_name": ctx.ticket.get("requester_name") or "there",
            "team_name": self.work.settings.team_name,
            "reported": created.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z"),
            "resolved": resolved.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z"),
            "duration": humanize(resolved - created),
            "root_cause": ctx.ticket.get("root_cause") or "",
            "prevention": ctx.ticket.get("prevention") or "",
            "account": {"name": ctx.account.name, "sponsor": ctx.account.executive_sponsor,
                        "csm": ctx.account.csm_name},
        }

    def _customer_mail(self, ctx: TicketContext, name: str, context: dict[str, Any],
                       sender_name: str | None = None) -> OutboundMail:
        settings = self.work.settings
        rendered = render(name, context, ctx.policy.templates.override_dir)
        return OutboundMail(
            sender=settings.support_address, sender_name=sender_name or settings.team_name,
            to=[ctx.ticket["requester"]], subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(settings.support_address, ctx.number, self.work.signing_key, "customer"),
            in_reply_to=ctx.ticket.get("last_outbound_message_id") or ctx.ticket.get("root_message_id"),
            references=list(ctx.ticket.get("thread_references") or []), auto_submitted="auto-generated",
            extra_headers={"X-Helpdesk-Ticket": str(ctx.number)})

    def summary(self, ctx: TicketContext, entries: list[dict[str, Any]], item: dict[str, Any]) -> tuple:
        policy, now = ctx.policy, self.work.clock.now()
        severity = policy.severities[ctx.ticket["severity"]]
        replies = [e for e in entries if e.get("kind") == "staff_reply"]
        zone = ZoneInfo(timezone_of(policy, ctx.ticket["severity"]))
        context = {
            **self._context(ctx),
            "fix": replies[-1]["text"] if replies else "",
            "verified": list(policy.resolution.verification),
            "survey_at": (now + policy.resolution.survey_after).astimezone(zone).strftime("%a %d %b"),
            "followups": [humanize(d) for d in severity.follow_ups],
            "monitoring": humanize(severity.health_window) if severity.health_window else None,
        }
        return self._customer_mail(ctx, "resolution_summary", context), "public", None

    def sponsor_note(self, ctx: TicketContext, entries: list[dict[str, Any]], item: dict[str, Any]) -> tuple:
        sponsor = ctx.account.executive_sponsor
        return (self._customer_mail(ctx, "sponsor_note", self._context(ctx),
                                    sender_name=f"{sponsor.split(',')[0]} ({self.work.settings.team_name})"),
                "public", None)

    def followup(self, ctx: TicketContext, entries: list[dict[str, Any]], item: dict[str, Any]) -> tuple:
        context = {**self._context(ctx), "index": item["payload"]["index"],
                   "after": humanize(timedelta(seconds=int(item["payload"]["after"])))}

        def done(sent: Any) -> list[Write]:
            return [Update(ticket_pk(ctx.number), META, adds={"followups_done": 1}).write()]

        return self._customer_mail(ctx, "followup", context), "public", done

    def review(self, ctx: TicketContext, entries: list[dict[str, Any]], item: dict[str, Any]) -> tuple:
        policy, settings = ctx.policy, self.work.settings
        zone = ZoneInfo(timezone_of(policy, ctx.ticket["severity"]))
        resolved = parse_iso(ctx.ticket["resolved_at"])
        stage = item["payload"]["stage"]
        context = {
            **self._context(ctx),
            "stage": stage,
            "due": (resolved + (timedelta(days=1) if stage == "debrief" else policy.resolution.formal_review_after)
                    ).astimezone(zone).strftime("%a %d %b %Y"),
            "timeline": review_timeline(entries, zone),
            "sla": [(clock.replace("_", " "), ctx.ticket.get(f"sla_{clock}")) for clock in
                    ("first_response", "workaround", "resolution") if ctx.ticket.get(f"sla_{clock}")],
            "open_questions": open_questions(ctx),
        }
        rendered = render("review_reminder", context, policy.templates.override_dir)
        mail = OutboundMail(sender=settings.support_address, sender_name=settings.team_name,
                            to=[settings.team_queue_address], subject=rendered.subject, text=rendered.text,
                            html=rendered.html, auto_submitted="auto-generated",
                            reply_to=reply_address(settings.support_address, ctx.number, self.work.signing_key,
                                                   "staff"),
                            extra_headers={"X-Helpdesk-Ticket": str(ctx.number)})
        return mail, "internal", None


REVIEW_KINDS = {
    "customer_message": "reported by the customer", "acknowledgment": "acknowledged to the customer",
    "acknowledged": "acknowledged by staff", "escalation": "escalated", "customer_update": "customer updated",
    "staff_reply": "staff replied", "status_changed": "status changed", "sla_breached": "SLA breached",
    "severity_changed": "severity changed", "reopened": "reopened", "customer_reply": "customer replied",
}


def review_timeline(entries: list[dict[str, Any]], zone: ZoneInfo) -> list[tuple[str, str]]:
    lines = []
    for entry in sorted(entries, key=lambda e: (e.get("at", ""), e.get("kind") != "customer_message")):
        label = REVIEW_KINDS.get(entry.get("kind", ""))
        if not label:
            continue
        detail = {"escalation": f" to {entry.get('level')} ({entry.get('trigger')})",
                  "status_changed": f" {entry.get('from')} -> {entry.get('to')}",
                  "sla_breached": f" ({entry.get('clock', '').replace('_', ' ')})",
                  "severity_changed": f" {entry.get('from')} -> {entry.get('to')}"}.get(entry["kind"], "")
        when = parse_iso(entry["at"]).astimezone(zone).strftime("%a %d %b %H:%M")
        lines.append((when, label + detail))
    return lines


def open_questions(ctx: TicketContext) -> list[str]:
    questions = []
    if not ctx.ticket.get("root_cause"):
        questions.append("What was the root cause? (reply with #rootcause to record it)")
    if not ctx.ticket.get("prevention"):
        questions.append("What will stop this happening again? (#prevention)")
    for clock in ("first_response", "workaround", "resolution"):
        outcome = ctx.ticket.get(f"sla_{clock}") or {}
        if outcome.get("outcome") == "breached" or ctx.ticket.get(f"breached_{clock}_at"):
            questions.append(f"Why was the {clock.replace('_', ' ')} target missed?")
    if ctx.ticket.get("escalations"):
        questions.append("Did the escalations reach the right people at the right time?")
    questions.append("Which customer communication worked, and which did not?")
    return questions


def health_watch(account: Account, policy: Policy, now: datetime) -> dict[str, Any] | None:
    """Whether the account is inside the monitoring window that follows a serious incident."""
    if account.health_until and parse_iso(account.health_until) > now:
        return {"until": account.health_until, "source_ticket": account.health_ticket}
    return None
