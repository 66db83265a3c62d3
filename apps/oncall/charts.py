"""The schedule's timeline as server-side SVG: one lane per layer, one for overrides, one final.

The markup is written here, numbers already formatted and text already escaped: a month of a
5-layer schedule has ~300 bars, and the template engine's per-variable lookups and `floatformat`
calls cost more than the rotation maths (see the benchmark in tests/benchmarks/test_oncall.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from . import rotation, selectors
from .models import Schedule

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#e15759"]
WIDTH, LABEL, LANE, GAP = 1000, 140, 26, 6


@dataclass
class Bar:
    x: float
    w: float
    color: str
    label: str
    title: str


@dataclass
class Lane:
    name: str
    y: float
    bars: list[Bar]


def _color(user_id, colors: dict) -> str:
    if user_id is None:
        return "#e15759"
    return colors.setdefault(user_id, PALETTE[len(colors) % (len(PALETTE) - 1)])


def timeline_chart(schedule: Schedule, start: datetime, days: int = 14) -> dict:
    """Lanes and bars (x/width in pixels) of [start, start + days) plus day ticks in local time."""
    end = start + timedelta(days=days)
    tz: ZoneInfo = selectors.zone(schedule)
    data = selectors.schedule_data(schedule, start, end)
    span = (end - start).total_seconds()
    plot = WIDTH - LABEL

    def x(at: datetime) -> float:
        return LABEL + max(0.0, min(1.0, (at - start).total_seconds() / span)) * plot

    lanes_src = [(spec.key, rotation.layer_shifts(spec, start, end)) for spec in data.specs]
    overrides = [s for s in data.overrides if s.end > start and s.start < end]
    # The lanes' shifts are the final timeline's candidates: the rotation maths runs once per layer.
    finals = rotation.final([s for _, ss in lanes_src for s in ss] + overrides, start, end, gaps=True)
    users = selectors.users_by_id({s.user_id for _, ss in lanes_src for s in ss}
                                  | {s.user_id for s in data.overrides} | {s.user_id for s in finals})
    names = {pk: selectors.display_name(u) for pk, u in users.items()}
    layer_names = dict(schedule.layers.values_list("pk", "name"))
    colors: dict = {}
    lanes, y = [], 20
    fmt = "%a %d %b %H:%M"

    nobody = _("nobody")  # once: gettext per bar cost more than the bar

    def bars(shifts):
        out = []
        for s in shifts:
            lo, hi = max(s.start, start), min(s.end, end)
            who = names.get(s.user_id, nobody)
            title = f"{who}: {lo.astimezone(tz):{fmt}} – {hi.astimezone(tz):{fmt}}"
            out.append(Bar(x(lo), max(1.0, x(hi) - x(lo)), _color(s.user_id, colors), who, title))
        return out

    for key, shifts in lanes_src:
        layer_id = int(key.split(":")[1])
        lanes.append(Lane(layer_names.get(layer_id, key), y, bars(shifts)))
        y += LANE + GAP
    lanes.append(Lane(_("Overrides"), y, bars(overrides)))
    y += LANE + GAP
    lanes.append(Lane(_("Final"), y, bars(finals)))
    y += LANE + GAP
    ticks = []
    day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.astimezone(rotation.UTC) < end:
        moment = rotation.localize(day.replace(tzinfo=None), tz)
        if moment >= start:
            ticks.append({"x": x(moment), "label": day.strftime("%a %d")})
        day = (day.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
    legend = [{"name": names.get(pk, "?"), "color": c} for pk, c in colors.items() if pk is not None]
    height = y + 10
    return {"lanes": lanes, "ticks": ticks, "height": height, "width": WIDTH, "label_width": LABEL,
            "lane_height": LANE, "legend": legend, "gaps": rotation.gaps_of(finals), "tz": tz.key,
            "svg": svg(lanes, ticks, height)}


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else Truncator(text).chars(length)


def svg(lanes: list[Lane], ticks: list[dict], height: int, *, element_id: str = "oncall-timeline") -> SafeString:
    """The chart's markup: coordinates with one decimal, every text escaped."""
    out = [f'<svg id="{escape(element_id)}" width="100%" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape(_("On-call timeline"))}" font-size="11">']
    for tick in ticks:
        x = f"{tick['x']:.1f}"
        out.append(f'<line x1="{x}" x2="{x}" y1="12" y2="{height}" stroke="#ddd"/>'
                   f'<text x="{x}" y="10">{escape(tick["label"])}</text>')
    for lane in lanes:
        top, base = f"{lane.y:g}", f"{lane.y + 17:g}"
        out.append(f'<text x="4" y="{base}">{escape(_cut(lane.name, 20))}</text>')
        for bar in lane.bars:
            x = f"{bar.x:.1f}"
            out.append(f'<rect x="{x}" y="{top}" width="{bar.w:.1f}" height="{LANE}" fill="{bar.color}">'
                       f"<title>{escape(bar.title)}</title></rect>")
            if bar.w > 40:
                out.append(f'<text x="{x}" dx="3" y="{base}" fill="#fff">{escape(_cut(bar.label, 12))}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated text is escaped above


@dataclass
class DayEntry:
    name: str
    color: str
    start: str  # local "HH:MM" of the piece inside the day
    end: str
    override: bool


@dataclass
class Day:
    date: object
    in_month: bool
    entries: list[DayEntry]


def month_calendar(schedule: Schedule, year: int, month: int) -> dict:
    """Weeks (Monday first) of the month in the schedule's zone: who is on call each day, overrides marked.

    Each day lists the final rotation's pieces inside that local day; a gap is a piece without a
    name. Days of the neighbouring months that fill the first and last week are included, dimmed.
    """
    import calendar as cal
    from datetime import date

    tz = selectors.zone(schedule)
    weeks_src = cal.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks_src[0][0], weeks_src[-1][-1] + timedelta(days=1)
    start = rotation.localize(datetime.combine(first, datetime.min.time()), tz)
    end = rotation.localize(datetime.combine(last, datetime.min.time()), tz)
    finals = selectors.timeline(schedule, start, end, gaps=True)
    users = selectors.users_by_id({s.user_id for s in finals})
    names = {pk: selectors.display_name(u) for pk, u in users.items()}
    colors: dict = {}
    by_day: dict = {}
    for shift in finals:
        override = shift.source.startswith("override:")
        color = _color(shift.user_id, colors)
        day = shift.start.astimezone(tz).date()
        while True:
            lo = max(shift.start, rotation.localize(datetime.combine(day, datetime.min.time()), tz))
            next_midnight = rotation.localize(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
            hi = min(shift.end, next_midnight)
            if lo < hi:
                by_day.setdefault(day, []).append(DayEntry(
                    names.get(shift.user_id, ""), color, f"{lo.astimezone(tz):%H:%M}",
                    "24:00" if hi == next_midnight else f"{hi.astimezone(tz):%H:%M}", override))
            if shift.end <= next_midnight:
                break
            day += timedelta(days=1)
    weeks = [[Day(d, d.month == month, by_day.get(d, [])) for d in week] for week in weeks_src]
    this = date(year, month, 1)
    previous = (this - timedelta(days=1)).replace(day=1)
    following = (this + timedelta(days=32)).replace(day=1)
    legend = [{"name": names.get(pk, "?"), "color": c} for pk, c in colors.items() if pk is not None]
    return {"weeks": weeks, "month": this, "previous": f"{previous:%Y-%m}", "next": f"{following:%Y-%m}",
            "legend": legend, "tz": tz.key,
            "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)]}
