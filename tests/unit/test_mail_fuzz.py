"""Nothing in a message's content may raise out of parse_mail or robot_verdict (bounded fuzzing)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.mail.headertext import INVISIBLE
from helpdesk.mail.parsing import parse_mail
from helpdesk.mail.robots import robot_verdict
from tests.conftest import CORPUS

FIXTURES = Path(__file__).parents[1] / "fixtures"
SEEDS = sorted(FIXTURES.glob("robots/**/*.eml")) + sorted(FIXTURES.glob("spoofing/*.eml"))
if CORPUS.is_dir():
    SEEDS += sorted(CORPUS.glob("mime-*/*.eml"))
SEED_BYTES = [path.read_bytes()[:200_000] for path in SEEDS]
# Bytes that mean something to header and MIME parsers.
SPECIALS = [b"<", b">", b"@", b'"', b"(", b")", b",", b";", b":", b"\\", b"\r\n", b"\n ", b"=?", b"?=", b"=?utf-8?q?",
            b"=?x?b?", b"--", b"\r\n\r\n", b"\x00", b"\xff", b"\xe2\x80\xae",
            b"Content-Type: multipart/mixed; boundary=", b"message/rfc822",
            b"message/delivery-status", b"Content-Transfer-Encoding: base64", b"<@x:", b"%"]
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: bytes) -> None:
    mail = parse_mail(raw)
    verdict = robot_verdict(mail, mail.header("return-path"))
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert not INVISIBLE.search(mail.subject + mail.from_name)
    assert mail.from_address is None or "@" in mail.from_address
    assert mail.from_address is None or mail.from_address in mail.from_addresses
    assert not mail.sender_trusted or len(mail.from_addresses) == 1
    assert verdict is None or (verdict.kind and verdict.reason and len(verdict.note or "") <= 80)


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(raw):
    _check(raw)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["insert", "flip", "cut", "repeat", "truncate"]))
        if action == "insert":
            data[at:at] = draw(st.sampled_from(SPECIALS))
        elif action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 200))] * draw(st.integers(1, 5))
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_real_and_fixture_messages(raw):
    _check(raw)


def test_every_seed_message_parses():
    for raw in SEED_BYTES:
        _check(raw)
