"""What a sender address says about the software behind it."""

from __future__ import annotations

import re

_MAILER_DAEMON = re.compile(r"^(?:mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|mdaemon|postmaster|"
                            r"microsoftexchange[0-9a-f]{32}|mail\.delivery\.system|bounce-notification)$")
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|no_reply|do_not_reply|donotreply|noreply-[\w.-]+|"
                       r"[\w.-]+-noreply|[\w.-]+[-_.]no-?reply|no-?reply[-_.][\w.-]+|notifications?|mailer|"
                       r"automailer|auto-?confirm)$")
_LIST_ADMIN = re.compile(r"^(?:mailman|listserv|majordomo|sympa|ezmlm|listmaster|owner-[\w.-]+|[\w.-]+-(?:owner|"
                         r"request|bounces|admin|confirm)(?:\+[\w.=-]+)?|[\w.-]+\+owners)$")
_DMARC = re.compile(r"^(?:noreply-dmarc-support|dmarcreport|dmarc[-_.]?(?:noreply|reports?|support|help|agg)?|"
                    r"[\w.-]*dmarc[\w.-]*)$")


def split(address: str | None) -> tuple[str, str]:
    local, _, domain = (address or "").lower().rpartition("@")
    return local, domain


def is_mailer_daemon(address: str | None) -> bool:
    return bool(_MAILER_DAEMON.match(split(address)[0]))


def robot_local_kind(address: str | None) -> str | None:
    """"mailer-daemon", "postmaster" or "exchange-system" for bounce senders, else None."""
    local = split(address)[0]
    if local.startswith("postmaster"):
        return "postmaster"
    if local.startswith("microsoftexchange"):
        return "exchange-system"
    if local.startswith(("mailer-daemon", "mailer_daemon")) or _MAILER_DAEMON.match(local):
        return "mailer-daemon"
    return None


def is_no_reply(address: str | None) -> bool:
    local = split(address)[0]
    return local.startswith(("noreply", "no-reply", "donotreply", "do-not-reply", "no_reply")) or bool(
        _NO_REPLY.match(local))


def is_list_admin(address: str | None) -> bool:
    return bool(_LIST_ADMIN.match(split(address)[0]))


def is_dmarc_reporter(address: str | None) -> bool:
    return bool(_DMARC.match(split(address)[0]))


def is_aws_notifier(address: str | None) -> bool:
    local, domain = split(address)
    return domain == "sns.amazonaws.com" or (domain.endswith(".amazonaws.com") and local.startswith("no-reply"))


def is_ses_feedback(address: str | None) -> bool:
    local, domain = split(address)
    return domain.endswith("amazonses.com") and local.startswith(("complaints", "complaint"))
