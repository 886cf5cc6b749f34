"""`helpdesk replay`: run mail through the real inbound handler on embedded AWS.

Takes .eml files, any file that is a message, directories, maildir folders and mbox files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpdesk_local.mail_sources import Source, count_sources
from helpdesk_local.progress import Progress
from helpdesk_local.runtime import LocalRuntime


def expand(paths: Iterable[str]) -> list[Path]:
    return expand_any(paths, (".eml",))


def expand_any(paths: Iterable[str], suffixes: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{name}: no such file or directory")
    return files


def replay_source(runtime: LocalRuntime, source: Source) -> dict[str, Any]:
    row: dict[str, Any] = {"file": source.label, "outcome": None, "ticket": None, "severity": None,
                           "reason": None, "emails_sent": 0, "error": None}
    try:
        outcome = runtime.deliver(source.raw)
    except Exception as exc:  # noqa: BLE001 - the replay reports handler failures instead of stopping
        cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
        row["error"] = f"{type(exc).__name__}: {exc}{cause}"
        runtime.collect_emails()
        return row
    row.update(outcome=outcome.get("outcome"), ticket=outcome.get("ticket"), severity=outcome.get("severity"),
               reason=outcome.get("reason"), emails_sent=outcome.get("emails_sent_total", 0))
    return row


def replay_file(runtime: LocalRuntime, path: Path) -> dict[str, Any]:
    return replay_source(runtime, Source(str(path), path.read_bytes()))


def _line(row: dict[str, Any]) -> str:
    status = row["error"] or row["reason"] or ""
    ticket = f"#{row['ticket']}" if row["ticket"] else "-"
    return f"{row['outcome'] or 'error':<12} {ticket:<7} {row['severity'] or '-':<4} {row['file']}  {status}"


def run(args: argparse.Namespace) -> int:
    try:
        sources = count_sources(args.paths)
    except FileNotFoundError as exc:
        print(f"helpdesk replay: {exc}", file=sys.stderr)
        return 2
    failures = 0
    progress = Progress("replayed", len(sources))
    with LocalRuntime() as runtime:
        for source in sources:
            row = replay_source(runtime, source)
            failures += row["error"] is not None
            print(json.dumps(row) if args.json else _line(row))
            progress.step()
        if args.out:
            runtime.write_outbox(Path(args.out))
    return 1 if failures else 0


def add_parser(sub: Any) -> None:
    replay = sub.add_parser("replay", help="run mail through the inbound handler on embedded AWS")
    replay.add_argument("paths", nargs="+", help=".eml or other message files, directories, maildirs, mbox files")
    replay.add_argument("--json", action="store_true", help="one JSON object per message")
    replay.add_argument("--out", default=None, help="write outbound mail as .eml files here")
    replay.set_defaults(func=run)
