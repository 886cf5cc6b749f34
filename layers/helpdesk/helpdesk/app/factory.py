"""Composition root: builds each function's services once per container from its environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from helpdesk.adapters.aws import clients
from helpdesk.adapters.aws.blobs import BlobStore
from helpdesk.adapters.aws.mailer import Mailer
from helpdesk.adapters.aws.notifier import Notifier
from helpdesk.adapters.aws.secrets import signing_key
from helpdesk.adapters.aws.store import TicketStore
from helpdesk.adapters.aws.table import Table
from helpdesk.app.settings import CommonSettings, InboundSettings, SweeperSettings
from helpdesk.core.clock import current_clock
from helpdesk.escalation.escalator import Escalator, sms_routes
from helpdesk.intake.processor import InboundProcessor
from helpdesk.messages.acknowledgment import AckSender
from helpdesk.messages.outbox import Outbox
from helpdesk.messages.resolution import AfterResolution
from helpdesk.messages.staff_notification import StaffNotifier
from helpdesk.policy.loader import load_policy
from helpdesk.sla.performers import BreachChecker, UpdateSender, WarningSender, Work
from helpdesk.sla.sweeper import Performer, Sweeper
from helpdesk.survey import service as survey
from helpdesk.survey.service import SurveySender
from helpdesk.tickets.context import PolicySnapshots
from helpdesk.tickets.operations import AutoCloser, TicketOps
from helpdesk.tickets.staff_replies import StaffReplies


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
