"""Loop defence: which inbound mail is machine-generated and must never be answered."""

from __future__ import annotations

from helpdesk.mail.parsing import InboundMail

_ROBOT_LOCALS = ("mailer-daemon", "postmaster")
_NO_REPLY_LOCALS = ("noreply", "no-reply", "donotreply", "do-not-reply", "no_reply")
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def drop_reason(mail: InboundMail, return_path: str | None) -> str | None:
    """Why this message must not become a ticket at all (bounces, auto-replies), or None."""
    if mail.is_delivery_report:
        return "delivery_report"
    auto_submitted = (mail.header("auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if mail.header("x-autoreply") is not None or mail.header("x-autorespond") is not None:
        return "x_autoreply"
    if (mail.header("precedence") or "").strip().lower() in _BULK_PRECEDENCE:
        return "precedence_bulk"
    if return_path is not None and return_path.strip() in ("", "<>"):
        return "empty_return_path"
    local = (mail.from_address or "").split("@")[0]
    if local.startswith(_ROBOT_LOCALS):
        return "robot_sender"
    return None


def ack_suppression(mail: InboundMail) -> str | None:
    """Why a real ticket must still get no automatic acknowledgment, or None."""
    if mail.header("x-auto-response-suppress") is not None:
        return "auto_response_suppress"
    local = (mail.from_address or "").split("@")[0]
    if local.startswith(_NO_REPLY_LOCALS):
        return "noreply_sender"
    return None
