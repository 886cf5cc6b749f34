"""The safety net: every minute, perform whatever obligation is due and not yet done.

It reads only the sparse DueWork index (O(due), never O(open tickets)), claims each item with a
conditional write and a lease, performs it, and stops early when its Lambda time runs short,
leaving the rest for the next minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpdesk.adapters.aws.store import TicketStore
from helpdesk.core.clock import Clock, iso, parse_iso
from helpdesk.core.errors import TransientAwsError
from helpdesk.core.observability import logger, metrics
from helpdesk.sla.due_work import claim, fail_write, new_lease_owner
from helpdesk.sla.performers import Performed

Performer = Callable[[dict[str, Any], str], Performed]
SAFETY_MS = 10_000  # stop claiming when less than this is left, so a claimed item can finish
PAGE = 25


@dataclass
class SweepReport:
    seen: int = 0
    claimed: int = 0
    performed: list[Performed] = field(default_factory=list)
    lag_seconds: float = 0.0
    stopped_early: bool = False
    items_read: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"seen": self.seen, "claimed": self.claimed, "lag_seconds": self.lag_seconds,
                "stopped_early": self.stopped_early, "items_read": self.items_read,
                "performed": [{"kind": p.kind, "ticket": p.ticket, "outcome": p.outcome, "events": p.events}
                              for p in self.performed]}


class Sweeper:
    def __init__(self, store: TicketStore, performers: dict[str, Performer], clock: Clock) -> None:
        self.store = store
        self.table = store.table
        self.shards = store.due_shards
        self.performers = performers
        self.clock = clock

    def due_items(self, shard: int, report: SweepReport) -> list[dict[str, Any]]:
        items = self.table.query(
            IndexName="DueWork",
            KeyConditionExpression="due_shard = :s AND due_at <= :now",
            ExpressionAttributeValues={":s": {"S": f"S{shard}"}, ":now": {"S": iso(self.clock.now())}},
            Limit=PAGE,
            max_items=PAGE * 4,  # a backlog is worked off over several runs rather than read all at once
        )
        report.items_read += len(items)
        return items

    def run(self, remaining_ms: Callable[[], int]) -> SweepReport:
        report = SweepReport()
        owner = new_lease_owner()
        now = self.clock.now()
        oldest = now
        for shard in range(self.shards):
            for item in self.due_items(shard, report):
                report.seen += 1
                oldest = min(oldest, parse_iso(item.get("planned_at") or item["due_at"]))
                if remaining_ms() < SAFETY_MS:
                    report.stopped_early = True
                    break
                self._one(item, owner, report)
        report.lag_seconds = round((now - oldest).total_seconds(), 1)
        metrics.add_metric(name="SweeperLagSeconds", unit="Seconds", value=report.lag_seconds)
        metrics.add_metric(name="SweeperItemsPerformed", unit="Count", value=len(report.performed))
        if report.stopped_early:
            logger.warning("sweep_stopped_early", extra={"seen": report.seen, "claimed": report.claimed})
        return report

    def _one(self, item: dict[str, Any], owner: str, report: SweepReport) -> None:
        performer = self.performers.get(item.get("kind", ""))
        if performer is None:
            # Nothing here knows how to do it (a newer version wrote it?): park it out of the index,
            # recorded as failed, rather than retrying every minute forever.
            logger.error("unknown_due_kind", extra={"kind": item.get("kind"), "sk": item.get("SK")})
            claimed = claim(self.store, item["PK"], item["SK"], owner, self.clock.now())
            if claimed is not None:
                self.store.transact([fail_write(item["PK"], item["SK"], owner, self.clock.now(),
                                                f"no performer for kind {item.get('kind')!r}")])
            return
        claimed = claim(self.store, item["PK"], item["SK"], owner, self.clock.now())
        if claimed is None:
            return  # someone else holds it, or it was done meanwhile
        report.claimed += 1
        try:
            report.performed.append(performer(claimed, owner))
        except TransientAwsError as exc:
            # The lease lapses and a later sweep retries; nothing is lost.
            logger.warning("due_item_transient_failure", extra={"kind": item["kind"], "error": str(exc)})
        except Exception:
            logger.exception("due_item_failed", extra={"kind": item["kind"], "ticket": item.get("ticket")})
            metrics.add_metric(name="DueItemsFailed", unit="Count", value=1)
