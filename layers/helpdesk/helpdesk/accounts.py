"""Customer accounts, keyed by email domain. Policies read their facts (ARR, flags, industry)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

DEFAULT_DOMAIN = "*"


@dataclass(frozen=True)
class Account:
    domain: str
    name: str
    arr: float = 0.0
    flags: frozenset[str] = field(default_factory=frozenset)  # fortune500, strategic, reference
    industry: str = ""
    customer_since: date | None = None
    renewal_date: date | None = None
    csm_name: str = ""
    csm_email: str = ""
    csm_phone: str = ""
    executive_sponsor: str = ""

    @property
    def is_default(self) -> bool:
        return self.domain == DEFAULT_DOMAIN

    def customer_age_days(self, now: datetime) -> int | None:
        return (now.date() - self.customer_since).days if self.customer_since else None

    def arr_band(self) -> str:
        for limit, label in ((1_000_000, "$1M+"), (500_000, "$500K-1M"), (100_000, "$100K-500K")):
            if self.arr >= limit:
                return label
        return "<$100K" if self.arr else "unknown"

    def to_item(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = sorted(self.flags)
        for name in ("customer_since", "renewal_date"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Account:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            domain=item["domain"], name=item.get("name", item["domain"]), arr=float(item.get("arr") or 0),
            flags=frozenset(item.get("flags") or ()), industry=item.get("industry") or "",
            customer_since=day(item.get("customer_since")), renewal_date=day(item.get("renewal_date")),
            csm_name=item.get("csm_name") or "", csm_email=item.get("csm_email") or "",
            csm_phone=item.get("csm_phone") or "", executive_sponsor=item.get("executive_sponsor") or "",
        )


DEFAULT_ACCOUNT = Account(domain=DEFAULT_DOMAIN, name="Unknown account")


def candidate_domains(address: str) -> list[str]:
    """`bob@eu.mail.acme.com` -> [eu.mail.acme.com, mail.acme.com, acme.com]: subdomains find their parent."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))] if len(labels) > 1 else [domain]


def pick_account(address: str, found: dict[str, Account]) -> Account:
    for domain in candidate_domains(address):
        if domain in found:
            return found[domain]
    return found.get(DEFAULT_DOMAIN, DEFAULT_ACCOUNT)
