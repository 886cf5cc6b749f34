"""Real mail from ../shared/corpus: every message parses and gets a verdict; only robots are flagged."""

from __future__ import annotations

import pytest

from helpdesk.mail.parsing import parse_mail
from helpdesk.mail.robots import robot_verdict
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present beside the clone")

# Read by hand: five bounces, one delay warning, one spam with Precedence: junk, and one person's post
# to a Mailman list, which carries Precedence: list (dropped before robot verdicts existed, too).
EXPECTED = {
    "mime-mikel/error_emails_bad_date_header.eml": "bulk",
    "mime-mikel/mime_emails_raw_email_with_mimepart_without_content_type.eml": "delivery_delay",
    "mime-mikel/multipart_report_emails_multi_address_bounce1.eml": "delivery_report",
    "mime-mikel/multipart_report_emails_multi_address_bounce2.eml": "delivery_report",
    "mime-mikel/multipart_report_emails_multipart_report_multiple_status.eml": "delivery_report",
    "mime-mikel/multipart_report_emails_report_422.eml": "mailbox_full",
    "mime-mikel/multipart_report_emails_report_530.eml": "delivery_report",
    "mime-stalwart/thirdparty_014.eml": "bulk",
}


def test_corpus_verdicts():
    flagged = {}
    for path in sorted(CORPUS.glob("mime-*/*.eml")):
        mail = parse_mail(path.read_bytes())
        verdict = robot_verdict(mail, mail.header("return-path"))
        if verdict:
            flagged[path.relative_to(CORPUS).as_posix()] = verdict.kind
    assert flagged == EXPECTED
