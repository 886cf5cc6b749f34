"""The `helpdesk` command: demo, replay, and the operator tools."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from helpdesk_local.demo import print_event, run_demo

    out = Path(args.out)
    if not args.json:
        print(f"Replaying the sample mail in events/mail on embedded AWS; outbound mail goes to {out}/\n")
    run_demo(out, lambda event: print_event(event, args.json))
    if not args.json:
        print(f"\nOpen the .eml files in {out}/ with any mail client to read what customers received.")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from helpdesk_local.replay import expand, replay_file
    from helpdesk_local.runtime import LocalRuntime

    try:
        files = expand(args.paths)
    except FileNotFoundError as exc:
        print(f"helpdesk replay: {exc}", file=sys.stderr)
        return 2
    failures = 0
    with LocalRuntime() as runtime:
        for path in files:
            row = replay_file(runtime, path)
            failures += row["error"] is not None
            if args.json:
                print(json.dumps(row))
            else:
                status = row["error"] or row["reason"] or ""
                ticket = f"#{row['ticket']}" if row["ticket"] else "-"
                print(f"{row['outcome'] or 'error':<12} {ticket:<7} {row['severity'] or '-':<4} {path}  {status}")
        if args.out:
            runtime.write_outbox(Path(args.out))
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Serverless support desk: local tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="replay the sample mail on embedded AWS and print the timeline")
    demo.add_argument("--json", action="store_true", help="print the timeline as JSON lines")
    demo.add_argument("--out", default="out", help="directory for the outbound .eml files (default: out)")
    demo.set_defaults(func=_demo)

    replay = sub.add_parser("replay", help="run .eml files through the inbound handler on embedded AWS")
    replay.add_argument("paths", nargs="+", help=".eml files or directories of them")
    replay.add_argument("--json", action="store_true", help="one JSON object per message")
    replay.add_argument("--out", default=None, help="write outbound mail as .eml files here")
    replay.set_defaults(func=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
