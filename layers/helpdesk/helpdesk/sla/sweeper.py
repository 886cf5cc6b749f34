"""The safety net: every minute, perform whatever due work is due and not yet done.

It reads only the sparse DueWork index (O(due), never O(open tickets)), claims each item with a
conditional write and a lease, hands it to the due-work engine, and stops early when its Lambda
time runs short, leaving the rest for the next minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from helpdesk.core.observability import logger, metrics, quiet_aws_loggers
from helpdesk.sla.due_work import DueWork, Performed, new_lease_owner

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Store
    from helpdesk.core.clock import Clock
    from helpdesk.sla.due import DueItem

SAFETY_MS = 10_000  # stop claiming when less than this is left, so a claimed item can finish


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
    def __init__(self, store: Store, due: DueWork, clock: Clock) -> None:
        self.store = store
        self.due = due
        self.clock = clock

    def run(self, remaining_ms: Callable[[], int]) -> SweepReport:
        quiet_aws_loggers()
        report = SweepReport()
        owner = new_lease_owner()
        now = self.clock.now()
        oldest = now
        items: list[DueItem] = []
        for shard in range(self.store.due_shards):
            items += self.store.due.due_now(shard, self.clock.now())
        report.items_read = len(items)
        # Across shards, in the order work was first due: held work released together runs a
        # chain's lower level first, so briefings climb in order.
        for item in sorted(items, key=lambda i: (i.planned, i.id)):
            report.seen += 1
            oldest = min(oldest, item.planned)
            if remaining_ms() < SAFETY_MS:
                report.stopped_early = True
                break
            claimed = self.due.claim(item, owner)
            if claimed is None:
                continue  # someone else holds it, or it was done meanwhile
            report.claimed += 1
            report.performed.append(self.due.run(claimed))
        report.lag_seconds = round((now - oldest).total_seconds(), 1)
        metrics.add_metric(name="SweeperLagSeconds", unit="Seconds", value=report.lag_seconds)
        metrics.add_metric(name="SweeperItemsPerformed", unit="Count", value=len(report.performed))
        if report.stopped_early:
            logger.warning("sweep_stopped_early", extra={"seen": report.seen, "claimed": report.claimed})
        return report
