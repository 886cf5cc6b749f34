"""Loop defence: which inbound mail is machine-generated and must never be answered.

`drop_reason` and `ack_suppression` keep the reason codes the intake pipeline and its metrics
already use; both now rest on `robots.robot_verdict`, which knows many more kinds of robot.
"""

from __future__ import annotations

from helpdesk.mail import senders
from helpdesk.mail.parsing import InboundMail
from helpdesk.mail.robots import GENERIC_KINDS, RobotVerdict, robot_verdict

__all__ = ["RobotVerdict", "ack_suppression", "drop_reason", "robot_verdict"]

# The codes drop_reason returned before robot verdicts existed, by deciding signal.
_LEGACY_REASONS = {
    "header:auto-submitted": "auto_submitted",
    "header:x-autoreply": "x_autoreply",
    "header:x-autorespond": "x_autoreply",
    "header:x-autoresponder": "x_autoreply",
    "header:x-autoresponse": "x_autoreply",
    "header:x-auto-reply": "x_autoreply",
    "header:precedence": "precedence_bulk",
    "envelope:empty-return-path": "empty_return_path",
    "sender:mailer-daemon": "robot_sender",
    "sender:postmaster": "robot_sender",
    "sender:exchange-system": "robot_sender",
}


def drop_reason(mail: InboundMail, return_path: str | None) -> str | None:
    """Why this message must not become a ticket at all, or None.

    A generic verdict keeps its historical code (`auto_submitted`, `precedence_bulk`...); a
    specific one is named by its kind (`out_of_office`, `delivery_report`, `feedback_report`...).
    """
    verdict = robot_verdict(mail, return_path)
    if verdict is None:
        return None
    if verdict.kind in GENERIC_KINDS:
        return _LEGACY_REASONS.get(verdict.reason, verdict.kind)
    return verdict.kind


def ack_suppression(mail: InboundMail) -> str | None:
    """Why a real ticket must still get no automatic acknowledgment, or None."""
    if mail.header("x-auto-response-suppress") is not None:
        return "auto_response_suppress"
    if senders.is_no_reply(mail.from_address):
        return "noreply_sender"
    verdict = robot_verdict(mail, None)
    return f"robot:{verdict.kind}" if verdict else None
