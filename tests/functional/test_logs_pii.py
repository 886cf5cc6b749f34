"""Logs never carry customer data, even at DEBUG: the whole demo runs with LOG_LEVEL=DEBUG and a root
handler at DEBUG (as Lambda's log-level controls would set it), and every line any logger wrote is
searched for the demo's customer addresses, phone numbers and subjects."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "events" / "mail"
OURS = ("help.example.com", "example.com", "mx.example.net")  # the desk, its staff and the bounce's MTA

DEMO_AT_DEBUG = """
import logging, sys, tempfile
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
from helpdesk_local.demo import run_demo
runtime = run_demo(__import__("pathlib").Path(tempfile.mkdtemp()), emit=lambda event: None)
sys.stderr.write(runtime.log_stream.getvalue())
"""


def _customer_data() -> set[str]:
    needles: set[str] = set()
    for path in sorted(MAIL.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for _, address in getaddresses([str(v) for k in ("from", "to", "cc") for v in message.get_all(k, [])]):
            if address and not address.lower().endswith(OURS):
                needles.add(address.lower())
        if message["subject"]:
            needles.add(str(message["subject"]))
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        needles |= {m.strip() for m in re.findall(r"\+?\d[\d ().-]{8,}\d", text)}
    from helpdesk_local.runtime import LOCAL_PARAMETERS

    needles |= {LOCAL_PARAMETERS["OnCallPhone"], LOCAL_PARAMETERS["ExecutivePhone"]}
    return needles


def test_the_demo_at_debug_logs_no_customer_address_phone_or_subject():
    env = {**os.environ, "LOG_LEVEL": "DEBUG", "POWERTOOLS_LOG_LEVEL": "DEBUG",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "layers/helpdesk"), str(ROOT / "local"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", DEMO_AT_DEBUG], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = result.stderr
    assert '"level":"DEBUG"' in logs.replace(" ", "") or " DEBUG " in logs, "the run really was at DEBUG"
    assert "ticket_created" in logs
    needles = _customer_data()
    assert len(needles) > 10
    leaked = sorted(n for n in needles if n.lower() in logs.lower())
    assert leaked == [], leaked


def test_botocore_stays_quiet_even_when_someone_turns_it_up(runtime, mail):
    import logging

    import boto3

    boto3.set_stream_logger("botocore", logging.DEBUG)  # what a debugging session might leave behind
    logging.getLogger("botocore.endpoint").setLevel(logging.DEBUG)
    try:
        runtime.deliver(mail(sender="Quiet Person <quiet.person@private.example>", subject="Secret subject 42"))
        assert logging.getLogger("botocore").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("botocore.endpoint").getEffectiveLevel() >= logging.WARNING
    finally:
        logging.getLogger("botocore").handlers.clear()


def test_error_text_is_scrubbed_of_addresses_phones_tokens_and_quoted_values():
    from helpdesk.core.observability import scrub

    text = ("Email address is not verified: ada@customer.example, call +1 (415) 555-0199; token "
            "k3f9a2b7c1mqk3f9a2b7c1mqk3f9; input_value='Patient records missing'")
    cleaned = scrub(text)
    for secret in ("ada@customer.example", "555-0199", "k3f9a2b7c1mq", "Patient records"):
        assert secret not in cleaned
    assert "not verified" in cleaned, "the useful part of the message stays"
