"""What intake's steps share, built once per container by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.adapters.aws.store import Store
    from helpdesk.app.settings import InboundSettings
    from helpdesk.classify import Classifier
    from helpdesk.core.clock import Clock
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.incidents.service import IncidentDesk
    from helpdesk.policy.models import Policy
    from helpdesk.sla.due_work import DueWork
    from helpdesk.tickets.context import Contexts
    from helpdesk.tickets.staff_replies import StaffReplies


@dataclass
class IntakeServices:
    settings: InboundSettings
    store: Store
    blobs: BlobStore
    clock: Clock
    policy: Policy
    classifier: Classifier
    due: DueWork
    contexts: Contexts
    escalator: Escalator
    staff_replies: StaffReplies
    signing_key: bytes
    policy_saved: bool = False  # the current policy's snapshot is known to be in the table
    incidents: IncidentDesk | None = None
