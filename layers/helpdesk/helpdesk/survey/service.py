"""Satisfaction surveys: signed one-click rating links, the survey email, and the page they open.

A resolved ticket's requester gets one email with CSAT (1-5) and NPS (0-10) links. Each link
carries a token that signs the ticket, the question, the score, the recipient and an expiry, so
a click needs no login and nobody can rate someone else's ticket or change a score. The page the
click opens thanks the customer and offers a comment form that posts the same token back.

A rating below the policy's thresholds reopens the ticket, raises `csat_low` or `nps_detractor`
(once per survey) and tells the owner; comments always reach the owner.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from helpdesk.adapters.aws.store import META, sender_key, ticket_pk
from helpdesk.adapters.aws.table import Update, put
from helpdesk.core.clock import Clock, iso
from helpdesk.core.errors import ConflictError, HelpdeskError, PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.mail.addresses import reply_address
from helpdesk.mail.compose import OutboundMail
from helpdesk.messages.outbox import Job, Sent, deliver
from helpdesk.messages.rendering import TEMPLATE_DIR, render
from helpdesk.sla.due_work import lease_until, new_lease_owner
from helpdesk.sla.performers import Performed, Work
from helpdesk.tickets.context import TicketContext
from helpdesk.tickets.operations import Change

TOKEN_TTL = timedelta(days=30)  # when the policy does not say (policy.resolution.survey_expires_after)
QUESTIONS = {"csat": (1, 5), "nps": (0, 10)}
TRIGGERS = {"csat": "csat_low", "nps": "nps_detractor"}
CSAT_LABELS = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither", 4: "Satisfied", 5: "Very satisfied"}
QUESTION_NAMES = {"csat": "satisfaction (CSAT)", "nps": "likelihood to recommend (NPS)"}
COMMENT_INLINE = 16_000  # characters kept on the thread entry; the full text goes to S3
MAX_BODY = 1_000_000  # bytes of form data accepted in one POST
COMMENT_PREFIX = "survey-comments/"
FORM_TYPE = "application/x-www-form-urlencoded"
FEEDBACK_KIND = "survey_feedback"
_MAC_CONTEXT = b"helpdesk-survey|"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{8,1024}\.[A-Za-z0-9_-]{43}$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- signed tokens ---------------------------------------------------------------------------


class SurveyRequestError(HelpdeskError):
    """A request the page must refuse; `reason` is logged (never customer data), `status` answered."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TokenError(SurveyRequestError):
    pass


@dataclass(frozen=True)
class Claim:
    """What a rating link says: this recipient gives this score to this question about this ticket."""

    ticket: int
    kind: str  # csat | nps
    score: int
    recipient: str
    expires: int  # Unix seconds

    @property
    def survey_round(self) -> str:
        """All links of one survey email share this id, so a survey escalates at most once per trigger."""
        return f"survey-{self.expires}"

    def payload(self) -> bytes:
        return f"1|{self.ticket}|{self.kind}|{self.score}|{self.expires}|{self.recipient}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_claim(token: str) -> Claim:
    """Read a token's claim WITHOUT checking its signature (tooling, and the first step of `check`)."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        raise TokenError("malformed", 400)
    try:
        fields = _unb64(token.partition(".")[0]).decode("utf-8").split("|", 5)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenError("malformed", 400) from exc
    if len(fields) != 6 or fields[0] != "1" or fields[2] not in QUESTIONS:
        raise TokenError("malformed", 400)
    version, ticket, kind, score, expires, recipient = fields
    if not all(_DIGITS.match(value) for value in (ticket, score, expires)) or "@" not in recipient:
        raise TokenError("malformed", 400)
    return Claim(int(ticket), kind, int(score), recipient, int(expires))


class SurveyTokens:
    """HMAC-SHA256 over the whole claim with the deployment's signing key; time from the injected clock."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        self.key = key
        self.clock = clock

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, _MAC_CONTEXT + payload, hashlib.sha256).digest()

    def sign(self, claim: Claim) -> str:
        """Sign any claim as given (tests use this to make tokens the issuing path refuses to)."""
        payload = claim.payload()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def issue(self, ticket: int, kind: str, score: int, recipient: str, expires: datetime) -> str:
        low, high = QUESTIONS[kind]
        if not low <= score <= high:
            raise ValueError(f"{kind} scores run from {low} to {high}")
        address = recipient.strip().lower()
        if "@" not in address:
            raise ValueError("a survey needs a recipient address")
        return self.sign(Claim(int(ticket), kind, int(score), address, int(expires.timestamp())))

    def make_link(self, base_url: str, ticket: int, kind: str, score: int, recipient: str,
                  expires: datetime) -> str:
        joiner = "&" if "?" in base_url else "?"
        return f"{base_url}{joiner}t={self.issue(ticket, kind, score, recipient, expires)}"

    def check(self, token: str) -> Claim:
        """The verified claim, or TokenError: malformed 400, altered 403, out of range 400, expired 410."""
        claim = parse_claim(token)
        payload_text, _, mac_text = token.partition(".")
        try:
            mac = _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise TokenError("malformed", 400) from exc
        if not hmac.compare_digest(mac, self._mac(_unb64(payload_text))):
            raise TokenError("bad_signature", 403)
        low, high = QUESTIONS[claim.kind]
        if not low <= claim.score <= high:
            raise TokenError("score_out_of_range", 400)
        if self.clock.now().timestamp() > claim.expires:
            raise TokenError("expired", 410)
        return claim

    def verify(self, token: str) -> Claim | None:
        try:
            return self.check(token)
        except TokenError:
            return None


def is_low(ctx: TicketContext, kind: str, score: int | None) -> bool:
    if score is None:
        return False
    thresholds = ctx.policy.thresholds
    return score < (thresholds.csat_low_below if kind == "csat" else thresholds.nps_detractor_below)


# -- the survey email and the owner's feedback email -------------------------------------------


class FeedbackNotifier:
    """The owner hears about a low rating and about every comment (durable: `survey_feedback` items)."""

    def __init__(self, work: Work) -> None:
        self.work = work

    @staticmethod
    def sk(key: str) -> str:
        return f"DUE#{FEEDBACK_KIND}#" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()

    def obligation(self, number: int, entry_sk: str, now: datetime, owner: str, key: str | None = None
                   ) -> dict[str, Any]:
        """Due now and already leased to the caller's fast path; `key` (default: the entry) makes the id."""
        return self.work.store.due_item(number, self.sk(key or entry_sk), FEEDBACK_KIND, iso(now),
                                        {"entry_sk": entry_sk}, lease_owner=owner,
                                        lease_until=lease_until(now))

    def send_now(self, item: dict[str, Any]) -> bool:
        """The fast path for an obligation from `obligation`; on failure the sweeper retries it."""
        number = int(item["ticket"])
        ctx = self.work.context(number)
        entry = self._entry(number, item["payload"]["entry_sk"])
        if ctx is None or entry is None:
            return False
        work, job = self.work, self.job(ctx, entry, item["lease_owner"], item["SK"])
        return bool(deliver(work.store, work.outbox, [job], work.clock.now(), work.job_failed))

    def perform(self, item: dict[str, Any], owner: str) -> Performed:
        number = int(item["ticket"])
        ctx = self.work.context(number)
        entry = self._entry(number, item["payload"]["entry_sk"])
        if ctx is None or entry is None:
            self.work.finish(item, owner, [], outcome="nothing_to_send")
            return Performed(FEEDBACK_KIND, number, "skipped")
        job = self.job(ctx, entry, owner, item["SK"], int(item.get("attempts") or 1))
        sent = deliver(self.work.store, self.work.outbox, [job], self.work.clock.now(), self.work.job_failed)
        return Performed(FEEDBACK_KIND, number, "done" if sent else "deferred")

    def _entry(self, number: int, entry_sk: str) -> dict[str, Any] | None:
        key = (ticket_pk(number), entry_sk)
        return self.work.store.get_many([key]).get(key)

    def job(self, ctx: TicketContext, entry: dict[str, Any], owner: str, sk: str, attempts: int = 1) -> Job:
        mail = self.build(ctx, entry)
        return Job(ticket_pk(ctx.number), sk, owner, ctx.number, "survey_feedback_sent", mail, attempts,
                   visibility="internal")

    def build(self, ctx: TicketContext, entry: dict[str, Any]) -> OutboundMail:
        settings, ticket = self.work.settings, ctx.ticket
        kind = str(entry.get("question") or "csat")
        ratings = []
        for question in ("csat", "nps"):
            if ticket.get(question) is not None:
                score = int(ticket[question])
                ratings.append({"name": QUESTION_NAMES[question], "score": score,
                                "max": QUESTIONS[question][1], "low": is_low(ctx, question, score)})
        context = {
            "ticket": {"number": ctx.number, "subject": ticket.get("subject", ""), "status": ctx.status,
                       "severity": ticket["severity"]},
            "requester": {"name": ticket.get("requester_name") or "", "email": ticket.get("requester", "")},
            "comment": entry.get("text") if entry.get("kind") == "survey_comment" else None,
            "truncated": bool(entry.get("text_truncated")),
            "question": QUESTION_NAMES[kind], "score": int(entry.get("score") or 0),
            "max": QUESTIONS[kind][1],
            "low": bool(entry.get("low")), "reopened": bool(entry.get("reopened")), "ratings": ratings,
            "account": ctx.account.name, "team_name": settings.team_name,
        }
        rendered = render("survey_feedback", context, ctx.policy.templates.override_dir)
        return OutboundMail(
            sender=settings.support_address, sender_name=settings.team_name,
            to=[self.work.owner_address(ctx.ticket, ctx.account)], subject=rendered.subject, text=rendered.text,
            html=rendered.html,
            reply_to=reply_address(settings.support_address, ctx.number, self.work.signing_key, "staff"),
            auto_submitted="auto-generated", extra_headers={"X-Helpdesk-Ticket": str(ctx.number)},
        )


class SurveySender:
    """Performs `survey` items (and `survey_feedback` retries): the requester gets the rating links."""

    def __init__(self, work: Work, survey_url: str) -> None:
        self.work = work
        self.survey_url = survey_url
        self.tokens = SurveyTokens(work.signing_key, work.clock)
        self.feedback = FeedbackNotifier(work)

    def __call__(self, item: dict[str, Any], owner: str) -> Performed:
        if item.get("kind") == FEEDBACK_KIND:
            return self.feedback.perform(item, owner)
        work = self.work
        number = int(item["ticket"])
        ctx = work.context(number)
        if ctx is None:
            work.finish(item, owner, [], outcome="no_ticket")
            return Performed("survey", number, "skipped")
        resolved_at = (item.get("payload") or {}).get("resolved_at")
        if not ctx.closed or (resolved_at and ctx.ticket.get("resolved_at") != resolved_at):
            # Reopened, or resolved again later: the resolution this survey was about no longer stands.
            work.finish(item, owner, [], outcome="reopened")
            return Performed("survey", number, "skipped")
        pk, sk = sender_key(ctx.ticket.get("requester", ""))
        if (work.store.get_many([(pk, sk)]).get((pk, sk)) or {}).get("undeliverable"):
            work.finish(item, owner, [], outcome="recipient_undeliverable")
            return Performed("survey", number, "skipped")
        job = self.job(ctx, owner, int(item.get("attempts") or 1), item["SK"])
        sent = deliver(work.store, work.outbox, [job], work.clock.now(), work.job_failed)
        if not sent:
            return Performed("survey", number, "deferred")
        return Performed("survey", number, "done", [{"kind": "survey_sent", "ticket": number}])

    def job(self, ctx: TicketContext, owner: str, attempts: int, sk: str) -> Job:
        now = self.work.clock.now()
        resolution = getattr(ctx.policy, "resolution", None)
        expires = now + getattr(resolution, "survey_expires_after", TOKEN_TTL)

        def after(sent: Sent) -> list[Any]:
            metrics.add_metric(name="SurveysSent", unit="Count", value=1)
            logger.info("survey_sent", extra={"ticket": ctx.number})
            return [Update(ticket_pk(ctx.number), META, sets={
                "survey_sent_at": iso(now), "survey_expires_at": iso(expires),
                "last_outbound_message_id": sent.ses_message_id}, condition="attribute_exists(PK)").write()]

        return Job(ticket_pk(ctx.number), sk, owner, ctx.number, "survey_sent", self.build(ctx, expires),
                   attempts, after=after)

    def build(self, ctx: TicketContext, expires: datetime) -> OutboundMail:
        settings, ticket, number = self.work.settings, ctx.ticket, ctx.number
        recipient = ticket["requester"]

        def link(kind: str, score: int) -> str:
            return self.tokens.make_link(self.survey_url, number, kind, score, recipient, expires)

        context = {
            "ticket": {"number": number, "subject": ticket.get("subject") or ""},
            "customer_name": ticket.get("requester_name") or "there",
            "team_name": settings.team_name,
            "csat": [{"score": s, "label": CSAT_LABELS[s], "url": link("csat", s)} for s in range(1, 6)],
            "nps": [{"score": s, "url": link("nps", s)} for s in range(0, 11)],
            "expires": expires.strftime("%d %B %Y"),
        }
        rendered = render("survey_request", context, ctx.policy.templates.override_dir)
        return OutboundMail(
            sender=settings.support_address, sender_name=settings.team_name, to=[recipient],
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            reply_to=reply_address(settings.support_address, number, self.work.signing_key, "customer"),
            in_reply_to=ticket.get("last_outbound_message_id") or ticket.get("root_message_id"),
            references=list(ticket.get("thread_references") or []), auto_submitted="auto-generated",
            extra_headers={"X-Helpdesk-Ticket": str(number)},
        )


# -- the survey function: clicks and comments ---------------------------------------------------

PAGES = {
    400: ("This link looks incomplete",
          "Part of the link may have been lost on the way. Please open it again from the original email, "
          "or simply reply to that email and tell us what you think."),
    403: ("We could not confirm this link",
          "This link does not match the survey we sent, so we did not record anything. Please use the link "
          "exactly as it appears in your email."),
    405: ("Nothing to see here",
          "This address only answers the rating links in our survey emails."),
    410: ("This survey has closed",
          "The link is no longer active, so we did not record a rating. You are always welcome to reply to "
          "any of our emails about this request."),
    413: ("That is more than this form can take",
          "Your comment is too long to send here. Please reply to the survey email instead; "
          "we read every reply."),
    500: ("Something went wrong on our side",
          "Your answer was not saved. Please try the link again in a few minutes."),
}
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL; it must not leak to other sites
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
}


@lru_cache(maxsize=1)
def _page_template() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("survey_page.html.j2")


class SurveyService:
    """Lambda Function URL events (payload format 2.0) in, HTML pages out."""

    def __init__(self, services: Any, blobs: Any) -> None:
        self.services = services
        self.work: Work = services.work
        self.ops = services.ops
        self.escalator = services.escalator
        self.blobs = blobs
        self.tokens = SurveyTokens(self.work.signing_key, self.work.clock)
        self.feedback = FeedbackNotifier(self.work)

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            method = str(((event.get("requestContext") or {}).get("http") or {}).get("method") or "").upper()
            if method == "GET":
                return self.rate(_query_token(event))
            if method == "POST":
                form = _form(event)
                return self.comment(form.get("t", ""), form.get("comment", ""))
            raise SurveyRequestError("method_not_allowed", 405)
        except SurveyRequestError as exc:
            logger.info("survey_rejected", extra={"reason": exc.reason, "status": exc.status})
            metrics.add_metric(name="SurveyRequestsRejected", unit="Count", value=1)
            return self.error_page(exc.status)
        except (TransientAwsError, PermanentSendError, ConflictError) as exc:
            logger.warning("survey_unavailable", extra={"error": type(exc).__name__})
            return self.error_page(503)
        except Exception:
            logger.exception("survey_failed")
            return self.error_page(500)

    # -- a click --------------------------------------------------------------------------------

    def rate(self, token: str) -> dict[str, Any]:
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        number, kind = claim.ticket, claim.kind
        decided: dict[str, Any] = {}
        if ctx.ticket.get(kind) is not None and int(ctx.ticket[kind]) == claim.score:
            # A reload or a repeat click: nothing new to record.
            decided["low"] = is_low(ctx, kind, claim.score)
        else:
            builders = [self._rating_change(claim, decided)]
            if is_low(ctx, kind, claim.score) and ctx.closed:
                builders.append(self.ops.reopen_change(
                    "customer:survey", f"the customer rated {QUESTION_NAMES[kind]} {claim.score} of "
                                       f"{QUESTIONS[kind][1]}"))
            self.ops.apply(number, builders)
            metric("Ratings", question=kind, score=str(claim.score))  # 1-5 or 0-10: low cardinality
            logger.info("survey_rated", extra={"ticket": number, "question": kind, "low": decided["low"]})
        if decided["low"]:
            metric("LowRatings", question=kind)
            self.escalator.raise_trigger(number, TRIGGERS[kind], claim.survey_round)
        if decided.get("notify"):
            self.feedback.send_now(decided["notify"])
        return self.page(200, "rated", claim=claim, low=decided["low"], token=token)

    def _rating_change(self, claim: Claim, decided: dict[str, Any]) -> Any:
        def change(ctx: TicketContext, now: datetime) -> Change:
            previous = ctx.ticket.get(claim.kind)
            low = is_low(ctx, claim.kind, claim.score)
            entry_sk = f"ENTRY#{iso(now)}#rating#{uuid.uuid4().hex[:8]}"
            entry = {"SK": entry_sk, "kind": "rating", "actor": "customer", "question": claim.kind,
                     "score": claim.score, "scale": f"{QUESTIONS[claim.kind][0]}-{QUESTIONS[claim.kind][1]}",
                     "previous": int(previous) if previous is not None else None, "low": low,
                     "reopened": low and ctx.closed, "survey": claim.survey_round}
            writes, notify = [], None
            if low and not is_low(ctx, claim.kind, int(previous) if previous is not None else None):
                # The owner hears once when a rating turns bad, not on every further click.
                notify = self.feedback.obligation(claim.ticket, entry_sk, now, new_lease_owner())
                writes.append(put(notify))
            decided.update(low=low, notify=notify)
            sets = {claim.kind: claim.score, f"{claim.kind}_at": iso(now)}
            return Change(sets, entry, writes)

        return change

    # -- a comment ------------------------------------------------------------------------------

    def comment(self, token: str, text: str) -> dict[str, Any]:
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        if not text:
            return self.page(400, "empty", claim=claim, low=is_low(ctx, claim.kind, claim.score), token=token)
        now, number = self.work.clock.now(), claim.ticket
        # The same comment sent twice (a refreshed form) is one comment: its digest names its obligation.
        digest = hashlib.blake2b(claim.payload() + b"\0" + text.encode("utf-8"), digest_size=8).hexdigest()
        text_key = None
        if len(text) > COMMENT_INLINE:
            text_key = self.blobs.write(f"{COMMENT_PREFIX}{number}/{digest}.txt", text.encode("utf-8"),
                                        "text/plain; charset=utf-8")
        entry_sk = f"ENTRY#{iso(now)}#survey_comment#{digest}"
        notify = self.feedback.obligation(number, entry_sk, now, new_lease_owner(), key=f"comment#{digest}")

        def change(ctx: TicketContext, at: datetime) -> Change:
            entry = {"SK": entry_sk, "kind": "survey_comment", "actor": "customer", "question": claim.kind,
                     "score": claim.score, "low": is_low(ctx, claim.kind, claim.score),
                     "text": text[:COMMENT_INLINE], "text_truncated": text_key is not None,
                     "text_key": text_key, "chars": len(text),
                     "survey": claim.survey_round}
            once = put(notify, only_if_new=True, label="survey_comment_once")
            return Change({"survey_comment_at": iso(at)}, entry, [once], adds={"survey_comments": 1})

        try:
            self.ops.apply(number, [change])
        except ConflictError as exc:
            if "survey_comment_once" not in str(exc):
                raise
            logger.info("survey_comment_repeated", extra={"ticket": number})
        else:
            metrics.add_metric(name="SurveyComments", unit="Count", value=1)
            logger.info("survey_commented", extra={"ticket": number, "stored_in_s3": text_key is not None})
            self.feedback.send_now(notify)
        return self.page(200, "commented", claim=claim, low=is_low(ctx, claim.kind, claim.score), token=token,
                         comment=text[:2000], comment_cut=len(text) > 2000)

    # -- shared ---------------------------------------------------------------------------------

    def _context(self, claim: Claim) -> TicketContext:
        ctx = self.work.context(claim.ticket)
        if ctx is None:
            raise SurveyRequestError("no_ticket", 410)
        if str(ctx.ticket.get("requester", "")).strip().lower() != claim.recipient:
            raise SurveyRequestError("wrong_recipient", 403)
        return ctx

    def page(self, status: int, state: str, *, claim: Claim | None = None, low: bool = False,
             token: str = "", comment: str = "", comment_cut: bool = False, heading: str = "",
             message: str = "") -> dict[str, Any]:
        context = {
            "state": state, "team_name": self.work.settings.team_name, "heading": heading, "message": message,
            "ticket": claim.ticket if claim else None,
            "question": QUESTION_NAMES[claim.kind] if claim else "",
            "kind": claim.kind if claim else "", "score": claim.score if claim else None,
            "max": QUESTIONS[claim.kind][1] if claim else None, "low": low, "token": token,
            "comment": comment, "comment_cut": comment_cut,
        }
        return {"statusCode": status, "headers": dict(HEADERS), "body": _page_template().render(context),
                "isBase64Encoded": False}

    def error_page(self, status: int) -> dict[str, Any]:
        heading, message = PAGES.get(status, PAGES[500])
        response = self.page(status, "error", heading=heading, message=message)
        if status == 405:
            response["headers"]["Allow"] = "GET, POST"
        return response


def _query_token(event: dict[str, Any]) -> str:
    params = event.get("queryStringParameters") or {}
    token = params.get("t") if isinstance(params, dict) else None
    if token is None and event.get("rawQueryString"):
        try:
            token = next(iter(parse_qs(str(event["rawQueryString"]), max_num_fields=20).get("t") or []), None)
        except ValueError as exc:
            raise SurveyRequestError("bad_query", 400) from exc
    if not token:
        raise SurveyRequestError("missing_token", 400)
    return str(token).split(",")[0]  # Function URLs join repeated parameters with commas


def _form(event: dict[str, Any]) -> dict[str, str]:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", FORM_TYPE).split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise SurveyRequestError("unsupported_form", 400)
    body = event.get("body") or ""
    try:
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(body, validate=True)
        else:
            raw = str(body).encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise SurveyRequestError("bad_body", 400) from exc
    if len(raw) > MAX_BODY:
        raise SurveyRequestError("too_large", 413)
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SurveyRequestError("bad_body", 400) from exc
    return {name: values[0] for name, values in fields.items() if values}


# -- the function's cached services -------------------------------------------------------------


@lru_cache(maxsize=1)
def survey_service() -> SurveyService:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.app.factory import build_services  # deferred: wiring imports this module for SurveySender
    from helpdesk.app.settings import SurveySettings

    settings = SurveySettings.from_env(os.environ)
    blobs = BlobStore(settings.inbound_bucket)
    return SurveyService(build_services(settings, blobs), blobs)


def reset_cache() -> None:
    """Forget the cached survey services (wiring.reset calls this between environments)."""
    survey_service.cache_clear()
    _page_template.cache_clear()
