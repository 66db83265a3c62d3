"""Business-hours arithmetic and the clock replay, without a database."""
from datetime import UTC, date, datetime, time, timedelta

from apps.sla import calendar as cal
from apps.sla.compute import Fact, Policy, clock_state

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
ALWAYS = Policy(cal.Calendar())


def state(facts, target="mtta", minutes=5, policy=ALWAYS, now=None, warning=80):
    return clock_state(facts=facts, target=target, target_seconds=minutes * 60, warning_percent=warning,
                       policy=policy, now=now or T0 + timedelta(hours=1))


def test_24x7_deadline_and_warning():
    s = state([Fact("opened", T0)], now=T0 + timedelta(minutes=1))
    assert s.state == "running" and s.deadline_at == T0 + timedelta(minutes=5)
    assert s.warning_at == T0 + timedelta(minutes=4)
    assert s.elapsed_seconds == 60


def test_ack_a_second_before_the_deadline_is_met_and_a_second_after_breaches():
    opened = Fact("opened", T0)
    met = state([opened, Fact("acknowledged", T0 + timedelta(minutes=5, seconds=-1))])
    assert met.state == "met" and met.elapsed_seconds == 299
    late = state([opened, Fact("acknowledged", T0 + timedelta(minutes=5, seconds=1))])
    assert late.state == "breached"


def test_silence_pauses_and_unacknowledge_resumes():
    facts = [Fact("opened", T0), Fact("silenced", T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=11))]
    s = state(facts, now=T0 + timedelta(minutes=5))
    assert s.state == "paused" and s.deadline_at == T0 + timedelta(minutes=15)
    lifted = facts + [Fact("silenced", T0 + timedelta(minutes=3))]  # lifted early
    assert state(lifted, now=T0 + timedelta(minutes=5)).deadline_at == T0 + timedelta(minutes=7)
    unacked = [Fact("opened", T0), Fact("acknowledged", T0 + timedelta(minutes=1)),
               Fact("unacknowledged", T0 + timedelta(minutes=3))]
    s = state(unacked, now=T0 + timedelta(minutes=4))
    assert s.state == "running" and s.elapsed_seconds == 120 and s.deadline_at == T0 + timedelta(minutes=7)


def test_manual_pause_open_ended_has_no_deadline_until_resumed():
    facts = [Fact("opened", T0), Fact("paused", T0 + timedelta(minutes=2), reason="third_party")]
    s = state(facts, now=T0 + timedelta(minutes=30))
    assert s.state == "paused" and s.deadline_at is None and s.elapsed_seconds == 120
    resumed = facts + [Fact("resumed", T0 + timedelta(minutes=40), reason="third_party")]
    assert state(resumed, now=T0 + timedelta(minutes=41)).deadline_at == T0 + timedelta(minutes=43)
    ignored = Policy(cal.Calendar(), pause_third_party=False)
    assert state(facts, policy=ignored, now=T0 + timedelta(minutes=30)).state == "breached"


def test_reopen_resumes_or_restarts_mttr():
    facts = [Fact("opened", T0), Fact("resolved", T0 + timedelta(minutes=10)),
             Fact("reopened", T0 + timedelta(minutes=50))]
    resumed = state(facts, target="mttr", minutes=30, now=T0 + timedelta(minutes=55))
    assert resumed.state == "running" and resumed.elapsed_seconds == 15 * 60
    restarted = state(facts, target="mttr", minutes=30, now=T0 + timedelta(minutes=55),
                      policy=Policy(cal.Calendar(), reopen="restart"))
    assert restarted.started_at == T0 + timedelta(minutes=50) and restarted.elapsed_seconds == 5 * 60


def test_business_hours_pause_the_clock_overnight():
    hours = cal.Calendar(always=False, zone="Europe/Berlin", start=time(9), end=time(17),
                         days=frozenset(range(5)), holidays=frozenset({date(2026, 3, 3)}))
    # Monday 16:50 Berlin (15:50 UTC), 30 min target: 10 min today, Tuesday a holiday, 20 min Wednesday.
    opened = datetime(2026, 3, 2, 15, 50, tzinfo=UTC)
    s = clock_state(facts=[Fact("opened", opened)], target="mttr", target_seconds=1800, warning_percent=80,
                    policy=Policy(hours), now=datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    assert s.state == "paused" and s.elapsed_seconds == 600
    assert s.deadline_at == datetime(2026, 3, 4, 8, 20, tzinfo=UTC)  # 09:20 Berlin (UTC+1)


def test_business_hours_across_a_dst_change():
    hours = cal.Calendar(always=False, zone="Europe/Berlin", start=time(9), end=time(17), days=frozenset(range(7)))
    # Saturday 28 March 2026 16:00 CET; clocks go forward Sunday 29 March (CEST, UTC+2).
    opened = datetime(2026, 3, 28, 15, 0, tzinfo=UTC)
    deadline = cal.instant_after(hours, opened, 2 * 3600, [])
    assert deadline == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 1 h Saturday, 1 h from 09:00 CEST Sunday
    assert cal.elapsed(hours, opened, datetime(2026, 3, 29, 8, 0, tzinfo=UTC), []) == 7200
