"""The SVG timeline: geometry, ticks and the rendered markup for N entries."""
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string

from apps.timeline.chart import MAX_TICKS, NUMBERED_UP_TO, _ticks, timeline_chart
from apps.timeline.kinds import kind_colour
from tests.timeline.factories import TimelineEntryFactory

SVG = "{http://www.w3.org/2000/svg}"
KINDS = ["change.correlated", "alert.received", "incident.created", "alert.acknowledged",
         "incident.commented", "runbook.execution_finished", "alert.resolved", "incident.status_changed"]


def _entries(org, count, *, start=None, step=timedelta(seconds=45)):
    start = start or datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    return [TimelineEntryFactory(organization=org, kind=KINDS[i % len(KINDS)], occurred_at=start + i * step,
                                 summary=f"event <{i}> & more") for i in range(count)]


def _svg(entries):
    chart = timeline_chart(entries)
    markup = render_to_string("timeline/_svg.html", {"chart": chart, "svg_id": "t"})
    return chart, ET.fromstring(markup)  # well-formed XML: it also opens as a standalone image


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 8, 40, 150])
def test_svg_has_one_mark_per_entry_in_time_order(org_a, count):
    entries = _entries(org_a, count)
    chart, root = _svg(entries)
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == count
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs)
    assert all(chart.plot_left <= x <= chart.plot_right for x in xs)
    assert [c.get("fill") for c in circles] == [kind_colour(e.kind) for e in entries]
    tooltips = [c.find(f"{SVG}title").text for c in circles]
    assert tooltips[0].startswith("1. ") and "event <0> & more" in tooltips[0]
    numbers = [t.text for t in root.findall(f".//{SVG}a/{SVG}text")]
    assert numbers == ([str(i) for i in range(1, count + 1)] if count <= NUMBERED_UP_TO else [])
    lanes = [t.text for t in root.findall(f"./{SVG}g[@class='lane']/{SVG}text")]
    assert len(lanes) == len({e.type for e in entries})
    assert lanes[0] == "Changes"  # causes on top (the first entry is a change)
    links = {a.get("href") for a in root.findall(f".//{SVG}a")}
    assert f"#timeline-entry-{entries[-1].pk}" in links


@pytest.mark.django_db
def test_a_burst_stacks_and_its_lane_grows(org_a):
    single = timeline_chart(_entries(org_a, 1))
    burst = _entries(org_a, 5, step=timedelta(0))
    for entry in burst:
        entry.kind = "incident.alert_added"
    chart = timeline_chart(burst)
    assert len({(m.x, m.y) for m in chart.marks}) == 5
    assert chart.lanes[0].height > single.lanes[0].height
    assert all(chart.lanes[0].top < m.y < chart.lanes[0].top + chart.lanes[0].height for m in chart.marks)
    assert chart.axis_y == chart.lanes[0].top + chart.lanes[0].height


@pytest.mark.django_db
def test_a_burst_taller_than_a_lane_allows_ends_in_one_mark_labelled_with_its_range(org_a):
    from apps.timeline.chart import MAX_LEVELS

    burst = _entries(org_a, MAX_LEVELS + 6, step=timedelta(0))
    for entry in burst:
        entry.kind = "incident.alert_added"
    chart, root = _svg(burst)
    assert len({(m.x, m.y) for m in chart.marks}) == MAX_LEVELS  # no half-overlapping marks
    labels = [t.text for t in root.findall(f".//{SVG}a/{SVG}text")]
    assert labels == [str(n) for n in range(1, MAX_LEVELS)] + [f"{MAX_LEVELS}–{MAX_LEVELS + 6}"]
    assert len(root.findall(f".//{SVG}circle")) == MAX_LEVELS + 6  # every entry keeps its tooltip and link


def test_empty_timeline_has_no_chart():
    assert timeline_chart([]) is None


@pytest.mark.parametrize(("span", "pattern_len", "step_seconds"), [
    (timedelta(minutes=10), 5, 120),
    (timedelta(hours=3), 5, 1800),
    (timedelta(seconds=20), 8, 5),
])
def test_ticks_are_round_and_few(span, pattern_len, step_seconds):
    start = datetime(2024, 5, 1, 13, 58, 17, tzinfo=UTC)
    ticks = _ticks(start, start + span)
    assert 2 <= len(ticks) <= MAX_TICKS + 1
    moments = [t for t, _ in ticks]
    assert all(start <= m <= start + span for m in moments)
    assert all(m.timestamp() % step_seconds == 0 for m in moments)
    assert all(len(label) == pattern_len for _, label in ticks)


def test_ticks_across_days_name_the_day():
    start = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)
    labels = [label for _, label in _ticks(start, start + timedelta(days=10))]
    assert all(re.fullmatch(r"\d\d [A-Z][a-z]{2}", label) for label in labels), labels
    assert len(labels) <= MAX_TICKS + 1
    overnight = [label for _, label in _ticks(start, start + timedelta(hours=8))]
    assert overnight[0].startswith("01 May") and overnight[-1].startswith("02 May")
