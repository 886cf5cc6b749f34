"""Who may join a ticket: the people on its thread, the requester's colleagues, and staff.

Knowing a ticket's number, its token or one of its Message-IDs proves nothing: all of them are
quoted in every reply chain. A message joins a ticket only when its sender is a participant,
a colleague on the requester's registrable domain (never a free-mail domain), or staff; and only
when the From header names exactly one address, so a display name or a second address can
never make a stranger look like the customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from helpdesk.accounts.lookup import registrable_domain

if TYPE_CHECKING:
    from helpdesk.mail.parsing import InboundMail
    from helpdesk.policy.models import Policy
    from helpdesk.tickets.records import Ticket

# Mailbox providers whose users are strangers to each other, whatever their shared domain says.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "mail.com", "zoho.com", "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com",
    "126.com", "naver.com", "hanmail.net", "orange.fr", "free.fr", "laposte.net", "libero.it", "seznam.cz",
    "wp.pl", "o2.pl", "btinternet.com", "comcast.net", "verizon.net", "att.net", "fastmail.com", "hey.com",
    "tutanota.com", "rediffmail.com",
})


def ours(address: str, support_address: str) -> bool:
    """Our own addresses (the support address and its plus-tokens) never count as participants."""
    local, _, domain = support_address.lower().partition("@")
    own_local, _, own_domain = address.lower().partition("@")
    return own_domain == domain and own_local.split("+", 1)[0] == local


def thread_addresses(mail: InboundMail, support_address: str) -> set[str]:
    """From (when it names one address), To and Cc of a message, ours excluded."""
    senders = mail.from_addresses[:1] if mail.sender_trusted else []
    found = {a.lower() for a in [*senders, *mail.to, *mail.cc] if "@" in a}
    return {a for a in found if not ours(a, support_address)}


def colleagues(sender: str, requester: str) -> bool:
    domain = registrable_domain(sender)
    return domain not in FREE_MAIL and domain == registrable_domain(requester)


def may_join(ticket: Ticket, mail: InboundMail, sender: str, policy: Policy, staff_domains: Iterable[str]) -> bool:
    if not mail.sender_trusted:
        return False
    if sender in ticket.participants or sender.rpartition("@")[2].lower() in set(staff_domains):
        return True
    return policy.intake.colleagues_may_join and colleagues(sender, ticket.requester)
