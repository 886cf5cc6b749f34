"""The `helpdesk` command: demo, replay, and the operator tools."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from helpdesk_local.demo import print_event, run_demo

    out = Path(args.out)
    if not args.json:
        print(f"Replaying the sample mail in events/mail on embedded AWS; outbound mail goes to {out}/\n")
    run_demo(out, lambda event: print_event(event, args.json), serve=args.serve)
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


def _policy_check(args: argparse.Namespace) -> int:
    from helpdesk_local.policy_cli import check_policy

    problems = check_policy(args.policy)
    print("\n".join(problems) if problems else "ok")
    return 1 if problems else 0


def _parse_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give a timezone, e.g. 2026-11-27T18:55:00-08:00")
    return instant


def _policy_simulate(args: argparse.Namespace) -> int:
    from helpdesk.core.errors import PolicyError
    from helpdesk_local.policy_cli import find_account, format_simulation, simulate
    from helpdesk_local.target import open_target

    account = None
    if args.account:
        with open_target(args.stack, save=False) as target:
            account = find_account(target.store, args.account)
    try:
        from helpdesk.accounts.model import DEFAULT_ACCOUNT

        result = simulate(args.policy, args.severity, args.at, account or DEFAULT_ACCOUNT)
    except (PolicyError, KeyError) as exc:
        print(f"helpdesk policy simulate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else format_simulation(result))
    return 0


def _classify(args: argparse.Namespace) -> int:
    from helpdesk.classifier import Classifier
    from helpdesk.policy.loader import load_policy
    from helpdesk_local.policy_cli import classify_file
    from helpdesk_local.replay import expand_any

    classifier = Classifier(load_policy(args.policy))
    for path in expand_any(args.paths, (".eml", ".txt")):
        row = classify_file(classifier, path)
        if args.json:
            print(json.dumps(row))
        else:
            triggers = ", ".join(row["triggers"]) or "no triggers"
            print(f"{row['severity']:<9} {row['issue_type']:<22} {row['emotion']:<10} {triggers}  {path}")
            for ev in row["evidence"]:
                print(f"    {ev['decision']}={ev['value']} by {ev['rule']}: {', '.join(ev['phrases']) or '-'}")
    return 0


def _accounts_import(args: argparse.Namespace) -> int:
    from helpdesk_local.policy_cli import ImportRejectedError, import_accounts
    from helpdesk_local.target import open_target

    try:
        with open_target(args.stack) as target:
            count = import_accounts(target.store, Path(args.file))
    except ImportRejectedError as exc:
        print(f"nothing imported; fix these rows first:\n{exc}", file=sys.stderr)
        return 1
    print(f"imported {count} accounts into {target.name}")
    return 0


def _accounts_list(args: argparse.Namespace) -> int:
    from helpdesk_local.policy_cli import accounts_json, list_accounts
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        accounts = list_accounts(target.store)
    if args.json:
        print(accounts_json(accounts))
        return 0
    for a in accounts:
        flags = ",".join(sorted(a.flags)) or "-"
        print(f"{a.domain:<28} {a.name:<28} ARR ${a.arr:>12,.0f}  {flags:<22} {a.industry or '-':<12} "
              f"CSM {a.csm_name or '-'}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from helpdesk_local import evaluate

    return evaluate.main([*sum((["--policy", p] for p in args.policy or []), []), *(["--json"] if args.json else [])])


def _tickets(args: argparse.Namespace) -> int:
    from helpdesk_local.ops_cli import format_ticket_row, list_tickets
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        tickets = list_tickets(target, args.status, args.severity, args.all)
    if args.json:
        print(json.dumps(tickets, default=sorted))
    else:
        for ticket in tickets:
            print(format_ticket_row(ticket))
        print(f"{len(tickets)} tickets")
    return 0


def _show(args: argparse.Namespace) -> int:
    from helpdesk.policy.loader import load_policy
    from helpdesk.sla.targets import timezone_of
    from helpdesk_local.ops_cli import format_show, show
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        view = show(target, args.ticket)
        policy = load_policy(target.environment["POLICY_NAME"])
    if view is None:
        print(f"no ticket #{args.ticket}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(view, default=sorted, indent=2))
    else:
        print(format_show(view, timezone_of(policy, view["ticket"]["severity"])))
    return 0


def _ticket_op(args: argparse.Namespace) -> int:
    from helpdesk.tickets.operations import TicketOpError
    from helpdesk_local.ops_cli import operator, ops_for
    from helpdesk_local.target import open_target

    try:
        with open_target(args.stack) as target:
            ops = ops_for(target)
            if args.command == "ack":
                ticket = ops.acknowledge(args.ticket, operator())
            elif args.command == "status":
                ticket = ops.set_status(args.ticket, args.status, operator())
            elif args.command == "priority":
                ticket = ops.change_severity(args.ticket, args.severity, operator())
            else:
                ticket = ops.add_note(args.ticket, args.text, operator(), public=args.public)
    except TicketOpError as exc:
        print(f"helpdesk {args.command}: {exc}", file=sys.stderr)
        return 1
    print(f"#{ticket.number}: status {ticket.status}, severity {ticket.severity}")
    return 0


def _scenario(args: argparse.Namespace) -> int:
    from helpdesk_local.demo import print_event
    from helpdesk_local.scenario import ScenarioError, run_scenario

    try:
        runtime = run_scenario(Path(args.file), lambda event: print_event(event, args.json),
                               every_minute=args.every_minute)
    except ScenarioError as exc:
        print(f"helpdesk scenario: {exc}", file=sys.stderr)
        return 2
    if args.out:
        runtime.write_outbox(Path(args.out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Serverless support desk: local tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="replay the sample mail on embedded AWS and print the timeline")
    demo.add_argument("--json", action="store_true", help="print the timeline as JSON lines")
    demo.add_argument("--out", default="out", help="directory for the outbound .eml files (default: out)")
    demo.add_argument("--serve", action="store_true",
                      help="afterwards, serve the survey function on 127.0.0.1 so rating links can be clicked")
    demo.set_defaults(func=_demo)

    replay = sub.add_parser("replay", help="run .eml files through the inbound handler on embedded AWS")
    replay.add_argument("paths", nargs="+", help=".eml files or directories of them")
    replay.add_argument("--json", action="store_true", help="one JSON object per message")
    replay.add_argument("--out", default=None, help="write outbound mail as .eml files here")
    replay.set_defaults(func=_replay)

    policy = sub.add_parser("policy", help="check or simulate a policy").add_subparsers(dest="action", required=True)
    check = policy.add_parser("check", help="validate a preset or policy file; prints ok or the errors")
    check.add_argument("policy", help="preset name (p0-p3, four-level, p1-p4) or path to a YAML file")
    check.set_defaults(func=_policy_check)
    sim = policy.add_parser("simulate", help="print every due time of a ticket opened at a given instant")
    sim.add_argument("--policy", default="p0-p3")
    sim.add_argument("--severity", required=True, help="id, name or alias, e.g. P0, Critical, RED")
    sim.add_argument("--at", required=True, type=_parse_instant, help="ISO-8601 with offset")
    sim.add_argument("--account", help="email domain of an account in the directory")
    sim.add_argument("--stack", help="read the account directory of a deployed stack")
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(func=_policy_simulate)

    classify = sub.add_parser("classify", help="classify .eml or .txt files (a .txt's first line is the subject)")
    classify.add_argument("paths", nargs="+")
    classify.add_argument("--policy", default="p0-p3")
    classify.add_argument("--json", action="store_true")
    classify.set_defaults(func=_classify)

    accounts = sub.add_parser("accounts", help="the account directory").add_subparsers(dest="action", required=True)
    imp = accounts.add_parser("import", help="import accounts from CSV or YAML; all rows or none")
    imp.add_argument("file")
    imp.add_argument("--stack", help="a deployed stack instead of embedded AWS")
    imp.set_defaults(func=_accounts_import)
    lst = accounts.add_parser("list", help="list accounts")
    lst.add_argument("--stack", help="a deployed stack instead of embedded AWS")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_accounts_list)

    scenario = sub.add_parser("scenario", help="scripted lifecycles on a virtual clock").add_subparsers(
        dest="action", required=True)
    run = scenario.add_parser("run", help="run a scenario file and print its timeline")
    run.add_argument("file")
    run.add_argument("--json", action="store_true", help="timeline as JSON lines")
    run.add_argument("--out", help="write every email sent as .eml files here")
    run.add_argument("--every-minute", action="store_true",
                     help="invoke the sweeper every simulated minute, even when nothing is due")
    run.set_defaults(func=_scenario)

    tickets = sub.add_parser("tickets", help="list open tickets")
    tickets.add_argument("--status")
    tickets.add_argument("--severity")
    tickets.add_argument("--all", action="store_true", help="include resolved and closed tickets")
    tickets.add_argument("--stack")
    tickets.add_argument("--json", action="store_true")
    tickets.set_defaults(func=_tickets)
    show = sub.add_parser("show", help="a ticket with its thread, clocks and escalations")
    show.add_argument("ticket", type=int)
    show.add_argument("--stack")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)
    for name, text in (("ack", "acknowledge a ticket; stops its escalation chain"),
                       ("status", "change a ticket's status"), ("priority", "change a ticket's severity"),
                       ("note", "add a note (internal unless --public)")):
        op = sub.add_parser(name, help=text)
        op.add_argument("ticket", type=int)
        if name == "status":
            op.add_argument("status", help="acknowledged|investigating|pending|workaround|resolved|closed")
        elif name == "priority":
            op.add_argument("severity", help="severity id, name or alias")
        elif name == "note":
            op.add_argument("text")
            op.add_argument("--public", action="store_true", help="the status line customers see in updates")
        op.add_argument("--stack")
        op.set_defaults(func=_ticket_op)

    from helpdesk_local.report_cli import add_parser as add_report_parser

    add_report_parser(sub)

    ev = sub.add_parser("eval", help="classifier accuracy and confusion matrix on the labelled examples")
    ev.add_argument("--policy", action="append", help="preset to evaluate (repeatable; default: all)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
