"""Which account a sender belongs to, by the domains of their address up to the registrable one.

The public suffix list (bundled with `publicsuffixlist`, never fetched at run time) stops the
walk at the registrable domain, so `bob@eu.mail.acme.co.uk` finds `acme.co.uk` but never `co.uk`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from helpdesk import prebuilt
from helpdesk.accounts.model import DEFAULT_ACCOUNT, DEFAULT_DOMAIN, Account


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList  # deferred: the list loads on first lookup

    compiled = prebuilt.public_suffixes()
    if compiled is None:
        return PublicSuffixList()
    # The library's own matching over rules parsed at build time (parsing the bundled file costs ~30 ms).
    suffixes = PublicSuffixList.__new__(PublicSuffixList)
    suffixes.accept_unknown = True
    suffixes._publicsuffix, suffixes._maxlabel = compiled  # noqa: SLF001 - what its parser would set
    return suffixes


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def registrable_domain(address_or_domain: str) -> str:
    """`eu.mail.acme.co.uk` -> `acme.co.uk`; a bare public suffix stays as it is."""
    domain = domain_of(address_or_domain) if "@" in address_or_domain else address_or_domain.lower().rstrip(".")
    return _suffixes().privatesuffix(domain) or domain


def candidate_domains(address: str) -> list[str]:
    """The address's domain and its parents down to the registrable domain, most specific first."""
    domain = domain_of(address)
    base = registrable_domain(domain)
    labels = domain.split(".")
    found = []
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        found.append(candidate)
        if candidate == base:
            break
    return found


def lookup_domains(address: str) -> list[str]:
    """Every account key worth reading for a sender: its candidates and the default account."""
    return [*candidate_domains(address), DEFAULT_DOMAIN]


def pick_account(address: str, found: dict[str, Account]) -> Account:
    for domain in candidate_domains(address):
        if domain in found:
            return found[domain]
    return found.get(DEFAULT_DOMAIN, DEFAULT_ACCOUNT)
