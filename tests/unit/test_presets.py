"""The shipped presets: every figure taken from a seed document is pinned here.

A preset edit that changes a promise to customers (a response time, an update cadence, who is told
and when) must change this file too, so the change is deliberate and reviewed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from helpdesk.accounts.model import DEFAULT_ACCOUNT
from helpdesk.core.errors import PolicyError
from helpdesk.policy.calendar import business_hours_for
from helpdesk.policy.durations import parse_duration
from helpdesk.policy.loader import PRESETS_DIR, load_policy, parse_policy, policy_digest, preset_names
from helpdesk.policy.models import Policy
from helpdesk.sla.targets import plan

PRESETS = ("p0-p3", "four-level", "p1-p4")
LA = ZoneInfo("America/Los_Angeles")
COMMON = yaml.safe_load((PRESETS_DIR / "classifiers" / "common.yaml").read_text(encoding="utf-8"))


def dur(value: str | None) -> timedelta | None:
    return None if value is None else parse_duration(value)


def la(*fields: int) -> datetime:
    """A wall-clock reading in Los Angeles, as an aware UTC instant."""
    return datetime(*fields, tzinfo=LA).astimezone(UTC)


# -- per-severity figures ---------------------------------------------------------------------

DURATION_FIELDS = ("first_response", "first_response_after_hours", "update_every", "workaround",
                   "resolution", "notify_management_after", "health_window")
# What a severity promises when the seed says nothing: no cadence ("as needed"), no workaround
# target, no management notice, no follow-ups, no health watch, no post-mortem, no compliance target.
UNSET: dict[str, Any] = {
    "first_response_after_hours": None, "update_every": None, "workaround": None, "clock": "24x7",
    "hours_calendar": None, "notify_management_after": None, "follow_ups": [], "health_window": None,
    "postmortem": False, "response_compliance_target": None, "resolution_compliance_target": None,
}

SEVERITY_FIGURES: dict[str, dict[str, dict[str, Any]]] = {
    "p0-p3": {
        "P0": {"first_response": "15m", "first_response_after_hours": "30m", "update_every": "30m",
               "workaround": "4h", "resolution": "24h", "clock": "24x7", "hours_calendar": "business",
               "notify_management_after": "30m", "follow_ups": ["24h", "1w"], "postmortem": True},
        "P1": {"first_response": "2h", "first_response_after_hours": "4h", "update_every": "2h",
               "workaround": "8h", "resolution": "48h", "clock": "24x7", "hours_calendar": "business",
               "notify_management_after": "2h", "follow_ups": ["24h", "1w"], "postmortem": True},
        "P2": {"first_response": "24h", "update_every": "1d", "resolution": "72h", "clock": "business",
               "notify_management_after": "4h", "follow_ups": ["24h", "1w"]},
        "P3": {"first_response": "48h", "update_every": "2w", "resolution": "1w", "clock": "business",
               "follow_ups": ["1w"]},
    },
    "four-level": {
        "CRITICAL": {"first_response": "15m", "update_every": "30m", "resolution": "2h", "clock": "24x7",
                     "notify_management_after": "0m", "follow_ups": ["24h"], "postmortem": True,
                     "response_compliance_target": 100, "resolution_compliance_target": 95},
        "HIGH": {"first_response": "1h", "update_every": "2h", "resolution": "8h", "clock": "24x7",
                 "notify_management_after": "4h", "follow_ups": ["24h"],
                 "response_compliance_target": 95, "resolution_compliance_target": 90},
        "MEDIUM": {"first_response": "4h", "update_every": "1d", "resolution": "72h", "clock": "weekdays",
                   "notify_management_after": "48h",
                   "response_compliance_target": 90, "resolution_compliance_target": 85},
        "LOW": {"first_response": "24h", "resolution": "1w", "clock": "weekdays",
                "response_compliance_target": 85, "resolution_compliance_target": 80},
    },
    "p1-p4": {
        # Resolution targets are ours (the seed gives none); everything else is the seed's.
        "P1": {"first_response": "15m", "update_every": "1h", "resolution": "24h", "clock": "24x7",
               "notify_management_after": "0m", "health_window": "30d", "postmortem": True},
        "P2": {"first_response": "1h", "update_every": "1d", "resolution": "3d", "clock": "24x7",
               "notify_management_after": "1d", "health_window": "14d", "postmortem": True},
        "P3": {"first_response": "4h", "resolution": "10d", "clock": "weekdays", "health_window": "7d"},
        "P4": {"first_response": "1d", "resolution": "20d", "clock": "weekdays"},
    },
}


def _expected(figures: dict[str, Any]) -> dict[str, Any]:
    out = {**UNSET, **figures}
    for name in DURATION_FIELDS:
        out[name] = dur(out[name])
    out["follow_ups"] = [dur(v) for v in out["follow_ups"]]
    return out


@pytest.mark.parametrize(
    ("preset", "sid"), [(p, s) for p, sevs in SEVERITY_FIGURES.items() for s in sevs]
)
def test_severity_figures(preset: str, sid: str) -> None:
    expected = _expected(SEVERITY_FIGURES[preset][sid])
    sev = load_policy(preset).severities[sid]
    assert {name: getattr(sev, name) for name in expected} == expected


@pytest.mark.parametrize("preset", PRESETS)
def test_severity_order_and_default(preset: str) -> None:
    policy = load_policy(preset)
    assert list(policy.severities) == list(SEVERITY_FIGURES[preset]), "most severe first"
    default = {"p0-p3": "P2", "four-level": "MEDIUM", "p1-p4": "P3"}[preset]
    assert policy.resolve_severity(policy.default_severity) == default


# -- escalation ------------------------------------------------------------------------------

# (after, unless, level, repeat_every, repeat_times)
ESCALATION: dict[str, dict[str, list[tuple[str, str, str, str | None, int]]]] = {
    "p0-p3": {
        # The seed's order, L1 -> L2 -> L3 -> C-level; "Executive Notification: 30 minutes" (P0) and
        # "2 hours" (P1) reach L3, whose recipients are the CEO and CTO.
        "P0": [("15m", "acknowledged", "L1", None, 0), ("30m", "resolved", "L2", None, 0),
               ("30m", "resolved", "L3", None, 0), ("4h", "resolved", "Executive", "4h", 5)],
        "P1": [("2h", "first_response", "L1", None, 0), ("2h", "resolved", "L2", None, 0),
               ("2h", "resolved", "L3", None, 0), ("8h", "resolved", "Executive", None, 0)],
        "P2": [("4h", "acknowledged", "L1", None, 0), ("24h", "first_response", "L2", None, 0),
               ("72h", "resolved", "L2", None, 0)],
        "P3": [("48h", "first_response", "L1", None, 0)],
    },
    "four-level": {
        "CRITICAL": [("0m", "resolved", "Executive", None, 0)],  # executives told automatically
        "HIGH": [("4h", "resolved", "L2", None, 0)],  # manager within 4 hours
        "MEDIUM": [("48h", "resolved", "L2", None, 0)],  # unresolved past 48 hours
        "LOW": [],  # not required
    },
    "p1-p4": {
        "P1": [("0m", "resolved", "L1", None, 0), ("0m", "resolved", "L2", None, 0),
               ("0m", "resolved", "Technical", None, 0), ("0m", "resolved", "L3", None, 0),
               ("24h", "resolved", "L4", None, 0)],
        "P2": [("0m", "resolved", "L1", None, 0), ("1h", "acknowledged", "L2", None, 0),
               ("1d", "resolved", "L2", None, 0), ("1d", "resolved", "Technical", None, 0),
               ("3d", "resolved", "L3", None, 0)],
        "P3": [],
        "P4": [],
    },
}


@pytest.mark.parametrize(
    ("preset", "sid"), [(p, s) for p, sevs in ESCALATION.items() for s in sevs]
)
def test_escalation_steps(preset: str, sid: str) -> None:
    steps = load_policy(preset).escalation.get(sid, [])
    got = [(s.after, s.unless, s.level, s.repeat_every, s.repeat_times) for s in steps]
    want = [(dur(a), u, lvl, dur(r), n) for a, u, lvl, r, n in ESCALATION[preset][sid]]
    assert got == want


@pytest.mark.parametrize("preset", PRESETS)
def test_chains_climb_the_levels_in_order(preset: str) -> None:
    """A chain never steps down: each step's level ranks at or above the one before, and comes no earlier."""
    policy = load_policy(preset)
    ranks = {name: i for i, name in enumerate(policy.levels)}
    for sid, steps in policy.escalation.items():
        for before, after in zip(steps, steps[1:], strict=False):
            assert ranks[after.level] >= ranks[before.level], (sid, before.level, after.level)
            assert after.after >= before.after, (sid, before.after, after.after)


@pytest.mark.parametrize("preset", PRESETS)
def test_no_escalation_for_unknown_severities(preset: str) -> None:
    policy = load_policy(preset)
    assert set(policy.escalation) <= set(policy.severities)


LEVELS = {
    "p0-p3": {"L1": "Customer Success Manager", "L2": "Customer Success Director",
              "L3": "VP Customer Success", "Executive": "Executive team"},
    "four-level": {"L1": "Client Success Manager", "L2": "Manager", "Executive": "Executive team"},
    "p1-p4": {"L1": "Customer Success Manager", "L2": "CS Team Lead / Manager",
              "L3": "VP of Customer Success", "L4": "Chief Customer Officer",
              "L5": "CEO / Executive leadership",
              "Technical": "Engineering Lead / CTO", "Product": "Product Manager / CPO"},
}


@pytest.mark.parametrize("preset", PRESETS)
def test_levels(preset: str) -> None:
    assert {lid: lvl.name for lid, lvl in load_policy(preset).levels.items()} == LEVELS[preset]


def test_p0_p3_level_recipients() -> None:
    levels = load_policy("p0-p3").levels
    assert levels["L1"].roles == ["csm", "cs_director"]
    assert levels["L2"].roles == ["vp_customer_success", "account_executive", "product_manager"]
    assert levels["L3"].roles == ["ceo", "cto", "department_heads"]
    assert levels["Executive"].roles == ["ceo", "c_level"]


# -- triggers, executives, modifiers, thresholds --------------------------------------------

@pytest.mark.parametrize("preset", PRESETS)
def test_every_shared_trigger_rule_has_an_action(preset: str) -> None:
    triggers = load_policy(preset).triggers
    needed = {rule["trigger"] for rule in COMMON["trigger_rules"].values()}
    needed |= {"response_breach", "csat_low", "nps_detractor", "repeat_contacts", "revenue_risk"}
    assert needed <= set(triggers)
    assert all(action.escalate_to for action in triggers.values()), "every trigger reaches someone"


@pytest.mark.parametrize(
    ("preset", "trigger", "raised_to"),
    [
        ("p0-p3", "outage", "P0"), ("p0-p3", "data_loss", "P0"), ("p0-p3", "security_incident", "P0"),
        ("p0-p3", "performance_degradation", "P1"), ("p0-p3", "churn_threat", "P1"),
        ("four-level", "outage", "CRITICAL"), ("four-level", "data_loss", "CRITICAL"),
        ("four-level", "security_incident", "CRITICAL"), ("four-level", "performance_degradation", "HIGH"),
        ("four-level", "pos_integration", "HIGH"), ("four-level", "csat_low", "HIGH"),
        ("p1-p4", "outage", "P1"), ("p1-p4", "data_loss", "P1"), ("p1-p4", "security_incident", "P1"),
        ("p1-p4", "performance_degradation", "P2"), ("p1-p4", "churn_threat", "P2"),
        ("p1-p4", "nps_detractor", "P2"), ("p1-p4", "csat_low", "P3"),
    ],
)
def test_trigger_raises_follow_the_seed_classes(preset: str, trigger: str, raised_to: str) -> None:
    policy = load_policy(preset)
    assert policy.resolve_severity(policy.triggers[trigger].raise_severity_to or "") == raised_to


def test_p0_p3_trigger_thresholds_and_executives() -> None:
    policy = load_policy("p0-p3")
    t = policy.thresholds
    assert (t.csat_low_below, t.nps_detractor_below, t.revenue_risk_min_arr) == (3.0, 6, 100_000)
    assert (t.repeat_contacts.count, t.repeat_contacts.within) == (3, timedelta(hours=24))
    assert policy.company_annual_revenue == 50_000_000
    rules = {r.reason: r for r in policy.executive_rules}
    assert [r.role for r in policy.executive_rules] == ["ceo"] * 6 + ["cto", "cto", "cfo", "coo"]
    # §4.1 "Revenue Impact: Issues affecting >$1M ARR", "Customers representing >2% of annual revenue".
    money = rules["revenue over $1M ARR at risk"].when
    assert [(c.min_arr, c.at_risk) for c in money] == [(1_000_000, True)]
    assert rules["customer above 2% of annual revenue at risk"].when[0].min_revenue_share == 0.02
    # §4.1 "Strategic Accounts: Reference customers, board relationships, industry leaders".
    flags = rules["reference, board-level or industry-leading customer"].when
    assert all(set(c.account_flags) == {"reference", "board_relationship", "industry_leader"} for c in flags)
    # "Contract renewal at risk" within the policy's 90-day window; C-level involvement at the customer.
    assert rules["contract renewal at risk"].when[0].max_days_to_renewal == 90
    assert rules["a C-level executive at the customer is involved"].when[0].c_level_involved is True
    assert rules["legal, media or regulatory exposure"].triggers == ["legal", "public_relations",
                                                                     "regulatory_reporting"]
    assert rules["security, data or platform stability"].triggers == [
        "security_incident", "data_loss", "outage", "performance_degradation"]
    assert (rules["financial impact or liability"].triggers, rules["financial impact or liability"].issue_types) \
        == (["financial_impact"], ["billing"])
    assert rules["systemic service delivery problem"].triggers == ["operational"]
    b = policy.briefings
    # "Executive availability: 2 hours (business hours), 4 hours (after hours)"; no progress after 24 hours.
    assert (b.executive_ack_within, b.executive_ack_after_hours) == (timedelta(hours=2), timedelta(hours=4))
    assert b.no_progress_after == timedelta(hours=24) and b.no_progress_for == ["P0", "P1", "P2"]
    assert b.merge_window == timedelta(minutes=5)


def test_p0_p3_modifiers() -> None:
    mods = load_policy("p0-p3").modifiers
    strategic = mods["strategic_accounts"]
    assert strategic.factor == 0.5  # 50% faster
    assert strategic.clocks == ["first_response"]  # "response times": cadence and chain delays stay
    assert [(c.account_flags, c.min_arr) for c in strategic.when] == [(["fortune500"], None), ([], 500_000)]
    assert mods["new_customers"].when[0].customer_for_less_than == timedelta(days=90)
    regulated = mods["regulated_compliance"].when[0]
    assert regulated.industries == ["healthcare", "finance"]


@pytest.mark.parametrize("preset", ["four-level", "p1-p4"])
def test_new_presets_share_p0_p3_thresholds(preset: str) -> None:
    # Neither seed names survey or loop thresholds, so switching preset keeps trigger sensitivity.
    policy, base = load_policy(preset), load_policy("p0-p3")
    assert policy.thresholds == base.thresholds
    assert policy.ack_limits == base.ack_limits
    assert policy.modifiers == {}  # neither seed speeds targets up for particular accounts


def test_four_level_executive_rule_covers_critical_classes() -> None:
    (rule,) = load_policy("four-level").executive_rules
    assert rule.role == "executive"
    assert {"outage", "data_loss", "security_incident"} <= set(rule.triggers)


def test_four_level_money_impact_is_critical_via_shared_classifier() -> None:
    # "Client business impact over $1,000 an hour" is a Critical class in the alert protocol.
    policy = load_policy("four-level")
    money = sorted(policy.classifier.money_per_hour, key=lambda t: -t.at_least)
    assert money[0].at_least == 1000
    assert policy.resolve_severity(money[0].severity) == "CRITICAL"


# -- calendars ------------------------------------------------------------------------------

def test_p0_p3_business_calendar_figures() -> None:
    cal = load_policy("p0-p3").calendars["business"]
    assert cal.timezone == "America/Los_Angeles"
    weekday = {"mon", "tue", "wed", "thu", "fri"}
    assert set(cal.hours) == weekday
    assert {day: [r.model_dump() for r in spans] for day, spans in cal.hours.items()} == {
        day: ["07:00-19:00"] for day in weekday
    }
    assert cal.holidays is not None and cal.holidays.country == "US"
    extended, saturday = cal.variants["extended"], cal.variants["weekend_critical"]
    assert {d: [r.model_dump() for r in s] for d, s in extended.hours.items()} == {
        day: ["06:00-22:00"] for day in weekday
    }
    assert extended.applies_to.account_flags == ["strategic"]
    assert {d: [r.model_dump() for r in s] for d, s in saturday.hours.items()} == {"sat": ["09:00-17:00"]}
    assert saturday.applies_to.severities == ["P0"]
    assert not extended.open_on_holidays and not saturday.open_on_holidays


@pytest.mark.parametrize(
    ("when", "severity", "flags", "open_"),
    [
        (la(2026, 11, 23, 6, 59), "P2", (), False),  # Monday before 07:00
        (la(2026, 11, 23, 7, 0), "P2", (), True),
        (la(2026, 11, 23, 18, 59), "P2", (), True),
        (la(2026, 11, 23, 19, 0), "P2", (), False),
        (la(2026, 11, 23, 6, 0), "P2", ("strategic",), True),  # extended hours
        (la(2026, 11, 23, 21, 59), "P2", ("strategic",), True),
        (la(2026, 11, 23, 22, 0), "P2", ("strategic",), False),
        (la(2026, 11, 28, 10, 0), "P0", (), True),  # Saturday cover for P0 only
        (la(2026, 11, 28, 8, 59), "P0", (), False),
        (la(2026, 11, 28, 17, 0), "P0", (), False),
        (la(2026, 11, 28, 10, 0), "P1", (), False),
        (la(2026, 11, 29, 10, 0), "P0", (), False),  # Sunday
        (la(2026, 11, 26, 10, 0), "P2", (), False),  # Thanksgiving, a US federal holiday
        (la(2026, 12, 25, 10, 0), "P2", ("strategic",), False),  # Christmas, even for strategic
    ],
)
def test_p0_p3_business_hours(when: datetime, severity: str, flags: tuple[str, ...], open_: bool) -> None:
    clock = business_hours_for(load_policy("p0-p3"), "business", severity=severity, account_flags=flags)
    assert clock.is_open(when) is open_


def test_p0_p3_after_hours_first_response() -> None:
    policy = load_policy("p0-p3")
    in_hours = plan(policy, "P0", la(2026, 11, 23, 9, 0), DEFAULT_ACCOUNT)
    after = plan(policy, "P0", la(2026, 11, 23, 20, 0), DEFAULT_ACCOUNT)
    assert (in_hours.after_hours, in_hours.first_response) == (False, timedelta(minutes=15))
    assert (after.after_hours, after.first_response) == (True, timedelta(minutes=30))
    assert after.first_response_due == la(2026, 11, 23, 20, 30)  # P0 runs on the 24x7 clock
    p1 = plan(policy, "P1", la(2026, 11, 29, 12, 0), DEFAULT_ACCOUNT)  # Sunday
    assert (p1.after_hours, p1.first_response) == (True, timedelta(hours=4))


@pytest.mark.parametrize("preset", ["four-level", "p1-p4"])
def test_weekday_calendar(preset: str) -> None:
    policy = load_policy(preset)
    cal = policy.calendars["weekdays"]
    assert cal.timezone == "America/Los_Angeles"
    assert {d: [r.model_dump() for r in s] for d, s in cal.hours.items()} == {
        day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri")
    }
    assert cal.holidays is not None and cal.holidays.country == "US"
    low = list(policy.severities)[-1]
    clock = business_hours_for(policy, "weekdays", severity=low)
    # Friday 22:00 plus 4 weekday hours: two hours on Friday, two on Monday.
    assert clock.add(la(2026, 11, 20, 22, 0), timedelta(hours=4)) == la(2026, 11, 23, 2, 0)
    assert not clock.is_open(la(2026, 11, 26, 12, 0))  # Thanksgiving


# -- aliases ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("preset", "name", "sid"),
    [
        ("p0-p3", "P0", "P0"), ("p0-p3", "Critical", "P0"), ("p0-p3", "red", "P0"), ("p0-p3", "RED", "P0"),
        ("p0-p3", "sev1", "P1"), ("p0-p3", "Medium", "P2"), ("p0-p3", "green", "P3"),
        ("four-level", "RED", "CRITICAL"), ("four-level", "orange", "HIGH"),
        ("four-level", "Yellow", "MEDIUM"), ("four-level", "green", "LOW"),
        ("four-level", "Critical", "CRITICAL"), ("four-level", "low", "LOW"),
        ("p1-p4", "P1", "P1"), ("p1-p4", "sev1", "P1"), ("p1-p4", "Critical", "P1"), ("p1-p4", "SEV-4", "P4"),
        ("p1-p4", "medium", "P3"),
    ],
)
def test_aliases_resolve(preset: str, name: str, sid: str) -> None:
    assert load_policy(preset).resolve_severity(name) == sid


def test_p0_p3_names_for_the_same_level_agree() -> None:
    policy = load_policy("p0-p3")
    assert {policy.resolve_severity(n) for n in ("P0", "Critical", "red", "critical", "sev0")} == {"P0"}


@pytest.mark.parametrize("preset", PRESETS)
def test_shared_classifier_aliases_in_rank_order(preset: str) -> None:
    policy = load_policy(preset)
    ids = [policy.resolve_severity(a) for a in ("critical", "high", "medium", "low")]
    assert ids == list(policy.severities)


@pytest.mark.parametrize("preset", PRESETS)
def test_unknown_severity_name(preset: str) -> None:
    with pytest.raises(KeyError, match="unknown severity 'P9'"):
        load_policy(preset).resolve_severity("P9")


# -- loading and fingerprints -----------------------------------------------------------------

def test_presets_are_the_three_we_ship() -> None:
    assert set(PRESETS) <= set(preset_names())


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_parses_and_digest_is_stable(preset: str) -> None:
    path = PRESETS_DIR / f"{preset}.yaml"
    first = parse_policy(path.read_text(encoding="utf-8"), str(path))
    second = parse_policy(path.read_text(encoding="utf-8"), str(path))
    assert isinstance(first, Policy) and first is not second
    assert first.name == preset
    assert policy_digest(first) == policy_digest(second) == policy_digest(load_policy(preset))
    assert re.fullmatch(r"[0-9a-f]{16}", policy_digest(first))


def test_digests_tell_presets_apart() -> None:
    assert len({policy_digest(load_policy(p)) for p in PRESETS}) == len(PRESETS)


def _comments(preset: str) -> str:
    text = (PRESETS_DIR / f"{preset}.yaml").read_text(encoding="utf-8")
    found = [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]
    return " ".join(" ".join(found).split())


def test_p0_p3_explains_the_settled_update_frequency_conflict() -> None:
    comments = _comments("p0-p3")
    assert "every 30 minutes" in comments and "every 2 hours" in comments
    assert "stricter 30 minutes" in comments


def test_p1_p4_says_its_resolution_targets_are_not_from_the_seed() -> None:
    assert "Resolution targets: the seed gives none" in _comments("p1-p4")


# -- loader errors name the file and the field ------------------------------------------------

def _bad(mutate) -> str:
    data = yaml.safe_load((PRESETS_DIR / "p0-p3.yaml").read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(PolicyError) as caught:
        parse_policy(yaml.safe_dump(data), "bad.yaml")
    return str(caught.value)


def test_error_unknown_key() -> None:
    message = _bad(lambda d: d["severities"]["P0"].update(frist_response="15m"))
    assert message == "bad.yaml: severities.P0.frist_response: unknown key"


def test_error_unknown_top_level_key() -> None:
    assert _bad(lambda d: d.update(colour="red")) == "bad.yaml: colour: unknown key"


def test_error_negative_duration() -> None:
    message = _bad(lambda d: d["severities"]["P0"].update(first_response="-5m"))
    assert message.startswith("bad.yaml: severities.P0.first_response: durations cannot be negative")


def test_error_negative_duration_quotes_the_value() -> None:
    message = _bad(lambda d: d["severities"]["P0"].update(first_response="-5m"))
    assert message == "bad.yaml: severities.P0.first_response: durations cannot be negative, got '-5m'"


def test_error_bad_duration_string() -> None:
    message = _bad(lambda d: d["severities"]["P0"].update(first_response="15 minutes"))
    assert message == (
        "bad.yaml: severities.P0.first_response: expected a duration like '15m', '2h', '1d' or '1w'"
    )


def test_error_unknown_calendar() -> None:
    message = _bad(lambda d: d["severities"]["P2"].update(clock="office"))
    assert message == "bad.yaml: severities.P2.clock: unknown calendar 'office'"


def test_error_escalation_to_unknown_level() -> None:
    message = _bad(lambda d: d["escalation"]["P0"][0].update(level="L9"))
    assert message == "bad.yaml: escalation.P0.0.level: unknown escalation level 'L9'"


def test_error_trigger_rule_without_action() -> None:
    message = _bad(lambda d: d["triggers"].pop("outage"))
    assert message.startswith("bad.yaml: classifier.trigger_rules") or "\nbad.yaml: classifier" in message
    assert "classifier.trigger_rules.outage.trigger: no action defined under triggers for 'outage'" in message


def test_errors_are_all_reported_at_once() -> None:
    def two_problems(d: dict[str, Any]) -> None:
        d["severities"]["P0"].update(first_response="soon")
        d["severities"]["P3"].update(resolution="-1w")

    lines = _bad(two_problems).splitlines()
    fields = [line.split(": ")[1] for line in lines]
    assert fields == ["severities.P0.first_response", "severities.P3.resolution"]
