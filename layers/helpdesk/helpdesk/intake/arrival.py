"""One arriving message and everything a single BatchGetItem tells us before deciding what it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpdesk.intake.records import SenderRecord
from helpdesk.intake.ses_event import SesRecord
from helpdesk.mail.addresses import read_token
from helpdesk.mail.parsing import InboundMail

if TYPE_CHECKING:
    from helpdesk.adapters.aws.store import Found, Store

_TAG = re.compile(r"\[#(\d{1,12})\]")
MAX_THREAD_IDS = 20


@dataclass
class Arrival:
    record: SesRecord
    mail: InboundMail
    sender: str
    raw_key: str
    found: Found | None = None
    token_ticket: int | None = None
    staff_ticket: int | None = None
    tag_ticket: int | None = None
    related_ticket: int | None = None
    related_reason: str | None = None
    referenced: list[int] = field(default_factory=list)  # tickets whose Message-IDs this mail cites

    @property
    def message_id(self) -> str:
        return self.record.message_id

    def read_addresses(self, support_address: str, key: bytes) -> None:
        """Tokens in the recipients and the subject tag: the ticket numbers this mail claims."""
        for recipient in self.record.recipients:
            token = read_token(recipient, support_address, key)
            if token and token.audience == "customer":
                self.token_ticket = token.ticket
            elif token:
                self.staff_ticket = token.ticket
        tag = _TAG.search(self.mail.subject)
        if tag:
            self.tag_ticket = int(tag.group(1))

    def load(self, store: Store, policy_digest: str | None, incident_windows: list[str] | None = None) -> None:
        from helpdesk.intake.flood import sender_domain

        lookup = store.lookup().inbound(self.message_id).sender(self.sender)
        domain = sender_domain(self.sender)
        if domain:
            lookup.sender_domain(domain)
        lookup.message_ids(self.mail.thread_ids[:MAX_THREAD_IDS]).accounts_for(self.sender)
        lookup.tickets([n for n in {self.token_ticket, self.tag_ticket, self.staff_ticket} if n is not None])
        if policy_digest:
            lookup.policy(policy_digest)
        if incident_windows:
            lookup.incident_watch(incident_windows)  # detection's reads ride in the same BatchGetItem
        self.found = lookup.fetch()
        cited = (self.found.ticket_of_message(m) for m in self.mail.thread_ids[:MAX_THREAD_IDS])
        self.referenced = list(dict.fromkeys(n for n in cited if n is not None))

    def domain_record(self) -> SenderRecord | None:
        from helpdesk.intake.flood import sender_domain

        domain = sender_domain(self.sender)
        return self.facts.sender_domain(domain) if domain else None

    @property
    def facts(self) -> Found:
        assert self.found is not None, "load() first"
        return self.found
