"""Every kind of email a ticket's life sends, and the survey page with and without script, drawn by
headless Chromium: screenshots land in out/test-artifacts/messages/ to read beside the seeds.

Each HTML part must be real HTML (paragraphs and lists, no <pre> dump), fit an 800-pixel pane and
read the same words as its text part.
"""

from __future__ import annotations

from datetime import timedelta

from helpdesk.adapters.aws.store import Store
from helpdesk_local.survey_server import SurveyServer, rate, survey_links
from tests.conftest import ROOT, make_mail

ARTIFACTS = ROOT / "out" / "test-artifacts" / "messages"
EXPECTED = {"acknowledgment", "staff_notification", "customer_update", "update_nudge", "staff_confirmation",
            "resolution_summary", "sponsor_note", "review_reminder", "followup", "survey_request",
            "survey_feedback", "breach_warning"}


def _templates_by_message_id(runtime, tickets):
    store = Store(runtime.table())
    found = {}
    for number in tickets:
        for entry in store.tickets.entries(number):
            if entry.direction == "outbound" and entry.template and entry.our_message_id:
                found[entry.our_message_id] = entry.template
    return found


def _life_of_three_tickets(runtime):
    from helpdesk_local.policy_cli import import_accounts

    import_accounts(Store(runtime.table()), ROOT / "events/accounts.yaml")
    critical = runtime.deliver(make_mail(sender="dana@globex.example", subject="Re: Logins fail",
                                         body="Nobody at Globex can log in to the site."))["ticket"]
    standard = runtime.deliver(make_mail(sender="ops@acme-corp.example", subject="Export is slow",
                                         body="The CSV export has been slow since yesterday.",
                                         message_id="<slow@x>"))["ticket"]
    low = runtime.deliver(make_mail(sender="ana@acme-corp.example", subject="Typo on the invoice page",
                                    body="Small typo on the invoice page, no rush.", message_id="<typo@x>"))["ticket"]
    runtime.advance(timedelta(minutes=2))
    runtime.staff_reply(critical, "#ack\n#eta 2h")
    runtime.run_until(runtime.now() + timedelta(minutes=50))  # updates, a nudge, warnings
    runtime.staff_reply(critical, "#fix We renewed the expired TLS certificate and automated its renewal.\n"
                                  "#verified Logged in from three regions; the error rate is back to zero.\n"
                                  "#rootcause The load balancer's certificate expired overnight.\n"
                                  "#status resolved\nDana, logins work again.\n\nThank you for your patience,\nJordan")
    runtime.run_until(runtime.now() + timedelta(days=8))  # summary, note, follow-ups, survey, reviews
    rate(runtime, critical, 1, comment="It took far too long to hear from anyone.")
    runtime.run_until(runtime.now() + timedelta(minutes=5))
    return critical, standard, low


def test_every_email_and_page_renders_as_real_html_in_chromium(runtime, chromium):
    tickets = _life_of_three_tickets(runtime)
    templates = _templates_by_message_id(runtime, tickets)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    drawn: dict[str, int] = {}
    page = chromium.new_page(viewport={"width": 800, "height": 900})
    try:
        for email in runtime.emails():
            template = templates.get(str(email.message["Message-ID"]))
            if template is None:
                continue
            html, text = email.body("html"), email.body("plain")
            assert "<pre" not in html and "<p" in html, template
            page.set_content(html)
            shown = " ".join(page.inner_text("body").split())
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 800, (template, width)  # no sideways scrolling in a reading pane
            first_words = " ".join(text.split()[:6])
            assert first_words and first_words in shown, (template, first_words)
            drawn[template] = drawn.get(template, 0) + 1
            shot = ARTIFACTS / f"{template}-{drawn[template]}.png"
            if drawn[template] <= 3:  # three of each kind is enough to read
                page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        page.close()
    assert EXPECTED <= set(drawn), sorted(EXPECTED - set(drawn))


def test_survey_page_with_and_without_script_is_drawn(runtime, chromium):
    from tests.survey.conftest import open_and_resolve, send_survey

    number = open_and_resolve(runtime)
    runtime.advance(timedelta(minutes=5))
    send_survey(runtime, number)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    link = survey_links(runtime, number)[("csat", 4)]
    with SurveyServer(runtime):
        for script in (False, True):
            context = chromium.new_context(java_script_enabled=script, viewport={"width": 800, "height": 900})
            try:
                page = context.new_page()
                page.goto(link)
                body = page.inner_text("body")
                for question in ("how quickly we responded", "communication", "solution", "recommend us"):
                    assert question in body, question
                assert page.locator("input[type=radio][name=csat][value='4']").is_checked()
                shot = ARTIFACTS / f"survey-page-{'script' if script else 'no-script'}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 1000
                if not script:
                    assert runtime.ticket(number).get("csat") is None, "opening the page records nothing"
            finally:
                context.close()
