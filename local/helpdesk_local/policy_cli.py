"""`helpdesk policy check|simulate`, `helpdesk classify` and `helpdesk accounts import|list`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from helpdesk.accounts.lookup import pick_account
from helpdesk.accounts.model import DEFAULT_ACCOUNT, RENEWAL_OUTCOMES, Account
from helpdesk.classify import Classifier
from helpdesk.core.errors import PolicyError
from helpdesk.mail.parsing import parse_mail
from helpdesk.policy.loader import load_policy, parse_policy, policy_path
from helpdesk.sla.targets import plan, schedule, timezone_of


class ImportRejectedError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- policy ------------------------------------------------------------------------------------

def check_policy(name: str) -> list[str]:
    """Validation problems of a preset or file; empty when it is valid."""
    try:
        path = policy_path(name)
        parse_policy(path.read_text(encoding="utf-8"), source=str(path))
    except PolicyError as exc:
        return str(exc).splitlines()
    return []


def simulate(policy_name: str, severity: str, at: datetime, account: Account) -> dict[str, Any]:
    policy = load_policy(policy_name)
    severity_id = policy.resolve_severity(severity)
    targets = plan(policy, severity_id, at, account)
    zone = ZoneInfo(timezone_of(policy, severity_id))
    milestones = schedule(policy, targets, account)
    return {
        "policy": policy.name, "severity": severity_id, "severity_name": policy.severities[severity_id].name,
        "opened_at": at.isoformat(), "timezone": str(zone), "account": account.domain,
        "modifiers": targets.modifiers, "factor": targets.factor, "after_hours": targets.after_hours,
        "clock": targets.clock,
        "due": [{**m.as_dict(), "local": m.at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")} for m in milestones],
    }


def format_simulation(result: dict[str, Any]) -> str:
    lines = [f"{result['policy']} / {result['severity']} {result['severity_name']} opened "
             f"{result['opened_at']} (clock: {result['clock']}, times in {result['timezone']})"]
    if result["modifiers"]:
        lines.append(f"account {result['account']}: {', '.join(result['modifiers'])} (targets x{result['factor']})")
    if result["after_hours"]:
        lines.append("opened after hours: the after-hours first-response target applies")
    for due in result["due"]:
        lines.append(f"  {due['local']:<26} {due['kind']:<15} {due['label']}")
    return "\n".join(lines)


# -- classify ----------------------------------------------------------------------------------

def read_message(path: Path) -> tuple[str, str]:
    """(subject, new text) of a .eml file, or of a .txt file whose first line is the subject."""
    data = path.read_bytes()
    if path.suffix.lower() == ".eml":
        mail = parse_mail(data)
        return mail.subject, mail.new_text
    text = data.decode("utf-8", "replace")
    subject, _, body = text.partition("\n")
    return subject.strip(), body


def classify_file(classifier: Classifier, path: Path, account: Account = DEFAULT_ACCOUNT) -> dict[str, Any]:
    subject, text = read_message(path)
    return {"file": str(path), **classifier.classify(subject, text, account).as_dict()}


def classify_source(classifier: Classifier, source: Any, account: Account = DEFAULT_ACCOUNT) -> dict[str, Any]:
    """A message from any mail source; a `.txt` file is a subject line and a body, not MIME."""
    if source.label.lower().endswith(".txt"):
        subject, _, body = source.raw.decode("utf-8", "replace").partition("\n")
        subject, text = subject.strip(), body
    else:
        mail = parse_mail(source.raw)
        subject, text = mail.subject, mail.new_text
    return {"file": source.label, **classifier.classify(subject, text, account).as_dict()}


# -- accounts ----------------------------------------------------------------------------------

def _yaml_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data, root = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ImportRejectedError([f"{path}: not valid YAML: {exc}"]) from exc
    if isinstance(data, dict) and isinstance(root, yaml.MappingNode):
        data = data.get("accounts")
        root = next((v for k, v in root.value if k.value == "accounts"), None)
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise ImportRejectedError([f"{path}: expected a list of accounts (or a mapping with key 'accounts')"])
    return [(node.start_mark.line + 1, entry) for node, entry in zip(root.value, data, strict=True)]


def read_account_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Rows with the line number a person would look at in their editor."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_rows(path, text)
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, row) for row in reader]


def _cleaned(row: Any) -> Any:
    """CSV and YAML rows alike: header names trimmed, empty cells left out."""
    return {k.strip(): v for k, v in row.items() if k and v not in (None, "")} if isinstance(row, dict) else row


def _row_account(where: str, row: Any) -> tuple[Account | None, list[str]]:
    """The account a row describes, or the problems that name its fields.

    A `renewal_outcome` column (renewed or churned) is the one system field an import may carry:
    it is recorded as `helpdesk accounts renew|churn` records it, stamped with the import's time.
    """
    cleaned = _cleaned(row)
    outcome = str(cleaned.pop("renewal_outcome", "")).strip().lower() if isinstance(cleaned, dict) else ""
    if outcome and outcome not in RENEWAL_OUTCOMES:
        return None, [f"{where}: renewal_outcome: {outcome!r} is not one of {', '.join(RENEWAL_OUTCOMES)}"]
    try:
        account = Account.from_row(cleaned) if isinstance(cleaned, dict) else Account.model_validate(cleaned)
        return (account.model_copy(update={"renewal_outcome": outcome}) if outcome else account), []
    except ValidationError as exc:
        return None, [f"{where}: {'.'.join(str(p) for p in e['loc']) or 'row'}: "
                      f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    except ValueError as exc:
        return None, [f"{where}: row: {exc}"]


def validate_accounts(path: Path) -> list[Account]:
    problems: list[str] = []
    records: list[Account] = []
    seen: dict[str, int] = {}
    for line, row in read_account_rows(path):
        record, found = _row_account(f"{path}:{line}", row)
        problems += found
        if record is None:
            continue
        if record.domain in seen:
            problems.append(f"{path}:{line}: domain: {record.domain} already given on line {seen[record.domain]}")
        seen[record.domain] = line
        records.append(record)
    if problems:
        raise ImportRejectedError(problems)
    return records


def import_accounts(store: Any, path: Path, now: datetime | None = None) -> int:
    accounts = validate_accounts(path)  # all rows are checked before anything is written
    store.accounts.replace(accounts)
    for account in accounts:
        if account.renewal_outcome:
            store.accounts.record_renewal(account.domain, account.renewal_outcome, now or datetime.now(UTC))
    return len(accounts)


def record_renewal(store: Any, domain: str, outcome: str, now: datetime) -> Account | None:
    """`helpdesk accounts renew|churn DOMAIN`: the outcome of the account's renewal; None if unknown."""
    from helpdesk.core.errors import ConflictError

    domain = domain.strip().lower()
    try:
        store.accounts.record_renewal(domain, outcome, now)
    except ConflictError:
        return None
    return store.accounts.get_many([domain]).get(domain)


def list_accounts(store: Any) -> list[Account]:
    return store.accounts.all()


def find_account(store: Any, domain: str | None) -> Account:
    if not domain:
        return DEFAULT_ACCOUNT
    found = {a.domain: a for a in list_accounts(store)}
    return pick_account(f"someone@{domain}", found)


def accounts_json(accounts: list[Account]) -> str:
    return json.dumps([a.imported_fields() for a in accounts], indent=2)
