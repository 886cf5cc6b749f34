"""The `helpdesk` command: demo, replay, and the operator tools.

Size: the argparse tree of every command in one place, so `helpdesk --help` and the docs match;
the work of each command lives in its own module.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any


def _demo(args: argparse.Namespace) -> int:
    from helpdesk_local.demo import print_event, run_demo

    out = Path(args.out)
    if not args.json:
        print(f"Replaying the sample mail in events/mail on embedded AWS; outbound mail goes to {out}/\n")
    run_demo(out, lambda event: print_event(event, args.json), serve=args.serve)
    if not args.json:
        print(f"\nOpen the .eml files in {out}/ with any mail client to read what customers received.")
    return 0


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


def _simulation_requests(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One request per `--at`, or one per JSON line on stdin (`--at -`), each with optional own facts."""
    if args.at == ["-"]:
        return [json.loads(line) for line in sys.stdin if line.strip()]
    return [{"at": at} for at in args.at]


def _simulate_one(args: argparse.Namespace, request: dict[str, Any]) -> dict[str, Any]:
    from helpdesk_local.account_facts import account_for, inline_facts
    from helpdesk_local.policy_cli import simulate

    given: dict[str, Any] = {k: request[k] for k in ("arr", "flags", "industry", "customer_since") if k in request}
    facts = {**inline_facts(args), **given}
    scoped = argparse.Namespace(**{**vars(args), "account": request.get("account", args.account)})
    severity = request.get("severity", args.severity)
    if not severity:
        raise KeyError("each simulation needs a severity (--severity, or \"severity\" in the JSON line)")
    return simulate(request.get("policy", args.policy), severity, _parse_instant(str(request["at"])),
                    account_for(scoped, facts))


def _policy_simulate(args: argparse.Namespace) -> int:
    from helpdesk.core.errors import PolicyError
    from helpdesk_local.policy_cli import format_simulation

    try:
        results = [_simulate_one(args, request) for request in _simulation_requests(args)]
    except (PolicyError, KeyError, ValueError, argparse.ArgumentTypeError) as exc:
        print(f"helpdesk policy simulate: {exc}", file=sys.stderr)
        return 2
    for result in results:
        if args.json:
            print(json.dumps(result, indent=None if len(results) > 1 else 2))
        else:
            print(format_simulation(result))
    return 0


def _policy_show(args: argparse.Namespace) -> int:
    from helpdesk.core.errors import PolicyError
    from helpdesk.policy.loader import load_policy

    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        print(f"helpdesk policy show: {exc}", file=sys.stderr)
        return 2
    document = policy.model_dump(mode="json")
    print(json.dumps(document, indent=2) if args.json else yaml_text(document))
    return 0


def yaml_text(document: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def _classify(args: argparse.Namespace) -> int:
    from helpdesk.classify import Classifier
    from helpdesk.policy.loader import load_policy
    from helpdesk_local.account_facts import account_for
    from helpdesk_local.mail_sources import mail_sources
    from helpdesk_local.policy_cli import classify_source

    classifier = Classifier(load_policy(args.policy))
    account = account_for(args)
    for source in mail_sources(args.paths):
        row = classify_source(classifier, source, account)
        if args.json:
            print(json.dumps(row))
            continue
        triggers = ", ".join(row["triggers"]) or "no triggers"
        print(f"{row['severity']:<9} {row['issue_type']:<22} {row['emotion']:<10} {triggers}  {source.label}")
        for ev in row["evidence"]:
            print(f"    {ev['decision']}={ev['value']} by {ev['rule']}: {', '.join(ev['phrases']) or '-'}")
    return 0


def _accounts_import(args: argparse.Namespace) -> int:
    from helpdesk_local.policy_cli import ImportRejectedError, import_accounts
    from helpdesk_local.target import open_target

    try:
        with open_target(args.stack) as target:
            count = import_accounts(target.store, Path(args.file), target.clock.now())
    except ImportRejectedError as exc:
        print(f"nothing imported; fix these rows first:\n{exc}", file=sys.stderr)
        return 1
    print(f"imported {count} accounts into {target.name}")
    return 0


def _accounts_renewal(args: argparse.Namespace) -> int:
    from helpdesk_local.policy_cli import record_renewal
    from helpdesk_local.target import open_target

    outcome = "renewed" if args.action == "renew" else "churned"
    with open_target(args.stack) as target:
        account = record_renewal(target.store, args.domain, outcome, target.clock.now())
    if account is None:
        print(f"helpdesk accounts {args.action}: no account {args.domain!r} in the directory", file=sys.stderr)
        return 1
    due = account.renewal_date.isoformat() if account.renewal_date else "no renewal date on file"
    print(f"{account.domain}: {outcome} (renewal date {due}); counted in retention for the period of that date")
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
    from helpdesk_local.ops_cli import format_ticket_row, list_tickets, zone_of
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        tickets = list_tickets(target, args.status, args.severity, args.all)
        zone = zone_of(target)
    if args.json:
        print(json.dumps([t.model_dump(mode="json", exclude_none=True) for t in tickets]))
    else:
        for ticket in tickets:
            print(format_ticket_row(ticket, zone))
        print(f"{len(tickets)} tickets (times in {zone.key})")
    return 0


def _show(args: argparse.Namespace) -> int:
    from helpdesk_local.ops_cli import format_show, show, show_json, zone_of
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        view = show(target, args.ticket)
        zone = zone_of(target)
    if view is None:
        print(f"no ticket #{args.ticket}", file=sys.stderr)
        return 1
    print(json.dumps(show_json(view), indent=2) if args.json else format_show(view, zone))
    return 0


def _retry(args: argparse.Namespace) -> int:
    from helpdesk_local.ops_cli import retry_parked
    from helpdesk_local.target import open_target

    with open_target(args.stack) as target:
        revived = retry_parked(target, args.ticket, args.item)
    if not revived:
        print(f"nothing parked to retry on #{args.ticket}{f' matching {args.item}' if args.item else ''}",
              file=sys.stderr)
        return 1
    print(f"#{args.ticket}: {len(revived)} item(s) due again: {', '.join(revived)}")
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
    return _expectations(runtime, Path(args.file))


def _expectations(runtime: object, path: Path) -> int:
    """The scenario's `expect:` block: each broken promise on stderr, and exit status 1."""
    from helpdesk_local.expectations import check
    from helpdesk_local.scenario import load_scenario

    scenario = load_scenario(path)
    if scenario.expect is None:
        return 0
    problems = check(runtime, scenario.expect, scenario.policy)  # type: ignore[arg-type]
    for problem in problems:
        print(f"helpdesk scenario: expectation not met: {problem}", file=sys.stderr)
    if not problems:
        print("helpdesk scenario: every expectation met", file=sys.stderr)
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Serverless support desk: local tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="replay the sample mail on embedded AWS and print the timeline")
    demo.add_argument("--json", action="store_true", help="print the timeline as JSON lines")
    demo.add_argument("--out", default="out", help="directory for the outbound .eml files (default: out)")
    demo.add_argument("--serve", action="store_true",
                      help="afterwards, serve the survey function on 127.0.0.1 so rating links can be clicked")
    demo.set_defaults(func=_demo)

    from helpdesk_local import parse_cli, replay
    from helpdesk_local.account_facts import add_account_options

    replay.add_parser(sub)
    parse_cli.add_parser(sub)

    policy = sub.add_parser("policy", help="check or simulate a policy").add_subparsers(dest="action", required=True)
    check = policy.add_parser("check", help="validate a preset or policy file; prints ok or the errors")
    check.add_argument("policy", help="preset name (p0-p3, four-level, p1-p4) or path to a YAML file")
    check.set_defaults(func=_policy_check)
    show = policy.add_parser("show", help="the resolved policy (presets merged, defaults filled in)")
    show.add_argument("policy", help="preset name or path to a YAML file")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_policy_show)
    sim = policy.add_parser("simulate", help="print every due time of a ticket opened at given instants")
    sim.add_argument("--policy", default="p0-p3")
    sim.add_argument("--severity", help="id, name or alias, e.g. P0, Critical, RED")
    sim.add_argument("--at", required=True, action="append",
                     help="ISO-8601 with offset; repeat for several, or `-` to read JSON lines from stdin "
                          '({"at": ..., "severity": ..., "account": ..., "arr": ..., "flags": ...})')
    add_account_options(sim)
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(func=_policy_simulate)

    classify = sub.add_parser("classify", help="classify messages (.eml, mbox, maildir; a .txt's first line is "
                                               "the subject)")
    classify.add_argument("paths", nargs="+")
    classify.add_argument("--policy", default="p0-p3")
    add_account_options(classify)
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
    for action, text in (("renew", "record that the account renewed (counts toward retention)"),
                         ("churn", "record that the account did not renew")):
        outcome = accounts.add_parser(action, help=text)
        outcome.add_argument("domain", help="the account's email domain")
        outcome.add_argument("--stack", help="a deployed stack instead of embedded AWS")
        outcome.set_defaults(func=_accounts_renewal)

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
    retry = sub.add_parser("retry", help="run parked (failed) due work of a ticket again")
    retry.add_argument("ticket", type=int)
    retry.add_argument("item", nargs="?", help="the item (its ref in `show --json`, or a kind); default: all parked")
    retry.add_argument("--stack")
    retry.set_defaults(func=_retry)
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

    from helpdesk_local.incident_cli import add_parser as add_incident_parser
    from helpdesk_local.report_cli import add_parser as add_report_parser

    add_incident_parser(sub)

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
