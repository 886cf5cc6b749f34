"""SMS: one GSM-7 segment per message, at most five per recipient in fifteen minutes.

Text is encoded with the GSM 03.38 codec (`gsm0338`), so `£`, `é` and `ñ` survive; characters
outside the alphabet are folded to their base letter where one exists, otherwise dropped.
Messages over a recipient's limit are held and sent as one digest when the window ends.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

from helpdesk.core.errors import ConflictError, TransientAwsError
from helpdesk.core.observability import metrics
from helpdesk.core.retry import pause
from helpdesk.sla.due import DueItem
from helpdesk.sla.due_work import Done, Skip
from helpdesk.tickets.records import Entry

if TYPE_CHECKING:
    from helpdesk.adapters.aws.notifier import Notifier
    from helpdesk.adapters.aws.store import Store
    from helpdesk.core.clock import Clock
    from helpdesk.tickets.context import TicketContext

SMS_LIMIT = 5
SMS_WINDOW = timedelta(minutes=15)
SMS_MAX = 160  # septets in one GSM-7 segment
WINDOW_RACES = 20  # concurrent escalations to one phone re-read its window this many times
CODEC = "gsm03.38"
_PUNCTUATION = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
                              "\u00a0": " "})


def _gsm_char(char: str) -> str:
    try:
        char.encode(CODEC)
        return char
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFKD", char)
        kept = "".join(c for c in folded if _encodable(c))
        return kept


def _encodable(char: str) -> bool:
    try:
        char.encode(CODEC)
    except UnicodeEncodeError:
        return False
    return True


def gsm7(text: str) -> str:
    """Text an SMS can carry in GSM-7: the alphabet kept, accents folded only where GSM lacks them."""
    return "".join(_gsm_char(c) for c in text.translate(_PUNCTUATION))


def septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters such as `€` or `[` take two."""
    return len(gsm7(text).encode(CODEC))


def fit(text: str, limit: int = SMS_MAX) -> str:
    """The longest prefix of `text` (already GSM-7) that fits `limit` septets."""
    out, used = [], 0
    for char in text:
        cost = len(char.encode(CODEC))
        if used + cost > limit:
            break
        out.append(char)
        used += cost
    return "".join(out)


def window_of(phone: str) -> str:
    return hashlib.blake2b(phone.encode(), digest_size=8).hexdigest()


class SmsLimiter:
    """Sliding window per recipient; over the limit, the summary joins the window's digest."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def allow(self, phone: str, summary: str, now: datetime) -> bool:
        for attempt in range(WINDOW_RACES):
            try:
                return self._try(phone, summary, now)
            except ConflictError:
                pause(attempt)  # another send moved the window; read it again after a jittered wait
        # Never silently neither sent nor held: the escalation is retried with backoff instead.
        raise TransientAwsError("sms window kept changing", kind="conflict")

    def _try(self, phone: str, summary: str, now: datetime) -> bool:
        window = window_of(phone)
        current = self.store.sms_windows.get(window)
        recent = [t for t in current.get("sent") or [] if t > (now - SMS_WINDOW).timestamp()]
        held = list(current.get("held") or [])
        version = int(current.get("version") or 0)
        allowed = len(recent) < SMS_LIMIT
        if allowed:
            recent.append(int(now.timestamp()))
        else:
            held = [*held, summary][-50:]
        self.store.sms_windows.save(window, sent=recent, held=held, version=version)
        if not allowed:
            window_end = datetime.fromtimestamp(min(recent), tz=now.tzinfo) + SMS_WINDOW
            digest = DueItem(id=f"digest#{window_end:%Y-%m-%dT%H:%M:%SZ}", kind="sms_digest", sms_window=window,
                             due_at=window_end, planned_at=window_end, payload={"phone": phone})
            self.store.due.put_once(digest)  # one digest per window
            metrics.add_metric(name="SmsBundled", unit="Count", value=1)
        return allowed


class SmsSender:
    """Performs `sms` items: one page to one phone, inside its rate window, never to an opted-out number.

    Throttling is retried by the due-work engine; an opted-out number is reported to ops once and the
    recipient keeps getting the email briefing only."""

    plan_bound = False

    def __init__(self, store: Store, notifier: Notifier, topic_arn: str, clock: Clock, alerts: Any) -> None:
        self.store = store
        self.notifier = notifier
        self.topic_arn = topic_arn
        self.clock = clock
        self.alerts = alerts
        self.limiter = SmsLimiter(store)

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        p, now = item.payload, self.clock.now()
        if self.notifier.opted_out(p["phone"]):
            return self._opted_out(item, now)
        if not self.limiter.allow(p["phone"], f"#{item.ticket} {p.get('severity')} {p.get('level')}", now):
            return Skip("held_for_digest")
        attributes = {"kind": "sms", "sms_to": p["phone"], "level": p.get("level"), "role": p.get("roles") or [],
                      "severity": p.get("severity"), "trigger": p.get("trigger"), "ticket": str(item.ticket)}
        self.notifier.publish(self.topic_arn, subject="escalation", bodies={"default": p["text"], "sms": p["text"]},
                              attributes=attributes)
        metrics.add_metric(name="SmsSent", unit="Count", value=1)
        entry = Entry(ticket=item.ticket or 0, at=now, kind="sms_sent", key=item.id.replace("#", "-")[:60],
                      body=p["text"], level=p.get("level"), roles=list(p.get("roles") or []),
                      severity=p.get("severity"), trigger=p.get("trigger"), phone=p["phone"])
        return Done([self.store.tickets.add_entry(entry)], "sent")

    def _opted_out(self, item: DueItem, now: datetime) -> Skip:
        metrics.add_metric(name="SmsOptedOut", unit="Count", value=1)
        self.alerts.tell(f"SMS recipient opted out (ticket #{item.ticket})",
                         f"A phone on the {item.payload.get('level')} SMS route has opted out of SMS; it now gets the "
                         f"email briefing only. Ask its owner to reply START, or change the route.",
                         ticket=str(item.ticket))
        entry = Entry(ticket=item.ticket or 0, at=now, kind="sms_opted_out", key=item.id.replace("#", "-")[:60],
                      level=item.payload.get("level"), reason="the number opted out of SMS")
        return Skip("opted_out", [self.store.tickets.add_entry(entry)])


class SmsDigests:
    """At the end of a limited window: one SMS that lists everything held back."""

    plan_bound = False

    def __init__(self, store: Store, clock: Clock, notifier: Notifier, topic_arn: str) -> None:
        self.store = store
        self.clock = clock
        self.notifier = notifier
        self.topic_arn = topic_arn

    def perform(self, item: DueItem, ctx: TicketContext | None) -> Done | Skip:
        window = item.sms_window or ""
        current = self.store.sms_windows.get(window)
        held = list(current.get("held") or [])
        if not held:
            return Skip("nothing_held")
        text = gsm7(f"{len(held)} more escalations held back: " + ", ".join(held))
        if septets(text) > SMS_MAX:
            text = fit(text, SMS_MAX - 26).rsplit(",", 1)[0] + " ... see helpdesk tickets"
        phone = item.payload["phone"]
        self.notifier.publish(self.topic_arn, subject="escalation", bodies={"default": text, "sms": text},
                              attributes={"kind": "sms", "sms_to": phone, "level": "digest", "trigger": "sms_digest"})
        metrics.add_metric(name="SmsSent", unit="Count", value=1)
        version = int(current.get("version") or 0)
        sent = [*(current.get("sent") or []), int(self.clock.now().timestamp())]
        events = [{"kind": "sms_published", "ticket": None, "body": text, "to": phone, "level": "digest"}]
        return Done([self.store.sms_windows.clear_held(window, sent, version)], "sent", events=events)
