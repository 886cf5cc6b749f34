"""Composition root: builds each function's services once per container from its environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from helpdesk import survey
from helpdesk.acknowledgment import AckSender
from helpdesk.aws import clients
from helpdesk.aws.blobs import BlobStore
from helpdesk.aws.mailer import Mailer
from helpdesk.aws.notifier import Notifier
from helpdesk.aws.secrets import signing_key
from helpdesk.aws.table import Table
from helpdesk.aws.ticket_store import TicketStore
from helpdesk.clock import current_clock
from helpdesk.escalation import Escalator, sms_routes
from helpdesk.inbound import InboundProcessor
from helpdesk.outbox import Outbox
from helpdesk.performers import BreachChecker, UpdateSender, WarningSender, Work
from helpdesk.policy.loader import load_policy
from helpdesk.resolution import AfterResolution
from helpdesk.settings import CommonSettings, InboundSettings, SweeperSettings
from helpdesk.staff_notify import StaffNotifier
from helpdesk.staff_reply import StaffReplies
from helpdesk.survey import SurveySender
from helpdesk.sweeper import Performer, Sweeper
from helpdesk.ticket_ops import AutoCloser, TicketOps
from helpdesk.ticket_state import PolicySnapshots


@dataclass(frozen=True)
class Services:
    work: Work
    ack: AckSender
    staff: StaffNotifier
    staff_replies: StaffReplies
    ops: TicketOps
    escalator: Escalator
    sweeper: Sweeper


def build_services(settings: CommonSettings, blobs: BlobStore | None = None) -> Services:
    policy = load_policy(settings.policy_name)
    store = TicketStore(Table(settings.table_name), settings.due_shards)
    key = signing_key(settings.signing_key_secret)
    clock = current_clock()
    outbox = Outbox(Mailer(), settings.support_address)
    notifier = Notifier()
    work = Work(settings, store, outbox, notifier, PolicySnapshots(store, policy), clock, key)
    ack = AckSender(work)
    staff = StaffNotifier(work)
    escalator = Escalator(work, notifier, settings.escalation_topic_arn, sms_routes(settings.sms_routes))
    ops = TicketOps(work)
    staff_replies = StaffReplies(work, ops, escalator, blobs)
    performers: dict[str, Performer] = {
        "ack": ack.perform,
        "staff_notify": staff.perform,
        "breach": BreachChecker(work, escalator),
        "warning": WarningSender(work),
        "update": UpdateSender(work),
        "escalation": escalator,
        "trigger": escalator,
        "sms_digest": escalator.digest,
        "relay": staff_replies.perform,
        "staff_confirm": staff_replies.perform,
        "autoclose": AutoCloser(ops),
        **dict.fromkeys(("resolution_summary", "sponsor_note", "followup", "review"), AfterResolution(work)),
        **dict.fromkeys(("survey", "survey_feedback"), SurveySender(work, getattr(settings, "survey_url", ""))),
    }
    return Services(work, ack, staff, staff_replies, ops, escalator, Sweeper(store, performers, clock))


@lru_cache(maxsize=1)
def inbound_processor() -> InboundProcessor:
    settings = InboundSettings.from_env(os.environ)
    blobs = BlobStore(settings.inbound_bucket)
    return InboundProcessor(settings=settings, services=build_services(settings, blobs), blobs=blobs)


@lru_cache(maxsize=1)
def sweeper_services() -> Services:
    settings = SweeperSettings.from_env(os.environ)
    return build_services(settings, BlobStore(settings.inbound_bucket))


def reset(*, forget_clients: bool = False) -> None:
    """Forget cached services (the local runtime calls this when it starts a fresh environment)."""
    inbound_processor.cache_clear()
    sweeper_services.cache_clear()
    signing_key.cache_clear()
    survey.reset_cache()
    from helpdesk.reports import service as report_service  # imported here: reports load only when used

    report_service.reset()
    if forget_clients:
        clients.client.cache_clear()
        clients._session.cache_clear()  # noqa: SLF001 - a new endpoint needs a new session
