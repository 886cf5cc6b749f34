"""Robot verdicts: is this message automated, and what kind of automation sent it?

Automated mail never opens a ticket, is never acknowledged and never counts as a customer
contact. Signals are tried strongest first: MIME structure (reports, calendar replies), then
headers (RFC 3834 and vendors' own), then the sender, then words. Words alone never decide where
a person could write the same thing: a subject phrase needs a second, independent signal (an
absence statement, a return date, a self-description as automatic, a machine-ish header, a
short body). A forwarded message is a person's, whatever it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from helpdesk.mail import senders
from helpdesk.mail.ooo_dates import return_note
from helpdesk.mail.parsing import InboundMail
from helpdesk.mail.robot_signals import Evidence

# Kinds that only say "a machine sent this"; the content may tell more (out of office, bounce...).
GENERIC_KINDS = frozenset({"auto_reply", "auto_generated", "bulk", "robot_sender"})
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "x-google-group-id", "mailing-list", "x-mailman-version")
_CAMPAIGN_HEADERS = ("x-campaign", "x-campaignid", "x-mailchimp-campaign", "x-mc-user", "x-mailgun-tag",
                     "feedback-id", "x-csa-complaints", "x-sfmc-stack", "x-mailer-sid")
_VENDOR_AUTOREPLY = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoresponse", "x-auto-reply")
_BOUNCE_KINDS = {"failed": "delivery_report", "delayed": "delivery_delay", "mailbox_full": "mailbox_full"}
_NOTE_LIMIT = 80


@dataclass(frozen=True)
class RobotVerdict:
    kind: str  # delivery_report, out_of_office, auto_reply, feedback_report, aws_notification, ...
    reason: str  # the deciding signal, e.g. "header:auto-submitted" or "subject:out_of_office:de"
    note: str | None = None  # staff-visible summary, e.g. "out of office until 8 Dec"


Finding = tuple[str, str] | None


def robot_verdict(mail: InboundMail, return_path: str | None) -> RobotVerdict | None:
    """Why this message is automated, or None for a message a person wrote."""
    evidence = Evidence(mail, return_path)
    for detector in DETECTORS:
        found = detector(evidence)
        if found:
            kind, reason = found
            kind = refine(kind, evidence)
            note = None
            if kind == "out_of_office":
                note = return_note(evidence.subject + " \n " + evidence.body, mail.date)[:_NOTE_LIMIT]
            return RobotVerdict(kind, reason, note)
    return None


def refine(kind: str, ev: Evidence) -> str:
    """A generic verdict made specific by what the message says."""
    if kind not in GENERIC_KINDS:
        return kind
    if ev.mail.bounce_reason:
        return _BOUNCE_KINDS[ev.mail.bounce_reason]
    if ev.forwarded:
        return kind
    if ev.list_notice:
        return "list_notice"
    if ev.ooo_statement or ev.ooo_subject or (ev.return_date and ev.autoreply_subject):
        return "out_of_office"
    if ev.ack_subject or ev.ack_body or (ev.helpdesk_product and kind == "auto_generated"):
        return "helpdesk_autoresponse"
    return "auto_reply" if ev.autoreply_subject else kind


def _mime_reports(ev: Evidence) -> Finding:
    mail, types = ev.mail, set(ev.mail.part_types)
    if "message/feedback-report" in types or mail.report_type == "feedback-report":
        return "feedback_report", "mime:feedback-report"
    if "message/disposition-notification" in types or mail.report_type == "disposition-notification":
        return "read_receipt", "mime:disposition-notification"
    if mail.report_type == "tlsrpt" or any(t.startswith("application/tlsrpt") for t in types):
        return "tls_report", "mime:tlsrpt"
    if mail.is_delivery_report or "multipart/report" in types:
        return _BOUNCE_KINDS.get(mail.bounce_reason or "", "delivery_report"), "mime:delivery-status"
    if mail.calendar_method == "REPLY":
        return "calendar_reply", "mime:calendar-reply"
    return None


def _dmarc(ev: Evidence) -> Finding:
    if ev.dmarc_attachment:
        return "dmarc_report", "attachment:dmarc-aggregate"
    if ev.dmarc_subject:
        return "dmarc_report", "subject:dmarc-report"
    if senders.is_dmarc_reporter(ev.mail.from_address) and ev.mail.attachments:
        return "dmarc_report", "sender:dmarc"
    return None


def _aws(ev: Evidence) -> Finding:
    if senders.is_ses_feedback(ev.mail.from_address):
        return "feedback_report", "sender:ses-feedback"
    if senders.is_aws_notifier(ev.mail.from_address):
        return "aws_notification", "sender:sns"
    if ev.forwarded:
        return None
    if ev.aws_json:
        return "aws_notification", "body:aws-event-json"
    if ev.sns_footer:
        return "aws_notification", "body:sns-footer"
    return None


def _plain_bounce(ev: Evidence) -> Finding:
    return (_BOUNCE_KINDS[ev.mail.bounce_reason], "body:bounce") if ev.mail.bounce_reason else None


def _rfc3834(ev: Evidence) -> Finding:
    value = ev.value("auto-submitted").split(";")[0].strip()
    if not value or value == "no":
        return None
    return ("auto_reply" if value == "auto-replied" else "auto_generated"), "header:auto-submitted"


def _vendor_autoreply(ev: Evidence) -> Finding:
    for name in _VENDOR_AUTOREPLY:
        if ev.has(name) and ev.value(name) not in ("no", "false", "0"):
            return "auto_reply", f"header:{name}"
    return None


def _helpdesk_flags(ev: Evidence) -> Finding:
    flags = {
        "x-fc-machinegenerated": ev.value("x-fc-machinegenerated") in ("true", "yes", "1"),
        "x-otrs-loop": ev.value("x-otrs-loop") in ("true", "yes", "1"),
        "x-sfdc-emailcategory": "autorespon" in ev.value("x-sfdc-emailcategory"),
        "x-servicenow-generated": ev.value("x-servicenow-generated") in ("true", "yes", "1"),
        "x-loop": ev.has("x-loop") and ev.helpdesk_product is not None,
    }
    for name, raised in flags.items():
        if raised:
            return "helpdesk_autoresponse", f"header:{name}"
    return None


def _precedence(ev: Evidence) -> Finding:
    value = ev.value("precedence")
    if value in ("auto_reply", "auto-reply"):
        return "auto_reply", "header:precedence"
    return ("bulk", "header:precedence") if value in ("bulk", "junk", "list") else None


def _list_software(ev: Evidence) -> Finding:
    if ev.value("x-list-administrivia") == "yes":
        return "list_notice", "header:x-list-administrivia"
    listed = any(ev.has(name) for name in _LIST_HEADERS)
    admin = senders.is_list_admin(ev.mail.from_address)
    if admin and (listed or ev.list_notice):
        return "list_notice", "sender:list-admin"
    if ev.list_notice and not ev.forwarded and (listed or senders.is_no_reply(ev.mail.from_address)):
        return "list_notice", "body:list-notice"
    return None


def _bulk(ev: Evidence) -> Finding:
    if ev.has("list-unsubscribe-post"):
        return "bulk", "header:list-unsubscribe-post"
    campaign = any(ev.has(name) for name in _CAMPAIGN_HEADERS)
    if ev.has("list-unsubscribe") and (campaign or senders.is_no_reply(ev.mail.from_address)):
        return "bulk", "header:list-unsubscribe"
    return None


def _null_sender(ev: Evidence) -> Finding:
    if ev.has("x-ms-exchange-message-is-ndr"):
        return "delivery_report", "header:x-ms-exchange-message-is-ndr"
    if ev.return_path is not None and ev.return_path.strip() in ("", "<>"):
        return "auto_generated", "envelope:empty-return-path"
    return None


def _robot_sender(ev: Evidence) -> Finding:
    kind = senders.robot_local_kind(ev.mail.from_address)
    return ("robot_sender", f"sender:{kind}") if kind else None


def _absence_words(ev: Evidence) -> Finding:
    """Out-of-office and auto-reply notices recognised by their words, with corroboration."""
    if ev.forwarded:
        return None
    ooo = bool(ev.ooo_statement or ev.return_date or ev.ooo_subject)
    corroborated = ev.self_declared or ev.weak_auto_header is not None
    if ev.autoreply_subject and (ooo or corroborated or ev.short_body):
        kind = "out_of_office" if ooo else "auto_reply"
        return kind, f"subject:{kind}:{ev.autoreply_subject}"
    if ev.ooo_subject and (ev.ooo_statement or corroborated):
        return "out_of_office", f"subject:out_of_office:{ev.ooo_subject}"
    if ev.ooo_statement and ev.short_body and (corroborated or ev.urgent_contact and ev.return_date):
        return "out_of_office", f"body:out_of_office:{ev.ooo_statement}"
    return None


def _acknowledgment_words(ev: Evidence) -> Finding:
    """Another help desk's "we received your request", recognised by its words, with corroboration."""
    if ev.forwarded or ev.replied or not (ev.ack_subject or ev.ack_body):
        return None
    machine = ev.helpdesk_product is not None or ev.self_declared or ev.weak_auto_header is not None
    if machine or (ev.ack_subject and ev.ack_body and ev.ticket_ref):
        return "helpdesk_autoresponse", "subject:helpdesk-ack" if ev.ack_subject else "body:helpdesk-ack"
    return None


def _abuse_words(ev: Evidence) -> Finding:
    if ev.forwarded:
        return None
    if ev.arf_body:
        return "feedback_report", "body:arf-fields"
    attached = "message/rfc822" in ev.mail.part_types
    if ev.abuse_report and (attached or ev.subject.startswith("[spamcop")):
        return "feedback_report", "body:abuse-report"
    return None


DETECTORS: list[Callable[[Evidence], Finding]] = [
    _mime_reports, _dmarc, _aws, _plain_bounce, _rfc3834, _vendor_autoreply, _helpdesk_flags, _precedence,
    _list_software, _bulk, _null_sender, _robot_sender, _absence_words, _acknowledgment_words, _abuse_words,
]
