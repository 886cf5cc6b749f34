"""What an annual review pack costs at a given volume: items read, read units, time and memory.

    PYTHONPATH=layers/helpdesk:local python benchmarks/report_cost.py [--tickets 100000]

Tickets are synthetic but shaped like the stored ones (every field a resolved ticket carries, a
progress log and a recent-thread digest of typical length), spread over one year in the
four-level policy's timezone. The script times what the report function does after the reads:
turning items into typed tickets, and building and rendering the annual pack. Read units are
computed from the items' sizes the way DynamoDB counts a Query of an index (eventually
consistent: half a unit per 4 KB, summed per page).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from datetime import UTC, datetime, timedelta

from helpdesk.policy.loader import load_policy
from helpdesk.reports import render_pack
from helpdesk.reports.packs import PackInputs, build_pack
from helpdesk.reports.periods import period_of
from helpdesk.tickets.records import Ticket

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
MINUTES = {"CRITICAL": (15, 120), "HIGH": (60, 480), "MEDIUM": (240, 4320), "LOW": (1440, 10080)}
PAGE = 1024 * 1024
READ_UNIT = 4096


def _clock(rng: random.Random, due: int, start: datetime) -> tuple[dict, datetime]:
    minutes = rng.uniform(0.2, 1.3) * due
    at = start + timedelta(minutes=minutes)
    outcome = {"outcome": "met" if minutes <= due else "breached", "due": (start + timedelta(minutes=due)).isoformat(),
               "at": at.isoformat(), "minutes": round(minutes, 1), "wall_minutes": round(minutes, 1)}
    return outcome, at


def synthetic_item(number: int, rng: random.Random, year_start: datetime) -> dict:
    severity = rng.choices(SEVERITIES, weights=(3, 12, 45, 40))[0]
    created = year_start + timedelta(minutes=rng.uniform(0, 365 * 1440 - 12000))
    respond, resolve = MINUTES[severity]
    first, first_at = _clock(rng, respond, created)
    resolution, resolved_at = _clock(rng, resolve, created)
    rated = rng.random() < 0.35
    return {
        "PK": f"TICKET#{number}", "SK": "META", "type": "ticket", "number": number, "status": "closed",
        "severity": severity, "issue_type": "bug", "triggers": [], "emotion": "calm", "tags": [],
        "subject": f"Export of report {number} fails with an error", "excerpt": ["The export fails. " * 6] * 3,
        "requester": f"user{number % 5000}@customer{number % 700}.example", "requester_name": "A Customer",
        "participants": [], "owner": "csm@example.com", "account_domain": f"customer{number % 700}.example",
        "account_name": f"Customer {number % 700}", "created_at": created.isoformat(),
        "updated_at": resolved_at.isoformat(), "version": 12, "plan_version": 1, "policy_name": "four-level",
        "policy_digest": "0123456789abcdef", "first_response_due": first["due"], "resolution_due": resolution["due"],
        "acknowledged_at": first_at.isoformat(), "first_response_at": first_at.isoformat(),
        "resolved_at": resolved_at.isoformat(), "closed_at": (resolved_at + timedelta(days=3)).isoformat(),
        "sla_first_response": first, "sla_resolution": resolution, "public_replies": rng.randint(1, 3),
        "customer_replies": rng.randint(0, 2), "updates_sent": rng.randint(0, 3), "reopens": int(rng.random() < 0.05),
        "escalations": int(rng.random() < 0.1), "root_cause": "A stuck export job." if rng.random() < 0.5 else "",
        "progress": [f"Mon 09:{i:02d} Status changed from new to investigating" for i in range(8)],
        "recent": [f"customer: line {i} of the recent thread digest, cut to a sentence" for i in range(12)],
        "csat": rng.randint(1, 5) if rated else None, "nps": rng.randint(0, 10) if rated else None,
        "ack_sent_at": (created + timedelta(minutes=1)).isoformat(), "state_key": f"resolved#{resolved_at:%Y-%m}",
        "state_at": resolved_at.isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the year")
    parser.add_argument("--pack", choices=("annual", "quarterly", "monthly"), default="annual")
    args = parser.parse_args()
    rng = random.Random(20261201)
    policy = load_policy("four-level")
    year = period_of("2026", "America/Los_Angeles")
    period = {"annual": year, "quarterly": period_of("2026-Q4", year.timezone),
              "monthly": period_of("2026-11", year.timezone)}[args.pack]
    sizes: list[int] = []
    tickets: list[Ticket] = []
    started = time.perf_counter()
    for start in range(0, args.tickets, 10_000):  # a partition's worth at a time, as the loader reads them
        items = [synthetic_item(1000 + n, rng, year.start) for n in range(start, min(args.tickets, start + 10_000))]
        sizes += [len(json.dumps({k: v for k, v in i.items() if v is not None}, separators=(",", ":")))
                  for i in items]
        # only what the pack's partitions hold: tickets resolved in its months (and the lookahead's)
        tickets += [Ticket.model_validate(i) for i in items if period.start <= datetime.fromisoformat(i["resolved_at"])
                    < period.end + timedelta(days=31)]
    typed = time.perf_counter()
    pages, page, units = 0, 0, 0.0
    sizes = sizes[: len(tickets)] if args.pack != "annual" else sizes
    for size in sizes:  # a Query page ends at 1 MB; each page costs its rounded size
        if page + size > PAGE:
            units += -(-page // READ_UNIT) * 0.5
            pages, page = pages + 1, 0
        page += size
    units += -(-page // READ_UNIT) * 0.5
    pack = build_pack(args.pack, period, PackInputs(tickets, {}, [], {}), policy,
                      datetime(2027, 1, 2, 16, tzinfo=UTC), lambda digest: policy)
    built = time.perf_counter()
    documents = render_pack.documents(pack, "Customer Support")
    rendered = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "pack": args.pack, "tickets_in_year": args.tickets, "items_read": len(tickets),
        "mean_item_bytes": round(sum(sizes) / len(sizes)), "query_pages": pages + 1,
        "read_units": round(units), "seconds_making_and_typing_items": round(typed - started, 1),
        "seconds_building_pack": round(built - typed, 1), "seconds_rendering": round(rendered - built, 1),
        "peak_rss_mb": round(peak), "html_kb": round(len(documents["html"]) / 1024),
        "json_kb": round(len(documents["json"]) / 1024), "resolved_in_period": pack.report.overall.resolved,
    }, indent=2))


if __name__ == "__main__":
    main()
