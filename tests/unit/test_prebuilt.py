"""Tables compiled ahead of time load instead of being computed, and always agree with the slow path."""

from __future__ import annotations

import json

import pytest

from helpdesk import prebuilt
from helpdesk.policy.loader import load_policy, policy_digest, preset_names
from helpdesk.prebuilt import templates as _templates  # noqa: F401 - prebuilt.templates below


def test_the_compiled_tables_are_current():
    from helpdesk.prebuilt.build import stale

    assert stale() == [], "run `python -m helpdesk.prebuilt.build` and commit helpdesk/prebuilt/data"


@pytest.mark.parametrize("name", preset_names())
def test_a_preset_from_its_compiled_document_is_the_policy_its_yaml_gives(name):
    compiled = load_policy.__wrapped__(name)
    parsed = load_policy.__wrapped__(name, prebuilt_ok=False)
    assert compiled == parsed
    # Equality ignores dict order, but order is meaning here (severities run from most urgent down).
    assert json.dumps(compiled.model_dump(mode="json")) == json.dumps(parsed.model_dump(mode="json"))
    assert policy_digest(compiled) == policy_digest(parsed), "tickets find their snapshot either way"


def test_a_compiled_document_is_used_only_for_the_sources_it_was_built_from():
    name = preset_names()[0]
    entry = prebuilt.table("policies")[name]
    assert prebuilt.policy_document(name, "some other digest") is None, "an edited preset is parsed afresh"
    assert prebuilt.policy_document(name, entry["source"]) == entry["document"]


def test_compiled_public_suffixes_find_the_same_registrable_domains():
    from publicsuffixlist import PublicSuffixList

    from helpdesk.accounts.lookup import _suffixes

    fresh, compiled = PublicSuffixList(), _suffixes()
    assert compiled is not fresh and compiled._publicsuffix == fresh._publicsuffix  # noqa: SLF001
    samples = ["eu.mail.acme.co.uk", "co.uk", "a.b.city.kobe.jp", "x.github.io", "bücher.example.de",
               "xn--bcher-kva.example.de", "foo.unknowntld", "www.ck", "a.www.ck", "shop.example.com.au"]
    samples += [f"user.{rule.lstrip('!*.')}" for rule in sorted(fresh._publicsuffix)[::97]]  # noqa: SLF001
    for domain in samples:
        assert compiled.privatesuffix(domain) == fresh.privatesuffix(domain), domain


def test_compiled_holidays_are_the_library_s_holidays():
    import holidays

    for key in prebuilt.table("holidays")["calendars"]:
        country, subdiv, categories = key.split("|")
        for year in (2024, 2026, 2036):
            expected = holidays.country_holidays(country, subdiv=subdiv or None, years=year,
                                                 categories=tuple(categories.split(",")) if categories else None)
            assert prebuilt.holidays(country, subdiv or None, tuple(filter(None, categories.split(","))), year) \
                == frozenset(expected), (key, year)
    assert prebuilt.holidays("US", None, (), 1999) is None, "years outside the table use the library"


def test_prebuilt_templates_are_what_jinja_generates_for_the_current_sources():
    from helpdesk.messages import rendering

    compiled = prebuilt.table("templates")
    assert "acknowledgment.txt.j2" in compiled and "staff_notification.html.j2" in compiled
    env = rendering._environment(None)  # noqa: SLF001
    for name in compiled:
        source, _, _ = env.loader.get_source(env, name)
        assert prebuilt.templates.compiled_source(name, source) == env.compile(source, name, raw=True)
        assert prebuilt.templates.compiled_source(name, source + " ") is None, "an edited template is recompiled"
    assert env.get_template("acknowledgment.subject.j2").render is not None


def test_the_lexicon_from_its_compiled_data_is_the_yaml():
    import yaml

    from helpdesk.classify.lexicon import DATA_DIR

    text = (DATA_DIR / "lexicon.yaml").read_text(encoding="utf-8")
    assert prebuilt.lexicon_data("lexicon", text) == yaml.safe_load(text)
    assert prebuilt.lexicon_data("lexicon", text + "\n# edited\n") is None


def test_the_snapstart_warm_up_prepares_the_first_event_without_aws(monkeypatch):
    from helpdesk.adapters.aws import clients
    from helpdesk.app import snapstart, warmup

    def no_aws(service):
        raise AssertionError(f"warm-up called AWS ({service})")

    monkeypatch.setenv("POLICY_NAME", "p0-p3")
    monkeypatch.setattr(clients, "client", no_aws)
    warmup.inbound()
    warmup.sweeper()
    assert snapstart.install(warmup.inbound) is False, "no SnapStart library outside Lambda: nothing registered"


def test_after_a_restore_randomness_is_reseeded_and_clients_are_new():
    import random

    from helpdesk.adapters.aws import clients
    from helpdesk.app import snapstart

    random.seed(7)
    before = random.random()
    random.seed(7)
    stale_session = clients._session()  # noqa: SLF001
    snapstart.after_restore()
    assert random.random() != before, "a restored copy must not replay the snapshot's random sequence"
    assert clients._session() is not stale_session  # noqa: SLF001
