"""Satisfaction surveys: signed links, the survey email, ratings and comments through the handler."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest

from helpdesk.core.clock import FixedClock
from helpdesk.survey.tokens import Claim, SurveyTokens, TokenError, parse_claim
from helpdesk_local.survey_server import SurveyServer, function_url_event, rate, survey_links
from tests.survey.conftest import CUSTOMER, open_and_resolve, send_survey, services

T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
KEY = b"k" * 48
TEAM_QUEUE = "support-team@example.com"


# -- tokens -----------------------------------------------------------------------------------


@pytest.fixture
def tokens() -> SurveyTokens:
    return SurveyTokens(KEY, FixedClock(T0))


def _token(link: str) -> str:
    return link.partition("?t=")[2]


def _reencode(token: str, **changes: str) -> str:
    """The same signature over a payload with some fields changed (what a tamperer can do)."""
    payload, _, mac = token.partition(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    names = ["version", "ticket", "kind", "score", "expires", "recipient"]
    fields = dict(zip(names, raw.split("|", 5), strict=True))
    fields.update(changes)
    encoded = base64.urlsafe_b64encode("|".join(fields[n] for n in names).encode()).rstrip(b"=").decode()
    return f"{encoded}.{mac}"


def test_token_round_trip(tokens):
    expires = T0 + timedelta(days=30)
    link = tokens.make_link("https://survey.example/", 1042, "csat", 4, " Ada@Customer.Example ", expires)
    assert link.startswith("https://survey.example/?t=")
    claim = tokens.verify(_token(link))
    assert claim == Claim(1042, "csat", 4, "ada@customer.example", int((T0 + timedelta(days=30)).timestamp()))
    assert tokens.make_link("https://s.example/?lang=en", 1, "nps", 0, "a@b.example", T0).count("?") == 1
    odd = tokens.issue(7, "nps", 10, '"a|b"@odd.example', T0)  # the address is the last, unsplit field
    assert tokens.check(odd).recipient == '"a|b"@odd.example'


def test_token_is_url_safe_and_does_not_need_escaping(tokens):
    token = tokens.issue(1042, "nps", 10, "ada+tag@customer.example", T0 + timedelta(days=1))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


@pytest.mark.parametrize("field, value", [("ticket", "1043"), ("kind", "nps"), ("score", "1"),
                                          ("expires", "4102444800"), ("recipient", "eve@attacker.example"),
                                          ("version", "2")])
def test_altering_any_signed_field_is_refused(tokens, field, value):
    token = tokens.issue(1042, "csat", 5, "ada@customer.example", T0 + timedelta(days=30))
    forged = _reencode(token, **{field: value})
    assert tokens.verify(forged) is None
    with pytest.raises(TokenError) as caught:
        tokens.check(forged)
    assert caught.value.status in (400, 403)  # 400 only for the version, which no longer parses
    if field != "version":
        assert caught.value.reason == "bad_signature"


def test_altered_signature_or_other_key_is_refused(tokens):
    token = tokens.issue(1042, "csat", 5, "ada@customer.example", T0 + timedelta(days=30))
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert tokens.verify(flipped) is None
    assert SurveyTokens(b"other-key", FixedClock(T0)).verify(token) is None
    assert tokens.verify(token) is not None


def test_expiry_uses_the_injected_clock(tokens):
    expires = T0 + timedelta(days=30)
    token = tokens.issue(1042, "csat", 3, "ada@customer.example", expires)
    tokens.clock.set(expires)
    assert tokens.verify(token) is not None
    tokens.clock.set(expires + timedelta(seconds=1))
    with pytest.raises(TokenError) as caught:
        tokens.check(token)
    assert (caught.value.reason, caught.value.status) == ("expired", 410)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "%%%.%%%", "x" * 5000,
                                     "bm90IGEgdG9rZW4." + "A" * 43, "MXwxMHxjc2F0fDF8Mg." + "A" * 43])
def test_malformed_tokens_are_refused(tokens, garbage):
    assert tokens.verify(garbage) is None
    with pytest.raises(TokenError) as caught:
        tokens.check(garbage)
    assert caught.value.status == 400


def test_scores_outside_the_scale_are_never_issued_and_never_accepted(tokens):
    with pytest.raises(ValueError):
        tokens.issue(1042, "csat", 6, "ada@customer.example", T0 + timedelta(days=1))
    with pytest.raises(ValueError):
        tokens.issue(1042, "nps", 11, "ada@customer.example", T0 + timedelta(days=1))
    signed = tokens.sign(Claim(1042, "csat", 0, "ada@customer.example", int(T0.timestamp()) + 60))
    with pytest.raises(TokenError) as caught:
        tokens.check(signed)
    assert (caught.value.reason, caught.value.status) == ("score_out_of_range", 400)


def test_parse_claim_reads_without_trusting(tokens):
    token = tokens.issue(7, "nps", 9, "ada@customer.example", T0)
    assert parse_claim(token).score == 9


# -- the survey email -------------------------------------------------------------------------


def _survey_email(runtime, number):
    return [e for e in runtime.customer_emails() if e.message.get("X-Helpdesk-Ticket") == str(number)
            and "How did we do?" in e.subject][-1]


def test_survey_email_goes_to_the_requester_with_every_rating_link(runtime, surveyed):
    email = _survey_email(runtime, surveyed)
    assert email.destinations == [CUSTOMER]
    assert f"[#{surveyed}]" in email.subject
    assert email.message["Auto-Submitted"] == "auto-generated"
    assert ".staff." not in email.message["Reply-To"]
    links = survey_links(runtime, surveyed)
    assert sorted(links) == [("csat", s) for s in range(1, 6)] + [("nps", s) for s in range(0, 11)]
    base = runtime.aws.function_urls["SurveyFunction"]
    assert all(link.startswith(base + "?t=") for link in links.values())
    html = email.body("html")
    assert all(link in html for link in links.values())
    assert 'aria-label="1 of 5: Very dissatisfied"' in html
    ticket = runtime.ticket(surveyed)
    assert ticket["survey_sent_at"] and ticket["survey_expires_at"]


def test_no_survey_when_the_ticket_was_reopened_before_it_was_due(runtime):
    number = open_and_resolve(runtime)
    runtime.advance(timedelta(minutes=10))
    runtime.staff_reply(number, "#status investigating\nLooking again.")
    before = len(runtime.customer_emails())
    send_survey(runtime, number)
    assert not [e for e in runtime.customer_emails()[before:] if "How did we do?" in e.subject]
    survey_items = [i for i in runtime.ticket_items(number) if i.get("kind") == "survey"]
    assert survey_items
    assert all(i["status"] == "done" and i.get("outcome") == "reopened" for i in survey_items)


# -- ratings through the handler ------------------------------------------------------------------


def _entries(runtime, number, kind):
    return [i for i in runtime.ticket_items(number) if i["SK"].startswith("ENTRY#") and i.get("kind") == kind]


def _escalations(runtime, number, trigger):
    return [n for n in runtime.notifications() if n["attributes"].get("trigger") == trigger
            and n["attributes"].get("ticket") == str(number) and n["attributes"].get("kind") == "briefing"]


def _owner_mail(runtime, number):
    return [e for e in runtime.emails() if TEAM_QUEUE in e.destinations
            and e.message.get("X-Helpdesk-Ticket") == str(number)
            and any(word in e.subject for word in ("Low rating", "Survey comment", "Survey rating"))]


def test_a_confirmed_score_is_recorded_and_a_second_one_updates_it(runtime, surveyed):
    # Changed by the survey issue: opening the link records nothing; `rate` sends the page's form.
    first = rate(runtime, surveyed, 4)
    assert first.status == 200 and "Thank you for your answers" in first.page and "4 out of 5" in first.page
    ticket = runtime.ticket(surveyed)
    assert ticket["csat"] == 4 and ticket["status"] == "resolved"
    first_at = ticket["csat_at"]
    runtime.advance(timedelta(minutes=3))
    assert rate(runtime, surveyed, 5).status == 200
    ticket = runtime.ticket(surveyed)
    assert ticket["csat"] == 5 and ticket["csat_at"] > first_at
    ratings = _entries(runtime, surveyed, "rating")
    assert [(r["question"], r["score"], r.get("previous")) for r in ratings] == [("csat", 4, None),
                                                                                 ("csat", 5, 4)]
    rate(runtime, surveyed, 5)  # a reload records nothing new
    assert len(_entries(runtime, surveyed, "rating")) == 2
    assert rate(runtime, surveyed, 9, kind="nps").status == 200
    assert runtime.ticket(surveyed)["nps"] == 9 and runtime.ticket(surveyed)["nps_at"]
    assert not _escalations(runtime, surveyed, "csat_low")
    assert not _escalations(runtime, surveyed, "nps_detractor")
    assert runtime.ticket(surveyed)["status"] == "resolved"


def test_low_csat_reopens_escalates_once_and_tells_the_owner_with_the_comment(runtime, surveyed):
    result = rate(runtime, surveyed, 2, comment="The fix took three days and nobody called back.")
    assert result.status == 200 and "sorry we fell short" in result.page
    assert result.comment_status == 200 and "Your comment reached our team" in result.comment_page
    ticket = runtime.ticket(surveyed)
    assert ticket["csat"] == 2 and ticket["status"] == "investigating" and ticket["reopens"] == 1
    assert _entries(runtime, surveyed, "reopened")
    escalations = _escalations(runtime, surveyed, "csat_low")
    assert len(escalations) == 1 and escalations[0]["attributes"]["level"] == "L1"
    # Changed by the survey issue: the score and the comment come in one POST, so one mail carries both.
    [owner] = _owner_mail(runtime, surveyed)
    assert "Low rating" in owner.subject
    assert "nobody called back" in owner.body() and "nobody called back" in owner.body("html")
    assert ".staff." in owner.message["Reply-To"]
    # A second bad score updates the figure but neither reopens again, re-escalates nor mails the owner.
    runtime.advance(timedelta(minutes=5))
    assert rate(runtime, surveyed, 1).status == 200
    ticket = runtime.ticket(surveyed)
    assert ticket["csat"] == 1 and ticket["reopens"] == 1
    assert len(_escalations(runtime, surveyed, "csat_low")) == 1
    assert len(_owner_mail(runtime, surveyed)) == 1


def test_a_comment_arriving_later_reaches_the_owner_in_the_next_days_mail(runtime, surveyed):
    # Changed by the survey issue: the owner gets one feedback mail a day at most; later answers wait.
    rate(runtime, surveyed, 1)
    assert len(_owner_mail(runtime, surveyed)) == 1
    runtime.advance(timedelta(hours=2))
    rate(runtime, surveyed, 1, comment="Still broken on Safari.")
    comments = _entries(runtime, surveyed, "survey_comment")
    assert [c["text"] for c in comments] == ["Still broken on Safari."]
    assert len(_owner_mail(runtime, surveyed)) == 1
    runtime.run_until(runtime.now() + timedelta(hours=22, minutes=5))
    owner = _owner_mail(runtime, surveyed)
    assert len(owner) == 2 and "Still broken on Safari." in owner[-1].body()
    assert "Low rating" in owner[-1].subject  # the figures as they stand when it goes out


def test_a_resubmitted_comment_is_recorded_and_sent_once(runtime, surveyed):
    token = _link_token(runtime, surveyed, score=2)
    _call(runtime, query="t=" + token)
    for _ in range(2):  # the browser's "resubmit form?" after a refresh
        _assert_polite(_post(runtime, token, "Please call me back."), 200)
    assert len(_entries(runtime, surveyed, "survey_comment")) == 1
    assert len([e for e in _owner_mail(runtime, surveyed) if "Survey comment" in e.subject]) == 1
    assert runtime.ticket(surveyed)["survey_comments"] == 1


def test_owner_mail_that_could_not_go_out_at_once_is_sent_by_the_sweeper_path(runtime, surveyed):
    from helpdesk.app import factory
    from helpdesk.sla.due import DueItem
    from helpdesk.survey.sender import FeedbackNotifier
    from tests.survey.conftest import function_env

    rate(runtime, surveyed, 4, comment="All good now.")
    item = DueItem.new(surveyed, FeedbackNotifier.item_id("retry-test"), "survey_feedback", runtime.now(), {})
    before = len(_owner_mail(runtime, surveyed))
    with function_env(runtime, "SlaSweeperFunction"):
        due = factory.sweeper().due
        assert due.store.due.put_once(item)
        performed = due.run_now(item)
    runtime.collect_emails()
    assert performed is not None and performed.outcome == "done"
    assert len(_owner_mail(runtime, surveyed)) == before + 1
    assert "All good now." in _owner_mail(runtime, surveyed)[-1].body()
    done = [i for i in runtime.ticket_items(surveyed) if i["SK"] == "DUE#" + item.id][0]
    assert done["status"] == "done" and "due_shard" not in done


def test_nps_detractor_escalates_and_a_promoter_does_not(runtime, surveyed):
    rate(runtime, surveyed, 9, kind="nps")
    assert not _escalations(runtime, surveyed, "nps_detractor")
    rate(runtime, surveyed, 3, kind="nps")
    ticket = runtime.ticket(surveyed)
    assert ticket["nps"] == 3 and ticket["status"] == "investigating"
    assert len(_escalations(runtime, surveyed, "nps_detractor")) == 1
    assert not _escalations(runtime, surveyed, "csat_low")


# -- bad input ------------------------------------------------------------------------------------


def _call(runtime, method="GET", query="", body=None, content_type="application/x-www-form-urlencoded"):
    headers = {"content-type": content_type} if body is not None else {}
    response = runtime.invoke("SurveyFunction", function_url_event(method, "/", query, headers, body))
    runtime.collect_emails()
    return response


def _post(runtime, token, comment, **extra):
    return _call(runtime, "POST", body=urlencode({"t": token, "comment": comment}).encode(), **extra)


def _assert_polite(response, status):
    assert response["statusCode"] == status
    assert response["headers"]["Content-Type"].startswith("text/html")
    body = response["body"]
    assert "<h1>" in body and "Traceback" not in body and 'lang="en"' in body
    return body


def _link_token(runtime, number, kind="csat", score=4):
    return _token(survey_links(runtime, number)[(kind, score)])


def test_missing_and_garbage_tokens_get_400(runtime, surveyed):
    assert "incomplete" in _assert_polite(_call(runtime), 400)
    _assert_polite(_call(runtime, query="t="), 400)
    _assert_polite(_call(runtime, query="t=%3Cscript%3E"), 400)
    _assert_polite(_call(runtime, query="t=" + "A" * 3000), 400)
    _assert_polite(_call(runtime, query="t=bm90IGEgdG9rZW4.AAAA"), 400)


def test_tampered_tokens_get_403_and_change_nothing(runtime, surveyed):
    token = _link_token(runtime, surveyed, score=4)
    other = open_and_resolve(runtime, subject="Another one", message_id="<other@customer.example>")
    for forged in (_reencode(token, score="1"), _reencode(token, ticket=str(other)),
                   _reencode(token, recipient="eve@attacker.example"), token[:-2] + "xx"):
        assert "could not confirm" in _assert_polite(_call(runtime, query="t=" + forged), 403)
    assert runtime.ticket(surveyed).get("csat") is None and runtime.ticket(other).get("csat") is None


def test_a_signed_token_for_someone_elses_ticket_gets_403(runtime, surveyed):
    tokens = services(runtime).tokens
    expires = runtime.now() + timedelta(days=1)
    token = tokens.issue(surveyed, "csat", 1, "eve@attacker.example", expires)
    _assert_polite(_call(runtime, query="t=" + token), 403)
    assert runtime.ticket(surveyed).get("csat") is None
    missing = tokens.issue(99999, "csat", 1, CUSTOMER, expires)
    _assert_polite(_call(runtime, query="t=" + missing), 410)


def test_scores_outside_the_range_get_400(runtime, surveyed):
    tokens = services(runtime).tokens
    expires = int((runtime.now() + timedelta(days=1)).timestamp())
    for kind, score in (("csat", 0), ("csat", 6), ("nps", 11)):
        token = tokens.sign(Claim(surveyed, kind, score, CUSTOMER, expires))
        _assert_polite(_call(runtime, query="t=" + token), 400)
    assert runtime.ticket(surveyed).get("csat") is None and runtime.ticket(surveyed).get("nps") is None


def test_expired_links_get_410(runtime, surveyed):
    token = _link_token(runtime, surveyed)
    runtime.advance(timedelta(days=31))
    assert "closed" in _assert_polite(_call(runtime, query="t=" + token), 410)
    _assert_polite(_post(runtime, token, "late"), 410)
    assert runtime.ticket(surveyed).get("csat") is None


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_other_methods_get_405(runtime, surveyed, method):
    response = _call(runtime, method, query="t=" + _link_token(runtime, surveyed))
    _assert_polite(response, 405)
    assert response["headers"]["Allow"] == "GET, POST"
    assert runtime.ticket(surveyed).get("csat") is None


def test_comment_posts_are_checked_like_clicks(runtime, surveyed):
    token = _link_token(runtime, surveyed)
    _assert_polite(_call(runtime, "POST", body=b"comment=hello"), 400)
    _assert_polite(_post(runtime, _reencode(token, score="1"), "hello"), 403)
    _assert_polite(_post(runtime, token, "hello", content_type="application/json"), 400)
    _assert_polite(_call(runtime, "POST", body=b"t=" + token.encode() + b"&comment=" + b"x" * 1_100_000), 413)
    empty = _assert_polite(_post(runtime, token, "   \r\n "), 400)
    assert 'name="t"' in empty  # the form is offered again
    assert not _entries(runtime, surveyed, "survey_comment")


def test_html_in_a_comment_is_stored_as_text_and_always_escaped(runtime, surveyed):
    token = _link_token(runtime, surveyed, score=4)
    _call(runtime, query="t=" + token)
    nasty = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    page = _assert_polite(_post(runtime, token, nasty), 200)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert _entries(runtime, surveyed, "survey_comment")[0]["text"] == nasty
    html = _owner_mail(runtime, surveyed)[-1].body("html")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img src=x" not in html


def test_a_100kb_comment_is_kept_whole_in_s3_and_truncated_on_the_thread(runtime, surveyed):
    token = _link_token(runtime, surveyed, score=3)
    _call(runtime, query="t=" + token)
    comment = ("Paragraph with détails and 🙂 emoji. " * 2800)[:100_000].strip()
    response = _post(runtime, token, comment)
    _assert_polite(response, 200)
    entry = _entries(runtime, surveyed, "survey_comment")[0]
    assert entry["text_truncated"] is True and len(entry["text"]) == 16_000 and entry["chars"] == len(comment)
    assert entry["text_key"].startswith(f"survey-comments/{surveyed}/")
    bucket = runtime.aws.functions["SurveyFunction"].environment["INBOUND_BUCKET"]
    stored = runtime.aws.client("s3").get_object(Bucket=bucket, Key=entry["text_key"])["Body"].read()
    assert stored.decode("utf-8") == comment
    assert "full comment is stored with the ticket" in _owner_mail(runtime, surveyed)[-1].body()


def test_broken_events_get_a_polite_page_not_a_stack_trace(runtime, surveyed):
    response = runtime.invoke("SurveyFunction", {"unexpected": True})
    _assert_polite(response, 405)
    response = runtime.invoke("SurveyFunction", {**function_url_event("POST", "/", "", {}, b"t=x"),
                                                 "body": "%%%", "isBase64Encoded": True})
    _assert_polite(response, 400)


def test_logs_give_reasons_without_customer_data(runtime, surveyed):
    token = _link_token(runtime, surveyed)
    _call(runtime, query="t=" + _reencode(token, score="1"))
    rate(runtime, surveyed, 2, comment="My phone is +1 415 555 0100, call me")
    records = [r for r in runtime.logs() if r.get("function_name") == "SurveyFunction"]
    text = json.dumps(records)
    assert any(r.get("message") == "survey_commented" for r in records)
    reasons = [r.get("reason") for r in records if r.get("message") == "survey_rejected"]
    assert reasons == ["bad_signature"]
    assert CUSTOMER not in text and token not in text and "555 0100" not in text


# -- the local Function URL over HTTP ---------------------------------------------------------------


def _http(url, data=None, method=None):
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_survey_server_serves_the_function_url_on_loopback(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("csat", 5)]
    assert urlsplit(link).hostname == "127.0.0.1"
    with SurveyServer(runtime):
        status, page, headers = _http(link)
        assert status == 200 and "5 out of 5" in page and headers["Referrer-Policy"] == "no-referrer"
        assert runtime.ticket(surveyed).get("csat") is None  # opening the link records nothing
        status, _, headers = _http(link, method="PUT", data=b"")
        assert status == 405 and headers["Allow"] == "GET, POST"
        form = urlencode({"t": _token(link), "csat": "5", "comment": "Quick and friendly, thanks!"}).encode()
        status, page, _ = _http(runtime.aws.function_urls["SurveyFunction"], data=form)
        assert status == 200 and "Quick and friendly, thanks!" in page
    assert runtime.ticket(surveyed)["csat"] == 5
    assert _entries(runtime, surveyed, "survey_comment")[0]["text"] == "Quick and friendly, thanks!"
