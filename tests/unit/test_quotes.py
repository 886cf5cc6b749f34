"""Quoted history from real clients is stripped (fixtures from mailgun/talon, see NOTICE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.mail.parsing import parse_mail
from helpdesk.mail.quotes import strip_quoted

REPLIES = Path(__file__).resolve().parents[1] / "fixtures" / "replies"
CLIENTS = sorted(p.stem for p in REPLIES.glob("*.eml"))


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.parametrize("client", CLIENTS)
def test_real_client_replies_reduce_to_the_new_text(client):
    mail = parse_mail((REPLIES / f"{client}.eml").read_bytes())
    expected_file = REPLIES / f"{client}_reply_text"
    expected = expected_file.read_text() if expected_file.exists() else "Hello"
    assert _normalise(mail.new_text) == _normalise(expected)


def test_bottom_posted_reply_keeps_text_below_the_quote():
    text = "On 2 Apr 2012, Bob wrote:\n> question?\n\nMy answer is below the quote."
    assert strip_quoted(text) == "My answer is below the quote."


def test_outlook_header_block_cuts_history():
    text = "Thanks, fixed.\n\nFrom: Support <s@x>\nSent: Monday\nTo: me\nSubject: Re: x\n\nold"
    assert strip_quoted(text) == "Thanks, fixed."


def test_only_quoted_text_leaves_nothing():
    assert strip_quoted("> a\n> b\n") == ""


def test_plain_text_without_quotes_is_untouched():
    text = "Line one.\n\nOn second thought, line two mentions the word wrote: casually."
    assert strip_quoted(text) == text
