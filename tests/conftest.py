"""Shared fixtures: a fresh embedded-AWS runtime per test and a small mail builder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).parent / "fixtures"
# Monday 23 Nov 2026, 09:00 Pacific: inside business hours.
MONDAY_9AM_PT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Helpdesk")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture
def runtime() -> Iterator[object]:
    from helpdesk_local.runtime import LocalRuntime

    with LocalRuntime(start=MONDAY_9AM_PT) as rt:
        yield rt


def make_mail(
    *,
    sender: str = "Ada Lovelace <ada@customer.example>",
    to: str = "support@help.example.com",
    subject: str = "Reports page shows an error",
    body: str = "Hello, the reports page shows an error message when I filter by month.",
    message_id: str | None = "<m1@customer.example>",
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    if sender is not None:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 09:00:00 -0800"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


@pytest.fixture
def mail():
    return make_mail


from tests.browser import chromium  # noqa: E402,F401 - the shared session-scoped browser fixture
