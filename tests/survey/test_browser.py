"""The survey page in a real browser (the shared headless Chromium of tests/browser.py): with
JavaScript, the clicked score saves itself after a visible countdown or at once with the button;
without JavaScript, the plain form does everything; a tampered link shows a polite page."""

from __future__ import annotations

import time

import pytest

from helpdesk_local.survey_server import SurveyServer, survey_links
from tests.survey.test_survey import _entries, _escalations, _owner_mail, _reencode, _token


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page()
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def no_script_page(chromium):
    """A browser with JavaScript switched off, as some customers and most scanners have it."""
    context = chromium.new_context(java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


def _wait_for_rating(runtime, number, field, value, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if runtime.ticket(number).get(field) == value:
            return True
        time.sleep(0.1)
    return False


def test_with_script_the_clicked_score_saves_itself_after_a_countdown(runtime, surveyed, browser_page):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with SurveyServer(runtime):
        response = page.goto(survey_links(runtime, surveyed)[("csat", 2)])
        assert response is not None and response.status == 200
        note = page.locator("#confirm-note")
        page.wait_for_function("document.getElementById('confirm-note').textContent.includes('Saving your score in')")
        assert runtime.ticket(surveyed).get("csat") is None  # counting down: nothing saved yet
        page.wait_for_selector("text=Saved. Thank you!", timeout=15_000)
        assert _wait_for_rating(runtime, surveyed, "csat", 2)
        assert note.inner_text().startswith("Saved.")
        assert page.get_by_role("button", name="Save my score").is_hidden()
        # The rest of the survey, then the comment, with the page's own form.
        page.get_by_role("group", name="How clear and regular was our communication").get_by_label("2").check()
        page.get_by_role("group", name="How easy was it for you").get_by_label("3", exact=True).check()
        nasty = "<script>window.pwned = 1</script>It took <b>three</b> days & two calls."
        page.get_by_label("Anything you would like to add? (optional)").fill(nasty)
        page.get_by_role("button", name="Send my answers").click()
        page.wait_for_selector("text=Thank you for your answers")
        assert page.locator("blockquote").inner_text() == nasty
        assert page.evaluate("typeof window.pwned") == "undefined"
    assert not [e for e in errors if "Content Security Policy" in e]  # the script ran under the page's CSP
    ticket = runtime.ticket(surveyed)
    assert (ticket["csat"], ticket["communication_rating"], ticket["effort_rating"]) == (2, 2, 3)
    assert ticket["status"] == "investigating" and ticket["reopens"] == 1
    assert [c["text"] for c in _entries(runtime, surveyed, "survey_comment")] == [nasty]
    assert len(_escalations(runtime, surveyed, "csat_low")) == 1
    assert len(_owner_mail(runtime, surveyed)) == 1  # the comment came within the day: it waits


def test_with_script_the_button_saves_at_once(runtime, surveyed, browser_page):
    page = browser_page
    with SurveyServer(runtime):
        page.goto(survey_links(runtime, surveyed)[("nps", 9)])
        page.get_by_role("button", name="Save my score").click()
        page.wait_for_selector("text=Saved. Thank you!", timeout=5_000)
        assert _wait_for_rating(runtime, surveyed, "nps", 9, seconds=2)
    assert len(_entries(runtime, surveyed, "rating")) == 1


def test_without_script_nothing_is_saved_until_the_form_is_sent(runtime, surveyed, no_script_page):
    page = no_script_page
    with SurveyServer(runtime):
        page.goto(survey_links(runtime, surveyed)[("csat", 4)])
        assert page.locator("#confirm-note").inner_text() == "It is not saved until you press the button."
        page.wait_for_timeout(4_000)  # longer than the countdown a script would run
        assert runtime.ticket(surveyed).get("csat") is None
        # The plain form: the clicked score is chosen; the customer adds two answers and sends it.
        assert page.get_by_role("group", name="Overall, how satisfied").get_by_label("4").is_checked()
        page.get_by_role("group", name="How quickly we responded").get_by_label("5").check()
        page.get_by_role("group", name="recommend us").get_by_label("10").check()
        page.get_by_role("button", name="Send my answers").click()
        page.wait_for_selector("text=Thank you for your answers")
        assert "Satisfaction (CSAT): 4 out of 5" in page.inner_text("main")
    ticket = runtime.ticket(surveyed)
    assert (ticket["csat"], ticket["response_time_rating"], ticket["nps"]) == (4, 5, 10)
    assert ticket["status"] == "resolved"


def test_without_script_the_confirm_button_saves_and_offers_the_rest(runtime, surveyed, no_script_page):
    page = no_script_page
    with SurveyServer(runtime):
        page.goto(survey_links(runtime, surveyed)[("csat", 5)])
        page.get_by_role("button", name="Save my score").click()
        page.wait_for_selector("text=Thank you, your score is saved")
        assert page.get_by_role("group", name="Overall, how satisfied").get_by_label("5").is_checked()
    assert runtime.ticket(surveyed)["csat"] == 5


def test_browser_sees_a_polite_page_for_a_tampered_link(runtime, surveyed, browser_page):
    page = browser_page
    link = survey_links(runtime, surveyed)[("csat", 5)]
    with SurveyServer(runtime):
        response = page.goto(link.partition("?t=")[0] + "?t=" + _reencode(_token(link), score="1"))
        assert response is not None and response.status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "We could not confirm this link"
        assert page.locator("form").count() == 0
    assert runtime.ticket(surveyed).get("csat") is None
