"""Customer accounts, keyed by email domain. Policies read their facts (ARR, flags, industry)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    health_until: str = ""  # end of the monitoring window after a serious incident (set on resolution)
    health_ticket: int | None = None

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
        data.pop("health_until")
        data.pop("health_ticket")
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
            health_until=item.get("health_until") or "", health_ticket=item.get("health_ticket"),
        )


DEFAULT_ACCOUNT = Account(domain=DEFAULT_DOMAIN, name="Unknown account")
KNOWN_FLAGS = {"fortune500", "strategic", "reference", "board_relationship", "industry_leader"}
_DOMAIN = re.compile(r"^(\*|[a-z0-9-]+(\.[a-z0-9-]+)+)$")


class AccountRecord(BaseModel):
    """One row of an account import, validated field by field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    domain: str
    name: str = Field(min_length=1)
    arr: float = Field(default=0, ge=0)
    flags: list[str] = Field(default_factory=list)
    industry: str = ""
    customer_since: date | None = None
    renewal_date: date | None = None
    csm_name: str = ""
    csm_email: str = ""
    csm_phone: str = ""
    executive_sponsor: str = ""

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.lower().rstrip(".")
        if not _DOMAIN.match(value):
            raise ValueError(f"not an email domain: {value!r} (use '*' for the default account)")
        return value

    @field_validator("flags", mode="before")
    @classmethod
    def _flags(cls, value: object) -> object:
        if isinstance(value, str):
            value = [f for f in re.split(r"[;|,\s]+", value) if f]
        if isinstance(value, list):
            unknown = [f for f in value if str(f).lower() not in KNOWN_FLAGS]
            if unknown:
                raise ValueError(f"unknown flags {unknown}; known: {sorted(KNOWN_FLAGS)}")
            return [str(f).lower() for f in value]
        return value

    @field_validator("industry")
    @classmethod
    def _industry(cls, value: str) -> str:
        return value.lower()

    @field_validator("csm_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError("not an email address")
        return value.lower()

    @field_validator("arr", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        if isinstance(value, str):
            cleaned = value.replace("$", "").replace(",", "").strip().lower()
            scale = {"k": 1e3, "m": 1e6}.get(cleaned[-1:], 1)
            return float(cleaned.rstrip("km") or 0) * scale
        return value

    def to_account(self) -> Account:
        return Account(domain=self.domain, name=self.name, arr=self.arr, flags=frozenset(self.flags),
                       industry=self.industry, customer_since=self.customer_since, renewal_date=self.renewal_date,
                       csm_name=self.csm_name, csm_email=self.csm_email, csm_phone=self.csm_phone,
                       executive_sponsor=self.executive_sponsor)


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
