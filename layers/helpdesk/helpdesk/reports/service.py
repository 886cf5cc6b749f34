"""Build a compliance report for a period, email it to the leaders and keep CSV and JSON copies;
review packs (`reports.pack_service`) share the loading, storing and sending.

What a report reads (never a table scan):
- one paged Query of the ByState index per `resolved#YYYY-MM` partition overlapping the period,
  extended to the run time when the report runs soon after the period (at most
  RESOLVED_LOOKAHEAD past its end), so tickets opened in the period and resolved just after it
  still count in its volume;
- one paged Query of the `open` partition (tickets opened before the period ends and not
  resolved: running clocks, and reopened tickets whose earlier resolution fell in the period);
- one Query of a ticket's own partition for each ticket opened in the period with
  `escalations` > 0, for the level and trigger of each escalation;
- one Query of the account directory's partition (retention);
- one small S3 object: the previous period's stored KPI values (for the changes), computed from
  its partitions once and stored if it is missing.
Cost grows as O(tickets resolved in the months touched + open tickets + escalated tickets opened
in the period): a weekly report touches one or two months, a monthly one two or three. A ticket
opened in the period and resolved more than RESOLVED_LOOKAHEAD after it is not seen by a report
run later than that; re-running an old period can therefore undercount its volume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from helpdesk.core.clock import Clock, current_clock
from helpdesk.core.errors import RawMailMissingError
from helpdesk.core.observability import logger, metrics
from helpdesk.mail.compose import OutboundMail, compose
from helpdesk.policy.models import Policy
from helpdesk.reports import render
from helpdesk.reports.compute import Report, compute
from helpdesk.reports.kpis import values
from helpdesk.reports.periods import (
    Period,
    local_midnight,
    make_period,
    period_before,
    period_of,
    previous_period,
    resolved_months,
)
from helpdesk.reports.trends import history_key, read_snapshot, snapshot
from helpdesk.sla.targets import timezone_of
from helpdesk.tickets.records import Entry, Ticket

if TYPE_CHECKING:
    from helpdesk.accounts.model import Account
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.adapters.aws.mailer import Mailer
    from helpdesk.adapters.aws.store import Store

RESOLVED_LOOKAHEAD = timedelta(days=31)
PACK_PERIOD = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
LOG_KINDS = frozenset({"escalation", "acknowledged", "reopened", "survey_comment", "customer_message",
                       "customer_reply", "acknowledgment", "staff_reply", "staff_note", "status_changed",
                       "severity_changed", "warning_sent", "sla_breached", "customer_update", "resolution_summary"})
FORMATS = ("html", "csv", "json")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
                 "json": "application/json"}


INCIDENTS_READ = 500  # the newest incidents a report reads (one Query); older ones are long closed


class ReportRequest(BaseModel):
    """The event: `{"period": "week"|"month"}` or `{"pack": "monthly"|"quarterly"|"annual"}` from the
    schedule (the last full period), `{"pack": ..., "of": "2026-11"}` for a given one, or a compliance
    report for `{"from": ..., "to": ...}`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    period: Literal["week", "month"] | None = None
    pack: Literal["monthly", "quarterly", "annual"] | None = None
    of: str | None = Field(default=None, pattern=r"^\d{4}(-(\d{2}|Q[1-4]))?$")  # 2026-11, 2026-Q4 or 2026
    start: str | None = Field(default=None, alias="from")  # a date (midnight, policy's zone) or an instant
    end: str | None = Field(default=None, alias="to")  # exclusive

    @model_validator(mode="after")
    def _one_kind(self) -> ReportRequest:
        kinds = [self.period is not None, self.pack is not None, bool(self.start or self.end)]
        if sum(kinds) != 1 or (kinds[2] and not (self.start and self.end)):
            raise ValueError('give one of "period" (week or month), "pack" (monthly, quarterly or annual), '
                             'or both "from" and "to"')
        if self.of is not None and self.pack is None:
            raise ValueError('"of" names the period of a pack; give "pack" with it')
        return self


def parse_bound(text: str, timezone: str) -> datetime:
    """`2026-11-01` is midnight in `timezone`; a full ISO instant without an offset is local too."""
    text = text.strip()
    if len(text) == 10:
        return local_midnight(date.fromisoformat(text), timezone)
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(timezone))
    return instant.astimezone(UTC)


def report_timezone(policy: Policy) -> str:
    """Where weeks and months start: the zone of the policy's default severity."""
    return timezone_of(policy, policy.resolve_severity(policy.default_severity))


@dataclass
class Loaded:
    tickets: list[Ticket]
    entries: dict[int, list[Entry]]
    source: dict[str, Any] = field(default_factory=dict)
    accounts: list[Account] | None = None


class ReportService:
    def __init__(self, store: Store, policy: Policy, mailer: Mailer | None, blobs: BlobStore | None,
                 clock: Clock | None = None, *, sender: str, team_name: str, recipients: tuple[str, ...] = ()
                 ) -> None:
        self.store = store
        self.policy = policy
        self.mailer = mailer
        self.blobs = blobs
        self.clock = clock or _ProcessClock()
        self.sender = sender
        self.team_name = team_name
        self.recipients = recipients

    @property
    def timezone(self) -> str:
        return report_timezone(self.policy)

    def period_for(self, request: ReportRequest) -> Period:
        if request.pack is not None:
            if request.of:
                return period_of(request.of, self.timezone)
            return previous_period(PACK_PERIOD[request.pack], self.clock.now(), self.timezone)
        if request.period is not None:
            return previous_period(request.period, self.clock.now(), self.timezone)
        assert request.start is not None and request.end is not None
        return make_period(parse_bound(request.start, self.timezone), parse_bound(request.end, self.timezone),
                           self.timezone)

    # -- reading ---------------------------------------------------------------------------------

    def load(self, period: Period, as_of: datetime, *, escalations: bool = True) -> Loaded:
        horizon = min(max(period.end, as_of), period.end + RESOLVED_LOOKAHEAD)
        months = resolved_months(period.start, horizon)
        items: list[Ticket] = []
        for month in months:
            items += self.store.tickets.resolved_in(month)
        open_items = [t for t in self.store.tickets.open() if t.created_at < period.end]
        items += open_items
        escalated = sorted({t.number for t in items if t.escalations > 0 and period.contains(t.created_at)}) \
            if escalations else []
        entries = {n: self.log(n) for n in escalated}
        accounts = self.store.accounts.all()
        source = {"partitions": [f"resolved#{m}" for m in months] + ["open"], "items_read": len(items),
                  "open_tickets": len(open_items), "ticket_queries": len(escalated), "accounts_read": len(accounts)}
        return Loaded(items, entries, source, accounts)

    def log(self, number: int) -> list[Entry]:
        """What reports read of a ticket's log: events, never message bodies kept for later."""
        return [e for e in self.store.tickets.entries(number) if e.kind in LOG_KINDS]

    def build(self, period: Period) -> Report:
        as_of = self.clock.now()
        loaded = self.load(period, as_of)
        previous, label = self.previous_values(period, as_of)
        return compute(loaded.tickets, loaded.entries, self.policy, period, as_of, loaded.source,
                       accounts=loaded.accounts, previous=previous, previous_label=label,
                       incidents=self.store.incidents.recent(limit=INCIDENTS_READ))

    # -- stored KPI figures (history) ------------------------------------------------------------

    def stored_values(self, label: str) -> dict[str, float | None] | None:
        if self.blobs is None:
            return None
        try:
            return read_snapshot(self.blobs.read(history_key(label)))
        except RawMailMissingError:
            return None

    def store_values(self, report: Report) -> None:
        if self.blobs is not None:
            self.blobs.write(history_key(report.period.label), snapshot(report.period.label, report.as_of,
                                                                        report.kpis), CONTENT_TYPES["json"])

    def previous_values(self, period: Period, as_of: datetime) -> tuple[dict[str, float | None] | None, str | None]:
        """The KPI values of the period before: stored, or computed from its partitions once and stored."""
        before = period_before(period)
        if before is None:
            return None, None
        stored = self.stored_values(before.label)
        if stored is None:
            loaded = self.load(before, as_of, escalations=False)
            earlier = compute(loaded.tickets, {}, self.policy, before, as_of, accounts=loaded.accounts)
            self.store_values(earlier)
            stored = values(earlier.kpis)
        return stored, before.label

    # -- the scheduled run -----------------------------------------------------------------------

    def handle(self, request: ReportRequest) -> dict[str, Any]:
        if request.pack is not None:
            from helpdesk.reports.pack_service import PackRunner

            return PackRunner(self).run(request.pack, self.period_for(request))
        return self.run(self.period_for(request))

    def run(self, period: Period) -> dict[str, Any]:
        report = self.build(period)
        documents = self.documents(report)
        stored = self.store_documents(period, documents)
        self.store_values(report)
        message_id = self.send(report, documents)
        summary = {"period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "opened": report.overall.opened, "resolved": report.overall.resolved,
                   "breached_tickets": len(report.breaches),
                   "recipients": len(self.recipients) if message_id else 0,
                   "message_id": message_id, "objects": stored, "source": report.source}
        metrics.add_metric(name="ReportsSent", unit="Count", value=1 if message_id else 0)
        # Counts only: no addresses, subjects or account names in logs.
        logger.info("report_built", extra={"period": period.label, "opened": report.overall.opened,
                                           "resolved": report.overall.resolved,
                                           "breached_tickets": len(report.breaches),
                                           "recipients": summary["recipients"],
                                           "items_read": report.source.get("items_read")})
        return summary

    def documents(self, report: Report) -> dict[str, str]:
        return {"html": render.html(report, self.team_name), "csv": render.to_csv(report),
                "json": render.to_json(report)}

    def store_documents(self, period: Period, documents: dict[str, str], name: str = "report") -> dict[str, str]:
        if self.blobs is None:
            return {}
        blobs = self.blobs
        return {kind: blobs.write(object_key(period.label, kind, name), body.encode("utf-8"), CONTENT_TYPES[kind])
                for kind, body in documents.items()}

    def send(self, report: Report, documents: dict[str, str]) -> str | None:
        return self.mail(render.subject(report, self.team_name), render.text(report, self.team_name), documents,
                         report.period.label, "compliance")

    def mail(self, subject: str, text: str, documents: dict[str, str], label: str, name: str,
             headers: dict[str, str] | None = None) -> str | None:
        """The HTML document as the mail, with the CSV and JSON copies attached."""
        if self.mailer is None or not self.recipients:
            return None
        mail = OutboundMail(
            sender=self.sender, sender_name=f"{self.team_name} reports", to=list(self.recipients),
            subject=subject, text=text, html=documents["html"], auto_submitted="auto-generated",
            extra_headers={"X-Helpdesk-Report": label, **(headers or {})},
            attachments=[(f"{name}-{label}.{kind}", CONTENT_TYPES[kind].split(";")[0],
                          documents[kind].encode("utf-8")) for kind in ("csv", "json")])
        raw, _ = compose(mail, sent_at=self.clock.now())
        return self.mailer.send_raw(self.sender, list(self.recipients), raw)


def object_key(label: str, kind: str, name: str = "report") -> str:
    return f"reports/{label}/{name}.{kind}"


class _ProcessClock:
    """Asks the installed clock each time, so a cached service follows the local runtime's clock."""

    def now(self) -> datetime:
        return current_clock().now()


