"""The survey function's URL, served on loopback by the local runtime, and a customer who clicks.

`SurveyServer` listens on the port the embedded runtime reserved for the SurveyFunction URL and
turns each HTTP request into a Lambda Function URL event (payload format 2.0), so a browser can
open a rating link from a locally sent survey email. `rate()` does what a customer does without a
browser: it takes the real signed link out of the survey email moto recorded, opens it through the
handler (which records nothing) and sends the form of the page it returned, score chosen.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from helpdesk.survey.tokens import TokenError, parse_claim

FUNCTION = "SurveyFunction"
MAX_REQUEST = 6 * 1024 * 1024  # the Function URL request payload limit
PLAIN = {"Content-Type": "text/plain"}
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def function_url_event(method: str, path: str = "/", query: str = "", headers: dict[str, str] | None = None,
                       body: bytes | None = None, source_ip: str = "127.0.0.1", domain: str = "127.0.0.1"
                       ) -> dict[str, Any]:
    """An event as Lambda builds it for a Function URL request (payload format 2.0)."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    params: dict[str, str] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        params[name] = ",".join(values)  # Function URLs join repeated parameters with commas
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path or "/", "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "local", "domainName": domain, "domainPrefix": "local",
            "http": {"method": method.upper(), "path": path or "/", "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if params:
        event["queryStringParameters"] = params
    if body:
        content_type = headers.get("content-type", "")
        if content_type.startswith(TEXT_TYPES):
            event["body"] = body.decode("utf-8", "replace")
        else:  # Lambda base64-encodes everything else, form posts included
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


class SurveyServer:
    """http.server in a background thread; every request is one in-process invocation of the function."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.url = runtime.aws.function_urls[FUNCTION]
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # the runtime swaps os.environ and stdout per invocation

    def __enter__(self) -> SurveyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SurveyServer:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="survey-url", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            response = self.runtime.invoke(FUNCTION, event)
            self.runtime.collect_emails()
            self.runtime.collect_notifications()
        return response


def _handler_class(server: SurveyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "helpdesk-local"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass  # the query string carries a token; keep it out of the console

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST:
                self._reply({"statusCode": 413, "headers": PLAIN, "body": "Too large"})
                return
            body = self.rfile.read(length) if length else None
            parts = urlsplit(self.path)
            event = function_url_event(self.command, unquote(parts.path) or "/", parts.query,
                                       dict(self.headers), body, source_ip=self.client_address[0],
                                       domain=f"{server.host}:{server.port}")
            try:
                response = server.invoke(event)
            except Exception:  # the real service answers 502 when a function fails
                response = {"statusCode": 502, "headers": PLAIN, "body": "Bad gateway"}
            self._reply(response)

        def _reply(self, response: Any) -> None:
            if not isinstance(response, dict) or "statusCode" not in response:
                import json

                response = {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                            "body": json.dumps(response)}
            body = response.get("body") or ""
            data = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode("utf-8")
            self.send_response(int(response["statusCode"]))
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    return Handler


# -- a customer answering the survey --------------------------------------------------------------


@dataclass
class RateResult:
    link: str
    status: int
    page: str
    comment_status: int | None = None
    comment_page: str | None = None


def survey_links(runtime: Any, ticket: int) -> dict[tuple[str, int], str]:
    """(question, score) -> link, from the latest survey email sent for `ticket`."""
    base = runtime.aws.function_urls[FUNCTION]
    pattern = re.compile(re.escape(base) + r"\?t=[A-Za-z0-9_.-]+")
    for email in reversed(runtime.customer_emails()):
        if email.message.get("X-Helpdesk-Ticket") != str(ticket):
            continue
        links: dict[tuple[str, int], str] = {}
        for link in pattern.findall(email.body("plain")):
            try:
                claim = parse_claim(link.partition("?t=")[2])
            except TokenError:
                continue
            links[(claim.kind, claim.score)] = link
        if links:
            return links
    raise LookupError(f"no survey email with rating links for ticket #{ticket}")


class _FormReader(HTMLParser):
    """The fields a browser would submit from one POST form (by id): hidden inputs, checked radios, text."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.found = False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form" and attributes.get("id") == self.form_id and attributes.get("method", "").lower() == "post":
            self.in_form = self.found = True
        elif self.in_form and tag == "input" and attributes.get("name"):
            if attributes.get("type", "text") != "radio" or "checked" in attributes:
                self.fields[attributes["name"]] = attributes.get("value", "")
        elif self.in_form and tag == "textarea" and attributes.get("name"):
            self.textarea = attributes["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False


def read_form(page: str, form_id: str = "survey") -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(page)
    if not reader.found:
        raise LookupError(f"the survey page has no {form_id!r} form")
    return reader.fields


def rate(runtime: Any, ticket: int, score: int, comment: str | None = None, kind: str = "csat",
         answers: dict[str, int] | None = None) -> RateResult:
    """Open the `kind` link for `score` from the survey email of `ticket`, as a person clicks it, then
    send the page's form with that score chosen (plus any other `answers` and a comment), as they would."""
    from helpdesk_local.runtime import TimelineEvent

    link = survey_links(runtime, ticket).get((kind, score))
    if link is None:
        raise LookupError(f"the survey email for ticket #{ticket} has no {kind} link for {score}")
    parts = urlsplit(link)
    headers = {"host": parts.netloc, "user-agent": "helpdesk-local/rate", "accept": "text/html"}
    opened = _invoke(runtime, function_url_event("GET", parts.path or "/", parts.query, headers))
    if int(opened["statusCode"]) != 200:
        return RateResult(link, int(opened["statusCode"]), str(opened.get("body") or ""))
    form = read_form(str(opened.get("body") or ""))
    form.update({k: str(v) for k, v in (answers or {}).items()})
    form[kind] = str(score)
    if comment is not None:
        form["comment"] = comment
    body = urlencode(form).encode()
    post_headers = {**headers, "content-type": "application/x-www-form-urlencoded",
                    "content-length": str(len(body)), "origin": f"{parts.scheme}://{parts.netloc}"}
    posted = _invoke(runtime, function_url_event("POST", parts.path or "/", parts.query, post_headers, body))
    result = RateResult(link, int(posted["statusCode"]), str(posted.get("body") or ""))
    runtime.timeline.append(TimelineEvent(runtime.now(), "survey_rated", ticket,
                                          details={"question": kind, "score": score, "status": result.status}))
    if comment is not None:
        result.comment_status, result.comment_page = result.status, result.page
        runtime.timeline.append(TimelineEvent(runtime.now(), "survey_commented", ticket,
                                              details={"question": kind, "status": result.status}))
    return result


def _invoke(runtime: Any, event: dict[str, Any]) -> dict[str, Any]:
    response = runtime.invoke(FUNCTION, event)
    runtime.collect_emails()
    runtime.collect_notifications()
    return response


def open_link(runtime: Any, link: str, method: str = "GET") -> tuple[int, str]:
    """Follow a link served by the survey function (a rating or one-tap acknowledgment) as a phone would.

    A POST submits the page's form, as tapping its button does."""
    parts = urlsplit(link)
    headers = {"host": parts.netloc, "user-agent": "helpdesk-local/link", "accept": "text/html"}
    body = b""
    if method.upper() == "POST":
        headers |= {"content-type": "application/x-www-form-urlencoded", "content-length": "0",
                    "origin": f"{parts.scheme}://{parts.netloc}"}
    response = _invoke(runtime, function_url_event(method, parts.path or "/", parts.query, headers, body or None))
    return int(response["statusCode"]), str(response.get("body") or "")
