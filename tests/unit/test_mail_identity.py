"""Sender identity: the address comes from the address parser, never from a display name."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.mail.identity import parse_addresses, read_identity
from helpdesk.mail.parsing import parse_mail

SPOOFING = Path(__file__).parents[1] / "fixtures" / "spoofing"
ADA, MALLORY = "ada@customer.example", "mallory@evil.example"


def _fixture(name: str):
    return parse_mail((SPOOFING / f"{name}.eml").read_bytes())


# The customer's address is written where a person reads it; the mail comes from Mallory.
DISPLAY_NAME_SPOOFS = [
    "quoted-address-as-name", "unquoted-address-as-name", "rfc2047-q-address-as-name", "rfc2047-b-address-as-name",
    "rfc2047-name-with-brackets", "quoted-name-with-brackets", "comment-after-address", "comment-before-angle",
    "folded-name", "fullwidth-at-in-name", "two-angle-addresses", "bidi-reversed-name",
]


@pytest.mark.parametrize("name", DISPLAY_NAME_SPOOFS)
def test_a_display_name_never_becomes_the_address(name):
    mail = _fixture(name)
    assert mail.from_address == MALLORY
    assert ADA not in mail.from_addresses
    assert "@" not in mail.from_name, "staff would read the customer's address as the sender's name"
    assert "display_name_address_mismatch" in mail.identity_problems


@pytest.mark.parametrize("name", ["quoted-address-as-name", "rfc2047-q-address-as-name", "comment-after-address"])
def test_a_display_name_mismatch_alone_does_not_break_trust(name):
    assert _fixture(name).sender_trusted


def test_names_keep_their_words_when_the_address_is_cut_out():
    assert _fixture("rfc2047-name-with-brackets").from_name == "Ada Lovelace"
    assert _fixture("folded-name").from_name == "Ada Lovelace"


@pytest.mark.parametrize(("name", "problem"), [
    ("two-from-addresses", "multiple_from_addresses"),
    ("two-from-headers", "multiple_from_headers"),
    ("group-named-as-address", "group_syntax_in_from"),
    ("angle-then-bare", "ambiguous_address"),
    ("two-angle-addresses", "ambiguous_address"),
    ("empty-from", "no_from_address"),
    ("name-only-from", "no_from_address"),
    ("zero-width-in-address", "invisible_characters_in_address"),
])
def test_a_from_header_that_does_not_name_one_sender_is_untrusted(name, problem):
    mail = _fixture(name)
    assert not mail.sender_trusted
    assert problem in mail.identity_problems


def test_several_from_addresses_are_all_listed_and_the_first_is_kept():
    mail = _fixture("two-from-addresses")
    assert mail.from_addresses == [ADA, MALLORY] and mail.from_address == ADA


def test_a_group_name_is_not_an_address():
    mail = _fixture("group-named-as-address")
    assert mail.from_addresses == [MALLORY]


def test_an_address_with_invisible_characters_is_not_read_as_the_visible_one():
    mail = _fixture("zero-width-in-address")
    assert mail.from_address is None and mail.from_addresses == []


@pytest.mark.parametrize("name", ["cyrillic-lookalike-address", "cyrillic-lookalike-domain"])
def test_lookalike_addresses_stay_what_they_are(name):
    mail = _fixture(name)
    assert mail.from_address is not None and mail.from_address != ADA
    assert not mail.from_address.isascii()
    assert "mixed_script_address" in mail.identity_problems


def test_obsolete_route_yields_the_mailbox():
    assert _fixture("obsolete-route").from_address == MALLORY


def test_sender_and_reply_to_are_parsed_but_never_replace_from():
    sender = _fixture("sender-differs")
    assert sender.from_address == ADA and sender.sender == MALLORY
    assert "sender_differs_from_from" in sender.identity_problems
    reply = _fixture("reply-to-differs")
    assert reply.from_address == ADA and reply.reply_to == [MALLORY]


def test_a_genuine_sender_is_trusted_without_problems():
    mail = _fixture("genuine-customer")
    assert (mail.from_address, mail.from_name, mail.sender_trusted, mail.identity_problems) == (
        ADA, "Ada Lovelace", True, [])
    same = _fixture("genuine-name-equals-address")
    assert same.from_address == ADA and same.sender_trusted
    assert "display_name_address_mismatch" not in same.identity_problems


def test_to_and_cc_use_the_same_parser():
    raw = (b'From: ada@customer.example\r\nTo: "ada@customer.example" <mallory@evil.example>, Bob <BOB@X.example>\r\n'
           b"Cc: team: carol@y.example, dan@z.example;, =?utf-8?q?eve=40w.example?= <eve@real.example>\r\n\r\nhi")
    mail = parse_mail(raw)
    assert mail.to == [MALLORY, "bob@x.example"]
    assert mail.cc == ["carol@y.example", "dan@z.example", "eve@real.example"]


def test_a_bare_address_after_a_name_is_salvaged_but_not_trusted():
    identity = read_identity(["Big Bug bb@bug.com"])
    assert identity.address == "bb@bug.com" and identity.name == "Big Bug" and not identity.trusted


def test_the_stdlib_crash_on_odd_addresses_degrades_to_no_address():
    identity = read_identity(['"foo"@ <bar>'])
    assert identity.address is None and not identity.trusted


def test_adjacent_encoded_words_in_a_name_join_without_spaces():
    raw = "=?UTF-8?B?TXlTdXJ2ZXk=?=\r\n =?UTF-8?B?LmNvbSAmIEM=?=\r\n =?UTF-8?B?YXJvbCBBZGE=?= <c@mysurvey.example>"
    assert read_identity([raw]).name == "MySurvey.com & Carol Ada"


def test_undisclosed_recipients_group_is_empty():
    assert parse_addresses(["undisclosed-recipients:;"]).addresses == []
