"""The account a CLI command should assume: one from the directory by domain, or facts given inline."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from helpdesk.accounts.model import DEFAULT_ACCOUNT, Account


def add_account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", help="email domain of an account in the directory")
    parser.add_argument("--stack", help="read the account directory of a deployed stack")
    parser.add_argument("--arr", help="annual recurring revenue of an inline account, e.g. 2400000 or 2.4M")
    parser.add_argument("--flags", help="inline account flags, e.g. fortune500,strategic")
    parser.add_argument("--industry", help="inline account industry, e.g. healthcare")
    parser.add_argument("--customer-since", type=date.fromisoformat, help="inline account start date, YYYY-MM-DD")


def inline_facts(args: argparse.Namespace) -> dict[str, Any]:
    facts = {"arr": args.arr, "flags": args.flags, "industry": args.industry,
             "customer_since": getattr(args, "customer_since", None)}
    return {k: v for k, v in facts.items() if v is not None}


def account_for(args: argparse.Namespace, facts: dict[str, Any] | None = None) -> Account:
    """The directory's account for `--account` (or the default), with any inline facts on top."""
    facts = inline_facts(args) if facts is None else facts
    base = DEFAULT_ACCOUNT
    if args.account:
        from helpdesk_local.policy_cli import find_account
        from helpdesk_local.target import open_target

        with open_target(args.stack, save=False) as target:
            base = find_account(target.store, args.account)
    if not facts:
        return base
    fields = {**base.imported_fields(), **facts}
    if base.is_default:
        fields.update(domain=args.account or "inline.example", name=args.account or "Inline account")
    return Account.model_validate(fields)
