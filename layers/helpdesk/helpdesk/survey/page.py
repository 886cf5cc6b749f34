"""The survey function: Lambda Function URL requests (payload format 2.0) in, HTML pages out.

Routing is Powertools' `LambdaFunctionUrlResolver`: GET / opens a rating link, POST / sends a
comment, anything else gets a polite 405 page. A rating below the policy's thresholds reopens
the ticket, raises `csat_low` or `nps_detractor` (once per survey) and tells the owner.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from helpdesk.core.errors import ConflictError, PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metric, metrics
from helpdesk.messages.rendering import render_page
from helpdesk.survey.sender import QUESTION_NAMES, FeedbackNotifier, is_low
from helpdesk.survey.tokens import QUESTIONS, Claim, SurveyRequestError, SurveyTokens
from helpdesk.tickets import changes
from helpdesk.tickets.changes import Change

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps

TRIGGERS = {"csat": "csat_low", "nps": "nps_detractor"}
COMMENT_INLINE = 16_000  # characters kept on the thread entry; the full text goes to S3
MAX_BODY = 1_000_000  # bytes of form data accepted in one POST
COMMENT_PREFIX = "survey-comments/"
FORM_TYPE = "application/x-www-form-urlencoded"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

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


class SurveyService:
    def __init__(self, ops: TicketOps, escalator: Escalator, feedback: FeedbackNotifier, blobs: BlobStore,
                 tokens: SurveyTokens, team_name: str, extra_routes: Any = None) -> None:
        self.ops = ops
        self.escalator = escalator
        self.feedback = feedback
        self.blobs = blobs
        self.tokens = tokens
        self.team_name = team_name
        self.extra_routes = extra_routes
        self.app = self._routes()

    def _routes(self) -> Any:
        from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

        app = LambdaFunctionUrlResolver()

        def respond(page: dict[str, Any]) -> Response:
            return Response(status_code=page["statusCode"], headers=page["headers"], body=page["body"])

        @app.get("/")
        def rating() -> Response:
            return respond(self.rate(_query_token(app.current_event.raw_event)))

        @app.post("/")
        def comment() -> Response:
            form = _form(app.current_event.raw_event)
            return respond(self.comment(form.get("t", ""), form.get("comment", "")))

        if self.extra_routes is not None:
            self.extra_routes(app, respond)  # the one-tap escalation acknowledgment shares this URL

        @app.not_found
        def elsewhere(exc: Exception) -> Response:
            return respond(self.error_page(405))

        return app

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
                raise SurveyRequestError("not_a_function_url_event", 405)
            self._learn_own_url(event)
            return dict(self.app.resolve(event, None))
        except SurveyRequestError as exc:
            logger.info("survey_rejected", extra={"reason": exc.reason, "status": exc.status})
            metrics.add_metric(name="SurveyRequestsRejected", unit="Count", value=1)
            return self.error_page(exc.status)
        except (TransientAwsError, PermanentSendError, ConflictError) as exc:
            logger.warning("survey_unavailable", extra={"error": type(exc).__name__})
            return self.error_page(503)
        except Exception as exc:  # noqa: BLE001 - a page, never a stack trace
            logger.error("survey_failed", extra={"error_type": type(exc).__name__})
            return self.error_page(500)

    def _learn_own_url(self, event: dict[str, Any]) -> None:
        """This function's public URL, for the links its escalations carry (its template cannot name it)."""
        domain = str(event["requestContext"].get("domainName") or "")
        if domain and not self.escalator.public_url:
            scheme = "http" if domain.startswith(("127.", "localhost")) else "https"
            self.escalator.public_url = f"{scheme}://{domain}"

    # -- a click --------------------------------------------------------------------------------

    def rate(self, token: str) -> dict[str, Any]:
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        number, kind = claim.ticket, claim.kind
        decided: dict[str, Any] = {}
        if ctx.ticket.rating(kind) == claim.score:
            decided["low"] = is_low(ctx, kind, claim.score)  # a reload or a repeat click: nothing new
        else:
            builders = [self._rating_change(claim, decided)]
            if is_low(ctx, kind, claim.score) and ctx.closed:
                builders.append(changes.reopen("customer:survey", f"the customer rated {QUESTION_NAMES[kind]} "
                                                                  f"{claim.score} of {QUESTIONS[kind][1]}"))
            self.ops.apply(number, builders)
            metric("Ratings", question=kind, score=str(claim.score))  # 1-5 or 0-10: low cardinality
            logger.info("survey_rated", extra={"ticket": number, "question": kind, "low": decided["low"]})
        if decided["low"]:
            metric("LowRatings", question=kind)
            self.escalator.raise_trigger(number, TRIGGERS[kind], claim.survey_round)
        if decided.get("notify"):
            self.feedback.due.run(decided["notify"])
        return self.page(200, "rated", claim=claim, low=decided["low"], token=token)

    def _rating_change(self, claim: Claim, decided: dict[str, Any]) -> Any:
        def change(ctx: TicketContext, now: datetime) -> Change:
            previous = ctx.ticket.rating(claim.kind)
            low = is_low(ctx, claim.kind, claim.score)
            key = uuid.uuid4().hex[:8]
            entry = {"key": key, "kind": "rating", "actor": "customer", "question": claim.kind, "score": claim.score,
                     "scale": f"{QUESTIONS[claim.kind][0]}-{QUESTIONS[claim.kind][1]}", "previous": previous,
                     "low": low, "reopened": low and ctx.closed, "survey": claim.survey_round}
            items = []
            notify = None
            if low and not is_low(ctx, claim.kind, previous):
                # The owner hears once when a rating turns bad, not on every further click.
                notify = self.feedback.item(claim.ticket, _entry_id(now, "rating", key))
                items.append(notify)
            decided.update(low=low, notify=notify)
            return Change({claim.kind: claim.score, f"{claim.kind}_at": now}, entry, items)

        return change

    # -- a comment ------------------------------------------------------------------------------

    def comment(self, token: str, text: str) -> dict[str, Any]:
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        if not text:
            return self.page(400, "empty", claim=claim, low=is_low(ctx, claim.kind, claim.score), token=token)
        number = claim.ticket
        # The same comment sent twice (a refreshed form) is one comment: its digest names its item.
        digest = hashlib.blake2b(claim.payload() + b"\0" + text.encode("utf-8"), digest_size=8).hexdigest()
        text_key = None
        if len(text) > COMMENT_INLINE:
            text_key = self.blobs.write(f"{COMMENT_PREFIX}{number}/{digest}.txt", text.encode("utf-8"),
                                        "text/plain; charset=utf-8")
        now = self.ops.clock.now()
        notify = self.feedback.item(number, _entry_id(now, "survey_comment", digest), key=f"comment#{digest}")

        def change(ctx: TicketContext, at: datetime) -> Change:
            entry = {"key": digest, "kind": "survey_comment", "actor": "customer", "question": claim.kind,
                     "score": claim.score, "low": is_low(ctx, claim.kind, claim.score), "text": text[:COMMENT_INLINE],
                     "text_truncated": text_key is not None, "text_key": text_key, "chars": len(text),
                     "survey": claim.survey_round}
            once = self.ops.store.due.add_once(notify, label="survey_comment_once")
            return Change({"survey_comment_at": at}, entry, writes=[once], adds={"survey_comments": 1})

        try:
            self.ops.apply(number, [change])
        except ConflictError as exc:
            if not exc.involves("survey_comment_once"):
                raise
            logger.info("survey_comment_repeated", extra={"ticket": number})
        else:
            metrics.add_metric(name="SurveyComments", unit="Count", value=1)
            logger.info("survey_commented", extra={"ticket": number, "stored_in_s3": text_key is not None})
            self.feedback.due.run(notify)
        return self.page(200, "commented", claim=claim, low=is_low(ctx, claim.kind, claim.score), token=token,
                         comment=text[:2000], comment_cut=len(text) > 2000)

    # -- shared ---------------------------------------------------------------------------------

    def _context(self, claim: Claim) -> TicketContext:
        ctx = self.ops.contexts.load(claim.ticket)
        if ctx is None:
            raise SurveyRequestError("no_ticket", 410)
        if ctx.ticket.requester.strip().lower() != claim.recipient:
            raise SurveyRequestError("wrong_recipient", 403)
        return ctx

    def page(self, status: int, state: str, *, claim: Claim | None = None, low: bool = False,
             token: str = "", comment: str = "", comment_cut: bool = False, heading: str = "",
             message: str = "") -> dict[str, Any]:
        context = {
            "state": state, "team_name": self.team_name, "heading": heading, "message": message,
            "ticket": claim.ticket if claim else None,
            "question": QUESTION_NAMES[claim.kind] if claim else "",
            "kind": claim.kind if claim else "", "score": claim.score if claim else None,
            "max": QUESTIONS[claim.kind][1] if claim else None, "low": low, "token": token,
            "comment": comment, "comment_cut": comment_cut,
        }
        return {"statusCode": status, "headers": dict(HEADERS), "body": render_page("survey_page", context),
                "isBase64Encoded": False}

    def error_page(self, status: int) -> dict[str, Any]:
        heading, message = PAGES.get(status, PAGES[500])
        response = self.page(status, "error", heading=heading, message=message)
        if status == 405:
            response["headers"]["Allow"] = "GET, POST"
        return response


def _entry_id(at: datetime, kind: str, key: str) -> str:
    return f"{at.strftime('%Y-%m-%dT%H:%M:%SZ')}#{kind}#{key}"


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


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    try:
        return base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else str(body).encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise SurveyRequestError("bad_body", 400) from exc


def _form(event: dict[str, Any]) -> dict[str, str]:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if headers.get("content-type", FORM_TYPE).split(";")[0].strip().lower() != FORM_TYPE:
        raise SurveyRequestError("unsupported_form", 400)
    raw = _raw_body(event)
    if len(raw) > MAX_BODY:
        raise SurveyRequestError("too_large", 413)
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SurveyRequestError("bad_body", 400) from exc
    return {name: values[0] for name, values in fields.items() if values}
