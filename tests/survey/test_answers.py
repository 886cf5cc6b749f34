"""What a survey records, and what it must not: scanners that open every link, customers who
change their mind, and the page's POST with every question of the survey."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import pytest

from helpdesk_local.survey_server import function_url_event, rate, read_form, survey_links
from tests.survey.conftest import open_and_resolve, send_survey

TEAM_QUEUE = "support-team@example.com"
DIMENSIONS = {"csat": "csat", "response_time": "response_time_rating", "communication": "communication_rating",
              "resolution_quality": "resolution_quality_rating", "effort": "effort_rating", "nps": "nps"}


def _entries(runtime, number, kind):
    return [i for i in runtime.ticket_items(number) if i["SK"].startswith("ENTRY#") and i.get("kind") == kind]


def _escalations(runtime, number):
    """Briefings the survey caused. A reopened ticket's re-planned chain may brief too; not counted here."""
    return [n for n in runtime.notifications() if n["attributes"].get("ticket") == str(number)
            and n["attributes"].get("kind") == "briefing"
            and {"csat_low", "nps_detractor"} & set(n["attributes"].get("triggers") or [])]


def _owner_mail(runtime, number):
    return [e for e in runtime.emails() if TEAM_QUEUE in e.destinations
            and e.message.get("X-Helpdesk-Ticket") == str(number)
            and any(word in e.subject for word in ("Low rating", "Survey comment", "Survey rating"))]


def _invoke(runtime, method, link, body=None, headers=None):
    parts = urlsplit(link)
    response = runtime.invoke("SurveyFunction", function_url_event(method, "/", parts.query, headers or {}, body))
    runtime.collect_emails()
    runtime.collect_notifications()
    return response


def _post(runtime, link, fields):
    body = urlencode(fields).encode()
    return _invoke(runtime, "POST", link, body, {"content-type": "application/x-www-form-urlencoded"})


def _token(link):
    return link.partition("?t=")[2]


# -- scanners ----------------------------------------------------------------------------------------


SCANNER_AGENTS = ("Mozilla/5.0 (compatible; Microsoft Safe Links)", "Barracuda Sentinel (EE)",
                  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36")


def test_a_scanner_opening_every_link_records_nothing_and_escalates_nothing(runtime, surveyed):
    links = survey_links(runtime, surveyed)
    assert len(links) == 16  # 5 overall scores and 11 NPS answers
    before = runtime.ticket(surveyed)
    for agent in SCANNER_AGENTS:  # three scanners, each opening every link, some twice
        for link in [*links.values(), *list(links.values())[:4]]:
            response = _invoke(runtime, "GET", link, headers={"user-agent": agent, "accept": "text/html"})
            assert response["statusCode"] == 200 and "not saved until you press the button" in response["body"]
        for link in list(links.values())[:3]:
            assert _invoke(runtime, "HEAD", link)["statusCode"] == 405
    after = runtime.ticket(surveyed)
    assert (after["status"], after.get("reopens", 0), after["version"]) == ("resolved", 0, before["version"])
    assert all(after.get(field) is None for field in DIMENSIONS.values())
    assert not _entries(runtime, surveyed, "rating") and not _entries(runtime, surveyed, "reopened")
    assert not _escalations(runtime, surveyed) and not _owner_mail(runtime, surveyed)


def test_the_page_a_scanner_sees_has_the_clicked_score_chosen_but_unsaved(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("csat", 2)]
    page = _invoke(runtime, "GET", link)["body"]
    survey = read_form(page, "survey")
    assert survey["csat"] == "2" and survey["t"] == _token(link) and "nps" not in survey
    assert read_form(page, "confirm") == {"t": _token(link), "csat": "2"}
    for question in ("how quickly we responded", "communication", "How well did our solution fix the problem?",
                     "How easy was it", "recommend us"):
        assert question in page


# -- customers who change their mind ---------------------------------------------------------------


def test_flip_flopping_scores_reopen_once_and_mail_the_owner_once_a_day(runtime, surveyed):
    first_click = runtime.now()
    for _ in range(10):  # 5 then 1, ten times, a minute apart
        rate(runtime, surveyed, 5)
        runtime.advance(timedelta(minutes=1))
        rate(runtime, surveyed, 1)
        runtime.advance(timedelta(minutes=1))
    ticket = runtime.ticket(surveyed)
    assert ticket["csat"] == 1 and ticket["reopens"] == 1
    assert len(_entries(runtime, surveyed, "rating")) == 20 and len(_entries(runtime, surveyed, "reopened")) == 1
    assert [n["attributes"]["trigger"] for n in _escalations(runtime, surveyed)] == ["csat_low"]
    assert len(_owner_mail(runtime, surveyed)) == 1
    # The held-back mail goes a day after the first, with the figures as they stand then.
    runtime.run_until(first_click + timedelta(hours=23, minutes=50))
    assert len(_owner_mail(runtime, surveyed)) == 1
    runtime.run_until(first_click + timedelta(days=1, minutes=10))
    owner = _owner_mail(runtime, surveyed)
    assert len(owner) == 2 and "satisfaction (CSAT) 1/5" in owner[-1].body()
    # Every change after the first mail: 18 of the 20 (the first 5 and 1 came before it).
    assert owner[-1].body().count("satisfaction (CSAT):") == 18
    # Two more days of flipping: still one mail a day at most, and no second reopen.
    for day in range(2):
        for score in (5, 2, 5, 1):
            rate(runtime, surveyed, score)
            runtime.advance(timedelta(hours=1))
        runtime.run_until(first_click + timedelta(days=2 + day, minutes=20))
    sent = [parsedate_to_datetime(e.message["Date"]) for e in _owner_mail(runtime, surveyed)]
    assert len(sent) == 4 and all(b - a >= timedelta(days=1) for a, b in zip(sent, sent[1:], strict=False))
    assert runtime.ticket(surveyed)["reopens"] == 1
    assert len(_escalations(runtime, surveyed)) == 1


def test_a_later_low_nps_after_a_low_csat_neither_reopens_nor_escalates(runtime, surveyed):
    rate(runtime, surveyed, 2)
    runtime.advance(timedelta(minutes=10))
    rate(runtime, surveyed, 3, kind="nps")
    ticket = runtime.ticket(surveyed)
    assert (ticket["csat"], ticket["nps"], ticket["reopens"]) == (2, 3, 1)
    assert [n["attributes"]["trigger"] for n in _escalations(runtime, surveyed)] == ["csat_low"]


def test_low_csat_and_nps_in_one_submission_raise_both_triggers_once(runtime, surveyed):
    rate(runtime, surveyed, 1, answers={"nps": 2})
    # Both ask for L1: one briefing carries both reasons.
    briefings = _escalations(runtime, surveyed)
    assert len(briefings) == 1 and briefings[0]["attributes"]["triggers"] == ["csat_low", "nps_detractor"]
    assert runtime.ticket(surveyed)["reopens"] == 1 and len(_owner_mail(runtime, surveyed)) == 1


def test_a_new_survey_after_a_second_resolution_can_reopen_again(runtime, surveyed):
    rate(runtime, surveyed, 1)
    assert runtime.ticket(surveyed)["reopens"] == 1
    runtime.advance(timedelta(hours=1))
    runtime.staff_reply(surveyed, "#status resolved\nFixed properly this time.")
    runtime.advance(timedelta(minutes=5))
    send_survey(runtime, surveyed)
    rate(runtime, surveyed, 2)
    assert runtime.ticket(surveyed)["reopens"] == 2
    assert len(_escalations(runtime, surveyed)) == 2


# -- the POST with every question -------------------------------------------------------------------


def test_the_full_form_records_every_dimension_as_its_own_entry(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("csat", 4)]
    form = read_form(_invoke(runtime, "GET", link)["body"])
    form.update(response_time="3", communication="5", resolution_quality="4", effort="9", nps="10",
                comment="Quick fix, but the first answer took a while.")
    response = _post(runtime, link, form)
    assert response["statusCode"] == 200 and "Thank you for your answers" in response["body"]
    ticket = runtime.ticket(surveyed)
    assert {k: ticket.get(f) for k, f in DIMENSIONS.items()} == {
        "csat": 4, "response_time": 3, "communication": 5, "resolution_quality": 4, "effort": 9, "nps": 10}
    ratings = {r["question"]: (r["score"], r["scale"]) for r in _entries(runtime, surveyed, "rating")}
    assert ratings == {"csat": (4, "1-5"), "response_time": (3, "1-5"), "communication": (5, "1-5"),
                       "resolution_quality": (4, "1-5"), "effort": (9, "1-10"), "nps": (10, "0-10")}
    assert ticket["status"] == "resolved" and not _escalations(runtime, surveyed)
    [owner] = _owner_mail(runtime, surveyed)  # the comment is worth a mail; the scores alone are not
    assert "Survey comment" in owner.subject and "customer effort (ease) 9/10" in owner.body()


def test_the_confirm_button_saves_the_clicked_score_and_offers_the_rest(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("nps", 8)]
    page = _invoke(runtime, "GET", link)["body"]
    response = _post(runtime, link, read_form(page, "confirm"))
    assert response["statusCode"] == 200 and "your score is saved" in response["body"]
    assert read_form(response["body"], "survey")["nps"] == "8"  # the rest of the survey, prefilled
    ticket = runtime.ticket(surveyed)
    assert (ticket["nps"], ticket.get("csat")) == (8, None)


@pytest.mark.parametrize("field, value", [("csat", "6"), ("csat", "0"), ("nps", "11"), ("effort", "0"),
                                          ("communication", "x"), ("response_time", "-1")])
def test_answers_off_their_scale_are_refused_and_nothing_is_recorded(runtime, surveyed, field, value):
    link = survey_links(runtime, surveyed)[("csat", 4)]
    response = _post(runtime, link, {"t": _token(link), "csat": "4", field: value})
    assert response["statusCode"] == 400 and "<h1>" in response["body"]
    assert not _entries(runtime, surveyed, "rating") and runtime.ticket(surveyed).get("csat") is None


def test_a_post_for_someone_elses_ticket_or_after_expiry_is_refused(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("csat", 5)]
    other = open_and_resolve(runtime, subject="Another one", message_id="<another@customer.example>")
    payload, _, mac = _token(link).partition(".")
    forged = f"{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{mac}"
    assert _post(runtime, link, {"t": forged, "csat": "1"})["statusCode"] in (400, 403)
    runtime.advance(timedelta(days=31))
    assert _post(runtime, link, {"t": _token(link), "csat": "1"})["statusCode"] == 410
    assert runtime.ticket(surveyed).get("csat") is None and runtime.ticket(other).get("csat") is None


def test_outbound_entries_name_the_template_that_rendered_them(runtime, surveyed):
    sent = {e["kind"]: e.get("template") for e in runtime.ticket_items(surveyed)
            if e["SK"].startswith("ENTRY#") and e.get("direction") == "outbound"}
    assert sent["survey_sent"] == "survey_request" and sent["acknowledgment"] == "acknowledgment"
    assert sent["relayed_reply"] == "staff_relay"


def test_sending_the_same_answers_again_changes_nothing(runtime, surveyed):
    link = survey_links(runtime, surveyed)[("csat", 4)]
    form = read_form(_invoke(runtime, "GET", link)["body"])
    assert _post(runtime, link, form)["statusCode"] == 200
    version = runtime.ticket(surveyed)["version"]
    for _ in range(3):  # a reload of the thank-you page, the back button, a second press
        assert _post(runtime, link, form)["statusCode"] == 200
    assert runtime.ticket(surveyed)["version"] == version and len(_entries(runtime, surveyed, "rating")) == 1
