"""Layout of the server-side SVG timeline: a time axis, one lane per event type, a mark per entry.

Positions are computed here and drawn by templates/timeline/_svg.html, so the markup stays in a
template (auto-escaped) and the geometry stays testable. Numbers on the marks match the list
printed under the chart, which keeps the timeline readable on paper and without colour.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from .kinds import kind_colour, lane_order, type_label

WIDTH = 960
LEFT = 120  # lane labels
RIGHT = 24
TOP = 14
LANE_PADDING = 11
LEVEL_GAP = 16  # vertical distance between marks stacked in one lane
AXIS_HEIGHT = 30
RADIUS = 6
MAX_LEVELS = 8  # beyond this, marks at one moment join one mark labelled with their range ("22–28")
MAX_TICKS = 8
NUMBERED_UP_TO = 60  # beyond this the numbers crowd; the marks keep their tooltips
NUMBER_ROOM = 24  # a numbered mark needs its number's width free on its right
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
              86400, 172800, 604800, 1209600, 2592000)


@dataclass
class Lane:
    type: str
    label: str
    top: float
    height: float

    @property
    def y(self) -> float:
        """Where the lane's label sits: level with its first row of marks."""
        return self.top + LANE_PADDING + RADIUS


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Mark:
    number: int
    entry_id: int
    kind: str
    colour: str
    x: float
    y: float
    tooltip: str
    label: str = ""  # its number, the range of numbers it stands for, or "" when drawn under another


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    axis_y: int
    start: datetime
    end: datetime
    numbered: bool
    top: int = TOP
    lanes: list[Lane] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


def timeline_chart(entries: Sequence, *, width: int = WIDTH) -> Chart | None:
    """Lay out `entries` (in time order; numbered from 1 in that order); None when there are none.

    Marks too close to each other in a lane stack downwards and the lane grows to hold them, so
    a burst of events in one second (an incident opening with its alerts) stays legible.
    """
    if not entries:
        return None
    start, end = _domain(entries[0].occurred_at, entries[-1].occurred_at)
    plot_right = width - RIGHT
    scale = (plot_right - LEFT) / (end - start).total_seconds()

    def x_of(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() * scale, 1)

    numbered = len(entries) <= NUMBERED_UP_TO
    room = NUMBER_ROOM if numbered else 2 * RADIUS + 3
    last_x: dict[tuple[str, int], float] = {}
    newest: dict[tuple[str, int], int] = {}  # (lane, level) -> index of the mark placed there last
    head_of: dict[int, int] = {}  # index -> index of the mark it is drawn under
    placed = []  # (entry, x, level)
    for index, entry in enumerate(entries):
        x = x_of(entry.occurred_at)
        level = _free_level(last_x, entry.type, x, room)
        if level is None:  # every level is taken here: join the mark on the last one
            level = MAX_LEVELS - 1
            head = newest[(entry.type, level)]
            head = head_of.get(head, head)
            head_of[index] = head
            x = placed[head][1]
        else:
            last_x[(entry.type, level)] = x
            newest[(entry.type, level)] = index
        placed.append((entry, x, level))
    last_member = {head: index for index, head in head_of.items()}

    types = sorted({e.type for e in entries}, key=lambda t: (lane_order(t), t))
    lanes, top = {}, TOP
    for type_ in types:
        levels = 1 + max(level for (lane, level) in last_x if lane == type_)
        height = 2 * (LANE_PADDING + RADIUS) + (levels - 1) * LEVEL_GAP
        lanes[type_] = Lane(type_, type_label(type_), top, height)
        top += height
    chart = Chart(width=width, height=int(top + AXIS_HEIGHT), plot_left=LEFT, plot_right=plot_right,
                  axis_y=int(top), start=start, end=end, numbered=numbered, lanes=list(lanes.values()))
    for index, (entry, x, level) in enumerate(placed):
        number = index + 1
        local = timezone.localtime(entry.occurred_at)
        if index in head_of:
            label = ""
        elif index in last_member:
            label = f"{number}–{last_member[index] + 1}"
        else:
            label = str(number)
        chart.marks.append(Mark(
            number=number, entry_id=entry.pk, kind=entry.kind, colour=kind_colour(entry.kind), x=x,
            y=lanes[entry.type].y + level * LEVEL_GAP,
            tooltip=f"{number}. {local:%Y-%m-%d %H:%M:%S} — {entry.summary}", label=label,
        ))
    chart.ticks = [Tick(x_of(moment), label) for moment, label in _ticks(start, end)]
    return chart


def _domain(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The axis range: the entries' span padded by 3% (a single moment gets a minute either side)."""
    span = (last - first).total_seconds()
    if span < 60:
        middle = first + (last - first) / 2
        return middle - timedelta(seconds=60), middle + timedelta(seconds=60)
    pad = timedelta(seconds=span * 0.03)
    return first - pad, last + pad


def _free_level(last_x: dict, lane: str, x: float, room: float) -> int | None:
    """The first level of the lane with room at x; None when every level is taken there."""
    for level in range(MAX_LEVELS):
        previous = last_x.get((lane, level))
        if previous is None or x - previous >= room:
            return level
    return None


def _ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Round local times (every 5 min, hour, day, ...) with at most MAX_TICKS labels."""
    span = (end - start).total_seconds()
    step = next((s for s in TICK_STEPS if span / s <= MAX_TICKS),
                TICK_STEPS[-1] * math.ceil(span / TICK_STEPS[-1] / MAX_TICKS))
    offset = timezone.localtime(start).utcoffset().total_seconds()
    moment = math.ceil((start.timestamp() + offset) / step) * step - offset
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    if step >= 86400:
        pattern = "%d %b"
    elif local_start.date() != local_end.date():
        pattern = "%d %b %H:%M"
    elif step < 60:
        pattern = "%H:%M:%S"
    else:
        pattern = "%H:%M"
    ticks = []
    while moment <= end.timestamp():
        tick = datetime.fromtimestamp(moment, tz=start.tzinfo)
        ticks.append((tick, timezone.localtime(tick).strftime(pattern)))
        moment += step
    return ticks
