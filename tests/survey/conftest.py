"""Survey fixtures: a resolved ticket whose requester has the survey email, and the function's env."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from helpdesk.app import factory
from helpdesk.core.clock import parse_iso
from helpdesk.sla.due import DueItem
from tests.conftest import make_mail

CUSTOMER = "ada@customer.example"


@pytest.fixture(autouse=True)
def fresh_survey_cache() -> Iterator[None]:
    """Each runtime has its own signing key and clients; never reuse services across runtimes."""
    factory.reset()
    yield
    factory.reset()


def function_env(runtime: Any, logical_id: str = "SurveyFunction") -> Any:
    """Run domain code in-process with the environment the template gives a function."""
    return runtime.function_environment(logical_id)


def services(runtime: Any) -> Any:
    with function_env(runtime):
        return factory.survey()


def send_survey(runtime: Any, number: int) -> None:
    """Perform the ticket's `survey` item now (creating it if nothing scheduled one yet)."""
    pending = [i for i in runtime.ticket_items(number) if i.get("type") == "due" and i.get("kind") == "survey"
               and i.get("status") == "pending"]
    if not pending:
        runtime.store().due.put_once(DueItem.new(number, "survey", "survey", runtime.now()))
        pending = [{"due_at": runtime.now().strftime("%Y-%m-%dT%H:%M:%SZ")}]
    due = min(parse_iso(i["due_at"]) for i in pending)
    if due > runtime.now():
        runtime.advance(due - runtime.now())
    runtime.sweep()
    runtime.collect_emails()


def open_and_resolve(runtime: Any, *, subject: str = "Export fails",
                     message_id: str = "<orig@customer.example>") -> int:
    outcome = runtime.deliver(make_mail(subject=subject, body="The CSV export fails with error 42.",
                                        message_id=message_id))
    number = outcome["ticket"]
    runtime.advance(timedelta(minutes=30))
    runtime.staff_reply(number, "#status resolved\nFixed.")
    assert runtime.ticket(number)["status"] == "resolved"
    return number


@pytest.fixture
def surveyed(runtime: Any) -> int:
    """A resolved ticket whose requester has received the survey email."""
    number = open_and_resolve(runtime)
    runtime.advance(timedelta(minutes=5))
    send_survey(runtime, number)
    return number
