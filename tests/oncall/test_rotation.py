"""Property tests of the rotation maths (pure functions, no database)."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.oncall import rotation
from apps.oncall.rotation import OVERRIDE_PRIORITY, LayerSpec, Restriction, Shift

ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"]

zones = st.sampled_from(ZONES).map(ZoneInfo)
units = st.sampled_from([rotation.HOURS, rotation.DAYS, rotation.WEEKS])
starts = st.dates(date(2023, 1, 1), date(2028, 12, 31))
handoffs = st.times().map(lambda t: t.replace(second=0, microsecond=0))
people = st.lists(st.integers(1, 9), min_size=1, max_size=5)


def spec_of(tz, unit, length, start_date, handoff, participants, weekday=None, priority=1, restriction=None):
    return LayerSpec(key=f"layer:{priority}", priority=priority, tz=tz,
                     start_local=rotation.first_handoff(start_date, handoff, unit, weekday),
                     unit=unit, length=length, participants=tuple(participants), restriction=restriction)


@settings(max_examples=60, deadline=None)
@given(zones, units, st.integers(1, 4), starts, handoffs, people, st.integers(0, 400), st.integers(1, 60))
def test_full_coverage_has_exactly_one_person_at_every_instant_and_shifts_are_contiguous(
        tz, unit, length, start_date, handoff, participants, offset_days, window_days):
    spec = spec_of(tz, unit, length, start_date, handoff, participants)
    origin = rotation.localize(spec.start_local, tz)
    start = origin + timedelta(days=offset_days, minutes=7)
    end = start + timedelta(days=window_days)
    shifts = rotation.layer_shifts(spec, start, end)
    assert shifts[0].start <= start and shifts[-1].end >= end
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a.end == b.start  # no hole, no overlap
        assert a.start < a.end
    timeline = rotation.final(shifts, start, end, gaps=True)
    assert not rotation.gaps_of(timeline)
    assert sum(((s.end - s.start) for s in timeline), timedelta()) == end - start
    # Everyone's turn comes round in order.
    for shift in shifts:
        k = rotation.shift_index(spec, shift.start)
        assert shift.user_id == participants[k % len(participants)]


@settings(max_examples=40, deadline=None)
@given(zones, st.integers(1, 3), starts, handoffs, people, st.integers(0, 700))
def test_day_and_week_handoffs_keep_their_wall_clock_time_across_dst(tz, length, start_date, handoff, participants,
                                                                      k):
    for unit in (rotation.DAYS, rotation.WEEKS):
        spec = spec_of(tz, unit, length, start_date, handoff, participants, weekday=0)
        local = rotation.boundary(spec, k).astimezone(tz)
        expected = spec.start_local + timedelta(days=k * length * (7 if unit == rotation.WEEKS else 1))
        if rotation.localize(expected, tz).astimezone(tz).replace(tzinfo=None) == expected:  # the time exists
            assert local.replace(tzinfo=None) == expected
        if unit == rotation.WEEKS:
            assert local.weekday() == 0 or local.replace(tzinfo=None) != expected


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 12), st.sampled_from(["Europe/Berlin", "America/New_York"]), st.integers(2024, 2027))
def test_dst_days_neither_lose_nor_duplicate_an_hour(hours, zone_name, year):
    tz = ZoneInfo(zone_name)
    spec = spec_of(tz, rotation.DAYS, 1, date(year, 1, 1), time(2, 30), [1, 2, 3])
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    shifts = rotation.layer_shifts(spec, start, end)
    lengths = sorted({s.end - s.start for s in shifts})
    # Daily shifts are 23, 24 or 25 real hours, and the year is covered exactly once.
    assert set(lengths) <= {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    assert timedelta(hours=23) in lengths and timedelta(hours=25) in lengths
    timeline = rotation.final(shifts, start, end, gaps=True)
    assert sum(((s.end - s.start) for s in timeline), timedelta()) == end - start
    hourly = spec_of(tz, rotation.HOURS, hours, date(year, 1, 1), time(2, 30), [1, 2])
    for s in rotation.layer_shifts(hourly, datetime(year, 3, 1, tzinfo=UTC), datetime(year, 4, 10, tzinfo=UTC)):
        assert s.end - s.start == timedelta(hours=hours)  # hour rotations count real hours


def test_berlin_spring_forward_week_is_167_hours_and_autumn_169():
    tz = ZoneInfo("Europe/Berlin")
    spec = spec_of(tz, rotation.WEEKS, 1, date(2026, 3, 23), time(9), [1, 2], weekday=0)
    march = rotation.layer_shifts(spec, datetime(2026, 3, 24, tzinfo=UTC), datetime(2026, 3, 25, tzinfo=UTC))[0]
    assert march.end - march.start == timedelta(hours=167)
    assert march.end.astimezone(tz).hour == 9
    october = rotation.layer_shifts(spec, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC))[0]
    assert october.end - october.start == timedelta(hours=169)


def test_leap_day_is_a_day_of_its_own():
    tz = ZoneInfo("America/New_York")
    spec = spec_of(tz, rotation.DAYS, 1, date(2028, 2, 27), time(8), [1, 2, 3])
    shifts = rotation.layer_shifts(spec, datetime(2028, 2, 28, 14, tzinfo=UTC), datetime(2028, 3, 1, 14, tzinfo=UTC))
    assert [s.start.astimezone(tz).date() for s in shifts] == [date(2028, 2, 28), date(2028, 2, 29),
                                                                 date(2028, 3, 1)]
    assert [s.user_id for s in shifts] == [2, 3, 1]


def test_spring_forward_handoff_that_does_not_exist_moves_an_hour_later():
    tz = ZoneInfo("Europe/Berlin")
    spec = spec_of(tz, rotation.DAYS, 1, date(2026, 3, 28), time(2, 30), [1, 2])
    shifts = rotation.layer_shifts(spec, datetime(2026, 3, 29, 6, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC))
    assert shifts[0].start.astimezone(tz).strftime("%H:%M %Z") == "03:30 CEST"


overrides = st.lists(st.tuples(st.integers(0, 20 * 24), st.integers(1, 72), st.integers(1, 9)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(zones, units, st.integers(1, 3), starts, handoffs, people, overrides)
def test_overrides_win_over_layers_and_later_overrides_over_earlier(tz, unit, length, start_date, handoff,
                                                                   participants, raw):
    spec = spec_of(tz, unit, length, start_date, handoff, participants)
    start = rotation.localize(spec.start_local, tz) + timedelta(days=1)
    end = start + timedelta(days=21)
    os = [Shift(start + timedelta(hours=h), start + timedelta(hours=h + d), 100 + u, f"override:{i}",
                OVERRIDE_PRIORITY + i) for i, (h, d, u) in enumerate(raw)]
    candidates = rotation.layer_shifts(spec, start, end) + os
    timeline = rotation.final(candidates, start, end, gaps=True)
    assert not rotation.gaps_of(timeline)
    probe = start
    while probe < end:
        covering = [o for o in os if o.start <= probe < o.end]
        winner = next(s for s in timeline if s.start <= probe < s.end)
        if covering:
            assert winner.user_id == covering[-1].user_id
        else:
            assert winner.user_id in participants
        assert rotation.on_call(candidates, probe)[0].user_id == winner.user_id
        probe += timedelta(minutes=97)


@settings(max_examples=40, deadline=None)
@given(zones, starts, people, people)
def test_business_hours_layer_overrides_the_base_only_inside_its_window(tz, start_date, base, day):
    weekly = spec_of(tz, rotation.WEEKS, 1, start_date, time(9), base, weekday=0, priority=1)
    business = spec_of(tz, rotation.DAYS, 1, start_date, time(9), [50 + p for p in day], priority=2,
                       restriction=Restriction(frozenset(range(5)), time(9), time(17)))
    start = rotation.localize(weekly.start_local, tz) + timedelta(days=8)
    end = start + timedelta(days=14)
    candidates = rotation.layer_shifts(weekly, start, end) + rotation.layer_shifts(business, start, end)
    for s in rotation.final(candidates, start, end, gaps=True):
        assert s.user_id is not None
        local = s.start.astimezone(tz)
        if s.user_id >= 50:  # the business-hours person: a weekday, within 09:00-17:00
            assert local.weekday() < 5 and time(9) <= local.time() < time(17)
            assert s.end.astimezone(tz).time() <= time(17) and s.end - s.start <= timedelta(hours=8)


def test_restriction_across_midnight_covers_nights():
    tz = ZoneInfo("UTC")
    night = spec_of(tz, rotation.DAYS, 1, date(2026, 1, 5), time(9), [7],
                    restriction=Restriction(frozenset(range(7)), time(22), time(6)))
    shifts = rotation.layer_shifts(night, datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    timeline = rotation.final(shifts, datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC))
    assert [(s.start.hour, s.end.hour) for s in timeline] == [(0, 6), (22, 6), (22, 0)]
    gaps = rotation.gaps_of(rotation.final(shifts, datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 1, 7, tzinfo=UTC),
                                           gaps=True))
    assert [(g.start.hour, g.end.hour) for g in gaps] == [(6, 22)]
