"""The evidence about one message that robot verdicts are made from, each piece computed once."""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING

from helpdesk.mail import robot_phrases as phrases
from helpdesk.mail import senders
from helpdesk.mail.ooo_dates import has_return_date

if TYPE_CHECKING:
    from helpdesk.mail.parsing import InboundMail

SHORT_BODY_WORDS = 150
# Help desk products, by header names they set and X-Mailer / Message-ID fragments they use.
HELPDESK_HEADER_PREFIXES = (
    "x-zendesk", "x-freshdesk", "x-fc-", "x-zammad", "x-otrs", "x-jira", "x-jsd", "x-servicenow", "x-helpscout",
    "x-zoho", "x-zohodesk", "x-kayako", "rt-ticket", "rt-originator", "x-rt-", "x-osticket", "x-sfdc", "x-znuny",
    "x-gorgias", "x-intercom", "x-front", "x-groove", "x-desk",
)
HELPDESK_PRODUCTS = re.compile(
    r"zendesk|freshdesk|freshservice|jira|atlassian|servicenow|service-now|salesforce|sfdc|help ?scout|zoho ?desk|"
    r"zohodesk|kayako|otrs|znuny|osticket|request tracker|\brt \d|zammad|gorgias|intercom|happyfox|spiceworks|"
    r"manageengine|servicedesk plus|hubspot service", re.I)
_DMARC_FILE = re.compile(r"^[^!\s/]+![^!\s/]+!\d{9,11}!\d{9,11}(?:![^.\s]+)?\.(?:xml|xml\.gz|xml\.zip|zip|gz|"
                         r"json\.gz)$", re.I)
_DMARC_SUBJECT = re.compile(r"^(?:\[[^\]]{0,20}\]\s*)?report domain:\s*\S+.{0,80}submitter:", re.I)
_ARF_FIELDS = re.compile(r"(?im)^feedback-type:\s*(?:abuse|fraud|virus|other|not-spam|opt-out|auth-failure)\b")
_ARF_VERSION = re.compile(r"(?im)^(?:user-agent|version):\s*\S")
_SPAMCOP = re.compile(r"^\[spamcop \(", re.I)
_JMRP = re.compile(r"^complaint about message from \d", re.I)
_ABUSE_REPORT = re.compile(r"\bthis is an (?:e-?mail )?abuse report\b|\bemail feedback report for ip\b", re.I)
_SNS_FOOTER = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com/(?:unsubscribe|confirmation)\.html", re.I)
_SES_TYPES = {"bounce", "complaint", "delivery", "send", "reject", "open", "click", "rendering failure",
              "deliverydelay", "subscription", "amazonsnssubscriptionsucceeded"}


class Evidence:
    """Lazily computed facts about `mail`; attribute names read as the signals they are."""

    def __init__(self, mail: InboundMail, return_path: str | None) -> None:
        self.mail = mail
        self.return_path = return_path

    def has(self, name: str) -> bool:
        return name in self.mail.headers

    def value(self, name: str) -> str:
        return (self.mail.header(name) or "").strip().lower()

    @cached_property
    def subject(self) -> str:
        return phrases.normalise(self.mail.subject)

    @cached_property
    def forwarded(self) -> bool:
        """A person passing on something they received: its words are not the envelope's."""
        return bool(phrases.FORWARD_PREFIX.match(self.subject))

    @cached_property
    def replied(self) -> bool:
        return bool(phrases.REPLY_PREFIX.match(self.subject))

    @cached_property
    def body(self) -> str:
        text = self.mail.new_text.strip() or self.mail.text
        return phrases.normalise(text[:4000])

    @cached_property
    def body_words(self) -> int:
        return len(self.body.split())

    @cached_property
    def short_body(self) -> bool:
        return self.body_words <= SHORT_BODY_WORDS

    @cached_property
    def autoreply_subject(self) -> str | None:
        return phrases.language_of(phrases.AUTOREPLY_SUBJECT_RE, self.subject)

    @cached_property
    def ooo_subject(self) -> str | None:
        return phrases.language_of(phrases.OOO_SUBJECT_RE, self.subject)

    @cached_property
    def ooo_statement(self) -> str | None:
        """Language of a first-person absence statement in the subject or the first lines of the body."""
        return phrases.language_of(phrases.OOO_BODY_RE, self.subject + "\n" + self.body[:1500])

    @cached_property
    def return_date(self) -> bool:
        return has_return_date(self.subject + " \n " + self.body[:1500], self.mail.date)

    @cached_property
    def urgent_contact(self) -> bool:
        return bool(phrases.URGENT_RE.search(self.body[:2000]))

    @cached_property
    def self_declared(self) -> bool:
        return bool(phrases.SELF_DECLARED_RE.search(self.body[:3000]))

    @cached_property
    def ack_subject(self) -> bool:
        stripped = phrases.TICKET_PREFIX.sub("", self.subject)
        return bool(phrases.ACK_SUBJECT_RE.search(self.subject) or phrases.ACK_SUBJECT_RE.search(stripped))

    @cached_property
    def ack_body(self) -> bool:
        return bool(phrases.ACK_BODY_RE.search(self.body[:2500]))

    @cached_property
    def ticket_ref(self) -> bool:
        return bool(phrases.TICKET_REF_RE.search(self.subject) or phrases.TICKET_REF_RE.search(self.body[:1500]))

    @cached_property
    def list_notice(self) -> bool:
        return bool(phrases.LIST_NOTICE_RE.search(self.subject) or phrases.LIST_NOTICE_RE.search(self.body[:2000]))

    @cached_property
    def helpdesk_product(self) -> str | None:
        """The help desk product that sent this, when its headers say so."""
        for name in self.mail.headers:
            if name.startswith(HELPDESK_HEADER_PREFIXES):
                return name
        for name in ("x-mailer", "user-agent", "message-id", "x-sender-product"):
            if HELPDESK_PRODUCTS.search(self.value(name)):
                return name
        return None

    @cached_property
    def weak_auto_header(self) -> str | None:
        """Headers that machines set more often than people, but not only machines."""
        for name in ("x-auto-response-suppress", "x-ms-exchange-generated-message-source", "x-loop",
                     "x-ms-exchange-inbox-rules-loop", "x-autogenerated"):
            if self.has(name):
                return name
        if senders.is_no_reply(self.mail.from_address):
            return "sender:no-reply"
        return None

    @cached_property
    def attachment_names(self) -> list[str]:
        return [a.filename for a in self.mail.attachments]

    @cached_property
    def dmarc_attachment(self) -> bool:
        return any(_DMARC_FILE.match(name) for name in self.attachment_names)

    @cached_property
    def dmarc_subject(self) -> bool:
        return bool(_DMARC_SUBJECT.match(self.subject))

    @cached_property
    def arf_body(self) -> bool:
        text = self.mail.text[:5000]
        return bool(_ARF_FIELDS.search(text) and _ARF_VERSION.search(text))

    @cached_property
    def abuse_report(self) -> bool:
        return bool(_SPAMCOP.match(self.subject) or _JMRP.match(self.subject) or _ABUSE_REPORT.search(self.body[:800]))

    @cached_property
    def sns_footer(self) -> bool:
        return bool(_SNS_FOOTER.search(self.mail.text[-3000:] + self.mail.text[:3000]))

    @cached_property
    def aws_json(self) -> bool:
        """The body is (only) an SES/SNS event: a JSON object with notificationType, eventType or TopicArn."""
        if self.mail.text.strip():
            return _aws_event(self.mail.text)
        json_parts = [a for a in self.mail.attachments if a.content_type == "application/json" and a.size < 200_000]
        return len(json_parts) == 1 and _aws_event(json_parts[0].payload.decode("utf-8", "replace"))


def _aws_event(text: str) -> bool:
    body = text.strip()
    footer = body.find("\n--\n")
    body = body[:footer].strip() if footer > 0 else body
    if not (body.startswith("{") and body.endswith("}")) or len(body) > 200_000:
        return False
    try:
        event = json.loads(body)
    except ValueError:
        return False
    if not isinstance(event, dict):
        return False
    kind = str(event.get("notificationType") or event.get("eventType") or "").lower()
    return kind in _SES_TYPES or ("TopicArn" in event and "Type" in event)
