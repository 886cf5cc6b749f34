"""Tables compiled ahead of time load instead of being computed, and always agree with the slow path."""

from __future__ import annotations

import pytest

from helpdesk import prebuilt
from helpdesk.policy.loader import load_policy, policy_digest, preset_names


def test_the_compiled_tables_are_current():
    from helpdesk.prebuilt.build import stale

    assert stale() == [], "run `python -m helpdesk.prebuilt.build` and commit helpdesk/prebuilt/data"


@pytest.mark.parametrize("name", preset_names())
def test_a_preset_from_its_compiled_document_is_the_policy_its_yaml_gives(name):
    compiled = load_policy.__wrapped__(name)
    parsed = load_policy.__wrapped__(name, prebuilt_ok=False)
    assert compiled == parsed
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
