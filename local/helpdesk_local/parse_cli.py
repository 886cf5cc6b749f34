"""`helpdesk parse FILE [--json]`: what intake reads from a message, without embedded AWS.

The sender as the address parser sees it (never the display name), the recipients, the subject,
the new text after quote stripping with the lines removed and why, the attachments, whether a
robot wrote it, and how the classifier would judge it for a given account.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from helpdesk.accounts.model import Account
from helpdesk.classify import Classifier
from helpdesk.mail.loops import ack_suppression, drop_reason
from helpdesk.mail.parsing import InboundMail, parse_mail
from helpdesk.mail.robots import robot_verdict
from helpdesk.policy.loader import load_policy
from helpdesk_local.account_facts import account_for, add_account_options
from helpdesk_local.mail_sources import Source, mail_sources


def _sender(mail: InboundMail) -> dict[str, Any]:
    return {"address": mail.from_address, "name": mail.from_name, "trusted": mail.sender_trusted,
            "addresses": mail.from_addresses, "problems": mail.identity_problems, "sender_header": mail.sender,
            "reply_to": mail.reply_to}


def _robot(mail: InboundMail) -> dict[str, Any] | None:
    verdict = robot_verdict(mail, mail.header("return-path"))
    return {"kind": verdict.kind, "reason": verdict.reason, "note": verdict.note} if verdict else None


def parse_message(source: Source, classifier: Classifier, account: Account) -> dict[str, Any]:
    from helpdesk.mail.quotes import strip_reply  # the quote stripper's explained form

    mail = parse_mail(source.raw)
    stripped = strip_reply(mail.text, mail.subject)
    return {
        "file": source.label,
        "sender": _sender(mail),
        "to": mail.to, "cc": mail.cc,
        "subject": mail.subject,
        "message_id": mail.message_id, "in_reply_to": mail.in_reply_to, "references": mail.references,
        "date": mail.date.isoformat() if mail.date else None,
        "html_only": mail.html_only,
        "new_text": mail.new_text,
        "stripped": stripped.as_dict(),
        "attachments": [{"name": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in mail.attachments],
        "robot": _robot(mail),
        "drop_reason": drop_reason(mail, mail.header("return-path")),
        "ack_suppression": ack_suppression(mail),
        "bounce": {"kind": mail.bounce_kind, "reason": mail.bounce_reason, "failed_recipients": mail.failed_recipients}
        if mail.bounce_kind else None,
        "defects": mail.defects,
        "classification": classifier.classify(mail.subject, mail.new_text, account).as_dict(),
    }


def _text(row: dict[str, Any]) -> str:
    sender = row["sender"]
    trust = "trusted" if sender["trusted"] else f"UNTRUSTED ({', '.join(sender['problems']) or 'no address'})"
    robot = row["robot"]
    c = row["classification"]
    lines = [f"{row['file']}",
             f"  from     {sender['address']} ({sender['name'] or 'no name'}) - {trust}",
             f"  to       {', '.join(row['to']) or '-'}; cc {', '.join(row['cc']) or '-'}",
             f"  subject  {row['subject']}",
             f"  robot    {robot['kind'] + ' by ' + robot['reason'] if robot else 'no (a person wrote it)'}",
             f"  verdict  {c['severity']} {c['issue_type']} {c['emotion']} triggers: {', '.join(c['triggers']) or '-'}",
             f"  attachments {', '.join(a['name'] for a in row['attachments']) or '-'}",
             "  new text:"]
    lines += [f"    | {line}" for line in (row["new_text"] or "(none)").splitlines()]
    lines += [f"  removed lines {r['first_line']}-{r['last_line']}: {r['reason']}" for r in row["stripped"]["removed"]]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    classifier = Classifier(load_policy(args.policy))
    account = account_for(args)
    try:
        for source in mail_sources(args.paths):
            row = parse_message(source, classifier, account)
            print(json.dumps(row, default=str) if args.json else _text(row))
    except FileNotFoundError as exc:
        print(f"helpdesk parse: {exc}", file=sys.stderr)
        return 2
    return 0


def add_parser(sub: Any) -> None:
    parse = sub.add_parser("parse", help="what intake reads from a message (no embedded AWS needed)")
    parse.add_argument("paths", nargs="+", help=".eml files, directories, maildirs or mbox files")
    parse.add_argument("--policy", default="p0-p3", help="policy whose classifier judges the message")
    parse.add_argument("--json", action="store_true", help="one JSON object per message")
    add_account_options(parse)
    parse.set_defaults(func=_run)
