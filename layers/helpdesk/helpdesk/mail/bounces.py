"""Bounces: hard (the address is gone) or soft (delayed, mailbox full), structured or plain text.

Structured reports (message/delivery-status) give per-recipient actions and RFC 3463 codes.
Many systems still send plain text (Exchange, Yahoo, qmail, older Postfix and Exim setups); those
are recognised only when the sender or subject is a bounce's AND the text reads like one, and
their recipients are taken only from the report part, never from the returned original. Only hard
failures land in `failed_recipients`, which marks an address undeliverable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from helpdesk.mail import senders
from helpdesk.mail.robot_phrases import FORWARD_PREFIX, REPLY_PREFIX, normalise

if TYPE_CHECKING:
    from helpdesk.mail.parsing import InboundMail

MAX_RECIPIENTS = 50
BOUNCE_SUBJECT = re.compile(
    r"^(?:undeliver(?:able|ed)|delivery (?:status notification|failure|has failed|delayed|notification)|"
    r"mail delivery (?:failed|failure|system)|failure notice|returned mail|undelivered mail|delayed mail|"
    r"warning: message .{0,80} delayed|nondeliverable|non-deliverable|message not delivered|could not send message|"
    r"unzustellbar|nicht zustellbar|zustellung verzögert|unzustellbare|non remis|remise différée|non distribuable|"
    r"no se puede entregar|no entregado|entrega retrasada|non recapitabile|recapito ritardato|onbestelbaar|"
    r"niet afgeleverd|não é possível entregar|não entregue|kan ikke leveres|kunne ikke leveres|olevererbart|"
    r"kunde inte levereras|ei voi toimittaa|toimittamaton|niedostarczalne|nie można dostarczyć|не доставлено|"
    r"недоставленное сообщение|недоставляемое|nedoručitelné|nelze doručit|kézbesíthetetlen|iletilemedi|"
    r"teslim edilemedi|配信不能|配信できません|无法投递|未送达|無法傳遞|배달되지 않음|전달되지 않음|배달 실패)")
_FAILURE = re.compile(
    r"(?:could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|delivery has failed|"
    r"permanent error|unable to deliver|undeliverable|failed permanently|user unknown|no such user|"
    r"does not exist|address rejected|mailbox unavailable|recipient not found|address not found|"
    r"not able to deliver|wasn't able to deliver|delivery to the following recipients? failed|"
    r"konnte nicht (?:zugestellt|übermittelt) werden|unzustellbar|n'a pas pu être (?:remis|distribué)|"
    r"no se (?:ha podido|pudo) entregar|non è stato possibile recapitare|kon niet worden bezorgd|"
    r"não foi possível entregar|kunne ikke leveres|kunde inte levereras|ei voitu toimittaa|nie (?:mógł|można) "
    r"(?:zostać )?dostarcz|не удалось доставить|nemohla být doručena|nem sikerült kézbesíteni|iletilemedi|"
    r"配信できませんでした|无法投递|未能送达|배달되지 않았습니다|delivery is delayed|hasn't been delivered yet|"
    r"temporary problem delivering|will (?:continue to|keep trying|be retried)|mailbox (?:is )?full|over quota)")
_DELAY = re.compile(
    r"(?:delivery (?:is |has been )?delayed|delayed mail|still being retried|will be retried|not (?:yet )?been "
    r"delivered yet|hasn't been delivered yet|will continue to be attempted|will (?:continue to|keep) try|"
    r"temporary problem delivering|delivery incomplete|will retry|this is a warning only|zustellung verzögert|"
    r"noch nicht zugestellt|wird weiterhin versucht|n'a pas encore été (?:remis|distribué)|remise différée|"
    r"entrega retrasada|recapito ritardato|vertraagd)")
_FULL = re.compile(
    r"(?:mailbox (?:is )?full|mailbox full|over (?:the allowed )?quota|quota exceeded|exceeded (?:the )?"
    r"(?:storage|quota)|insufficient storage|mailfolder is over|user is over quota|postfach (?:des empfängers )?"
    r"ist voll|postfach voll|speicherplatz|boîte (?:aux lettres|de réception) (?:est )?pleine|buzón (?:está )?lleno|"
    r"casella (?:di posta )?(?:è )?piena|caixa (?:postal|de correio) (?:está )?cheia|postvak is vol|"
    r"postkassen er fuld|brevlådan är full|postboksen er full|postilaatikko on täynnä|skrzynka (?:pocztowa )?jest "
    r"pełna|ящик переполнен|почтовый ящик (?:получателя )?переполнен|schránka je plná|postafiók megtelt|"
    r"posta kutusu dolu|メールボックスがいっぱい|邮箱已满|信箱已滿|사서함이 가득)")
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<!\d)(5[0-5]\d|4[0-5]\d)[ -](?=\D)")
_ORIGINAL = re.compile(r"(?im)^(?:-{2,}.{0,60}(?:copy of the message|original message|below this line|"
                       r"returned message|undelivered message)|original message follows|"
                       r"-{3,} ?(?:original|ursprüngliche|message d'origine)|return-path:|received:)")
_ANGLE_LINE = re.compile(r"(?m)^\s*<([^<>\s@]+@[^<>\s]+)>\s*:")
_INDENTED = re.compile(r"(?m)^ {2,}([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)\s*$")
_AFTER_PHRASE = re.compile(
    r"(?:delivery has failed to these recipients or groups:|delivery is delayed to these recipients or groups:|"
    r"wasn't delivered to|was not delivered to|couldn't be delivered to|could not be delivered to|"
    r"unable to deliver your message to the following address(?:es)?\.?|temporary problem delivering your message to|"
    r"konnte nicht an|n'a pas pu être remis à|final-recipient: rfc822;)\s*<?([^\s<>@,;:]+@[^\s<>,;:]+?)>?[\s.,;:]")


def read_bounce(mail: InboundMail) -> None:
    """Set bounce_kind, bounce_reason and failed_recipients on a parsed mail."""
    if mail.delivery_statuses:
        _from_statuses(mail)
    elif mail.is_delivery_report or looks_like_plain_bounce(mail):
        _from_text(mail)


def looks_like_plain_bounce(mail: InboundMail) -> bool:
    subject = normalise(mail.subject)
    if FORWARD_PREFIX.match(subject) or REPLY_PREFIX.match(subject):
        return False
    head = normalise(report_part(mail))
    if not _FAILURE.search(head) and not _FULL.search(head):
        return False
    if senders.robot_local_kind(mail.from_address) or mail.header("x-failed-recipients"):
        return True
    return bool(BOUNCE_SUBJECT.match(subject)) and bool(_STATUS.search(head) or _SMTP_CODE.search(head))


def report_part(mail: InboundMail) -> str:
    """The bounce's own words: the text before the returned original message."""
    text = mail.text[:8000]
    cut = _ORIGINAL.search(text)
    return text[: cut.start()] if cut and cut.start() > 40 else text


def _from_statuses(mail: InboundMail) -> None:
    hard, soft = [], []
    reasons = set()
    for item in mail.delivery_statuses:
        kind, reason = classify(item.action, item.status, item.diagnostic)
        if kind == "hard":
            hard.append(item.recipient)
        elif kind == "soft":
            soft.append(item.recipient)
        if reason:
            reasons.add(reason)
    _settle(mail, hard, bool(soft), reasons)


def classify(action: str, status: str, diagnostic: str = "") -> tuple[str | None, str | None]:
    """(hard|soft|None, failed|delayed|mailbox_full|None) for one recipient of a delivery-status report."""
    full = status in ("5.2.2", "4.2.2") or bool(_FULL.search(normalise(diagnostic)))
    if action == "delayed" or status.startswith("4."):
        return "soft", "mailbox_full" if full else "delayed"
    if action != "failed":
        return None, None
    return ("soft", "mailbox_full") if full else ("hard", "failed")


def _from_text(mail: InboundMail) -> None:
    raw = report_part(mail)
    head = normalise(raw)
    codes = [".".join(code) for code in _STATUS.findall(head)]
    if _FULL.search(head) or any(code in ("5.2.2", "4.2.2") for code in codes) or re.search(r"\b552\b", head):
        reason = "mailbox_full"
    elif _DELAY.search(head) or (codes and all(code.startswith("4.") for code in codes)):
        reason = "delayed"
    else:
        reason = "failed"
    recipients = _text_recipients(mail, raw) if reason == "failed" else []
    _settle(mail, recipients, reason != "failed", {reason})


def _settle(mail: InboundMail, hard: list[str], soft: bool, reasons: set[str]) -> None:
    ours = set(mail.to) | set(mail.cc)
    mail.failed_recipients = [a for a in dict.fromkeys(hard) if "@" in a and a not in ours][:MAX_RECIPIENTS]
    if hard:
        mail.bounce_kind, mail.bounce_reason = "hard", "failed"
    elif soft or reasons:
        mail.bounce_kind = "soft" if reasons - {"failed"} or soft else "hard"
        mail.bounce_reason = next((r for r in ("mailbox_full", "delayed", "failed") if r in reasons), None)


def _text_recipients(mail: InboundMail, raw: str) -> list[str]:
    found = [a.strip() for a in ",".join(mail.headers.get("x-failed-recipients", [])).split(",")]
    found += _ANGLE_LINE.findall(raw) + _INDENTED.findall(raw)
    found += [m.rstrip(".") for m in _AFTER_PHRASE.findall(normalise(raw) + " ")]
    return [a.lower() for a in found if "@" in a and len(a) < 255]
