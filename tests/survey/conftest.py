"""Survey fixtures: a resolved ticket whose requester has the survey email, and the function's env."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from helpdesk.adapters.aws.store import ticket_pk
from helpdesk.core.clock import iso, parse_iso
from helpdesk.core.errors import ConflictError
from helpdesk.sla.due_work import claim, new_lease_owner
from helpdesk.survey import service as survey
from tests.conftest import make_mail

CUSTOMER = "ada@customer.example"


@pytest.fixture(autouse=True)
def fresh_survey_cache() -> Iterator[None]:
    """Each runtime has its own signing key and clients; never reuse services across runtimes."""
    survey.reset_cache()
    yield
    survey.reset_cache()


def function_env(runtime: Any, logical_id: str = "SurveyFunction") -> Any:
    """Run domain code in-process with the environment the template gives a function."""
    return runtime.function_environment(logical_id)


def services(runtime: Any) -> Any:
    with function_env(runtime):
        return survey.survey_service()


def send_survey(runtime: Any, number: int) -> None:
    """Perform the ticket's `survey` obligation now (creating it if nothing scheduled one yet)."""
    service = services(runtime)
    store = service.work.store
    pending = [i for i in store.ticket_items(number) if i.get("type") == "due" and i.get("kind") == "survey"
               and i.get("status") == "pending"]
    if not pending:
        item = store.due_item(number, "DUE#survey", "survey", iso(runtime.now()), {})
        with contextlib.suppress(ConflictError):
            store.put(item, only_if_new=True)
        pending = [item]
    due = min(parse_iso(i["due_at"]) for i in pending)
    if due > runtime.now():
        runtime.advance(due - runtime.now())
    if "survey" in service.services.sweeper.performers:
        runtime.sweep()
    else:  # until wiring registers the performer, do what the sweeper would do
        sender = survey.SurveySender(service.work, runtime.aws.function_urls["SurveyFunction"])
        for item in pending:
            owner = new_lease_owner()
            claimed = claim(store, ticket_pk(number), item["SK"], owner, runtime.now())
            if claimed:
                with function_env(runtime):
                    sender(claimed, owner)
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
