"""Business-time arithmetic: worked examples with exact instants, then properties checked by hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.core.errors import PolicyError
from helpdesk.policy.calendar import AlwaysOpen, BusinessHours, business_hours_for
from helpdesk.policy.models import WEEKDAYS, Calendar, Policy

LA = "America/Los_Angeles"
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
TINY = timedelta(microseconds=1)


def cal(hours: dict, tz: str = "UTC", **extra: object) -> Calendar:
    return Calendar.model_validate({"timezone": tz, "hours": hours, **extra})


def at(tz: str, *fields: int, fold: int = 0) -> datetime:
    """A wall-clock reading in `tz`, as the aware UTC instant it denotes."""
    return datetime(*fields, tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)


SEED_DICT = {
    "timezone": LA,
    "hours": {"mon-fri": "07:00-19:00"},
    "holidays": {"country": "US"},
    "variants": {
        "extended": {"hours": {"mon-fri": "06:00-22:00"}, "applies_to": {"account_flags": ["strategic"]}},
        "weekend_critical": {"hours": {"sat": "09:00-17:00"}, "applies_to": {"severities": ["P0"]}},
    },
}
SEED = Calendar.model_validate(SEED_DICT)
MIDDAY_BREAK = cal({"mon-fri": ["09:00-12:00", "13:00-17:00"]}, "Europe/Berlin")
OVERNIGHT = cal({"fri": "20:00-24:00", "sat": "00:00-04:00"})
ROUND_THE_CLOCK_LA = cal({"mon-sun": "00:00-24:00"}, LA)


# -- the seed calendar -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "flags", "expected"),
    [
        (None, (), at(LA, 2026, 6, 15, 8, 30)),  # Fri 18:30 + 30m, weekend, Mon 07:00 + 1h30m
        ("P0", (), at(LA, 2026, 6, 13, 10, 30)),  # the weekend variant opens Saturday 09:00
        (None, ("strategic",), at(LA, 2026, 6, 12, 20, 30)),  # extended hours run to 22:00
        ("P2", ("gold",), at(LA, 2026, 6, 15, 8, 30)),  # variants that do not apply change nothing
    ],
)
def test_seed_friday_evening_plus_two_hours(severity, flags, expected):
    hours = BusinessHours(SEED, severity=severity, account_flags=flags)
    due = hours.add(at(LA, 2026, 6, 12, 18, 30), 2 * H)
    assert due == expected
    assert due.tzinfo is UTC


def test_seed_open_and_closed_edges():
    hours = BusinessHours(SEED)
    assert hours.is_open(at(LA, 2026, 6, 12, 7, 0))
    assert hours.is_open(at(LA, 2026, 6, 12, 18, 59))
    assert not hours.is_open(at(LA, 2026, 6, 12, 19, 0))  # half-open: closed at 19:00 sharp
    assert not hours.is_open(at(LA, 2026, 6, 12, 6, 59))
    assert hours.next_open(at(LA, 2026, 6, 12, 19, 0)) == at(LA, 2026, 6, 15, 7, 0)
    assert hours.next_open(at(LA, 2026, 6, 12, 12, 0)) == at(LA, 2026, 6, 12, 12, 0)
    p0 = BusinessHours(SEED, severity="P0")
    assert p0.next_open(at(LA, 2026, 6, 12, 19, 0)) == at(LA, 2026, 6, 13, 9, 0)
    assert hours.elapsed(at(LA, 2026, 6, 15, 0, 0), at(LA, 2026, 6, 22, 0, 0)) == 48 * H  # Juneteenth (Fri)
    assert hours.elapsed(at(LA, 2026, 6, 22, 0, 0), at(LA, 2026, 6, 29, 0, 0)) == 60 * H


def test_seed_across_dst_weekends():
    hours = BusinessHours(SEED)
    # Fri 18:00 PST + 2h -> Mon 08:00 PDT, which is 15:00 UTC (not 16:00).
    assert hours.add(at(LA, 2026, 3, 6, 18, 0), 2 * H) == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    # Fri 18:00 PDT + 2h -> Mon 08:00 PST, which is 16:00 UTC.
    assert hours.add(at(LA, 2026, 10, 30, 18, 0), 2 * H) == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


# -- holidays ----------------------------------------------------------------------------------


def test_thanksgiving_is_closed_even_for_extended_hours():
    wednesday_evening = at(LA, 2026, 11, 25, 18, 0)
    assert BusinessHours(SEED).add(wednesday_evening, 3 * H) == at(LA, 2026, 11, 27, 9, 0)
    strategic = BusinessHours(SEED, account_flags=["strategic"])
    assert not strategic.is_open(at(LA, 2026, 11, 26, 12, 0))
    assert strategic.add(wednesday_evening, 5 * H) == at(LA, 2026, 11, 27, 7, 0)  # 4h Wed + 1h from 06:00 Fri


def test_christmas_and_observed_independence_day():
    hours = BusinessHours(SEED)
    assert hours.add(at(LA, 2026, 12, 24, 18, 0), 2 * H) == at(LA, 2026, 12, 28, 8, 0)
    p0 = BusinessHours(SEED, severity="P0")
    assert p0.add(at(LA, 2026, 12, 24, 18, 0), 2 * H) == at(LA, 2026, 12, 26, 10, 0)  # Saturday is no holiday
    # July 4 2026 is a Saturday; the holiday is observed on Friday July 3.
    assert hours.add(at(LA, 2026, 7, 2, 18, 30), H) == at(LA, 2026, 7, 6, 7, 30)


def test_multi_day_closure_from_extra_holidays():
    closure = [date(2026, 12, 21) + timedelta(days=i) for i in range(11)]  # Mon 21 Dec .. Thu 31 Dec
    hours = BusinessHours(Calendar.model_validate({**SEED_DICT, "extra_holidays": closure}))
    start = at(LA, 2026, 12, 18, 18, 0)
    due = hours.add(start, 2 * H)  # 1h on Friday, then closed until Mon 4 Jan (New Year's Day is federal)
    assert due == at(LA, 2027, 1, 4, 8, 0)
    assert hours.elapsed(start, due) == 2 * H
    assert list(hours.spans(start, due)) == [
        (at(LA, 2026, 12, 18, 18, 0), at(LA, 2026, 12, 18, 19, 0)),
        (at(LA, 2027, 1, 4, 7, 0), at(LA, 2027, 1, 4, 8, 0)),
    ]


def test_variant_open_on_holidays_opens_only_its_own_hours():
    calendar = Calendar.model_validate(
        {
            **SEED_DICT,
            "variants": {
                "critical": {
                    "hours": {"mon-sun": "10:00-14:00"},
                    "applies_to": {"severities": ["P1"]},
                    "open_on_holidays": True,
                }
            },
        }
    )
    p1 = BusinessHours(calendar, severity="P1")
    assert not p1.is_open(at(LA, 2026, 11, 26, 9, 0))  # base hours are closed on Thanksgiving
    assert p1.is_open(at(LA, 2026, 11, 26, 10, 0))
    assert not p1.is_open(at(LA, 2026, 11, 26, 14, 0))
    assert p1.elapsed(at(LA, 2026, 11, 26, 0, 0), at(LA, 2026, 11, 27, 0, 0)) == 4 * H
    assert p1.elapsed(at(LA, 2026, 11, 27, 0, 0), at(LA, 2026, 11, 28, 0, 0)) == 12 * H  # union with base
    assert not BusinessHours(calendar).is_open(at(LA, 2026, 11, 26, 10, 0))


# -- DST ---------------------------------------------------------------------------------------


def test_midnight_to_midnight_days_last_23_and_25_hours():
    hours = BusinessHours(ROUND_THE_CLOCK_LA)
    assert hours.elapsed(at(LA, 2026, 3, 8, 0, 0), at(LA, 2026, 3, 9, 0, 0)) == 23 * H
    assert hours.elapsed(at(LA, 2026, 11, 1, 0, 0), at(LA, 2026, 11, 2, 0, 0)) == 25 * H
    # Open all day, business time is real time: 00:00 PST + 3h is 04:00 PDT; 00:00 PDT + 3h is 02:00 PST.
    assert hours.add(at(LA, 2026, 3, 8, 0, 0), 3 * H) == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    assert hours.add(at(LA, 2026, 11, 1, 0, 0), 3 * H) == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_ranges_touching_the_dst_transition_follow_the_wall_clock():
    def sunday_spans(hours: str, day: int, month: int) -> list[tuple[datetime, datetime]]:
        clock = BusinessHours(cal({"sun": hours}, LA))
        return list(clock.spans(at(LA, 2026, month, day, 0, 0), at(LA, 2026, month, day, 23, 0)))

    utc = lambda m, d, h, mi=0: datetime(2026, m, d, h, mi, tzinfo=UTC)  # noqa: E731
    assert sunday_spans("01:00-03:00", 8, 3) == [(utc(3, 8, 9), utc(3, 8, 10))]  # 02:00-03:00 never happens
    # 01:00-02:00 happens twice, so the range is open three real hours.
    assert sunday_spans("01:00-03:00", 1, 11) == [(utc(11, 1, 8), utc(11, 1, 11))]
    assert sunday_spans("02:30-04:00", 8, 3) == [(utc(3, 8, 10), utc(3, 8, 11))]  # opens as the clock jumps
    assert sunday_spans("01:15-01:45", 1, 11) == [  # the repeated half hour is open both times round
        (utc(11, 1, 8, 15), utc(11, 1, 8, 45)),
        (utc(11, 1, 9, 15), utc(11, 1, 9, 45)),
    ]


# -- midnight and midday breaks ----------------------------------------------------------------


def test_hours_running_to_midnight_join_the_next_morning():
    assert OVERNIGHT.hours["fri"][0].end is None
    hours = BusinessHours(OVERNIGHT)
    friday = datetime(2026, 6, 12, tzinfo=UTC)
    assert hours.add(friday + 23 * H, 2 * H) == friday + 25 * H
    assert list(hours.spans(friday + 19 * H, friday + 29 * H)) == [
        (friday + 20 * H, friday + 24 * H),
        (friday + 24 * H, friday + 28 * H),
    ]
    assert hours.is_open(friday + 24 * H)
    assert not hours.is_open(friday + 28 * H) and hours.lands_in_open_time(friday + 28 * H)
    assert hours.add(friday + 20 * H, 8 * H) == friday + 28 * H  # closed on the right: ends Sat 04:00
    assert hours.add(friday + 20 * H, 8 * H + MIN) == friday + timedelta(days=7, hours=20, minutes=1)


def test_midday_break():
    hours = BusinessHours(MIDDAY_BREAK)
    berlin = "Europe/Berlin"
    eleven = at(berlin, 2026, 6, 15, 11, 0)
    assert hours.add(eleven, 2 * H) == at(berlin, 2026, 6, 15, 14, 0)
    assert hours.add(eleven, H) == at(berlin, 2026, 6, 15, 12, 0)  # due at the start of lunch, not after it
    assert not hours.is_open(at(berlin, 2026, 6, 15, 12, 0))
    assert hours.lands_in_open_time(at(berlin, 2026, 6, 15, 12, 0))
    assert not hours.lands_in_open_time(at(berlin, 2026, 6, 15, 12, 30))
    assert hours.next_open(at(berlin, 2026, 6, 15, 12, 30)) == at(berlin, 2026, 6, 15, 13, 0)
    assert hours.elapsed(eleven, at(berlin, 2026, 6, 15, 14, 0)) == 2 * H
    assert hours.add(at(berlin, 2026, 6, 19, 16, 0), 3 * H) == at(berlin, 2026, 6, 22, 11, 0)


# -- 24x7, lookups, errors ---------------------------------------------------------------------


def test_always_open_is_identity():
    clock = AlwaysOpen()
    t = at(LA, 2026, 11, 1, 1, 30)
    assert clock.add(t, 5 * H) == t + 5 * H and clock.add(t, 5 * H).tzinfo is UTC
    assert clock.elapsed(t, t + 5 * H) == 5 * H and clock.elapsed(t + H, t) == timedelta(0)
    assert clock.is_open(t) and clock.lands_in_open_time(t) and clock.next_open(t) == t
    assert list(clock.spans(t, t + H)) == [(t, t + H)] and list(clock.spans(t, t)) == []


POLICY = Policy.model_validate(
    {
        "name": "test",
        "severities": {
            "P0": {"name": "Critical", "first_response": "15m", "resolution": "4h"},
            "P2": {"name": "Normal", "first_response": "4h", "resolution": "3d", "clock": "business"},
        },
        "default_severity": "P2",
        "calendars": {"business": SEED_DICT},
        "levels": {"l1": {"name": "Support", "roles": ["agent"]}},
        "classifier": {
            "default_severity": "P2",
            "negations": [],
            "severity_rules": {},
            "trigger_rules": {},
            "issue_types": {},
            "emotions": {},
        },
    }
)


def test_business_hours_for_picks_and_caches_clocks():
    assert isinstance(business_hours_for(POLICY, "24x7"), AlwaysOpen)
    plain = business_hours_for(POLICY, "business")
    assert business_hours_for(POLICY, "business") is plain
    p0 = business_hours_for(POLICY, "business", severity="P0", account_flags=["strategic"])
    assert p0 is not plain
    assert p0.add(at(LA, 2026, 6, 12, 21, 0), 2 * H) == at(LA, 2026, 6, 13, 10, 0)
    with pytest.raises(PolicyError, match="unknown calendar"):
        business_hours_for(POLICY, "nights")


def test_errors():
    with pytest.raises(PolicyError, match="no opening hours"):
        BusinessHours(cal({}))
    variant_only = cal(
        {}, variants={"night": {"hours": {"mon": "20:00-24:00"}, "applies_to": {"account_flags": ["night"]}}}
    )
    with pytest.raises(PolicyError):
        BusinessHours(variant_only)
    assert BusinessHours(variant_only, account_flags=["night"]).is_open(datetime(2026, 6, 15, 21, tzinfo=UTC))
    with pytest.raises(PolicyError, match="holidays"):
        BusinessHours(cal({"mon": "09:00-17:00"}, holidays={"country": "XX"}))
    hours = BusinessHours(SEED)
    with pytest.raises(ValueError, match="aware"):
        hours.is_open(datetime(2026, 6, 15, 9))
    with pytest.raises(ValueError, match="negative"):
        hours.add(at(LA, 2026, 6, 15, 9, 0), -H)


def test_a_calendar_closed_for_over_a_year_fails_instead_of_looping():
    mondays = [date(2026, 6, 15) + timedelta(weeks=i) for i in range(80)]
    hours = BusinessHours(cal({"mon": "09:00-17:00"}, extra_holidays=mondays))
    with pytest.raises(PolicyError, match="closed"):
        hours.add(datetime(2026, 6, 15, tzinfo=UTC), H)


# -- properties --------------------------------------------------------------------------------

CLOCKS: dict[str, tuple[Calendar, str | None, tuple[str, ...]]] = {
    "seed": (SEED, None, ()),
    "seed P0": (SEED, "P0", ()),
    "seed strategic P0": (SEED, "P0", ("strategic",)),
    "midday break, Bavaria": (
        cal(
            {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
            "Europe/Berlin",
            holidays={"country": "DE", "subdivision": "BY"},
        ),
        None,
        (),
    ),
    "overnight": (OVERNIGHT, None, ()),
    "round the clock LA": (ROUND_THE_CLOCK_LA, None, ()),
    "sparse, long closures": (
        cal(
            {"tue": "10:00-10:45", "sat": ["01:30-02:30", "23:15-24:00"]},
            "Australia/Lord_Howe",  # half-hour DST shifts
            extra_holidays=[date(2026, 1, 1) + timedelta(days=i) for i in range(40)],
        ),
        None,
        (),
    ),
    "midnight DST, Santiago": (
        cal({"mon-sun": ["00:00-01:00", "23:00-24:00"]}, "America/Santiago"),
        None,
        (),
    ),
    "midnight DST, Havana": (
        cal({"mon-sun": "00:30-01:30", "wed": "12:00-24:00"}, "America/Havana"),
        None,
        (),
    ),
    "holiday variant": (
        Calendar.model_validate(
            {
                **SEED_DICT,
                "variants": {
                    "critical": {
                        "hours": {"sun": "02:00-03:00", "thu": "01:00-02:00"},
                        "applies_to": {"account_flags": ["vip"]},
                        "open_on_holidays": True,
                    }
                },
            }
        ),
        None,
        ("vip",),
    ),
}
BUILT = {name: BusinessHours(c, severity=s, account_flags=f) for name, (c, s, f) in CLOCKS.items()}

RANGE_START = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_MINUTES = int((datetime(2029, 1, 1, tzinfo=UTC) - RANGE_START) / MIN)


def _transitions(zone: str) -> list[datetime]:
    """UTC instants (to the minute) where `zone` changes offset within the tested years."""
    tz, found = ZoneInfo(zone), []
    day = RANGE_START
    while day < RANGE_START + RANGE_MINUTES * MIN:
        if day.astimezone(tz).utcoffset() != (day + timedelta(days=1)).astimezone(tz).utcoffset():
            before = day.astimezone(tz).utcoffset()
            minute = next(m for m in range(1, 1441) if (day + m * MIN).astimezone(tz).utcoffset() != before)
            found.append(day + minute * MIN)
        day += timedelta(days=1)
    return found


TRANSITIONS = sorted({t for c, _, _ in CLOCKS.values() for t in _transitions(c.timezone)})
minutes = st.integers(0, RANGE_MINUTES).map(lambda m: RANGE_START + m * MIN)
near_transition = st.builds(lambda t, m: t + m * MIN, st.sampled_from(TRANSITIONS), st.integers(-2160, 2160))
instants = st.one_of(minutes, near_transition)
durations = st.one_of(
    st.integers(0, 60 * 24 * 21).map(lambda m: m * MIN),
    st.integers(0, 86400 * 3).map(lambda s: timedelta(seconds=s)),
)
clocks = st.sampled_from(sorted(BUILT))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _holiday_set(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def oracle_is_open(name: str, instant: datetime) -> bool:
    """Straight from the definition: the local wall clock reads an open time on a non-holiday."""
    calendar, severity, flags = CLOCKS[name]
    local = instant.astimezone(ZoneInfo(calendar.timezone))
    day = local.date()
    source = calendar.holidays
    holiday = day in calendar.extra_holidays or bool(
        source and day in _holiday_set(source.country, source.subdivision, day.year)
    )
    weeks = [] if holiday else [calendar.hours]
    for variant in calendar.variants.values():
        matched = set(flags) & set(variant.applies_to.account_flags)
        applies = severity in variant.applies_to.severities or matched
        if applies and (variant.open_on_holidays or not holiday):
            weeks.append(variant.hours)
    now = local.hour * 3600 + local.minute * 60 + local.second
    weekday = WEEKDAYS[day.weekday()]
    return any(r.seconds()[0] <= now < r.seconds()[1] for week in weeks for r in week.get(weekday, []))


@PROPERTY
@given(clocks, instants)
def test_add_zero_is_identity(name, t):
    assert BUILT[name].add(t, timedelta(0)) == t


@PROPERTY
@given(clocks, instants, durations)
def test_a_due_time_never_lands_in_closed_hours_unless_the_duration_is_zero(name, t, d):
    hours = BUILT[name]
    due = hours.add(t, d)
    assert due.tzinfo is UTC
    if d:
        assert due > t
        assert hours.lands_in_open_time(due)
        assert hours.is_open(due - TINY)  # the last second consumed was open time


@PROPERTY
@given(clocks, instants, durations, durations)
def test_add_is_monotonic_in_duration(name, t, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert BUILT[name].add(t, d1) <= BUILT[name].add(t, d2)


@PROPERTY
@given(clocks, instants, instants, durations)
def test_add_is_monotonic_in_start(name, t1, t2, d):
    t1, t2 = sorted((t1, t2))
    assert BUILT[name].add(t1, d) <= BUILT[name].add(t2, d)


@PROPERTY
@given(clocks, instants, durations, durations)
def test_add_is_additive(name, t, a, b):
    hours = BUILT[name]
    assert hours.add(hours.add(t, a), b) == hours.add(t, a + b)


@PROPERTY
@given(clocks, instants, durations)
def test_elapsed_inverts_add(name, t, d):
    hours = BUILT[name]
    assert hours.elapsed(t, hours.add(t, d)) == d


@PROPERTY
@given(clocks, instants, st.integers(-60 * 24, 60 * 24 * 40).map(lambda m: m * MIN), instants)
def test_spans_are_ordered_open_and_add_up(name, t, length, u):
    hours = BUILT[name]
    end = t + length
    spans = list(hours.spans(t, end))
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in spans)
    assert all(t <= s < e <= end for s, e in spans)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))
    assert all(hours.is_open(s) and hours.is_open(e - TINY) for s, e in spans)
    assert hours.elapsed(t, end) == sum((e - s for s, e in spans), timedelta(0))
    if t <= u <= end:  # elapsed splits at any point in between
        assert hours.elapsed(t, u) + hours.elapsed(u, end) == hours.elapsed(t, end)


@PROPERTY
@given(clocks, instants)
def test_next_open(name, t):
    hours = BUILT[name]
    opens = hours.next_open(t)
    assert opens >= t and hours.is_open(opens)
    assert hours.elapsed(t, opens) == timedelta(0)
    assert (opens == t) == hours.is_open(t)


@PROPERTY
@given(clocks, st.one_of(instants, instants.map(lambda t: t + timedelta(seconds=59))))
def test_is_open_matches_the_wall_clock_definition(name, t):
    assert BUILT[name].is_open(t) == oracle_is_open(name, t)


@settings(max_examples=40, deadline=None)
@given(clocks, instants)
def test_elapsed_matches_a_minute_by_minute_count(name, t):
    window = 2 * 24 * 60
    counted = sum(oracle_is_open(name, t + m * MIN) for m in range(window))
    assert BUILT[name].elapsed(t, t + window * MIN) == counted * MIN


@PROPERTY
@given(instants, durations, instants)
def test_always_open_is_identity_arithmetic(t, d, u):
    clock = AlwaysOpen()
    assert clock.add(t, d) == t + d
    assert clock.elapsed(t, u) == max(u - t, timedelta(0))
    assert clock.elapsed(t, clock.add(t, d)) == d
