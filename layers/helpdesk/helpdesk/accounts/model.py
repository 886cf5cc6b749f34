"""Customer accounts, keyed by email domain: the one model for imports, storage and policies.

An import row and a stored account are validated by the same model, so a value that imports
is a value every reader understands. Fields the system sets (the health window after a serious
incident, renewal outcomes) are never part of an import.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from helpdesk.core.validation import EmailAddress

DEFAULT_DOMAIN = "*"
KNOWN_FLAGS = frozenset({"fortune500", "strategic", "reference", "board_relationship", "industry_leader"})
SYSTEM_FIELDS = frozenset({"health_until", "health_ticket", "health_severity", "renewal_outcome",
                           "renewal_recorded_at"})
RENEWAL_OUTCOMES = ("renewed", "churned")
_DOMAIN = re.compile(r"^(\*|[a-z0-9-]+(\.[a-z0-9-]+)+)$")
_ARR_BANDS = ((1_000_000, "$1M+"), (500_000, "$500K-1M"), (100_000, "$100K-500K"))


class Contact(BaseModel):
    """A named person at the customer, for example an executive whose involvement raises the stakes."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = ""
    email: EmailAddress = ""
    title: str = ""


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    domain: str
    name: str = Field(min_length=1)
    arr: float = Field(default=0, ge=0)
    flags: frozenset[str] = frozenset()
    industry: str = ""
    customer_since: date | None = None
    renewal_date: date | None = None
    csm_name: str = ""
    csm_email: EmailAddress = ""
    csm_phone: str = ""
    executive_sponsor: str = ""
    contacts: tuple[Contact, ...] = ()
    # Set by the system, never imported:
    health_until: datetime | None = None
    health_ticket: int | None = None
    health_severity: str | None = None
    renewal_outcome: Literal["renewed", "churned"] | None = None  # of the renewal on `renewal_date`
    renewal_recorded_at: datetime | None = None

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
        if isinstance(value, list | tuple | set | frozenset):
            flags = {str(f).lower() for f in value}
            unknown = sorted(flags - KNOWN_FLAGS)
            if unknown:
                raise ValueError(f"unknown flags {unknown}; known: {sorted(KNOWN_FLAGS)}")
            return frozenset(flags)
        return value

    @field_serializer("flags")
    def _sorted_flags(self, flags: frozenset[str]) -> list[str]:
        return sorted(flags)

    @field_validator("industry")
    @classmethod
    def _industry(cls, value: str) -> str:
        return value.lower()

    @field_validator("arr", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        if isinstance(value, str):
            cleaned = value.replace("$", "").replace(",", "").strip().lower()
            scale = {"k": 1e3, "m": 1e6}.get(cleaned[-1:], 1)
            return float(cleaned.rstrip("km") or 0) * scale
        return value

    @property
    def is_default(self) -> bool:
        return self.domain == DEFAULT_DOMAIN

    def customer_age_days(self, now: datetime) -> int | None:
        return (now.date() - self.customer_since).days if self.customer_since else None

    def days_to_renewal(self, now: datetime) -> int | None:
        return (self.renewal_date - now.date()).days if self.renewal_date else None

    def arr_band(self) -> str:
        for limit, label in _ARR_BANDS:
            if self.arr >= limit:
                return label
        return "<$100K" if self.arr else "unknown"

    def in_health_window(self, now: datetime) -> bool:
        return self.health_until is not None and self.health_until > now

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Account:
        """An import row: system fields are refused like any unknown column."""
        given = sorted(set(row) & SYSTEM_FIELDS)
        if given:
            raise ValueError(f"columns set by the system cannot be imported: {given}")
        return cls.model_validate(row)

    def imported_fields(self) -> dict[str, Any]:
        """What an import writes; system fields survive a re-import because they are left out."""
        return self.model_dump(mode="json", exclude=set(SYSTEM_FIELDS))


DEFAULT_ACCOUNT = Account(domain=DEFAULT_DOMAIN, name="Unknown account")
