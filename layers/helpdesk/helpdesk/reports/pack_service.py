"""Run a review pack: read what it needs, build it, store it with its KPI history, mail it.

What a pack reads (never a table scan), beyond the compliance report's partitions:
- the `resolved#YYYY-MM` partitions of the months it covers (one per UTC month the period
  touches, plus the month after while it runs within RESOLVED_LOOKAHEAD of the end) and `open`;
- the account directory (one Query) for retention;
- monthly and quarterly: the log of each escalated ticket opened in the period; monthly also the
  logs of the reopened, low-rated-with-a-comment and (first 50) breached tickets it lists;
- quarterly and annual: one GetItem per policy snapshot its tickets name (a handful a year);
- stored KPI figures for earlier trend months and the period before (small S3 objects); a monthly
  pack that finds none for the month before computes them once from that month's partitions.
The annual pack reads no ticket logs: a year is twelve partitions, the accounts and the snapshots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helpdesk.core.observability import logger, metrics
from helpdesk.policy.loader import validate_policy
from helpdesk.policy.models import Policy
from helpdesk.reports import render_pack
from helpdesk.reports.packs import Pack, PackInputs, build_pack, history_labels, log_candidates, review_candidates
from helpdesk.reports.periods import Period, period_before

if TYPE_CHECKING:
    from helpdesk.reports.service import ReportService


class PackRunner:
    def __init__(self, service: ReportService) -> None:
        self.service = service
        self._snapshots: dict[str, Policy] = {}
        self._raw: dict[str, dict[str, Any] | None] = {}

    def build(self, kind: str, period: Period) -> Pack:
        service = self.service
        as_of = service.clock.now()
        loaded = service.load(period, as_of, escalations=False)
        numbers = log_candidates(kind, loaded.tickets, period)
        logs = {n: service.log(n) for n in numbers}
        documents = self._documents(loaded.tickets) if kind != "monthly" else {}
        history = {label: service.stored_values(label) for label in history_labels(kind, period)}
        before = period_before(period)
        if kind == "monthly" and before is not None and history.get(before.label) is None:
            # The month before, from its partitions once (then stored): a month-on-month change for one month more.
            history[before.label] = service.previous_values(period, as_of)[0]
        source = {**loaded.source, "ticket_queries": len(logs), "policy_snapshots": len(documents),
                  "history_read": len(history)}
        inputs = PackInputs(loaded.tickets, logs, loaded.accounts, history, documents, source)
        if kind == "monthly":
            first = build_pack(kind, period, inputs, service.policy, as_of, self.snapshot)
            more = review_candidates(inputs, first.report, service.policy, as_of)
            inputs.logs.update({n: service.log(n) for n in more})
            inputs.source["ticket_queries"] = len(inputs.logs)
        return build_pack(kind, period, inputs, service.policy, as_of, self.snapshot)

    def _documents(self, tickets: list[Any]) -> dict[str, dict[str, Any] | None]:
        digests = sorted({t.policy_digest for t in tickets if t.policy_digest})
        return {d: self._document(d) for d in digests}

    def _document(self, digest: str) -> dict[str, Any] | None:
        if digest not in self._raw:
            self._raw[digest] = self.service.store.policies.document(digest)
        return self._raw[digest]

    def snapshot(self, digest: str | None) -> Policy:
        """The policy a ticket opened under (the current one when its snapshot is missing)."""
        current = self.service.policy
        if not digest:
            return current
        if digest not in self._snapshots:
            document = self._document(digest)
            self._snapshots[digest] = validate_policy(document, f"snapshot {digest}") if document else current
        return self._snapshots[digest]

    def run(self, kind: str, period: Period) -> dict[str, Any]:
        service = self.service
        pack = self.build(kind, period)
        documents = render_pack.documents(pack, service.team_name)
        stored = service.store_documents(period, documents, kind)
        for report in [pack.report, *pack.months]:
            service.store_values(report)
        message_id = service.mail(render_pack.subject(pack, service.team_name),
                                  render_pack.text(pack, service.team_name), documents, period.label, kind,
                                  {"X-Helpdesk-Pack": kind})
        met = sum(1 for k in pack.report.kpis if k.status == "met")
        measured = sum(1 for k in pack.report.kpis if k.status in ("met", "missed"))
        summary = {"pack": kind, "period": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat(), "opened": pack.report.overall.opened,
                   "resolved": pack.report.overall.resolved, "breached_tickets": len(pack.report.breaches),
                   "kpis_met": met, "kpis_measured": measured,
                   "recipients": len(service.recipients) if message_id else 0, "message_id": message_id,
                   "objects": stored, "source": pack.source}
        metrics.add_metric(name="ReportsSent", unit="Count", value=1 if message_id else 0)
        logger.info("pack_built", extra={"pack": kind, "period": period.label, "kpis_met": met,
                                         "kpis_measured": measured, "items_read": pack.source.get("items_read"),
                                         "ticket_queries": pack.source.get("ticket_queries")})
        return summary
