"""On-call benchmark: "who is on call" lookups and the month view of a 5-layer schedule.

1. 1,000 schedules (weekly primary in Europe/Berlin or America/New_York, business-hours layer on
   top, a few overrides), 1,000 random instants over 30 days each: per-lookup latency from cached
   rotation data (each schedule's final timeline for the month computed once, then a binary search),
   and, for comparison, straight from the layer specs (the rotation maths per lookup, no cache).
2. A 5-layer schedule's 30-day timeline drawn as the schedule page draws it (rows read from the
   database, maths, SVG lanes, template render). Target p95 < 1 ms per lookup; month view < 100 ms.
Prints figures; never asserts on time. BENCH_SCHEDULES / BENCH_INSTANTS tune part 1.
"""
import datetime as dt
import os
import random
import statistics
import time
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

from apps.oncall import charts, rotation, services
from apps.oncall.choices import ShiftUnit
from apps.oncall.rotation import LayerSpec, Restriction, Shift
from tests.tenancy.factories import OrganizationFactory, member

SCHEDULES = int(os.environ.get("BENCH_SCHEDULES", "1000"))
INSTANTS = int(os.environ.get("BENCH_INSTANTS", "1000"))
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = START + dt.timedelta(days=30)


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _specs(rng, i):
    tz = ZoneInfo(rng.choice(["Europe/Berlin", "America/New_York"]))
    people = tuple(range(i * 10, i * 10 + rng.randint(2, 6)))
    weekly = LayerSpec(f"layer:{i}:1", 1, tz, dt.datetime(2026, 1, 5, 9), rotation.WEEKS, 1, people)
    business = LayerSpec(f"layer:{i}:2", 2, tz, dt.datetime(2026, 1, 5, 9), rotation.DAYS, 1, people[::-1],
                         Restriction(frozenset(range(5)), dt.time(9), dt.time(17)))
    overrides = [Shift(START + dt.timedelta(hours=h), START + dt.timedelta(hours=h + 8), 999, f"override:{i}:{h}",
                       rotation.OVERRIDE_PRIORITY + h) for h in rng.sample(range(0, 700), 3)]
    return [weekly, business], overrides


def test_who_is_on_call_lookups():
    rng = random.Random(42)
    schedules = [_specs(rng, i) for i in range(SCHEDULES)]
    build = time.perf_counter()
    cached = []
    for specs, overrides in schedules:
        candidates = [s for spec in specs for s in rotation.layer_shifts(spec, START, END)] + overrides
        timeline = rotation.final(candidates, START, END)
        cached.append((timeline, [s.start for s in timeline]))
    build = time.perf_counter() - build
    instants = [START + dt.timedelta(seconds=rng.randrange(30 * 86400)) for _ in range(INSTANTS)]
    cached_lat, raw_lat = [], []
    for n, (timeline, starts) in enumerate(cached):
        for moment in instants:
            t = time.perf_counter()
            rotation.at(timeline, moment, starts)
            cached_lat.append(time.perf_counter() - t)
        if n < 50:  # the uncached maths is slower: sample 50 schedules × all instants
            specs, overrides = schedules[n]
            for moment in instants[:200]:
                t = time.perf_counter()
                end = moment + dt.timedelta(microseconds=1)
                rotation.on_call([s for spec in specs for s in rotation.layer_shifts(spec, moment, end)] + overrides,
                                 moment)
                raw_lat.append(time.perf_counter() - t)
    print(f"\non-call lookups: {SCHEDULES} schedules × {INSTANTS} instants = {len(cached_lat):,} lookups")
    print(f"  building the month timelines (cache): {build * 1000:.0f} ms total, "
          f"{build / SCHEDULES * 1000:.2f} ms per schedule")
    print(f"  cached lookup: p50 {_pct(cached_lat, 50) * 1e6:.1f} µs, p95 {_pct(cached_lat, 95) * 1e6:.1f} µs, "
          f"p99 {_pct(cached_lat, 99) * 1e6:.1f} µs, mean {statistics.mean(cached_lat) * 1e6:.1f} µs")
    print(f"  uncached (rotation maths per lookup, {len(raw_lat):,} samples): p50 {_pct(raw_lat, 50) * 1e6:.1f} µs, "
          f"p95 {_pct(raw_lat, 95) * 1e6:.1f} µs")


@pytest.mark.django_db
def test_month_view_of_a_five_layer_schedule():
    org = OrganizationFactory()
    from aiops.roles import Role

    people = [member(org, Role.OPERATOR).pk for _ in range(8)]
    schedule = services.schedule_create(organization=org, name="five layers", time_zone="Europe/Berlin")
    for position, (unit, length) in enumerate(
            [(ShiftUnit.WEEKS, 1), (ShiftUnit.DAYS, 1), (ShiftUnit.HOURS, 12), (ShiftUnit.DAYS, 2),
             (ShiftUnit.HOURS, 8)], start=1):
        services.layer_create(schedule=schedule, name=f"layer {position}", position=position, shift_unit=unit,
                              shift_length=length, start_date=dt.date(2026, 1, 5), handoff_time=dt.time(9),
                              participants=people[position - 1:position + 3],
                              restriction_weekdays=[0, 1, 2, 3, 4] if position in (2, 4) else [],
                              restriction_start=dt.time(9) if position == 2 else None,
                              restriction_end=dt.time(17) if position == 2 else None)
    for day in range(0, 30, 3):
        services.override_create(schedule=schedule, user=_user(people[0]),
                                 start=START + dt.timedelta(days=day, hours=3),
                                 end=START + dt.timedelta(days=day, hours=9))
    times, maths, markup, before = [], [], [], []
    for _ in range(20):
        t = time.perf_counter()
        chart = charts.timeline_chart(schedule, START, days=30)
        t2 = time.perf_counter()
        render_to_string("oncall/_timeline.html", {"chart": chart})
        t3 = time.perf_counter()
        times.append(t3 - t)
        maths.append(t2 - t)
        markup.append(t3 - t2)
        BEFORE.render(Context({"chart": chart}))  # the earlier template, formatting every bar itself
        before.append(time.perf_counter() - t3)
    bars = sum(len(lane.bars) for lane in chart["lanes"])
    print(f"\nmonth view, 5 layers + 10 overrides ({bars} bars in {len(chart['lanes'])} lanes), 20 renders: "
          f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
          f"(rows + maths + SVG geometry {statistics.median(maths) * 1000:.1f} ms, "
          f"template {statistics.median(markup) * 1000:.2f} ms)")
    print(f"  the earlier template (floatformat per bar) on the same chart: median "
          f"{statistics.median(before) * 1000:.1f} ms, max {max(before) * 1000:.1f} ms")


# templates/oncall/_timeline.html before the SVG was written in charts.py, kept to measure against.
BEFORE = Template('{% load i18n %}<svg id="oncall-timeline" width="100%" viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="{% translate \'On-call timeline\' %}" font-size="11">\n{% for tick in chart.ticks %}<line x1="{{ tick.x|floatformat:1 }}" x2="{{ tick.x|floatformat:1 }}" y1="12" y2="{{ chart.height }}" stroke="#ddd"/><text x="{{ tick.x|floatformat:1 }}" y="10">{{ tick.label }}</text>{% endfor %}\n{% for lane in chart.lanes %}<text x="4" y="{{ lane.y|add:17 }}">{{ lane.name|truncatechars:20 }}</text>\n{% for bar in lane.bars %}<rect x="{{ bar.x|floatformat:1 }}" y="{{ lane.y }}" width="{{ bar.w|floatformat:1 }}" height="{{ chart.lane_height }}" fill="{{ bar.color }}"><title>{{ bar.title }}</title></rect>{% if bar.w > 40 %}<text x="{{ bar.x|floatformat:1 }}" dx="3" y="{{ lane.y|add:17 }}" fill="#fff">{{ bar.label|truncatechars:12 }}</text>{% endif %}{% endfor %}{% endfor %}\n</svg>\n')  # noqa: E501


def _user(pk):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)
