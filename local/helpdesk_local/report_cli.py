"""`helpdesk report`: the SLA compliance report for a range of days, or a review pack
(`--pack monthly|quarterly|annual`, for the last full period or `--period 2026-11|2026-Q4|2026`).

On embedded AWS the real report function runs, so the email and the S3 copies are made exactly as
the schedule makes them; the chosen format is then read back from the bucket. Against a deployed
stack (`--stack`) the report is computed here from the stack's table, read-only: nothing is sent
or stored (invoke the stack's ReportFunction to do that).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

FORMATS = ("html", "csv", "json")  # helpdesk.reports.service.FORMATS, without importing it at start-up
PACKS = ("monthly", "quarterly", "annual")  # helpdesk.reports.packs.PACKS
_LABEL = re.compile(r"^\d{4}(-(\d{2}|Q[1-4]))?$")


def _day(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date, YYYY-MM-DD") from exc
    if len(text) != 10:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date, YYYY-MM-DD")
    return text


def _label(text: str) -> str:
    if not _LABEL.match(text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a month (2026-11), quarter (2026-Q4) or year (2026)")
    return text


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    report = subparsers.add_parser(
        "report", help="SLA compliance report for a range of days, or a review pack "
                       "(emails it and stores it on embedded AWS)")
    report.add_argument("--from", dest="start", type=_day,
                        help="first day, YYYY-MM-DD, from midnight in the policy's timezone")
    report.add_argument("--to", dest="end", type=_day,
                        help="the day after the last one, YYYY-MM-DD (exclusive: --from 2026-11-01 "
                             "--to 2026-12-01 is November)")
    report.add_argument("--pack", choices=PACKS,
                        help="a review pack instead: the monthly issue review, the quarterly communication "
                             "audit or the annual protocol update")
    report.add_argument("--period", dest="of", type=_label,
                        help="the pack's month, quarter or year (2026-11, 2026-Q4, 2026); default: the last full one")
    report.add_argument("--format", choices=FORMATS, default="html",
                        help="what to print or write (default: html)")
    report.add_argument("--stack", help="a deployed stack instead of embedded AWS (read-only)")
    report.add_argument("--out", help="write the report to this file instead of standard output")
    report.set_defaults(func=run_report)
    return report


def embedded_report(target: Any, request: dict[str, str], fmt: str) -> tuple[str, dict[str, Any]]:
    """Invoke the real handler; return the chosen document from the bucket and the handler's summary."""
    runtime = target.runtime
    summary = runtime.invoke("ReportFunction", request)
    bucket = runtime.aws.functions["ReportFunction"].environment["REPORT_BUCKET"]
    body = target.client("s3").get_object(Bucket=bucket, Key=summary["objects"][fmt])["Body"].read()
    return body.decode("utf-8"), summary


def stack_report(target: Any, request: dict[str, str], fmt: str) -> tuple[str, dict[str, Any]]:
    from helpdesk.policy.loader import load_policy
    from helpdesk.reports.service import ReportRequest, ReportService

    env = target.environment
    service = ReportService(target.store, load_policy(env["POLICY_NAME"]), None, None, target.clock,
                            sender=env["SUPPORT_ADDRESS"], team_name=env["TEAM_NAME"])
    parsed = ReportRequest.model_validate(request)
    period = service.period_for(parsed)
    if parsed.pack:
        from helpdesk.reports import render_pack
        from helpdesk.reports.pack_service import PackRunner

        pack = PackRunner(service).build(parsed.pack, period)
        summary = {"period": period.label, "opened": pack.report.overall.opened,
                   "resolved": pack.report.overall.resolved, "breached_tickets": len(pack.report.breaches),
                   "recipients": 0}
        return render_pack.documents(pack, env["TEAM_NAME"])[fmt], summary
    report = service.build(period)
    summary = {"period": period.label, "opened": report.overall.opened, "resolved": report.overall.resolved,
               "breached_tickets": len(report.breaches), "recipients": 0}
    return service.documents(report)[fmt], summary


def request_of(args: argparse.Namespace) -> dict[str, str] | str:
    """The report function's event for these arguments, or what is wrong with them."""
    if args.pack:
        if args.start or args.end:
            return "--pack covers a month, quarter or year; use --period, not --from and --to"
        return {"pack": args.pack, **({"of": args.of} if args.of else {})}
    if args.of:
        return "--period names the period of a --pack"
    if not (args.start and args.end):
        return "give --from and --to, or --pack"
    if args.end <= args.start:
        return "--to must be after --from (it is exclusive)"
    return {"from": args.start, "to": args.end}


def run_report(args: argparse.Namespace) -> int:
    from helpdesk_local.target import open_target

    request = request_of(args)
    if isinstance(request, str):
        print(f"helpdesk report: {request}", file=sys.stderr)
        return 2
    with open_target(args.stack, save=False) as target:
        build = embedded_report if target.runtime is not None else stack_report
        document, summary = build(target, request, args.format)
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
        count = int(summary.get("recipients") or 0)
        sent = f", emailed to {count} recipient{'s' if count != 1 else ''}" if count else ""
        name = f"{summary['pack']} pack" if summary.get("pack") else "report"
        print(f"{name} {summary['period']}: {summary['opened']} opened, {summary['resolved']} resolved, "
              f"{summary['breached_tickets']} breached{sent}; written to {path}")
    else:
        sys.stdout.write(document)
    return 0
