"""`helpdesk incidents` and `helpdesk incident show|link|update|resolve`, embedded or `--stack`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from helpdesk.core.clock import local_text


def _desk(target: Any) -> Any:
    from helpdesk.app import factory

    return factory.operator(target.environment, target.clock).incidents


def _number(text: str) -> int:
    from helpdesk.incidents.model import incident_number

    number = incident_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an incident number (INC-12)")
    return number


def _list(args: argparse.Namespace) -> int:
    from helpdesk_local.ops_cli import zone_of
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        found = target.store.incidents.recent(limit=args.limit)
        zone = zone_of(target)
    found = [i for i in found if args.all or i.open]
    if args.json:
        print(json.dumps([i.summary() for i in found]))
        return 0
    for i in found:
        print(f"{i.id:<8} {i.status:<9} {i.severity:<4} {len(i.tickets):>4} tickets {len(i.accounts):>3} accounts "
              f"${i.arr:>12,.0f}  opened {local_text(i.created_at, zone)}  {i.title}")
    print(f"{len(found)} incidents (times in {zone.key})")
    return 0


def _show(args: argparse.Namespace) -> int:
    from helpdesk_local.ops_cli import zone_of
    from helpdesk_local.target import open_target

    with open_target(args.stack, save=False) as target:
        incident = target.store.incidents.get(args.incident)
        log = target.store.incidents.log(args.incident) if incident else []
        zone = zone_of(target)
    if incident is None:
        print(f"no incident INC-{args.incident}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({**incident.summary(), "log": [e.model_dump(mode="json", exclude_none=True) for e in log]},
                         indent=2))
        return 0
    s = incident.summary()
    print(f"{incident.id}: {incident.title}\n  status {incident.status}, severity {incident.severity}, "
          f"lead ticket #{incident.lead}, owner {incident.owner or '-'}")
    print(f"  {len(incident.tickets)} tickets from {len(incident.accounts)} accounts, "
          f"ARR affected ${incident.arr:,.0f}")
    print(f"  strategic accounts: {', '.join(s['strategic_accounts']) or 'none'}")  # type: ignore[arg-type]
    print(f"  tickets: {', '.join(f'#{t}' for t in sorted(incident.tickets))}")
    if incident.status_line:
        print(f"  status line: {incident.status_line}")
    print("  log:")
    for e in log:
        print(f"    {local_text(e.at, zone)}  {e.kind}{f' #{e.ticket}' if e.ticket else ''}"
              f"{f' by {e.actor}' if e.actor != 'system' else ''}{f': {e.text}' if e.text else ''}")
    return 0


def _change(args: argparse.Namespace) -> int:
    from helpdesk.tickets.operations import TicketOpError
    from helpdesk_local.ops_cli import operator
    from helpdesk_local.target import open_target

    try:
        with open_target(args.stack) as target:
            desk = _desk(target)
            if args.action == "link":
                ticket = target.store.tickets.get(args.ticket)
                if ticket is None:
                    raise TicketOpError(f"no ticket #{args.ticket}")
                account = target.store.account_for(ticket.requester)
                incident = desk.link_by_hand(args.incident, ticket, account, operator())
            elif args.action == "update":
                incident = desk.post_update(args.incident, args.text, operator())
            else:
                incident = desk.resolve(args.incident, operator(), args.root_cause, args.fix, args.prevention)
            if target.runtime is not None:
                target.runtime.collect(set(incident.tickets))
    except TicketOpError as exc:
        print(f"helpdesk incident {args.action}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(incident.summary()) if args.json else
          f"{incident.id}: {incident.status}, {len(incident.tickets)} tickets")
    return 0


def add_parser(sub: Any) -> None:
    listing = sub.add_parser("incidents", help="list open incidents (one problem, many tickets)")
    listing.add_argument("--all", action="store_true", help="include resolved incidents")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--stack")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    incident = sub.add_parser("incident", help="show, link, update or resolve an incident").add_subparsers(
        dest="action", required=True)
    show = incident.add_parser("show", help="an incident with its tickets, accounts and log")
    link = incident.add_parser("link", help="link a ticket to an incident")
    update = incident.add_parser("update", help="an update every linked customer receives in their own thread")
    resolve = incident.add_parser("resolve", help="resolve the incident and, with its summary, every linked ticket")
    for parser in (show, link, update, resolve):
        parser.add_argument("incident", type=_number, help="INC-12")
        parser.add_argument("--stack")
        parser.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)
    link.add_argument("--ticket", type=int, required=True)
    update.add_argument("text")
    resolve.add_argument("--root-cause", default="")
    resolve.add_argument("--fix", default="")
    resolve.add_argument("--prevention", default="")
    for parser in (link, update, resolve):
        parser.set_defaults(func=_change)
