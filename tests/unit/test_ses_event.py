"""The SES event reader: accepts what SES sends (and real mail's gaps), names every bad field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from helpdesk.intake.ses_event import InvalidRecordError, read_record
from helpdesk_local.events import ses_event
from tests.conftest import make_mail

AT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _record(**verdicts):
    event = ses_event(make_mail(), message_id="m-1", recipients=["support@help.example.com"], received_at=AT,
                      verdicts=verdicts or None)
    return event["Records"][0]


def test_a_normal_record_reads_into_typed_fields():
    record = read_record(_record(dkim="PASS"))
    assert record.message_id == "m-1" and record.received_at == AT
    assert record.recipients == ["support@help.example.com"]
    assert record.verdicts.spam == "PASS" and record.verdicts.dkim == "PASS"
    assert record.subject == "Reports page shows an error"


def test_headers_real_mail_lacks_are_optional():
    raw = _record()
    for name in ("subject", "to", "date", "returnPath", "messageId"):
        raw["ses"]["mail"]["commonHeaders"].pop(name, None)
    raw["ses"]["receipt"].pop("dkimVerdict", None)
    raw["ses"]["receipt"].pop("processingTimeMillis", None)
    record = read_record(raw)
    assert record.subject is None and record.verdicts.dkim == "MISSING"


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda r: r["ses"]["receipt"].pop("spamVerdict"), "ses.receipt.spamVerdict: Field required"),
    (lambda r: r["ses"]["receipt"]["virusVerdict"].update(status="MAYBE"), "ses.receipt.virusVerdict.status"),
    (lambda r: r["ses"]["mail"].update(timestamp="yesterday"), "ses.mail.timestamp"),
    (lambda r: r["ses"]["mail"].update(destination="support@help.example.com"), "ses.mail.destination"),
    (lambda r: r.update(eventSource="aws:sns"), "eventSource"),
    (lambda r: r["ses"].update(receipt=[]), "ses.receipt: Input should be a valid dictionary"),
    (lambda r: r["ses"]["receipt"]["action"].pop("functionArn"), "ses.receipt.action.functionArn"),
])
def test_every_bad_field_is_named_by_its_path(mutate, field):
    raw = copy.deepcopy(_record())
    mutate(raw)
    with pytest.raises(InvalidRecordError) as caught:
        read_record(raw)
    assert any(f.startswith(field) for f in caught.value.fields), caught.value.fields
    assert caught.value.message_id == (raw["ses"]["mail"].get("messageId") if isinstance(raw["ses"], dict) else None)


@pytest.mark.parametrize("raw", [None, "text", [], {"ses": "x"}, {"Records": []}])
def test_garbage_is_invalid_not_a_crash(raw):
    with pytest.raises(InvalidRecordError):
        read_record(raw)
