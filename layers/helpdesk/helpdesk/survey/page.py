"""The survey function: Lambda Function URL requests (payload format 2.0) in, HTML pages out.

Routing is Powertools' `LambdaFunctionUrlResolver`. GET / opens a link from the survey email and
shows the survey with the clicked score chosen; it never changes anything, because mail scanners
(Safe Links and the like) open every link in a message. POST / records what the customer
confirms: the page's form (which works without JavaScript), or the same form sent by the page's
script after a short, visible countdown. Anything else gets a polite 405 page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from helpdesk.core.errors import ConflictError, PermanentSendError, TransientAwsError
from helpdesk.core.observability import logger, metrics
from helpdesk.messages.rendering import TEMPLATE_DIR, render_page
from helpdesk.survey.feedback import is_low
from helpdesk.survey.questions import BY_KEY, CSAT_LABELS, QUESTIONS
from helpdesk.survey.recording import Recorder, Submission
from helpdesk.survey.tokens import Claim, SurveyRequestError, SurveyTokens

if TYPE_CHECKING:
    from helpdesk.adapters.aws.blobs import BlobStore
    from helpdesk.escalation.escalator import Escalator
    from helpdesk.survey.feedback import FeedbackNotifier
    from helpdesk.tickets.context import TicketContext
    from helpdesk.tickets.operations import TicketOps

MAX_BODY = 1_000_000  # bytes of form data accepted in one POST
FORM_TYPE = "application/x-www-form-urlencoded"
AUTOSAVE_SECONDS = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The page's one script, allowed by its hash and nothing else.
SCRIPT = (TEMPLATE_DIR / "survey_autosave.js").read_text(encoding="utf-8")
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()

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
    "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


class SurveyService:
    def __init__(self, ops: TicketOps, escalator: Escalator, feedback: FeedbackNotifier, blobs: BlobStore,
                 tokens: SurveyTokens, team_name: str, extra_routes: Any = None) -> None:
        self.ops = ops
        self.tokens = tokens
        self.team_name = team_name
        self.escalator = escalator
        self.extra_routes = extra_routes
        self.recorder = Recorder(ops, escalator, feedback, blobs)
        self.app = self._routes()

    def _routes(self) -> Any:
        from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

        app = LambdaFunctionUrlResolver()

        def respond(page: dict[str, Any]) -> Response:
            return Response(status_code=page["statusCode"], headers=page["headers"], body=page["body"])

        @app.get("/")
        def survey() -> Response:
            return respond(self.open(_query_token(app.current_event.raw_event)))

        @app.post("/")
        def answers() -> Response:
            return respond(self.submit(_form(app.current_event.raw_event)))

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

    # -- a click: the survey, with the clicked score chosen, and nothing recorded -------------------

    def open(self, token: str) -> dict[str, Any]:
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        chosen = {q.key: ctx.ticket.rating(q.key) for q in QUESTIONS} | {claim.kind: claim.score}
        logger.info("survey_opened", extra={"ticket": claim.ticket, "question": claim.kind})
        return self.page(200, "form", ctx, claim, token, chosen=chosen)

    # -- a POST: what the customer confirmed -------------------------------------------------------

    def submit(self, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("t", "")
        claim = self.tokens.check(token)
        ctx = self._context(claim)
        answers = _answers(form)
        comment = _CONTROL.sub("", form.get("comment", "").replace("\r\n", "\n").replace("\r", "\n")).strip()
        if not answers and not comment:
            chosen = {q.key: ctx.ticket.rating(q.key) for q in QUESTIONS}
            return self.page(400, "empty", ctx, claim, token, chosen=chosen)
        if comment or any(ctx.ticket.rating(key) != score for key, score in answers.items()):
            ctx.ticket = self.recorder.record(Submission(claim, answers, comment)).ticket or ctx.ticket
        ticket = ctx.ticket  # the same answers again (a reload, a second press) change nothing
        chosen = {q.key: ticket.rating(q.key) for q in QUESTIONS}
        state = "thanks" if form.get("full") or comment else "saved"
        return self.page(200, state, ctx, claim, token, chosen=chosen, comment=comment[:2000],
                         comment_cut=len(comment) > 2000)

    # -- shared ---------------------------------------------------------------------------------

    def _context(self, claim: Claim) -> TicketContext:
        ctx = self.ops.contexts.load(claim.ticket)
        if ctx is None:
            raise SurveyRequestError("no_ticket", 410)
        if ctx.ticket.requester.strip().lower() != claim.recipient:
            raise SurveyRequestError("wrong_recipient", 403)
        return ctx

    def page(self, status: int, state: str, ctx: TicketContext | None = None, claim: Claim | None = None,
             token: str = "", *, chosen: dict[str, int | None] | None = None, comment: str = "",
             comment_cut: bool = False, heading: str = "", message: str = "") -> dict[str, Any]:
        chosen = chosen or {}
        context = {
            "state": state, "team_name": self.team_name, "heading": heading, "message": message,
            "ticket": claim.ticket if claim else None, "token": token, "script": SCRIPT,
            "clicked": _clicked(claim) if claim else None, "autosave_seconds": AUTOSAVE_SECONDS,
            "questions": _question_rows(chosen), "comment": comment, "comment_cut": comment_cut,
            "answered": [row for row in _question_rows(chosen) if row["chosen"] is not None],
            "low": ctx is not None and _any_low(ctx, chosen),
        }
        return {"statusCode": status, "headers": dict(HEADERS), "body": render_page("survey_page", context),
                "isBase64Encoded": False}

    def error_page(self, status: int) -> dict[str, Any]:
        heading, message = PAGES.get(status, PAGES[500])
        response = self.page(status, "error", heading=heading, message=message)
        if status == 405:
            response["headers"]["Allow"] = "GET, POST"
        return response


def _clicked(claim: Claim) -> dict[str, Any]:
    question = BY_KEY[claim.kind]
    label = CSAT_LABELS.get(claim.score) if claim.kind == "csat" else None
    return {"key": claim.kind, "score": claim.score, "max": question.high, "name": question.name,
            "label": label}


def _question_rows(chosen: dict[str, int | None]) -> list[dict[str, Any]]:
    return [{"key": q.key, "title": q.title, "name": q.name, "scores": list(q.scores), "max": q.high,
             "low_label": q.low_label, "high_label": q.high_label, "chosen": chosen.get(q.key),
             "labels": CSAT_LABELS if q.key == "csat" else {}} for q in QUESTIONS]


def _any_low(ctx: TicketContext, chosen: dict[str, int | None]) -> bool:
    return any(is_low(ctx, key, chosen.get(key)) for key in ("csat", "nps"))


def _answers(form: dict[str, str]) -> dict[str, int]:
    """Each answered question's score; a value off its scale is refused, never stored."""
    answers: dict[str, int] = {}
    for question in QUESTIONS:
        value = form.get(question.key, "").strip()
        if not value:
            continue
        if not value.isdigit() or int(value) not in question.scores:
            raise SurveyRequestError("answer_out_of_range", 400)
        answers[question.key] = int(value)
    return answers


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
