"""Composition root: builds each function's service once per container from its environment."""

from __future__ import annotations

import os
from functools import lru_cache

from helpdesk.acknowledgment import AckSender
from helpdesk.aws import clients
from helpdesk.aws.blobs import BlobStore
from helpdesk.aws.mailer import Mailer
from helpdesk.aws.secrets import signing_key
from helpdesk.aws.table import Table
from helpdesk.aws.ticket_store import TicketStore
from helpdesk.clock import current_clock
from helpdesk.inbound import InboundProcessor
from helpdesk.policy.loader import load_policy
from helpdesk.settings import InboundSettings


@lru_cache(maxsize=1)
def inbound_processor() -> InboundProcessor:
    settings = InboundSettings.from_env(os.environ)
    policy = load_policy(settings.policy_name)
    store = TicketStore(Table(settings.table_name), settings.due_shards)
    key = signing_key(settings.signing_key_secret)
    clock = current_clock()
    ack = AckSender(settings=settings, store=store, mailer=Mailer(), policy=policy, clock=clock, signing_key=key)
    return InboundProcessor(settings=settings, store=store, blobs=BlobStore(settings.inbound_bucket), ack=ack,
                            policy=policy, clock=clock, signing_key=key)


def reset(*, forget_clients: bool = False) -> None:
    """Forget cached services (the local runtime calls this when it starts a fresh environment)."""
    inbound_processor.cache_clear()
    signing_key.cache_clear()
    if forget_clients:
        clients.client.cache_clear()
        clients._session.cache_clear()  # noqa: SLF001 - a new endpoint needs a new session
