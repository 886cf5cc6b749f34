"""The composition root: one factory builds every service; each entry point asks for its own root.

Roots are cached per container (`inbound()`, `sweeper()`, `survey()`, `report()`), and the
operator CLI builds `operator(env)` for a given environment. Nothing here runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from helpdesk.adapters.aws import clients
from helpdesk.adapters.aws.blobs import BlobStore
from helpdesk.adapters.aws.mailer import Mailer
from helpdesk.adapters.aws.notifier import Notifier
from helpdesk.adapters.aws.secrets import signing_key
from helpdesk.adapters.aws.store import Store
from helpdesk.adapters.aws.table import Table
from helpdesk.app.settings import CommonSettings, InboundSettings, ReportSettings, SurveySettings, SweeperSettings
from helpdesk.core.clock import Clock, current_clock
from helpdesk.core.errors import PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, scrub
from helpdesk.escalation.escalator import Escalator
from helpdesk.escalation.routing import sms_routes
from helpdesk.escalation.sms import SmsDigests, SmsSender
from helpdesk.escalation.watchers import ExecutiveAckCheck, NoProgressCheck
from helpdesk.incidents.fanout import IncidentCadence, IncidentFanout, IncidentNotices
from helpdesk.incidents.service import CADENCE, FANOUT, NOTICE, IncidentDesk
from helpdesk.messages import rendering
from helpdesk.messages.acknowledgment import Acknowledgments
from helpdesk.messages.outbox import MailFactory, Outbox, Sender
from helpdesk.messages.resolution import KINDS as RESOLUTION_KINDS
from helpdesk.messages.resolution import AfterResolution, ResolutionPlanner
from helpdesk.messages.staff_notification import NotificationDigests, StaffNotifications
from helpdesk.policy.loader import load_policy
from helpdesk.policy.models import Policy
from helpdesk.sla.due_work import DueWork
from helpdesk.sla.performers import BreachChecker, UpdateNudger, UpdateSender, WarningSender
from helpdesk.sla.sweeper import Sweeper
from helpdesk.survey.sender import FEEDBACK_KIND, FeedbackNotifier, SurveySender
from helpdesk.tickets.context import Contexts, PolicySnapshots
from helpdesk.tickets.operations import AutoCloser, TicketOps
from helpdesk.tickets.staff_replies import CONFIRM, RELAY, StaffReplies

if TYPE_CHECKING:
    from helpdesk.classify import Classifier


class OpsAlerts:
    """Operators hear about failures the system cannot fix by retrying."""

    def __init__(self, notifier: Notifier, topic_arn: str) -> None:
        self.notifier = notifier
        self.topic_arn = topic_arn

    def tell(self, subject: str, text: str, **attributes: str) -> None:
        try:
            self.notifier.publish(self.topic_arn, subject=subject, bodies={"default": text},
                                  attributes={"kind": "ops", **attributes})
        except (TransientAwsError, PermanentSendError) as exc:
            logger.error("ops_notify_failed", extra={"error": scrub(str(exc))})


@dataclass(frozen=True)
class Services:
    """Everything one function needs, wired once per container."""

    settings: CommonSettings
    store: Store
    clock: Clock
    contexts: Contexts
    due: DueWork
    ops: TicketOps
    escalator: Escalator
    staff_replies: StaffReplies
    factory: MailFactory
    outbox: Outbox
    blobs: BlobStore | None
    signing_key: bytes
    sweeper: Sweeper
    incidents: IncidentDesk


def build_services(settings: CommonSettings, blobs: BlobStore | None = None, *, clock: Clock | None = None
                   ) -> Services:
    policy = load_policy(settings.policy_name)
    store = Store(Table(settings.table_name), settings.due_shards)
    key = signing_key(settings.signing_key_secret)
    clock = clock or current_clock()
    notifier = Notifier()
    contexts = Contexts(store, PolicySnapshots(store, policy))
    due = DueWork(store, clock, contexts, OpsAlerts(notifier, settings.ops_topic_arn))
    sender = Sender(settings.support_address, settings.team_name, key, settings.team_queue_address)
    factory, outbox = MailFactory(sender), Outbox(Mailer(), store, sender)
    ops = TicketOps(store, contexts, clock, ResolutionPlanner(store))
    escalator = Escalator(store, due, notifier, settings.escalation_topic_arn, sms_routes(settings.sms_routes),
                          clock, public_url=getattr(settings, "survey_url", ""), chat_topic_arn=settings.chat_topic_arn)
    incidents = IncidentDesk(store, clock, policy)
    staff_replies = StaffReplies(ops, due, escalator, factory, outbox, blobs, clock, incidents)
    _register(due, settings, store, clock, factory, outbox, ops, escalator, staff_replies, incidents)
    return Services(settings, store, clock, contexts, due, ops, escalator, staff_replies, factory, outbox, blobs, key,
                    Sweeper(store, due, clock), incidents)


def _register(due: DueWork, settings: CommonSettings, store: Store, clock: Clock, factory: MailFactory,
              outbox: Outbox, ops: TicketOps, escalator: Escalator, staff_replies: StaffReplies,
              incidents: IncidentDesk) -> None:
    """Which performer does each kind of due work: the one table of them."""
    due.register(("ack",), Acknowledgments(factory, outbox, clock))
    due.register(("staff_notify",), StaffNotifications(factory, outbox, clock))
    due.register(("notify_digest",), NotificationDigests(factory, outbox, clock, due.contexts.policy))
    due.register(("breach",), BreachChecker(store, clock, escalator.raise_trigger))
    due.register(("warning",), WarningSender(factory, outbox, clock, incidents.spoken_for))
    due.register(("update",), UpdateSender(factory, outbox, clock))
    due.register(("update_nudge",), UpdateNudger(factory, outbox, clock))
    due.register(("escalation", "trigger"), escalator)
    due.register(("sms",), SmsSender(store, escalator.notifier, settings.escalation_topic_arn, clock, due.alerts))
    due.register(("sms_digest",), SmsDigests(store, clock, escalator.notifier, settings.escalation_topic_arn))
    due.register(("executive_ack_check",), ExecutiveAckCheck(escalator, clock))
    due.register(("progress_check",), NoProgressCheck(escalator, clock))
    due.register((RELAY, CONFIRM), staff_replies)
    due.register(("autoclose",), AutoCloser(ops))
    due.register(RESOLUTION_KINDS, AfterResolution(factory, outbox, clock))
    due.register(("survey",), SurveySender(factory, outbox, clock, getattr(settings, "survey_url", "")))
    due.register((FEEDBACK_KIND,), FeedbackNotifier(factory, outbox, due, clock))
    due.register((CADENCE,), IncidentCadence(store, clock, due.contexts.policy, due.run_now))
    due.register((FANOUT,), IncidentFanout(store, due.contexts.policy))
    due.register((NOTICE,), IncidentNotices(store, factory, outbox, ops, clock))


# -- the roots, one per entry point -------------------------------------------------------------


@lru_cache(maxsize=1)
def inbound() -> Any:
    from helpdesk.intake.processor import InboundProcessor
    from helpdesk.intake.services import IntakeServices

    settings = InboundSettings.from_env(os.environ)
    blobs = BlobStore(settings.inbound_bucket)
    s = build_services(settings, blobs)
    policy = s.contexts.policy
    return InboundProcessor(IntakeServices(settings, s.store, blobs, s.clock, policy,
                                           classifier_for(policy, settings.second_opinion_model_id), s.due,
                                           s.contexts, s.escalator, s.staff_replies, s.signing_key,
                                           incidents=s.incidents))


def classifier_for(policy: Policy, model_id: str) -> Classifier:
    """The rules alone, or the rules reviewed by a model when the policy asks and the stack names one."""
    from helpdesk.classify import Classifier

    opinion = policy.classifier.second_opinion
    if not opinion.enabled:
        return Classifier(policy)
    if not model_id:
        logger.warning("second_opinion_not_configured",
                       extra={"reason": "the policy enables classifier.second_opinion but the stack's "
                                        "SecondOpinionModelId is empty; the rules classify alone"})
        return Classifier(policy)
    from helpdesk.adapters.aws.bedrock import BedrockModel
    from helpdesk.classify.second_opinion import ReviewedClassifier, SecondOpinion

    reviewer = SecondOpinion(BedrockModel.for_model(model_id, opinion.timeout_seconds), policy,
                             opinion.timeout_seconds)
    return ReviewedClassifier(policy, reviewer, send_phi=opinion.send_phi)


@lru_cache(maxsize=1)
def sweeper() -> Services:
    settings = SweeperSettings.from_env(os.environ)
    return build_services(settings, BlobStore(settings.inbound_bucket))


@lru_cache(maxsize=1)
def survey() -> Any:
    from helpdesk.survey.page import SurveyService
    from helpdesk.survey.tokens import SurveyTokens

    settings = SurveySettings.from_env(os.environ)
    blobs = BlobStore(settings.inbound_bucket)
    s = build_services(settings, blobs)
    feedback = FeedbackNotifier(s.factory, s.outbox, s.due, s.clock)
    from helpdesk.escalation.ack_page import AckPage

    return SurveyService(s.ops, s.escalator, feedback, blobs, SurveyTokens(s.signing_key, s.clock),
                         settings.team_name, extra_routes=AckPage(s.ops, settings.team_name).register)


@lru_cache(maxsize=1)
def report() -> Any:
    from helpdesk.reports.service import ReportService

    settings = ReportSettings.from_env(os.environ)
    return ReportService(Store(Table(settings.table_name)), load_policy(settings.policy_name), Mailer(),
                         BlobStore(settings.report_bucket), sender=settings.support_address,
                         team_name=settings.team_name, recipients=settings.report_recipients)


def operator(environment: Mapping[str, str], clock: Clock | None = None) -> Services:
    """Services for operator commands, from a function's environment (embedded or a deployed stack)."""
    return build_services(CommonSettings.from_env(environment), BlobStore(environment.get("INBOUND_BUCKET", "")),
                          clock=clock)


def reset(*, forget_clients: bool = False) -> None:
    """Forget cached roots (the local runtime calls this when it starts a fresh environment)."""
    for root in (inbound, sweeper, survey, report):
        root.cache_clear()
    signing_key.cache_clear()
    rendering.reset()
    if forget_clients:
        clients.client.cache_clear()
        clients._session.cache_clear()  # noqa: SLF001 - a new endpoint needs a new session
